"""The review pack rendered from the real templates with real data: a month of notes of every
tag (one amended, one with two tags, one with markup), weekly check-ins done, escalated and
missed through the dispatcher, a page acknowledged, and a decision taken in January, settled in
February and carried into February's pack with its outcome."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.app import Relais
from bot.chat.catalog import Catalog
from bot.clock import FakeClock
from bot.errors import InvalidInput, NotAllowed
from bot.review.render import render_review_pack
from bot.usecases.base import Actor
from storage.recurrence import Weekly
from tests.checkins.conftest import CASE, Team, at_paris, build_team

H = timedelta(hours=1)


@pytest.fixture
async def team(relais: Relais, clock: FakeClock) -> Team:
    clock.set(datetime(2026, 1, 4, 12, 0, tzinfo=UTC))
    return await build_team(relais, clock)


def _press(team: Team, who: Actor, contains: str, action: str) -> tuple[Actor, str]:
    """The `action` button of the last message `who` got containing `contains`; what was
    sent so far is then forgotten (this test is about the pack, not the messages)."""
    user = team.users[who.practitioner_id]
    sent = [s for s in team.all_sent() if s.user_id == user and contains in s.reply.text][-1]
    team.telegram.sent.clear()
    team.matrix.sent.clear()
    return who, next(b.token for b in sent.reply.buttons if b.token.endswith("." + action))


def _section(text: str, heading: str) -> str:
    """The Markdown under `heading` up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = text.index(heading + "\n")
    rest = text[start + len(heading) + 1 :]
    stop = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: stop.start()] if stop else rest


async def _january(team: Team) -> None:
    """A month on case K-7F3A: notes, check-ins, a page, a decision."""
    relais, mentor, owner = team.relais, team.mentor, team.owner
    await relais.ensure_review_checkins()
    await team.service.create_schedule(
        owner, CASE, Weekly(0, time(9, 0), "Europe/Paris"), reminded_id=mentor.practitioner_id
    )
    await relais.log_note(mentor, CASE, "Found a training course", ["progress"])
    await relais.log_note(mentor, CASE, "Drank again after the hearing", ["relapse"])
    await relais.log_note(mentor, CASE, "Anniversary of his brother's death", ["trigger"])
    await relais.log_note(
        mentor, CASE, "Talks of <b>old friends</b> again", ["concern", "trigger"]
    )
    await relais.log_note(mentor, CASE, "Called his sister", ["contact"])
    first = await relais.log_note(mentor, CASE, "Seen at the job centre")
    await relais.amend_note(mentor, CASE, first.id, "Seen at the job centre, calm")
    decision = await relais.record_decision(owner, CASE, "Ask the housing office for a flat")
    assert decision.number == 1
    # 5 Jan: done; 12 Jan: escalated to the owner, who acknowledges; 19 Jan: nobody answers
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    await team.chat.handle_button(*_press(team, mentor, "Check-in due", "done"))
    await team.run_until(at_paris(2026, 1, 12, 11, 0))
    await team.chat.handle_button(*_press(team, owner, "Missed check-in", "ack"))
    await team.run_until(at_paris(2026, 1, 19, 23, 0))
    await team.run_until(at_paris(2026, 1, 22, 9, 0))
    # a page about the case, acknowledged four minutes later
    await team.service.page_contact(mentor, "emergency", CASE)
    await team.tick()
    team.clock.advance(timedelta(minutes=4))
    await team.chat.handle_button(*_press(team, team.fallback, "Contact requested now", "ack"))
    await team.run_until(at_paris(2026, 1, 26, 9, 0))
    await team.chat.handle_button(*_press(team, mentor, "Check-in due", "done"))
    await team.run_until(at_paris(2026, 1, 31, 12, 0))


def _render(relais: Relais, pack: object, lang: str, fmt: str) -> str:
    content = relais.config.content_path
    return render_review_pack(
        pack,  # type: ignore[arg-type]
        content_dir=content,
        catalog=Catalog.load(content),
        lang=lang,
        fmt=fmt,  # type: ignore[arg-type]
    )


async def test_a_months_pack_then_the_next_carries_the_decision_with_its_outcome(
    team: Team,
) -> None:
    relais, owner = team.relais, team.owner
    await _january(team)
    january = await relais.review_pack(owner, CASE, "2026-01")
    md = _render(relais, january, "en", "md")
    print(md)  # shown when the test fails
    assert "# Monthly review pack: K-7F3A, 2026-01" in md
    assert "2026-01-01 to 2026-01-31" in md
    progress = _section(md, "### Progress (1)")
    assert "Found a training course" in progress
    assert "Drank again" in _section(md, "### Relapse (1)")
    trigger = _section(md, "### Trigger (2)")  # the note with two tags is in both groups
    assert "brother's death" in trigger
    assert "old friends" in trigger
    assert "old friends" in _section(md, "### Concern (1)")
    assert "Ask the housing office" in _section(md, "### Decision (1)")
    assert "Called his sister" in _section(md, "### Contact (1)")
    untagged = _section(md, "### Without a tag (1)")
    assert "Seen at the job centre" in untagged
    assert "amended" in untagged
    assert "calm" in untagged
    checkins = _section(md, "## Check-ins")
    assert "| 4 | 3 | 1 | 2 |" in checkins  # due, done, missed, escalated
    pages = _section(md, "## Pages of the on-call contacts")
    assert "acknowledged by fallback (4.0 min)" in pages.replace(
        "Acknowledged by", "acknowledged by"
    )
    assert "No handover checklist for this case." in _section(md, "## Open handover items")
    assert "No decision was open when the period began." in md
    taken = _section(md, "### Decisions taken in this period")
    assert "1. **Ask the housing office for a flat**" in taken
    assert "**open**" in taken

    # February: the decision is settled, and the review check-in fell due on the 1st
    await team.run_until(at_paris(2026, 2, 10, 15, 0))
    await relais.settle_decision(owner, CASE, 1, "done", "A flat in Roubaix from March")
    await team.run_until(at_paris(2026, 3, 2, 9, 0))  # the review fell due on 1 February
    february = await relais.review_pack(owner, CASE, "")  # default: last month
    assert february.month == "2026-02"
    md = _render(relais, february, "en", "md")
    carried = _section(md, "### Decisions of earlier reviews, and what became of them")
    assert "1. **Ask the housing office for a flat**" in carried
    assert "**done**" in carried
    assert "A flat in Roubaix from March" in carried
    assert "No decision was recorded in this period." in md
    assert "No note in this period." in md
    assert "monthly review" in _section(md, "## Check-ins")

    html = _render(relais, january, "fr", "html")
    assert "Document de revue mensuelle" in html
    assert "Talks of &lt;b&gt;old friends&lt;/b&gt; again" in html  # escaped, never markup
    assert "<b>old" not in html
    assert "Pas de liste de passation pour ce dossier." in html
    assert "@page" in html
    html_feb = _render(relais, february, "fr", "html")
    assert "réalisée" in html_feb
    assert "A flat in Roubaix from March" in html_feb


async def test_the_pack_follows_the_policy_and_refuses_a_month_to_come(team: Team) -> None:
    relais = team.relais
    with pytest.raises(NotAllowed):
        await relais.review_pack(team.outsider, CASE, "2026-01")
    member = await relais.review_pack(team.mentor, CASE, "2026-01")  # a member reads notes
    assert member.case_code == CASE
    with pytest.raises(InvalidInput, match="has not begun"):
        await relais.review_pack(team.owner, CASE, "2026-02")
    with pytest.raises(InvalidInput, match="expected a month such as 2026-11"):
        await relais.review_pack(team.owner, CASE, "January")


async def test_the_pack_lists_the_handover_items_still_open(team: Team) -> None:
    relais, owner, mentor = team.relais, team.owner, team.mentor
    await relais.set_release(owner, CASE, date(2026, 1, 20))
    await relais.tick_handover(mentor, CASE, "housing", True)
    await relais.tick_handover(mentor, CASE, "treatment", True)
    team.clock.set(at_paris(2026, 2, 3, 9, 0))
    pack = await relais.review_pack(owner, CASE, "2026-01")
    assert pack.release_on is not None
    assert [item.item_id for item in pack.handover or []] == [
        "first_appointment",
        "responsible_outside",
        "probation",
        "income",
    ]
    md = _render(relais, pack, "en", "md")
    handover = _section(md, "## Open handover items")
    assert "Release date: 2026-01-20" in handover
    assert "- First appointment with a psychiatrist or doctor" in handover
    assert "- Income" in handover
    still_open, ticked = handover.split("### Ticked in this period")
    assert "Housing" not in still_open
    assert "- Housing — mentor, 2026-01-04 13:00" in ticked  # ticked in January, and by whom
    html = _render(relais, pack, "fr", "html")
    assert "Date de sortie : 2026-01-20" in html
    assert "<li>Obligations de probation expliquées</li>" in html
    assert "<h3>Cochés pendant la période</h3>" in html
    assert "<li>Logement — mentor, 2026-01-04 13:00</li>" in html


async def test_an_item_ticked_after_the_month_is_open_in_its_pack(team: Team) -> None:
    """January's pack made in March shows the checklist as it stood at the end of January:
    an item ticked in February is open in it, and in February's pack it is ticked."""
    relais, owner, mentor = team.relais, team.owner, team.mentor
    await relais.set_release(owner, CASE, date(2026, 1, 20))
    team.clock.set(at_paris(2026, 2, 10, 9, 0))
    await relais.tick_handover(mentor, CASE, "income", True)
    team.clock.set(at_paris(2026, 3, 2, 9, 0))
    january = await relais.review_pack(owner, CASE, "2026-01")
    assert "income" in [item.item_id for item in january.handover or []]
    assert january.ticked == []
    february = await relais.review_pack(owner, CASE, "2026-02")
    assert "income" not in [item.item_id for item in february.handover or []]
    assert [(t.item.item_id, t.by) for t in february.ticked] == [("income", "mentor")]
