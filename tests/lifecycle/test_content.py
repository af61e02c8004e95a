"""The handover plan and the sharing categories are data: the bundled files load, a broken
file reports every problem with its file:line:col at once, and `relais dialogs check` checks
them beside the dialogs."""

from __future__ import annotations

import shutil
from datetime import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.lifecycle.content import (
    check_lifecycle,
    handover_plan,
    load_handover_plan,
    load_sharing_rules,
)

CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_bundled_plan_and_rules_load() -> None:
    plan, problems = load_handover_plan(CONTENT / "lifecycle" / "handover.yaml")
    assert problems == []
    assert plan is not None
    assert plan.at == time(9, 0)
    assert [(s.id, s.days) for s in plan.steps] == [
        ("prepare", -14),
        ("release_day", 0),
        ("day_1", 1),
        ("day_3", 3),
        ("day_7", 7),
        ("day_14", 14),
        ("day_30", 30),
    ]
    assert [s.id for s in plan.steps if s.open_items] == ["release_day"]
    assert [i.id for i in plan.checklist] == [
        "treatment",
        "first_appointment",
        "responsible_outside",
        "probation",
        "housing",
        "income",
    ]
    assert plan.item("housing") is not None
    assert plan.item("housing").text("fr") == "Logement"  # type: ignore[union-attr]
    rules, problems = load_sharing_rules(CONTENT / "lifecycle" / "sharing.yaml")
    assert problems == []
    assert rules is not None
    assert rules.ids == ("health", "risk", "progress", "practical")
    assert rules.categories_of(("concern",)) == {"health", "risk"}
    assert rules.categories_of(("decision",)) == {"progress"}
    assert rules.categories_of(()) == set()
    assert rules.dialogs == ("information_sharing",)
    assert check_lifecycle(CONTENT / "lifecycle") == []


BROKEN_PLAN = """version: 1
at: "9h"
checkins:
  - id: prepare
    days: -14
    label: {en: "Prepare"}
  - id: prepare
    days: lots
    label: {en: "Again", fr: "Encore"}
  - id: Bad-Id
    days: 900
    colour: red
    label: {en: "x", fr: "y"}
checklist: []
"""


def test_a_broken_plan_reports_every_problem_located(tmp_path: Path) -> None:
    path = tmp_path / "handover.yaml"
    path.write_text(BROKEN_PLAN, encoding="utf-8")
    plan, problems = load_handover_plan(path)
    assert plan is None
    text = "\n".join(problems)
    assert f"{path}:2:5: at must be a local time HH:MM, found '9h'" in text
    assert f"{path}:6:12: label needs 'fr'" in text
    assert f"{path}:7:9: check-in id 'prepare' is used twice" in text
    assert f"{path}:8:11: days must be a whole number of days, found 'lots'" in text
    assert f"{path}:10:9: check-in id 'Bad-Id'" in text
    assert f"{path}:11:11: days must be within 366 days of the release, found 900" in text
    assert f"{path}:12:5: unknown key 'colour' in a check-in" in text
    assert f"{path}:14:12: checklist must be a non-empty list" in text
    assert len(problems) == 8


def test_sharing_rules_refuse_unknown_tags(tmp_path: Path) -> None:
    path = tmp_path / "sharing.yaml"
    source = (CONTENT / "lifecycle" / "sharing.yaml").read_text(encoding="utf-8")
    path.write_text(source.replace("tags: [contact]", "tags: [contact, gossip]"), "utf-8")
    rules, problems = load_sharing_rules(path)
    assert rules is None
    [problem] = problems
    assert problem.startswith(f"{path}:")
    assert "unknown note tag 'gossip'" in problem


def test_dialogs_check_reports_lifecycle_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    assert main(["dialogs", "check", str(content)]) == 0
    capsys.readouterr()
    (content / "lifecycle" / "handover.yaml").write_text(BROKEN_PLAN, encoding="utf-8")
    assert main(["dialogs", "check", str(content)]) == 1
    out = capsys.readouterr()
    assert "handover.yaml:2:5: at must be a local time HH:MM" in out.out
    assert "8 problem(s) in content/lifecycle" in out.err


def test_the_plan_is_reloaded_when_its_file_changes(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT / "lifecycle", content / "lifecycle")
    assert handover_plan(content).at == time(9, 0)
    path = content / "lifecycle" / "handover.yaml"
    path.write_text(path.read_text("utf-8").replace('at: "09:00"', 'at: "10:30"'), "utf-8")
    assert handover_plan(content).at == time(10, 30)
    # a folder without lifecycle/ uses the bundled files
    assert handover_plan(tmp_path).at == time(9, 0)
