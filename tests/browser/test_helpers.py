"""The browser tests' Chromium check: a missing Chromium fails the browser tests under CI and skips them only
outside it (where `make test` could not install it)."""
import pytest

from benchmarks import browser_driver as b
from tests.browser.helpers import require_chromium


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_missing_chromium_fails_in_ci_and_skips_elsewhere(monkeypatch, ci, outcome):
    monkeypatch.setattr(b, "chromium_path", lambda: None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install"):
        require_chromium()
