"""`relais team list|set`, `relais case decision|decisions|review-pack` end to end (SQLite,
the system clock), with --json, and what the audit trail says of them."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main


@pytest.fixture
def cli(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RELAIS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RELAIS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_review_day_decisions_and_pack_from_the_command_line(
    cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "Anne Durand"
    assert (
        run(capsys, "admin", "invite", "--role", "coordinator", "--name", name, "--team", "North")[
            0
        ]
        == 0
    )
    assert run(capsys, "case", "create", "K-7F3A", "--owner", name)[0] == 0

    code, out, _ = run(capsys, "team", "list", "--json")
    assert json.loads(out) == [{"team": "North", "review_day": 1, "own": False, "moved": 0}]
    code, out, _ = run(capsys, "team", "set", "--review-day", "5", "--json")
    assert json.loads(out) == {"team": "North", "review_day": 5, "own": True, "moved": 1}
    code, _out, err = run(capsys, "team", "set", "--review-day", "40")
    assert code == 1
    assert "from 1 to 31" in err

    code, out, _ = run(
        capsys, "case", "decision", "K-7F3A", "Ask for a flat", "--as", name, "--json"
    )
    recorded = json.loads(out)
    assert (recorded["case"], recorded["number"], recorded["status"]) == ("K-7F3A", 1, "open")
    code, out, _ = run(
        capsys,
        "case",
        "decision",
        "K-7F3A",
        "--done",
        "1",
        "--outcome",
        "Flat found",
        "--as",
        name,
    )
    assert out.strip() == "decision 1 on K-7F3A: done"
    code, _out, err = run(capsys, "case", "decision", "K-7F3A", "--done", "7", "--as", name)
    assert code == 1
    assert "no decision 7 on case K-7F3A" in err
    code, out, _ = run(capsys, "case", "decisions", "K-7F3A", "--json")
    [listed] = json.loads(out)
    assert (listed["text"], listed["status"], listed["outcome"]) == (
        "Ask for a flat",
        "done",
        "Flat found",
    )

    month = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m")
    target = cli / "pack.html"
    code, out, _ = run(
        capsys,
        "case",
        "review-pack",
        "K-7F3A",
        "--month",
        month,
        "--format",
        "html",
        "-o",
        str(target),
    )
    assert code == 0
    assert os.stat(target).st_mode & 0o777 == 0o600
    html = target.read_text(encoding="utf-8")
    assert "Ask for a flat" in html
    assert "Flat found" in html
    code, out, _ = run(
        capsys, "case", "review-pack", "K-7F3A", "--month", month, "--json", "--lang", "fr"
    )
    pack = json.loads(out)
    assert pack["case"] == "K-7F3A"
    assert pack["taken"][0]["outcome"] == "Flat found"
    assert pack["taken"][0]["status_label"] == "réalisée"
    assert pack["handover"] is None

    code, out, _ = run(capsys, "audit", "export", "--case", "K-7F3A", "--json")
    entries = {e["action"]: e for e in json.loads(out)}
    assert {"decision.record", "decision.settle", "decision.list", "case.review_pack"} <= set(
        entries
    )
    recorded_by = entries["decision.record"]
    assert recorded_by["actor_kind"] == "operator"  # acting --as the practitioner
    assert "shell_user" in recorded_by["detail"]
    assert "for" in recorded_by["detail"]
    assert entries["case.review_pack"]["detail"] == {"month": month}
    assert "Ask for a flat" not in out  # the audit trail holds ids, never the text
