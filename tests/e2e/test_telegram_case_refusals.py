"""A bad case code, a case closed or a member removed mid-dialog, over Telegram end to end (the
fake Bot API server, python-telegram-bot's HTTP stack, the chat layer, SQLite): what was typed
is never lost, and the conversation never falls out of step ("menu expired" loops)."""

from __future__ import annotations

from bot.clock import FakeClock
from tests.e2e.test_telegram_relais import MENTOR, Restart, Stack, _enrolled, stack
from tests.fakes.telegram_server import BotMessage

__all__ = ["stack"]  # the fixture, shared with test_telegram_relais


async def _two_cases(make: Restart) -> Stack:
    s = await _enrolled(make, allow_case_notes=True)  # Mina owns K-9
    await s.relais.create_case("K-8", owner="Mina", team="Team T")
    return s


async def _notes(s: Stack, case: str) -> list[str]:
    actor = await s.relais.identify("telegram", str(MENTOR))
    assert actor is not None
    return [note.body for note in await s.relais.list_notes(actor, case)]


async def _to_the_note_offer(s: Stack, first: BotMessage) -> BotMessage:
    question = await s.click(first, "A difficult talk")
    assert "What happened" in question.text
    offer = await s.say(MENTOR, "Threats at the job centre")
    assert offer.labels == ["Yes", "No", "Emergency contacts"]
    return offer


async def test_a_typo_in_the_case_offers_the_users_cases_then_runs(stack: Restart) -> None:
    s = await _two_cases(stack)
    picker = await s.say(MENTOR, "/crisis K-9X")
    assert picker.text == "K-9X is not an open case of yours. Which case is this about?"
    assert sorted(picker.labels) == ["K-8", "K-9", "Without a case"]
    first = await s.click(picker, "K-9")
    assert first.labels == ["Emergency contacts", "A difficult talk"]
    offer = await _to_the_note_offer(s, first)
    logged = await s.click(offer, "Yes")
    assert "Note logged on case K-9" in logged.text
    assert await _notes(s, "K-9") == ["Debrief: Threats at the job centre"]


async def test_a_case_of_another_person_answers_like_a_typo(stack: Restart) -> None:
    s = await _two_cases(stack)
    await s.relais.create_case("K-7", owner="Mina", team="Team T")
    await s.relais.close_case("K-7")
    code = await s.invite("coordinator", "Olga")
    await s.say(700, f"/start {code}")
    await s.relais.create_case("K-6", owner="Olga", team="Team T")
    others = await s.say(MENTOR, "/crisis K-6")
    closed = await s.say(MENTOR, "/crisis K-7")
    missing = await s.say(MENTOR, "/crisis K-5")
    assert missing.text == "K-5 is not an open case of yours. Which case is this about?"
    assert others.text.replace("K-6", "K-5") == missing.text == closed.text.replace("K-7", "K-5")
    assert others.labels == missing.labels == closed.labels


async def test_without_a_case_the_guidance_starts_and_asks_when_it_matters(
    stack: Restart,
) -> None:
    s = await _two_cases(stack)
    picker = await s.say(MENTOR, "/crisis K-9X")
    first = await s.click(picker, "Without a case")
    offer = await _to_the_note_offer(s, first)
    await s.fake.click(offer, "Yes")
    follow = await s.fake.next_message(MENTOR, timeout=10)
    ask = await s.fake.next_message(MENTOR, timeout=10)
    assert "Follow up in 24 hours?" in follow.text
    assert ask.text == "Which case is this note for?"
    done = await s.click(ask, "K-8")
    assert "Note logged on case K-8" in done.text
    assert await _notes(s, "K-8") == ["Debrief: Threats at the job centre"]


async def test_a_case_closed_mid_dialog_keeps_the_note_and_the_conversation(
    stack: Restart, clock: FakeClock
) -> None:
    s = await _two_cases(stack)
    first = await s.say(MENTOR, "/crisis K-9")
    offer = await _to_the_note_offer(s, first)
    await s.relais.close_case("K-9")  # the coordinator closes the case meanwhile
    await s.fake.click(offer, "Yes")
    kept = await s.fake.next_message(MENTOR, timeout=10)
    follow = await s.fake.next_message(MENTOR, timeout=10)
    ask = await s.fake.next_message(MENTOR, timeout=10)
    assert kept.text == "Nothing was logged on K-9: the case is closed. Your note is kept."
    assert "Follow up in 24 hours?" in follow.text
    assert follow.labels == ["Yes", "No", "Emergency contacts"]
    assert ask.labels == ["K-8"]
    filed = await s.click(ask, "K-8")
    assert "Note logged on case K-8" in filed.text
    assert await _notes(s, "K-8") == ["Debrief: Threats at the job centre"]
    again = await s.fake.next_message(MENTOR, timeout=10)  # where the dialog stands
    assert again.text == follow.text
    # the dialog goes on from there, even from the earlier menu: no "menu expired"
    await s.fake.click(follow, "Yes")
    scheduled = await s.fake.next_message(MENTOR, timeout=10)
    assert "expired" not in scheduled.text
    assert "K-8" in scheduled.text
    s.fake.assert_no_unread()


async def test_a_member_removed_mid_dialog_is_told_and_loses_nothing(stack: Restart) -> None:
    s = await _enrolled(stack, allow_case_notes=True)
    code = await s.invite("mentor", "Theo")
    await s.say(800, f"/start {code}")
    await s.relais.add_member("K-9", "Theo", role="mentor")
    first = await s.say(800, "/crisis K-9")
    question = await s.click(first, "A difficult talk")
    assert "What happened" in question.text
    offer = await s.say(800, "He left the meeting angry")
    await s.relais.remove_member("K-9", "Theo")
    await s.fake.click(offer, "Yes")
    kept = await s.fake.next_message(800, timeout=10)
    assert kept.text == (
        "Nothing was logged on K-9: it is not an open case of yours. You have no other open "
        "case, so here is your note to keep:\nDebrief: He left the meeting angry"
    )
    follow = await s.fake.next_message(800, timeout=10)
    assert "Follow up in 24 hours?" in follow.text
    await s.fake.click(follow, "No")
    end = await s.fake.next_message(800, timeout=10)
    assert "Thank you" in end.text


async def test_a_quick_note_on_a_wrong_case_is_kept_for_another(stack: Restart) -> None:
    s = await _two_cases(stack)
    kept = await s.say(MENTOR, "/note K-9X Calmer today, talked about work")
    assert (
        kept.text
        == "Nothing was logged on K-9X: it is not an open case of yours. Your note is kept."
    )
    ask = await s.fake.next_message(MENTOR, timeout=10)
    assert sorted(ask.labels) == ["K-8", "K-9"]
    done = await s.click(ask, "K-9")
    assert "Note logged on case K-9" in done.text
    assert await _notes(s, "K-9") == ["Calmer today, talked about work"]
