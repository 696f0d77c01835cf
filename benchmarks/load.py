"""`python -m benchmarks load`: 25 signed-in browser sessions (5 users x 5 Chromium contexts, each its own cookies)
browsing different pages of one dashboard server at once while one fine-tune trains through the queue; writes
<out>/bench_load.md.

One `neuralfactors dashboard --host 0.0.0.0 --auth` server against the test OpenID Connect provider
(benchmarks/oidc.py), NEURALFACTORS_HOME a temporary folder. Each user has an upload of their own (a SYNTHETIC
market's prices, a different slice of stocks per user, stored as theirs before the sessions open). The first user's
fine-tune of the shipped NeuralFactors on their upload is queued (core.workspaces.jobs) before the sessions start.
Every session signs in, then in each round all sessions open a page at once (a user's sessions each on another
page: the server runs them side by side), on their user's upload with PPCA. Recorded per session: each page's time
(from the navigation's start to the page standing still: browser clock, the Playwright probe of browser_driver),
exception boxes and waits that ran out (errors), and that the sidebar shows this user's upload and its Dataset box
lists it and no other user's. `--quick`: 2 users x 2 sessions, one page each.
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import COMMAND, write

MODEL = "ppca"
#: the pages a session visits in turn (URL paths; "" is the Overview), each session starting at another one
PAGES = ("", "var", "exposures", "covariance", "lab")
#: the fine-tune's steps (--quick: QUICK_STEPS)
FINE_TUNE_STEPS, QUICK_STEPS = 20, 5
PAGE_TIMEOUT_S = 900.0


def sizes(quick: bool) -> tuple[int, int, int]:
    """(users, sessions per user, pages per session)."""
    return (2, 2, 1) if quick else (5, 5, 2)


def _uploads(store, users) -> dict[str, str]:
    """Each user's own upload (40 stocks of a SYNTHETIC market, a different slice per user) kept as theirs; user
    subject -> file name."""
    from benchmarks.data import _long_table

    table = _long_table(40 + 5 * len(users), 300)
    table["date"] = table["date"].dt.strftime("%Y-%m-%d")
    tickers = sorted(table["ticker"].unique())
    names = {}
    for i, user in enumerate(users):
        names[user.subject] = f"book_{user.subject}.csv"
        mine = table[table["ticker"].isin(tickers[5 * i:5 * i + 40])]
        store.add_file(user, names[user.subject], mine.to_csv(index=False).encode())
    return names


def _page_time(page) -> float:
    """Seconds from the navigation's start to the page's last message, flip or chart (the browser's clock)."""
    return float(page.evaluate("() => Math.max(window.__nf.lastMsg, window.__nf.lastFlip, window.__nf.lastChart)")) \
        / 1000


def _browse(b, sessions, base: str, keys: dict[str, str], rounds: int) -> None:
    """`rounds` rounds: every session opens its next page at once (navigation committed), then each is waited for
    until it stands still; its time, errors and a wait that ran out are noted in its record."""
    from urllib.parse import quote

    for r in range(rounds):
        for s in sessions:
            stem = PAGES[(s["n"] + s["k"] + r) % len(PAGES)]  # a user's k-th session one page further on
            s["page"].goto(f"{base}/{stem}?dataset={quote(keys[s['who']])}&model={MODEL}", wait_until="commit")
            s["visits"].append(stem or "overview")
        for s in sessions:
            try:
                b.settle(s["page"], PAGE_TIMEOUT_S, what=f"{s['who']}'s page {s['visits'][-1]}")
                b.wait_for(s["page"], '[data-testid="stMainBlockContainer"] h1', "the page's heading", 60)
                s["times"].append(_page_time(s["page"]))
                s["errors"] += b.exceptions(s["page"])
            except b.WaitTimeout as exc:
                s["errors"] += 1
                s["notes"].append(str(exc).splitlines()[0][:200])


def _own_data_only(b, s, names: dict[str, str]) -> bool:
    """The session shows its user's upload, and its Dataset box lists that upload and no other user's."""
    shown = s["page"].locator('[data-testid="stSidebar"]').inner_text()
    listed = " ".join(b.options(s["page"], "Dataset", timeout=PAGE_TIMEOUT_S))
    others = [n for w, n in names.items() if w != s["who"]]
    return names[s["who"]] in shown and names[s["who"]] in listed and not any(n in listed + shown for n in others)


def _sessions(b, oidc, first, base: str, users, keys: dict[str, str], per_user: int, rounds: int):
    """`per_user` sessions of each of `users` (the first on page `first`, the others in contexts of its browser),
    each signed in, then `rounds` rounds of pages at once (_browse): (session records, seconds signing in, seconds
    browsing)."""
    pages = [first] + [b.visitor(first.context.browser) for _ in range(len(users) * per_user - 1)]
    sessions = [{"n": n, "k": n // len(users), "who": users[n % len(users)].subject, "page": p, "visits": [],
                 "times": [], "errors": 0, "notes": []} for n, p in enumerate(pages)]
    t0 = time.perf_counter()
    for s in sessions:
        oidc.sign_in(s["page"], base, s["who"], timeout=PAGE_TIMEOUT_S)
    signed_in = time.perf_counter() - t0
    t0 = time.perf_counter()
    _browse(b, sessions, base, keys, rounds)
    return sessions, signed_in, time.perf_counter() - t0


def run(quick: bool = False, out: str | Path = ".") -> int:
    from benchmarks import browser_driver as b, oidc
    from core.workbench.keys import upload_key
    from core.workspaces import jobs
    from core.workspaces.identity import User
    from core.workspaces.store import Store

    n_users, per_user, rounds = sizes(quick)
    load_before = os.getloadavg()[0]
    steps = QUICK_STEPS if quick else FINE_TUNE_STEPS
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        home, old = Path(tmp) / "home", os.environ.get("NEURALFACTORS_HOME")
        os.environ["NEURALFACTORS_HOME"] = str(home)  # the server and the fine-tune inherit it
        provider_port, app_port = b.free_port(), b.free_port()
        secrets = oidc.secrets_file(Path(tmp) / "secrets.toml", app_port, provider_port)
        base = f"http://localhost:{app_port}"
        try:
            with oidc.provider(provider_port, Path(tmp) / "provider.log") as issuer, \
                    b.serve(app_port, extra=("--host", "0.0.0.0", "--auth", str(secrets))), \
                    b.browser_page() as first:
                store = Store(home)
                users = [User(issuer, f"user{i + 1}") for i in range(n_users)]
                names = _uploads(store, users)
                keys = {u.subject: upload_key(store.files(u, "data")[0].id) for u in users}
                job = jobs.submit(store, users[0], store.files(users[0], "data")[0].path, "neuralfactors",
                                  init="shipped", max_steps=steps)
                try:
                    sessions, signed_in, browsing = _sessions(b, oidc, first, base, users, keys, per_user, rounds)
                    state_then = store.job(users[0], job.run).state
                    for s in sessions:
                        s["own"] = _own_data_only(b, s, names)
                    deadline = time.monotonic() + 2 * PAGE_TIMEOUT_S
                    while jobs.status(store, users[0], job.run)["state"] in ("queued", "running") and \
                            time.monotonic() < deadline:
                        time.sleep(2)
                finally:  # stopped, when it runs past the deadline or the benchmark stopped before it ended
                    jobs.cancel(store, users[0], job.run)
                job = store.job(users[0], job.run)
        finally:
            if old is None:
                os.environ.pop("NEURALFACTORS_HOME", None)
            else:
                os.environ["NEURALFACTORS_HOME"] = old
    tuned = (f"{job.state} after {_seconds(job.ended) - _seconds(job.submitted):.0f} s ({steps} steps); "
             f"{state_then} when the pages of the last round stood still")
    machine = f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    write(out, "load", _markdown(quick, sessions, signed_in, browsing, tuned, time.perf_counter() - started, machine))
    return 0 if all(s["errors"] == 0 and s["own"] for s in sessions) and job.state == "finished" else 1


def _seconds(iso: str) -> float:
    import pandas as pd

    return pd.Timestamp(iso).timestamp()


def _markdown(quick: bool, sessions, signed_in: float, browsing: float, tuned: str, total: float,
              machine: str = "") -> str:
    """The page: the figures, then one row per session (its record: n, who, visits, times, errors, notes, own)."""
    times = [t for s in sessions for t in s["times"]]
    errors, own = sum(s["errors"] for s in sessions), sum(s["own"] for s in sessions)
    command = f"{COMMAND} load" + (" --quick" if quick else "")
    users = sorted({s["who"] for s in sessions})
    rows = [f"| {s['n'] + 1} | {s['who']} | {', '.join(s['visits'])} | "
            f"{' / '.join(f'{t:.1f}' for t in s['times']) or '-'} | {s['errors']} | {'yes' if s['own'] else 'NO'} |"
            for s in sessions]
    notes = [f"- session {s['n'] + 1}: {note}" for s in sessions for note in s["notes"]]
    return "\n".join([
        "# Load benchmark: signed-in sessions at once",
        "",
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d')}: {platform.machine()}, {os.cpu_count()} CPU cores "
        f"(the dashboard server, Chromium, the fine-tune and the provider all on them; "
        f"{machine}), Python "
        f"{sys.version.split()[0]}. Sessions are real Chromium browser contexts (Playwright, one browser, each "
        f"context its own cookies), signed in against the test OpenID Connect provider; one dashboard server.",
        "",
        f"- **{len(sessions)} sessions of {len(users)} users**, {len(sessions[0]['visits'])} page(s) each (in each "
        f"round every session opens its next page at once), on their own upload with {MODEL}",
        f"- **errors: {errors}** (exception boxes and waits over {PAGE_TIMEOUT_S:.0f} s)",
        f"- **own data only: {own} of {len(sessions)} sessions** (the sidebar shows the user's upload, the Dataset "
        "box lists it and no other user's)",
        f"- page time (navigation start to standing still, browser clock): median "
        f"{statistics.median(times) if times else float('nan'):.1f} s, max {max(times, default=float('nan')):.1f} s "
        f"over {len(times)} page visits",
        f"- the fine-tune (the first user's, through the queue): {tuned}",
        f"- wall time: sign-in of every session one after another {signed_in:.0f} s, the rounds of pages at once "
        f"{browsing:.0f} s, the whole benchmark {total:.0f} s",
        "",
        "| session | user | pages | seconds | errors | own data only |",
        "| ---: | --- | --- | --- | ---: | --- |",
        *rows,
        *([""] + notes if notes else []),
        "",
    ])
