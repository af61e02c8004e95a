"""Text typed by people is shown without bidi overrides, zero-width or terminal control
characters (bot/display.py); what is stored stays as typed. Through the chat layer (every
channel shares it), the check-in outbox and the `relais` command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.display import json_safe, neutralise
from tests.chat.conftest import World, texts

HOSTILE = (
    "Calm\u202eexe.txt\u202c to\u200bday \x1b[2J\x1b]0;pwned\x07 ok\u2066\u2069\ufeff\x9b31m\x7f"
)


def test_controls_become_visible_and_format_characters_go() -> None:
    shown = neutralise(HOSTILE)
    assert shown == "Calmexe.txt today \u241b[2J\u241b]0;pwned\u2407 ok\ufffd31m\u2421"
    assert neutralise("Ligne 1\nLigne 2\tcolonne, café, Привет, مرحبا") == (
        "Ligne 1\nLigne 2\tcolonne, café, Привет, مرحبا"
    )
    assert neutralise("tag\U000e0041\U000e0042s") == "tags"


def test_json_keeps_every_character_as_an_escape() -> None:
    text = json_safe(json.dumps({"body": HOSTILE}, ensure_ascii=False))
    assert json.loads(text) == {"body": HOSTILE}
    assert all(neutralise(c) == c for c in text)


async def test_a_hostile_note_is_shown_neutralised_and_stored_as_typed(world: World) -> None:
    alex = world.chat("alex")
    await alex.say(f"/note K-1 {HOSTILE}")
    shown = texts(await alex.say("/notes K-1"))
    assert "Calmexe.txt today \u241b[2J" in shown
    assert not any(c in shown for c in "\u202e\u200b\x1b\x07\x9b\ufeff")
    actor = await world.relais.identify("console", "user-alex")
    assert actor is not None
    [note] = await world.relais.list_notes(actor, "K-1")
    assert note.body == HOSTILE


async def test_a_hostile_name_is_neutralised_in_chat(world: World) -> None:
    invite = await world.relais.create_invite(
        role="mentor", name="Eve\u202eevil\x1b[31m", team="Team A"
    )
    replies = await world.chat("eve").say(f"/start {invite.code}")
    assert "Eveevil\u241b[31m" in texts(replies)
    assert "\x1b" not in texts(replies)


def test_the_command_line_prints_no_terminal_controls(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RELAIS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RELAIS_DATA_DIR", str(tmp_path / "data"))
    name = "Olga\x1b]0;owned\x07\u202eX"
    assert main(["admin", "invite", "--role", "coordinator", "--name", name]) == 0
    assert main(["case", "create", "K-1", "--owner", name]) == 0
    assert main(["admin", "list"]) == 0
    assert main(["case", "list"]) == 0
    assert main(["admin", "list", "--json"]) == 0
    out, err = capsys.readouterr()
    assert "Olga\u241b]0;owned\u2407X" in out
    assert not any(c in out + err for c in "\x1b\x07\u202e")
    assert "Olga\\u001b]0;owned\\u0007\\u202eX" in out  # the JSON keeps it, escaped
