"""The exit plan is read by the one content-file loader (`bot.contentfiles`), as the lifecycle
files are: an edit on disk is picked up without a restart; a broken edit is reported
`file:line:col` (by `relais dialogs check` and in the log) while the last good plan keeps
running, and the answers already saved are all still there; a plan that never loaded is an
error naming every problem."""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import Relais
from bot.chat.catalog import BUNDLED_CONTENT
from bot.cli import main
from bot.clock import FakeClock
from bot.errors import ConfigError
from bot.exit.plan import check_exit_plan, load_exit_plan
from bot.lifecycle.content import handover_plan
from tests.chat.conftest import Chat, build_world, make_config, texts

PLAN = (BUNDLED_CONTENT / "exit_report.yaml").read_text("utf-8")
#: the French hint of the first element, and the line it is on (from 1)
FR_HINT = next(x for x in PLAN.splitlines() if x.startswith('      fr: "Chaque risque qui'))
LINE = PLAN[: PLAN.index(FR_HINT)].count("\n") + 1
NO_FR = '      fr: ""'


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture
def content(chat_content: Path) -> Path:
    shutil.copy(BUNDLED_CONTENT / "exit_report.yaml", chat_content / "exit_report.yaml")
    return chat_content


def test_an_edit_is_picked_up_and_a_broken_one_keeps_the_last_good_plan(
    content: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = content / "exit_report.yaml"
    assert load_exit_plan(content).elements[0].label["en"] == "Residual risk"
    path.write_text(PLAN.replace('"Residual risk"', '"Remaining risk"'), "utf-8")
    assert load_exit_plan(content).elements[0].label["en"] == "Remaining risk"

    broken = PLAN.replace('"Residual risk"', '"Risk left"').replace(FR_HINT, NO_FR)
    broken = broken.replace("  - id: service_strategies", "  - id: Service Strategies")
    path.write_text(broken, "utf-8")
    with caplog.at_level(logging.WARNING, logger="bot.contentfiles"):
        kept = load_exit_plan(content)
        assert load_exit_plan(content) is kept  # told once per version of the file
    assert kept.elements[0].label["en"] == "Remaining risk"  # the last good plan, whole
    assert len(kept.elements) == 6
    [warning] = [r.getMessage() for r in caplog.records]
    assert f"{path} changed but cannot be used (2 problem(s))" in warning
    assert f"{path}:{LINE}:7: elements[0].hint.fr: missing" in warning
    ids_line = _line_of(broken, "  - id: Service Strategies")
    assert f"{path}:{ids_line}:5: elements[1].id: expected an id" in warning
    assert "keeps running until the file is fixed" in warning
    # the checker says the same, every problem at its place
    problems = check_exit_plan(content)
    assert [p.split(": ", 1)[0] for p in problems] == [
        f"{path}:{LINE}:7",
        f"{path}:{ids_line}:5",
    ]
    # fixed: the fixed file runs
    path.write_text(PLAN.replace('"Residual risk"', '"Risk left"'), "utf-8")
    assert load_exit_plan(content).elements[0].label["en"] == "Risk left"


def test_a_plan_that_never_loaded_names_every_problem(tmp_path: Path) -> None:
    (tmp_path / "exit_report.yaml").write_text(
        PLAN.replace(FR_HINT, NO_FR).replace("at: ", "at: 9h #"), "utf-8"
    )
    with pytest.raises(ConfigError) as raised:
        load_exit_plan(tmp_path)
    said = str(raised.value)
    assert f"exit_report.yaml:{LINE}:7: elements[0].hint.fr: missing" in said
    assert "follow_up.at" in said
    # not valid YAML at all: the reader's place
    (tmp_path / "exit_report.yaml").write_text("elements: [\n  - id: x\n", "utf-8")
    with pytest.raises(ConfigError, match=r"exit_report\.yaml:2:3: not valid YAML"):
        load_exit_plan(tmp_path)


def test_the_lifecycle_files_share_the_loader(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    content = tmp_path / "content"
    shutil.copytree(BUNDLED_CONTENT / "lifecycle", content / "lifecycle")
    path = content / "lifecycle" / "handover.yaml"
    good = path.read_text("utf-8")
    assert handover_plan(content).at.hour == 9
    path.write_text(good.replace('at: "09:00"', 'at: "9h"'), "utf-8")
    with caplog.at_level(logging.WARNING, logger="bot.contentfiles"):
        assert handover_plan(content).at.hour == 9  # kept, not an error
    line = _line_of(good, 'at: "09:00"')
    assert f"{path}:{line}:5: at must be a local time HH:MM" in caplog.text


def test_dialogs_check_reports_the_plan_and_the_lifecycle_located(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(BUNDLED_CONTENT / "lifecycle", content / "lifecycle")
    (content / "exit_report.yaml").write_text(PLAN.replace(FR_HINT, NO_FR), "utf-8")
    handover = content / "lifecycle" / "handover.yaml"
    good = handover.read_text("utf-8")
    handover.write_text(good.replace('at: "09:00"', 'at: "9h"'), "utf-8")
    assert main(["dialogs", "check", str(content)]) == 1
    out = capsys.readouterr().out
    assert f"exit_report.yaml:{LINE}:7: elements[0].hint.fr: missing" in out
    assert f"handover.yaml:{_line_of(good, 'at: ')}:5: at must be a local time" in out


async def test_the_running_bot_picks_up_an_edit_and_keeps_answers_through_a_broken_one(
    content: Path, sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    config = replace(make_config(sqlite_url, tmp_path), content_dir=str(content))
    path = content / "exit_report.yaml"
    async with await Relais.open(config, clock) as relais:
        world = await build_world(relais, config, clock, content)
        cora = world.chat("cora")  # owner of K-1
        replies = await cora.say("/exit K-1")
        assert replies[1].text.startswith("1/6 – Residual risk")
        await cora.say("Isolation remains the main risk.")
        await cora.say("/cancel")

        path.write_text(PLAN.replace('"Residual risk"', '"Remaining risk"'), "utf-8")
        replies = await cora.say("/exit K-1")
        assert "1 of 6 elements answered" in replies[0].text
        await cora.say("/cancel")
        document = await _report(cora)
        assert "## 1. Remaining risk" in document
        assert "Isolation remains the main risk." in document

        path.write_text(PLAN.replace(FR_HINT, NO_FR), "utf-8")  # a broken edit
        document = await _report(cora)
        assert "## 1. Remaining risk" in document  # the last good plan runs on
        assert "Isolation remains the main risk." in document  # nothing lost
        replies = await cora.say("/exit K-1")
        assert "1 of 6 elements answered" in replies[0].text
        assert replies[1].text.startswith("2/6 – Strategies of the services involved")


async def _report(chat: Chat) -> str:
    sent = await chat.say("/exit-report K-1")
    assert sent[0].attachment is not None, texts(sent)
    return sent[0].attachment[1].decode()
