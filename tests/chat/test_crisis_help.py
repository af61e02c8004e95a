"""Every screen of a crisis dialog shows how to reach help; a goto never enters a dialog the
practitioner's roles may not open. Through the chat layer, on a real database."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from bot.policy import POLICY, Action, Relation, Role
from tests.chat.conftest import CONTENT, DATA, Chat, World, texts

#: a crisis dialog that runs a plain one by goto, a plain one, and an audience pair
EXTRA = {
    "inner": """
        id: inner
        title: {en: "Inner", fr: "Intérieur"}
        tags: [crisis]
        languages: [en, fr]
        start: first
        nodes:
          first:
            kind: question
            text: {en: "Go on?", fr: "Continuer ?"}
            options:
              - {id: sos, label: {en: "Emergency contacts", fr: "Contacts d'urgence"}, next: sos}
              - {id: tips, label: {en: "Tips", fr: "Conseils"}, next: tips}
              - {id: stop, label: {en: "Stop", fr: "Arrêter"}, next: done}
          sos: {kind: contact, roles: [emergency]}
          tips: {kind: goto, dialog: routine, next: done}
          done: {kind: end, text: {en: "Bye", fr: "Au revoir"}}
    """,
    "routine": """
        id: routine
        title: {en: "Routine", fr: "Routine"}
        tags: [routine]
        languages: [en, fr]
        start: ask
        nodes:
          ask:
            kind: question
            text: {en: "Is it a routine visit?", fr: "Visite de routine ?"}
            options:
              - {id: yes, label: {en: "Yes", fr: "Oui"}, next: done}
              - {id: no, label: {en: "No", fr: "Non"}, next: done}
          done: {kind: end, text: {en: "Noted.", fr: "Noté."}}
    """,
    "open_all": """
        id: open_all
        title: {en: "For the team", fr: "Pour l'équipe"}
        audience: [mentor, psychologist]
        languages: [en, fr]
        start: intro
        nodes:
          intro: {kind: message, text: {en: "Team guide.", fr: "Guide d'équipe."}, next: deep}
          deep: {kind: goto, dialog: clinical, next: back}
          back:
            kind: question
            text: {en: "Back in the team guide.", fr: "Retour au guide d'équipe."}
            options:
              - {id: ok, label: {en: "OK", fr: "OK"}, next: done}
          done: {kind: end}
    """,
    "clinical": """
        id: clinical
        title: {en: "Clinicians only", fr: "Cliniciens seulement"}
        audience: [psychologist]
        languages: [en, fr]
        start: first
        nodes:
          first:
            kind: question
            text: {en: "Clinical assessment notes.", fr: "Notes d'évaluation clinique."}
            options:
              - {id: ok, label: {en: "OK", fr: "OK"}, next: done}
          done: {kind: end}
    """,
}


@pytest.fixture
def chat_content(tmp_path: Path) -> Path:
    """The chat tests' dialogs, plus the ones above."""
    content = tmp_path / "content"
    shutil.copytree(DATA, content)
    shutil.copy(CONTENT / "contact_roles.yaml", content / "contact_roles.yaml")
    shutil.copytree(CONTENT / "catalog", content / "catalog")
    for dialog_id, text in EXTRA.items():
        (content / "dialogs" / f"{dialog_id}.yaml").write_text(textwrap.dedent(text), "utf-8")
    return content


async def _mentor(world: World, channel: str, name: str = "Nina") -> Chat:
    """A mentor enrolled on `channel` (Telegram chats are not end-to-end encrypted)."""
    invite = await world.relais.create_invite(role="mentor", name=name, team="Team A")
    chat = Chat(world.service, world.clock, f"{channel}-{name}", channel=channel)
    chat.encrypted = channel != "telegram"
    assert "Welcome" in texts(await chat.say(f"/start {invite.code}"))
    return chat


async def test_no_extra_button_where_emergency_contacts_are_already_an_option(
    world: World,
) -> None:
    alex = await _mentor(world, "telegram")
    await alex.say("/crisis")
    assert alex.buttons() == ["Emergency contacts", "A difficult talk"]
    assert "/sos" not in texts(alex.last)


async def test_telegram_inner_screens_of_a_crisis_dialog_have_the_button(world: World) -> None:
    alex = await _mentor(world, "telegram")
    await alex.say("/crisis")
    question = await alex.press("A difficult talk")
    assert "What happened" in texts(question)
    assert alex.buttons() == ["Emergency contacts"]  # a text screen: the button all the same
    # one tap: what /sos shows, then the screen the practitioner was on
    replies = await alex.press("Emergency contacts")
    assert replies[0].kind == "alert"
    assert "EMERGENCY CONTACTS" in replies[0].text
    assert "Dr Martin" in replies[0].text
    assert "What happened" in replies[-1].text
    # the dialog goes on where it was
    offer = await alex.say("He threw a chair")
    assert "Log this as a note" in texts(offer)
    assert alex.buttons() == ["Yes", "No", "Emergency contacts"]
    # and on the offer screen too
    replies = await alex.press("Emergency contacts")
    assert "EMERGENCY CONTACTS" in replies[0].text
    assert "Log this as a note" in replies[-1].text
    replies = await alex.press("No")
    assert "Follow up in 24 hours?" in texts(replies)


async def test_an_old_emergency_button_still_works(world: World) -> None:
    alex = await _mentor(world, "telegram")
    await alex.say("/crisis")
    await alex.press("A difficult talk")
    old = [b.token for r in alex.last for b in r.buttons]
    await alex.say("He threw a chair")
    await alex.press("No")  # two screens later
    replies = await alex.send(button=old[0])
    assert "EMERGENCY CONTACTS" in replies[0].text
    assert "Follow up in 24 hours?" in replies[-1].text


async def test_console_and_matrix_text_screens_say_send_sos(world: World) -> None:
    for channel in ("console", "matrix"):
        alex = await _mentor(world, channel, name=f"Nina {channel}")
        await alex.say("/crisis")
        question = await alex.press("A difficult talk")
        assert question[-1].text.endswith("\n\nSend /sos for emergency contacts.")
        assert alex.buttons() == []  # a typed "1" is an answer here, not a button
        await alex.say("He threw a chair")
        assert alex.buttons() == ["Yes", "No", "Emergency contacts"]
        replies = await alex.say("3")  # the numbered option, typed
        assert "EMERGENCY CONTACTS" in replies[0].text
        assert "Log this as a note" in replies[-1].text
        replies = await alex.say("2")  # No: the dialog goes on
        assert "Follow up in 24 hours?" in texts(replies)
        await alex.say("/cancel")


async def test_french_button_and_line(world: World) -> None:
    alex = await _mentor(world, "console")
    await alex.say("/lang fr")
    await alex.say("/crisis")
    question = await alex.press("Une discussion difficile")
    assert question[-1].text.endswith("Envoyez /sos pour les contacts d'urgence.")
    await alex.say("Il a jeté une chaise")
    assert alex.buttons() == ["Oui", "Non", "Contacts d'urgence"]


async def test_a_plain_dialog_has_no_button_unless_a_crisis_dialog_runs_it(
    world: World,
) -> None:
    alex = await _mentor(world, "telegram")
    await alex.press("o.routine")
    assert "routine visit" in texts(alex.last)
    assert alex.buttons() == ["Yes", "No"]
    await alex.say("/cancel")
    await alex.press("o.inner")
    assert alex.buttons() == ["Emergency contacts", "Tips", "Stop"]
    await alex.press("Tips")  # the same routine dialog, run by a crisis dialog
    assert "routine visit" in texts(alex.last)
    assert alex.buttons() == ["Yes", "No", "Emergency contacts"]


async def test_a_goto_never_enters_a_dialog_not_meant_for_the_practitioner(
    world: World,
) -> None:
    alex = world.chat("alex")  # a mentor
    replies = await alex.press("o.open_all")
    shown = texts(replies)
    assert "Team guide." in shown
    assert "Clinical assessment notes." not in shown
    assert "Back in the team guide." in shown  # on at the goto's next
    pia = world.chat("pia")  # a psychologist
    replies = await pia.press("o.open_all")
    assert "Clinical assessment notes." in texts(replies)
    await pia.press("OK")
    assert "Back in the team guide." in texts(pia.last)
    # and the dialog itself stays closed to those outside its audience
    assert "not meant for your role" in texts(await alex.press("o.clinical"))


async def test_who_opens_a_dialog_is_the_policy_tables_answer(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dialog.open` (issue 15): the dialog's audience is data the policy reads; the table, not
    the dialog catalogue, decides, for a start and for a goto alike."""
    assert not POLICY[(Role.MENTOR, Action.OPEN_DIALOG, Relation.OTHER)]
    assert POLICY[(Role.PSYCHOLOGIST, Action.OPEN_DIALOG, Relation.OTHER)]
    monkeypatch.setitem(POLICY, (Role.MENTOR, Action.OPEN_DIALOG, Relation.OTHER), True)
    alex = world.chat("alex")  # a mentor, outside the audience of "clinical"
    assert "Clinical assessment notes." in texts(await alex.press("o.clinical"))
    await alex.press("OK")
    assert "Clinical assessment notes." in texts(await alex.press("o.open_all"))  # by goto
    await alex.press("OK")
    monkeypatch.setitem(POLICY, (Role.MENTOR, Action.OPEN_DIALOG, Relation.AUDIENCE), False)
    assert "not meant for your role" in texts(await alex.press("o.open_all"))  # in its audience
