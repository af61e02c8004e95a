"""`relais case create --release`, `set-release`, `handover`, `sharing` and `export --for`,
end to end on SQLite with --json (the system clock: dates far enough ahead)."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.storage.test_cli import cli as cli  # the fixture
from tests.storage.test_cli import run


def test_case_course_from_the_command_line(
    cli: tuple[Path, pytest.MonkeyPatch], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    release = datetime.now(UTC).date() + timedelta(days=40)
    assert run(capsys, "admin", "invite", "--role", "mentor", "--name", "Anne")[0] == 0
    code, out, _ = run(
        capsys, "case", "create", "K-7F3A", "--owner", "Anne", "--release", str(release), "--json"
    )
    assert code == 0
    created = json.loads(out)
    assert created["code"] == "K-7F3A"
    plan = created["handover"]
    assert plan["release_on"] == release.isoformat()
    assert [(p["step"], p["days"], p["status"]) for p in plan["plan"]] == [
        ("prepare", -14, "pending"),
        ("release_day", 0, "pending"),
        ("day_1", 1, "pending"),
        ("day_3", 3, "pending"),
        ("day_7", 7, "pending"),
        ("day_14", 14, "pending"),
        ("day_30", 30, "pending"),
    ]
    assert plan["open_items"][0] == "treatment"
    assert plan["checklist"][4]["label"] == {"en": "Housing", "fr": "Logement"}

    moved = release + timedelta(days=7)
    code, out, _ = run(capsys, "case", "set-release", "k-7f3a", str(moved), "--json")
    assert code == 0
    assert json.loads(out)["plan"][1]["due_at"].startswith(moved.isoformat())
    code, out, _ = run(capsys, "checkins", "list", "--case", "K-7F3A", "--json")
    schedules = json.loads(out)
    # the 7 handover steps, moved, not doubled; and the case's monthly review (bot.review)
    assert len([s for s in schedules if s["rule"] == "once"]) == 7
    assert [s["rule"] for s in schedules if s["rule"] != "once"] == [
        "monthly:1@10:00 Europe/Paris"
    ]
    code, out, _ = run(capsys, "case", "handover", "K-7F3A")
    assert out.startswith(f"K-7F3A: {moved.isoformat()}")
    assert "[ ] housing: Housing" in out
    with pytest.raises(SystemExit):
        run(capsys, "case", "set-release", "K-7F3A", "15/01/2027")
    err = capsys.readouterr().err
    assert "expected a date YYYY-MM-DD (e.g. 2027-01-15), found '15/01/2027'" in err

    code, out, _ = run(capsys, "case", "sharing", "K-7F3A", "--json")
    assert json.loads(out) == {"case": "K-7F3A", "record": None}
    code, out, _ = run(
        capsys,
        "case",
        "sharing",
        "K-7F3A",
        "--allow",
        "Probation:risk,progress",
        "--allow",
        "Housing office:practical",
        "--signed",
        "2026-11-02",
        "--signed-by",
        "J. Martin",
        "--review",
        (release + timedelta(days=180)).isoformat(),
        "--person-informed",
        "yes",
        "--json",
    )
    assert code == 0
    record = json.loads(out)["record"]
    assert record["allowed"] == [
        {"recipient": "Probation", "categories": ["risk", "progress"]},
        {"recipient": "Housing office", "categories": ["practical"]},
    ]
    assert (record["signed_on"], record["signed_by"], record["person_informed"]) == (
        "2026-11-02",
        "J. Martin",
        True,
    )
    code, _, err = run(capsys, "case", "sharing", "K-7F3A", "--allow", "Family:gossip")
    assert code != 0
    assert "unknown categories for Family: gossip" in err

    code, _, err = run(capsys, "case", "export", "K-7F3A", "--for", "Family")
    assert (
        "allows nothing to Family: nothing exported (it names: Probation, Housing office)" in err
    )
    target = tmp_path / "probation.json"
    code, out, _ = run(capsys, "case", "export", "K-7F3A", "--for", "probation", "-o", str(target))
    assert code == 0
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    exported = json.loads(target.read_text("utf-8"))
    assert exported["for"] == "Probation"
    assert exported["notes"] == []
    assert exported["left_out"]["categories"] == ["health", "practical"]
    assert "handover" not in exported
    code, out, _ = run(capsys, "audit", "export", "--case", "K-7F3A", "--json")
    actions = [e["action"] for e in json.loads(out)]
    assert actions.count("handover.release") == 2
    assert "sharing.set" in actions
    assert "case.export_for" in actions
    audited = json.dumps(json.loads(out))
    assert "J. Martin" not in audited
    assert "Probation" not in audited
