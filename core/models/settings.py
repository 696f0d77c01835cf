"""Checks keyword settings (from the Python API or `train --set`) against a model's defaults.

A value must have the kind of its default: bool, integer, number (an integer is accepted), text,
or list; a default of None accepts anything. The error names the setting and shows a valid
`--set`, so a typo ends in one line instead of a traceback deep inside training.
"""
from __future__ import annotations

import json
from typing import Any

from core.errors import ModelError


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _fits(default: Any, value: Any) -> bool:
    if default is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if isinstance(default, (list, tuple)):
        if not isinstance(value, (list, tuple)):
            return False
        return not default or all(_fits(default[0], v) for v in value)
    return isinstance(value, type(default))


def check_settings(owner: str, defaults: dict[str, Any], values: dict[str, Any]) -> None:
    """Raise ModelError for a name not in `defaults` or a value of another kind than its default."""
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise ModelError(f"{owner}: unknown setting(s) {unknown}; known settings are {sorted(defaults)}")
    for key, value in values.items():
        default = defaults[key]
        if not _fits(default, value):
            example = default if isinstance(default, str) else json.dumps(default, separators=(",", ":"))
            raise ModelError(f"{owner}: setting {key}={value!r} should be {_kind(default)}, like the default "
                             f"{default!r} (e.g. --set {key}={example})")
