"""Saved views: a user's named views (page + dataset + model + date + portfolio name, and the custom weights when the
portfolio is custom) kept in the workspace store (core.workspaces.store), in one of the user's workspaces or in
none. A link names a saved view by its id (?view=ID) and opens it for its owner only (another user's id gets the same
answer as a missing one); on a sign-in server a link never carries holdings (dashboard/state.publish)."""
from __future__ import annotations

import streamlit as st

from core.errors import NeuralFactorsError
from core.workspaces.store import VIEW_FIELDS, SavedView
from dashboard import ownership, signin
from dashboard.state import Selection, warn


def choices(sel: Selection, page: str) -> dict[str, str]:
    """What a saved view of `sel` on page `page` (a page stem, dashboard/pages.py) holds."""
    return {"page": page, "dataset": sel.dataset, "model": sel.model, "date": sel.date, "portfolio": sel.portfolio,
            "custom": sel.custom if sel.portfolio == "custom" else ""}


def save(sel: Selection, page: str, name: str, workspace: str | None = None) -> SavedView:
    """Keep `sel` on `page` as the user's view `name` (in `workspace`, one of theirs, when given); it is the view in
    use from now on (the link names it)."""
    view = ownership.store().save_view(signin.current_user(), name, choices(sel, page), workspace)
    st.session_state["view"] = (view.id, choices(sel, page))
    return view


def open_view(view_id: str) -> SavedView:
    """Put the user's saved view `view_id` into the session (NotYours for another user's or none): its choices
    now, its page on the app's next run."""
    view = ownership.store().view(signin.current_user(), view_id)
    st.session_state.update(dataset=view.dataset, model=view.model, date=view.date, portfolio=view.portfolio,
                            w=view.custom, _open_page=view.page,
                            view=(view.id, {k: getattr(view, k) for k in VIEW_FIELDS}))
    return view


def from_link() -> None:
    """On a session's first run, open the saved view its link names (?view=ID), saying so when it is not the user's
    (the sidebar's defaults then)."""
    if st.session_state.get("_seeded") or "view" not in st.query_params:
        return
    try:
        open_view(st.query_params["view"])
    except NeuralFactorsError:
        warn("the link's saved view is not one of yours (not yours, or deleted); showing the defaults")


def in_use(sel: Selection) -> str | None:
    """The id of the saved view the session shows unchanged (whatever the page), else None."""
    view = st.session_state.get("view")
    if view is None:
        return None
    saved = {k: v for k, v in view[1].items() if k != "page"}
    now = {k: v for k, v in choices(sel, "").items() if k != "page"}
    return view[0] if saved == now else None
