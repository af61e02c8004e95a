"""What is published is what was tested and reviewed (issue 13 §2b), through the chat layer
with the real bundled content: transcripts stored with each version and inherited by drafts,
the draft reply's verdict first, the reviewer and time recorded; refusals of admins; the draft
limit per person; a tab named as a tab."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.app import Relais
from bot.clock import FakeClock
from bot.config import Config, PublishingConfig
from bot.publishing.rules import shell_user
from storage.models import AuditEntryRow, DialogVersionRow
from tests.chat.conftest import CONTENT
from tests.publishing.conftest import PubWorld, open_world, texts

TL = (CONTENT / "dialogs" / "trigger_loss.yaml").read_text("utf-8")
TL_TESTS = (CONTENT / "dialogs" / "trigger_loss.test.yaml").read_text("utf-8")
QUESTION = "How is the person right now?"
CHANGED = "How is the person doing at this moment?"
TIPS = (Path(__file__).resolve().parent / "data" / "tips.yaml").read_text("utf-8")


@pytest.fixture
async def real_world(
    pub_config: Config, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[PubWorld]:
    """The publishing world on a copy of the real content/ folder (every bundled dialog and
    its transcripts)."""
    content = tmp_path / "real-content"
    shutil.copytree(CONTENT, content)
    config = dataclasses.replace(
        pub_config,
        content_dir=str(content),
        publishing=PublishingConfig(reviewers_required=1),
    )
    async with await Relais.open(config, clock) as relais:
        yield await open_world(relais, config, clock, content)


async def test_a_changed_question_that_breaks_bundled_transcripts_is_not_published(
    real_world: PubWorld,
) -> None:
    world = real_world
    pia, paul = world.chat("pia"), world.chat("paul")
    # the bundled transcripts are stored with version 1
    [v1] = await world.publishing.published_versions("trigger_loss")
    assert v1.tests == TL_TESTS

    # a draft inherits them: two fail, and the reply says so first, naming them
    assert TL.count(QUESTION) == 1
    replies = await world.upload("pia", "trigger_loss.yaml", TL.replace(QUESTION, CHANGED))
    body = texts(replies)
    assert body.startswith(
        "Draft saved, but it cannot be published: trigger_loss (A death or loss in the family) "
        "fails 2 test(s), named below."
    )
    assert (
        "walk: 1 passed, transcripts: 6 passed / 2 failed (the transcripts of version 1; send "
        "trigger_loss.test.yaml to replace them)"
    ) in body
    assert "FAIL trigger_loss: calm first, back to the question (en)" in body
    assert f"the bot did not say '{QUESTION}'" in body
    # what publishing would replace comes after the verdict
    assert body.index("Once published, it replaces trigger_loss version 1") > body.index("FAIL")

    # approved by a colleague, it is still refused: it fails its tests
    await paul.say("/review trigger_loss")
    assert "You approved" in texts(await paul.say("/approve trigger_loss"))
    refused = texts(await pia.say("/publish trigger_loss"))
    assert refused.startswith("The draft trigger_loss fails 2 test(s) (")
    assert "it cannot be published" in refused
    assert [v.version for v in await world.publishing.published_versions("trigger_loss")] == [1]

    # the author brings transcripts that match: a second file, <id>.test.yaml
    fixed = TL_TESTS.replace(QUESTION, CHANGED)
    replies = await world.upload("pia", "trigger_loss.test.yaml", fixed)
    assert "walk: 1 passed, transcripts: 8 passed / 0 failed" in texts(replies)
    assert "Published trigger_loss version 2." in texts(await pia.say("/publish trigger_loss"))
    v2 = (await world.publishing.published_versions("trigger_loss"))[-1]
    assert (v2.version, v2.tests) == (2, fixed)  # the tests it passed are stored with it

    # the version records who reviewed it and when (not the file: the record)
    history = texts(await paul.say("/history trigger_loss"))
    assert "v1  2026-01-05 08:00 UTC  bundled, by content/" in history
    assert (
        "v2  2026-01-05 08:00 UTC  draft, by Pia, reviewed by Paul on 2026-01-05 08:00 UTC"
        in history
    )
    [_, entry] = await world.publishing.dialog_history("trigger_loss")
    assert (entry.reviewer, entry.reviewed_at, entry.transcripts) == (
        "Paul",
        world.clock.now(),
        True,
    )

    # the next draft inherits the transcripts of version 2
    replies = await world.upload("pia", "trigger_loss.yaml", TL.replace(QUESTION, "Changed?"))
    assert "transcripts: 6 passed / 2 failed (the transcripts of version 2" in texts(replies)


async def test_own_transcripts_replace_the_inherited_ones(real_world: PubWorld) -> None:
    world = real_world
    one_test = (
        f'dialog: trigger_loss\ntests:\n  - name: only one\n    steps:\n      - bot: "{CHANGED}"\n'
    )
    await world.upload("pia", "trigger_loss.yaml", TL.replace(QUESTION, CHANGED))
    replies = await world.upload("pia", "trigger_loss.test.yaml", one_test)
    assert "walk: 1 passed, transcripts: 1 passed / 0 failed" in texts(replies)
    # a new revision of the dialog keeps the author's own transcripts
    replies = await world.upload("pia", "trigger_loss.yaml", TL.replace(QUESTION, CHANGED + " "))
    assert "Draft ready: trigger_loss" in texts(replies)
    assert "walk: 1 passed, transcripts: 1 passed / 0 failed" in texts(replies)
    assert "the transcripts of version" not in texts(replies)


async def test_an_admin_may_not_approve_and_the_refusal_is_audited(world: PubWorld) -> None:
    await world.upload("pia", "tips.yaml", TIPS)
    ada = world.chat("ada")
    assert "Review: draft tips" in texts(await ada.say("/review tips"))  # reading is allowed
    assert "Your role does not allow that" in texts(await ada.say("/approve tips"))
    assert "Your role does not allow that" in texts(await ada.say("/reject tips no"))
    async with world.relais.db.transaction(world.clock.now()) as tx:
        rows = (
            await tx.conn.execute(
                select(AuditEntryRow).where(AuditEntryRow.action == "dialog.approve")
            )
        ).all()
    assert [(r.actor_id, r.outcome) for r in rows] == [
        (world.actors["ada"].practitioner_id, "denied"),
        (world.actors["ada"].practitioner_id, "denied"),
    ]
    drafts = await world.publishing.list_open_drafts(world.actors["pia"])
    assert [d.status for d, _ in drafts] == ["draft"]


async def test_drafts_per_hour_are_limited_with_when_to_retry(
    pub_config: Config, clock: FakeClock, content: Path
) -> None:
    config = dataclasses.replace(
        pub_config,
        publishing=PublishingConfig(
            reviewers_required=1, max_file_bytes=20_000, drafts_per_hour=3
        ),
    )
    async with await Relais.open(config, clock) as relais:
        world = await open_world(relais, config, clock, content)
        for n in range(2):
            replies = await world.upload("pia", "tips.yaml", TIPS.replace("Take care.", f"{n}."))
            assert "Draft ready: tips" in texts(replies)
            clock.advance(timedelta(minutes=10))
        # a file refused for its content counts too: each one costs a check
        replies = await world.upload("pia", "tips.yaml", TIPS.replace("next: done", "next: x"))
        assert "Nothing was saved" in texts(replies)
        clock.advance(timedelta(minutes=10))
        # over the limit: refused before it is read
        replies = await world.upload("pia", "tips.yaml", TIPS.replace("Take care.", "late."))
        assert texts(replies) == (
            "You sent 3 files in the last hour, the most allowed. Nothing was saved: try again "
            "after 10:00 (CET)."  # 09:00 UTC, the first upload + 1 hour, in Pia's time zone
        )
        draft = (await world.publishing.list_open_drafts(world.actors["pia"]))[0][0]
        assert "1." in draft.source
        assert "late." not in draft.source
        # another person has their own allowance
        assert "Draft ready" in texts(await world.upload("paul", "other.yaml", _renamed("other")))

        clock.advance(timedelta(minutes=30))  # 09:00 UTC: the first upload left the window
        replies = await world.upload("pia", "tips.yaml", TIPS.replace("Take care.", "late."))
        assert "Draft ready: tips" in texts(replies)


def _renamed(dialog_id: str) -> str:
    return TIPS.replace("id: tips", f"id: {dialog_id}")


async def test_a_tab_in_indentation_is_named_as_a_tab(world: PubWorld) -> None:
    broken = TIPS.replace("\n    kind: end", "\n\tkind: end", 1)
    assert broken != TIPS
    body = texts(await world.upload("pia", "tips.yaml", broken))
    assert "RD001 error: a tab in the indentation: YAML indents with spaces only" in body
    assert "replace the tab(s) at the start of this line with spaces" in body


async def test_the_audit_of_a_review_names_the_revision(world: PubWorld) -> None:
    await world.upload("pia", "tips.yaml", TIPS)
    await world.chat("paul").say("/review tips")
    await world.chat("paul").say("/approve tips")
    draft = (await world.publishing.list_open_drafts(world.actors["pia"]))[0][0]
    async with world.relais.db.transaction(world.clock.now()) as tx:
        row = (
            await tx.conn.execute(
                select(AuditEntryRow).where(
                    AuditEntryRow.action == "dialog.approve", AuditEntryRow.outcome == "ok"
                )
            )
        ).one()
    detail = json.loads(row.detail)
    assert detail["checksum"] == draft.checksum[:16]
    assert detail["approved"] is True


async def test_a_comment_on_an_earlier_text_is_not_sent_back(world: PubWorld) -> None:
    paul = world.chat("paul")
    await world.upload("pia", "tips.yaml", TIPS)
    await paul.say("/review tips")
    await world.upload("pia", "tips.yaml", TIPS.replace("Take care.", "Rest well."))
    refused = texts(await paul.say("/reject tips the ending is too short"))
    assert "changed after you were shown it" in refused
    await paul.say("/review tips")
    assert "sent the draft tips back" in texts(await paul.say("/reject tips still short"))


async def test_versions_imported_before_0003_get_their_bundled_transcripts(
    real_world: PubWorld,
) -> None:
    world = real_world
    async with world.relais.db.transaction(world.clock.now()) as tx:
        await tx.conn.execute(update(DialogVersionRow).values(tests=None))
    [v1] = await world.publishing.published_versions("trigger_loss")
    assert v1.tests is None
    # the next start stores the unchanged bundled file's transcripts with its version 1
    again = await open_world(world.relais, world.config, world.clock, world.content, enrol=False)
    [v1] = await again.publishing.published_versions("trigger_loss")
    assert v1.tests == TL_TESTS


async def test_drafts_sent_from_the_command_line_say_who_really_sent_them(
    world: PubWorld,
) -> None:
    user = shell_user()
    pia = await world.publishing.practitioner_named("Pia")  # `--as Pia`
    assert pia.operator == user
    await world.publishing.submit_draft(pia, "tips.yaml", TIPS.encode())
    await world.publishing.operator_submit_draft("other.yaml", _renamed("other").encode())
    listing = texts(await world.chat("paul").say("/draft"))
    assert f"- tips: draft, by operator (shell user {user}) for Pia" in listing
    assert f"- other: draft, by operator (shell user {user})" in listing
    review = texts(await world.chat("paul").say("/review tips"))
    assert f"Review: draft tips (Tips for a hard day) by operator (shell user {user}) for Pia" in (
        review
    )
    # the reviewer in chat is another person: the two-person rule holds
    assert "You approved" in texts(await world.chat("paul").say("/approve tips"))


async def test_the_same_text_sent_again_keeps_its_approval(world: PubWorld) -> None:
    paul = world.chat("paul")
    await world.upload("pia", "tips.yaml", TIPS)
    await paul.say("/review tips")
    assert "You approved" in texts(await paul.say("/approve tips"))
    replies = texts(await world.upload("pia", "tips.yaml", TIPS))
    assert "Draft ready: tips" in replies
    assert "no longer applies" not in replies
    assert "Published tips version 1." in texts(await world.chat("pia").say("/publish tips"))
