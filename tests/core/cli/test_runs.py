"""`neuralfactors runs list|remove`: the local user's runs only (those from before owners included); another user's
run is neither listed nor removable from the command line."""
import json

from core import runs
from core.cli import main
from core.io import write_json
from core.workspaces.identity import User
from core.workspaces.store import Store


def test_runs_list_and_remove_are_the_local_users(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path))
    write_json(runs.runs_dir() / "20240101-120000-abcdef" / "config.json", {"model": "ppca", "fingerprint": "f"})
    theirs = runs.new_run_id()
    Store(tmp_path).add_run(User("https://idp.example", "alice-sub"), theirs)
    write_json(runs.runs_dir() / theirs / "config.json", {"model": "ppca", "fingerprint": "f"})
    assert main(["runs", "list", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)["runs"]] == ["20240101-120000-abcdef"]
    assert main(["runs", "remove", theirs]) == 2
    assert "not yours, or removed" in capsys.readouterr().err and (runs.runs_dir() / theirs).exists()
    assert main(["runs", "remove", "20240101-120000-abcdef"]) == 0
    assert not (runs.runs_dir() / "20240101-120000-abcdef").exists()
