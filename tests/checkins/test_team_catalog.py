"""A team that serves its own content folder (`content_dir`) and edits its catalogs hears its
own words in the check-in reminders too, not only in its chats: the reminders are composed
away from a chat turn, from the catalog of the content folder the process serves."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Relais
from bot.chat.catalog import BUNDLED_CONTENT, content_in_use
from bot.clock import FakeClock
from bot.config import Config
from tests.checkins.conftest import Team, at_paris, build_team
from tests.checkins.test_dispatch import weekly


@pytest.fixture
def team_content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(BUNDLED_CONTENT, folder)
    for lang, ours in (("en", "Our weekly call with {case} is due"), ("fr", "Appel de {case}")):
        catalog = folder / "catalog" / f"{lang}.toml"
        text = catalog.read_text(encoding="utf-8")
        before = text.count("\nreminder = ")
        text = text.replace(
            '\nreminder = "Check-in due: case {case}"', f'\nreminder = "{ours}"'
        ).replace(
            '\nreminder = "Point de suivi à faire : dossier {case}"', f'\nreminder = "{ours}"'
        )
        assert text.count(f'reminder = "{ours}"') == 1
        assert text.count("\nreminder = ") == before
        catalog.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
async def team(config: Config, team_content: Path, start_clock: FakeClock) -> AsyncIterator[Team]:
    ours = dataclasses.replace(config, content_dir=str(team_content))
    async with await Relais.open(ours, start_clock) as relais:
        assert content_in_use() == team_content
        yield await build_team(relais, start_clock)


async def test_a_reminder_speaks_the_teams_catalog(team: Team) -> None:
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    msg = team.take(team.mentor, "Our weekly call with K-7F3A is due")
    assert msg.reply.text == "Our weekly call with K-7F3A is due"
    assert msg.reply.buttons[0].label == "Done"  # the rest of the catalog as it is
