"""A dialog limited to teams (`teams:`) is that team's guidance: the chat neither lists it nor
opens it (by a button, a typed id or a goto) for anyone of another team, whatever their role,
and says so as for a dialog that does not exist (`bot.policy.dialog_relation`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.policy import Relation, dialog_relation
from tests.chat.conftest import CONTENT, DATA, Chat, World, texts


def _guide(dialog_id: str, title: str, teams: str, goto: str = "") -> str:
    lines = [
        f"id: {dialog_id}",
        f'title: {{en: "{title}", fr: "{title}"}}',
        teams,
        "languages: [en, fr]",
        "start: intro",
        "nodes:",
        f'  intro: {{kind: message, text: {{en: "{title} text.", fr: "{title} texte."}}, '
        f"next: {goto or 'done'}}}",
    ]
    if goto:
        lines.append(f"  {goto}: {{kind: goto, dialog: {goto}, next: done}}")
    lines.append("  done: {kind: end}")
    return "\n".join(line for line in lines if line) + "\n"


@pytest.fixture
def chat_content(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(DATA, content)
    shutil.copy(CONTENT / "contact_roles.yaml", content / "contact_roles.yaml")
    shutil.copytree(CONTENT / "catalog", content / "catalog")
    dialogs = content / "dialogs"
    (dialogs / "guide_a.yaml").write_text(_guide("guide_a", "Team A guide", 'teams: ["Team A"]'))
    (dialogs / "guide_b.yaml").write_text(_guide("guide_b", "Team B guide", 'teams: ["Team B"]'))
    (dialogs / "shared.yaml").write_text(_guide("shared", "Shared guide", "", goto="guide_b"))
    return content


def test_another_teams_dialog_has_no_relation_to_a_practitioner() -> None:
    assert dialog_relation({"psychologist"}, "Team A", audience=(), teams=("Team B",)) is None
    assert dialog_relation({"mentor"}, "Team B", audience=(), teams=("Team B",)) is (
        Relation.AUDIENCE
    )
    assert dialog_relation({"mentor"}, "Team A", audience=("psychologist",), teams=()) is (
        Relation.OTHER
    )


async def test_team_dialogs_are_offered_and_opened_in_their_team_only(world: World) -> None:
    alex, pia = world.chat("alex"), world.chat("pia")  # Team A: a mentor, a psychologist
    await world.relais.ensure_team("Team B")
    invite = await world.relais.create_invite(role="mentor", name="Bo", team="Team B")
    bo = Chat(world.service, world.clock, "user-bo")
    assert "Welcome" in texts(await bo.say(f"/start {invite.code}"))

    for chat in (alex, pia):
        await chat.say("/dialogs")
        assert "Team A guide" in chat.buttons()
        assert "Team B guide" not in chat.buttons()
        refused = texts(await chat.press("o.guide_b"))
        assert "This guidance is not available: guide_b." in refused
        assert "Team B guide text." not in refused
        assert "Team A guide text." in texts(await chat.press("o.guide_a"))
    await bo.say("/dialogs")
    assert "Team B guide" in bo.buttons()
    assert "Team A guide" not in bo.buttons()
    assert "Team B guide text." in texts(await bo.press("o.guide_b"))
    assert "not available" in texts(await bo.press("o.guide_a"))

    # a goto into another team's guidance is not taken; the shared dialog goes on
    shared = texts(await alex.press("o.shared"))
    assert "Shared guide text." in shared
    assert "Team B guide text." not in shared
    assert "Team B guide text." in texts(await bo.press("o.shared"))
