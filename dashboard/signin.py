"""Who is using this dashboard. Served beyond loopback with a provider configured (`neuralfactors dashboard --auth
FILE` sets NEURALFACTORS_SIGN_IN), every visitor signs in with Streamlit's own OpenID Connect support (st.login /
st.user) and is the token's issuer + subject (core.workspaces.identity); on loopback there is one local user."""
from __future__ import annotations

import os

import streamlit as st

from core.workspaces.identity import User, local_user

ENV = "NEURALFACTORS_SIGN_IN"


def required() -> bool:
    """Sign-in is on for this server (set by the CLI when it is given a provider)."""
    return os.environ.get(ENV) == "1"


def gate() -> None:
    """On a sign-in server, a visitor who is not signed in sees only the sign-in (and nothing else runs)."""
    if required() and not signed_in():
        st.title("NeuralFactors")
        st.write("Sign in to open your workspaces.")
        st.button("Sign in", key="sign_in", on_click=st.login, type="primary")
        st.stop()


def signed_in() -> bool:
    """The visitor holds a session from the provider (st.user's claims say so; empty claims: not signed in)."""
    return bool(st.user.to_dict().get("is_logged_in"))


def current_user() -> User:
    """The signed-in user (issuer + subject of the ID token), else the local user."""
    if not required():
        return local_user()
    return user_of(st.user.to_dict())


def user_of(claims: dict) -> User:
    """The user the ID token's claims name (issuer + subject; the e-mail only for display)."""
    return User(str(claims.get("iss", "oidc")), str(claims["sub"]), str(claims.get("email", "")))


def cookie_user(cookies: dict[str, str]) -> User | None:
    """The user of an HTTP request, from the sign-in cookie Streamlit's st.login set in `cookies` (None when absent,
    not signed by this server, or signed out). Read with Streamlit's own helper, the one its websocket uses to fill
    st.user (an internal: the two-user browser test fails if it changes)."""
    import json

    from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME
    from streamlit.web.server.starlette.starlette_websocket import _get_signed_cookie_with_chunks

    try:
        raw = _get_signed_cookie_with_chunks(cookies, USER_COOKIE_NAME)
        claims = json.loads(raw) if raw else {}
    except (ValueError, TypeError):
        return None
    if not isinstance(claims, dict) or not claims.get("is_logged_in") or "sub" not in claims:
        return None
    return user_of(claims)
