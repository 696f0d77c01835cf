"""`neuralfactors runs list|remove`: your training runs in the user data folder (the local user's: those trained from
the command line, from the dashboard on loopback, and those from before runs had owners)."""
from __future__ import annotations

import argparse

from core.cli.output import emit


def add(sub) -> None:
    p = sub.add_parser("runs", help="list or remove training runs in the user data folder (NEURALFACTORS_HOME)")
    p.add_argument("action", choices=["list", "remove"], help="list: every finished run; remove: delete one")
    p.add_argument("run", nargs="?", default=None, help="the run id to remove")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(handler=runs_command)


def runs_command(args: argparse.Namespace) -> int:
    from core import runs
    from core.errors import ModelError
    from core.workspaces import user_runs
    from core.workspaces.identity import local_user
    from core.workspaces.store import Store

    store, user = Store(runs.home()), local_user()
    if args.action == "remove":
        if not args.run:
            raise ModelError("runs remove needs a run id; `neuralfactors runs list` shows them")
        user_runs.remove_run(store, user, args.run)
        print(f"removed run {args.run}")
        return 0
    found = user_runs.list_runs(store, user)
    if args.json:
        emit({"home": str(runs.home()), "runs": [{"id": r.id, "path": str(r.path), "model": r.model,
                                                  "fingerprint": r.fingerprint, "training": r.training} for r in found]})
        return 0
    from core.models.neuralfactors.finetune import selection_text

    print(f"runs in {runs.runs_dir()}: {len(found)}")
    for r in found:
        best = r.training.get("best_valid_nll_joint_scaled")
        print(f"  {r.id:32s} {r.model:14s} step {r.training.get('step', '-')}, best valid NLL {best}")
        if chosen := selection_text(r.training.get("selection")):  # an adaptation: the step it kept, or none
            print(f"    {chosen}")
    return 0
