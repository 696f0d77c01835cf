"""The `neuralfactors` argument parser: one sub-command per module of this package."""
from __future__ import annotations

import argparse

from core.cli import (attribution, dashboard, data, evaluate, models, pretrained, refresh, report, runs, shock,
                      stress, train, var, workspace)

COMMANDS = (data, models, train, evaluate, pretrained, runs, dashboard, report, var, stress, shock, attribution,
            workspace, refresh)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="neuralfactors", description="NeuralFactors factor-model workbench")
    sub = ap.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add(sub)
    return ap
