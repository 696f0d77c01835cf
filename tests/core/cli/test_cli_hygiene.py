"""Command-line hygiene: help on every option, JSON errors, a closed pipe, names checked first,
files with the user's umask, split options, and a dashboard that listens on loopback only."""
from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.cli import main
from core.cli.parser import build_parser

ROOT = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-m", "core.cli"]


def _options(parser, path=()):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield from _options(sub, path + (name,))
        elif action.dest != "help":
            yield path, action


def test_every_option_has_help():
    missing = [f"{' '.join(p)} {a.option_strings or a.dest}" for p, a in _options(build_parser()) if not a.help]
    assert not missing, missing


def test_json_errors_are_a_json_object_and_a_nonzero_exit(capsys):
    assert main(["data", "info", "--data", "no_such_file.csv", "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert "no_such_file.csv" in out["error"] and out["kind"] == "DataError"


def test_unknown_model_is_refused_before_any_work(capsys):
    assert main(["evaluate", "--dataset", "synthetic", "--models", "nf", "--split", "test"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'nf'" in err and "fitting" not in err and "split:" not in err


def test_closed_pipe_ends_quietly():
    proc = subprocess.run(f"{sys.executable} -m core.cli data info --dataset sp500-20 --json | head -c 10",
                          shell=True, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.stdout == '{\n  "name"' and "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_written_files_follow_the_umask(tmp_path):
    from core.io import FILE_MODE, atomic_write_bytes

    atomic_write_bytes(tmp_path / "x.json", b"{}")
    assert stat.S_IMODE((tmp_path / "x.json").stat().st_mode) == FILE_MODE
    mask = os.umask(0)
    os.umask(mask)
    assert FILE_MODE == 0o666 & ~mask


def test_split_options_are_applied_and_printed(capsys):
    assert main(["data", "info", "--dataset", "synthetic", "--split", "0.5,0.25", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    n = out["n_dates"]
    assert abs(out["split"]["train"]["n_dates"] - n * 0.5) <= 1 and abs(out["split"]["valid"]["n_dates"] - n * 0.25) <= 1
    assert main(["data", "info", "--dataset", "synthetic", "--train-end", "2008-01-01", "--valid-end", "2009-01-01",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["split"]["train"]["last"] <= "2008-01-01" and out["split"]["test"]["first"] > "2009-01-01"
    assert main(["data", "info", "--dataset", "synthetic", "--split", "0.9,0.2"]) == 2
    assert "leave dates for the test" in capsys.readouterr().err
    # evaluate declares its own --split (a part or shares): shares re-split the data as data info's do
    assert main(["evaluate", "--dataset", "synthetic", "--models", "ewma", "--split", "0.9,0.2", "--json"]) == 2
    assert "leave dates for the test" in capsys.readouterr().out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _other_address() -> str | None:
    """An address of this machine that is not loopback (None when it has none)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.123", 9))  # no packet is sent: this only picks the outgoing interface
            addr = s.getsockname()[0]
    except OSError:
        return None
    return None if addr.startswith("127.") else addr


@pytest.mark.slow
def test_dashboard_listens_on_loopback_only_and_one_signal_stops_it(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(CLI + ["dashboard", "--headless", "--port", str(port)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "HOME": str(tmp_path)})
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "dashboard did not start"
                time.sleep(0.5)
        other = _other_address()
        if other is not None:
            with socket.socket() as s:
                s.settimeout(2)
                assert s.connect_ex((other, port)) != 0, f"reachable on {other}"
    finally:
        proc.terminate()  # SIGTERM to the CLI process only: it must take Streamlit down with it
        proc.wait(timeout=30)
    time.sleep(1)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the Streamlit child still serves the port"


def test_beyond_loopback_the_dashboard_needs_a_provider_or_an_explicit_no_auth(tmp_path, capsys):
    assert main(["dashboard", "--host", "0.0.0.0", "--headless"]) == 2
    assert "visitors must sign in: give --auth SECRETS.toml" in capsys.readouterr().err
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "http://x:8501/oauth2callback"\ncookie_secret = "s"\n')
    secrets.chmod(0o644)
    assert main(["dashboard", "--host", "0.0.0.0", "--auth", str(secrets), "--headless"]) == 2
    assert "chmod 600" in capsys.readouterr().err
    secrets.chmod(0o600)
    assert main(["dashboard", "--host", "0.0.0.0", "--auth", str(secrets), "--headless"]) == 2
    assert "lacks client_id, client_secret, server_metadata_url" in capsys.readouterr().err
