"""The `relais` storage commands end to end (SQLite), with --json output."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, pytest.MonkeyPatch]:
    for name in ("RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RELAIS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RELAIS_DATA_DIR", str(tmp_path / "data"))
    return Path(sqlite_url.split("///", 1)[1]), monkeypatch


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_enrol_cases_audit_cycle(
    cli: tuple[Path, pytest.MonkeyPatch], capsys: pytest.CaptureFixture[str]
) -> None:
    db_path, _ = cli
    code, out, _ = run(capsys, "db", "current", "--json")
    assert code == 0
    assert json.loads(out)["up_to_date"] is True
    code, out, _ = run(
        capsys,
        "admin",
        "invite",
        "--role",
        "coordinator",
        "--name",
        "Anne Durand",
        "--team",
        "North",
        "--json",
    )
    assert code == 0
    invite = json.loads(out)
    assert len(invite["code"]) <= 64
    code, out, _ = run(capsys, "admin", "invite", "--role", "mentor", "--name", "Bob")
    assert "Invite code" in out
    code, out, _ = run(capsys, "admin", "list", "--json")
    assert sorted(p["name"] for p in json.loads(out)) == ["Anne Durand", "Bob"]
    assert run(capsys, "case", "create", "K-7F3A", "--owner", "Anne Durand")[0] == 0
    assert run(capsys, "case", "add-member", "K-7F3A", "Bob", "--role", "mentor")[0] == 0
    code, out, _ = run(capsys, "case", "list", "--json")
    assert json.loads(out)[0]["members"] == [{"name": "Bob", "role": "mentor"}]
    code, out, _ = run(capsys, "contacts", "import", str(ROOT / "contacts.example.toml"), "--json")
    assert code == 0
    assert json.loads(out)["contacts"] >= 9
    code, out, _ = run(capsys, "contacts", "list", "--team", "North", "--json")
    assert any(c["role"] == "emergency" for c in json.loads(out)["contacts"])
    code, out, _ = run(capsys, "audit", "export", "--case", "K-7F3A", "--json")
    assert [e["action"] for e in json.loads(out)] == ["case.create", "case.add_member"]
    code, out, _ = run(capsys, "audit", "verify", "--json")
    assert code == 0
    assert json.loads(out)["ok"] is True

    with sqlite3.connect(db_path) as conn:  # someone edits the audit log by hand
        conn.execute("UPDATE audit_log SET actor_id = 'someone' WHERE seq = 3")
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 1
    assert "entry 3 was modified" in out


def test_erase_needs_confirmation(
    cli: tuple[Path, pytest.MonkeyPatch], capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "admin", "invite", "--role", "coordinator", "--name", "Anne")
    run(capsys, "case", "create", "K-1", "--owner", "Anne")
    code, _, err = run(capsys, "case", "erase", "K-1")
    assert code == 1
    assert "--yes" in err
    code, out, _ = run(capsys, "case", "export", "K-1")
    assert json.loads(out)["case"]["code"] == "K-1"
    code, out, _ = run(capsys, "case", "erase", "K-1", "--yes", "--json")
    assert json.loads(out) == {"case": "K-1", "notes_erased": 0}
    code, out, _ = run(capsys, "audit", "export", "--case", "K-1", "--json")
    assert json.loads(out)[-1]["action"] == "case.erase"
    code, _, err = run(capsys, "case", "close", "K-1")
    assert code == 1
    assert "no case K-1" in err


def test_keys_and_retention_json(
    cli: tuple[Path, pytest.MonkeyPatch], capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "admin", "invite", "--role", "mentor", "--name", "Anne")
    code, out, _ = run(capsys, "keys", "rotate", "--json")
    assert json.loads(out)["key"] == "k2"
    code, out, _ = run(capsys, "keys", "status", "--json")
    assert json.loads(out)["keys"] == ["k1", "k2"]
    code, out, _ = run(capsys, "retention", "apply", "--json")
    assert json.loads(out) == {"notes_deleted": 0, "cases": 0}
    code, _, err = run(capsys, "admin", "invite", "--role", "wizard", "--name", "X")
    assert code == 1
    assert "unknown role" in err


def test_out_of_date_schema_names_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RELAIS_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("RELAIS_DATA_DIR", str(tmp_path / "data"))
    code, _, err = run(capsys, "admin", "list")
    assert code == 1
    assert "relais db upgrade" in err
    assert run(capsys, "db", "upgrade")[0] == 0
    assert run(capsys, "admin", "list")[0] == 0
    assert run(capsys, "db", "downgrade", "base", "--yes")[0] == 0
    code, out, _ = run(capsys, "db", "current")
    assert "empty database" in out
