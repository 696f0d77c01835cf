"""The paper-style evaluation: tables.py scores any set of model keys on a split (spec: evaluation.md). The
metric vocabulary (names, labels, direction) is core/scorecard.py, below core.store, which reads shipped metrics
in the same columns."""
