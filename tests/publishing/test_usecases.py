"""Publishing use cases on SQLite: bundled import, drafts offered from content/, encryption at
rest, audit, transcript tests as the gate, reviewers_required = 0, restart, refusals."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Relais
from bot.background import Background
from bot.clock import FakeClock
from bot.config import Config, PublishingConfig, StorageConfig
from bot.errors import NotAllowed
from bot.publishing.usecases import PublishRefused
from storage.models import AuditEntryRow, DialogDraftRow
from tests.publishing.conftest import CRISIS, PubWorld, approve, open_world, texts

TIPS = (Path(__file__).resolve().parent / "data" / "tips.yaml").read_text("utf-8")
TIPS_TESTS = """\
dialog: tips
tests:
  - name: fine
    steps:
      - bot: "How are you doing?"
      - choose: ok
      - bot: "{expected}"
"""


async def test_bundled_content_is_version_1_once(world: PubWorld) -> None:
    history = await world.publishing.dialog_history("crisis")
    assert [(h.version, h.origin, h.author) for h in history] == [(1, "bundled", "content/")]
    # a second start on the same database imports nothing and offers nothing
    again = await open_world(world.relais, world.config, world.clock, world.content, enrol=False)
    assert len(await again.publishing.dialog_history("crisis")) == 1
    assert await again.publishing.list_open_drafts(world.actors["pia"]) == []


async def test_changed_content_file_is_offered_as_a_draft_never_published(
    world: PubWorld,
) -> None:
    crisis_file = world.content / "dialogs" / "crisis.yaml"
    crisis_file.write_text(CRISIS.replace("A difficult talk", "A changed label"), "utf-8")
    again = await open_world(world.relais, world.config, world.clock, world.content, enrol=False)
    # the running guidance is still the published version 1, not the changed file
    dialog = again.dialogs.source().get("crisis")
    assert dialog is not None
    assert dialog.version == 1
    assert "A difficult talk" in dialog.source_text
    drafts = await again.publishing.list_open_drafts(world.actors["pia"])
    assert [(d.dialog_id, author, d.base_version) for d, author in drafts] == [
        ("crisis", "content/", 1)
    ]
    # a third start does not offer it twice
    third = await open_world(world.relais, world.config, world.clock, world.content, enrol=False)
    assert len(await third.publishing.list_open_drafts(world.actors["pia"])) == 1
    # a psychologist's upload replaces the content/ offer; it goes through review as usual
    await third.upload("pia", "crisis.yaml", CRISIS.replace("A difficult talk", "Mine"))
    drafts = await third.publishing.list_open_drafts(world.actors["pia"])
    assert [(d.dialog_id, author) for d, author in drafts] == [("crisis", "Pia")]


async def test_draft_text_and_comment_are_encrypted_and_audit_has_ids_only(
    world: PubWorld,
) -> None:
    await world.upload("pia", "tips.yaml", TIPS)
    await world.chat("paul").say("/reject tips secret remark about wording")
    async with world.relais.db.transaction(world.clock.now()) as tx:
        row = (await tx.conn.execute(select(DialogDraftRow))).one()
        audit = [r.detail for r in await tx.conn.execute(select(AuditEntryRow))]
    assert row.source.startswith("enc:")
    assert "How are you doing" not in row.source
    assert row.review_comment_enc is not None
    assert b"secret remark" not in row.review_comment_enc
    everything = json.dumps([str(d) for d in audit])
    assert "secret remark" not in everything
    assert "How are you doing" not in everything


async def test_publish_is_audited_with_author_reviewer_version(world: PubWorld) -> None:
    pia, paul = world.actors["pia"], world.actors["paul"]
    await world.publishing.submit_draft(pia, "tips.yaml", TIPS.encode())
    await approve(world.publishing, paul, "tips")
    published = await world.publishing.publish_draft(pia, "tips")
    assert published.version == 1
    async with world.relais.db.transaction(world.clock.now()) as tx:
        rows = (
            await tx.conn.execute(
                select(AuditEntryRow).where(AuditEntryRow.action == "dialog.publish")
            )
        ).all()
    assert len(rows) == 1
    detail = rows[0].detail
    detail = json.loads(detail) if isinstance(detail, str) else detail
    assert detail["dialog_id"] == "tips"
    assert detail["version"] == 1
    assert detail["author_id"] == pia.practitioner_id
    assert detail["reviewer_id"] == paul.practitioner_id
    assert rows[0].actor_id == pia.practitioner_id


async def test_transcript_tests_gate_publishing(world: PubWorld) -> None:
    pia, paul = world.actors["pia"], world.actors["paul"]
    await world.publishing.submit_draft(pia, "tips.yaml", TIPS.encode())
    failing = TIPS_TESTS.format(expected="something the bot never says")
    replies = await world.upload("pia", "tips.test.yaml", failing)
    assert "Transcript tests attached" in texts(replies)
    assert "walk: 1 passed, transcripts: 0 passed / 1 failed" in texts(replies)
    assert "FAIL tips: fine" in texts(replies)  # the failure is named
    await approve(world.publishing, paul, "tips")
    with pytest.raises(PublishRefused) as refused:
        await world.publishing.publish_draft(pia, "tips")
    assert refused.value.key == "failing_tests"
    replies = await world.upload("pia", "tips.test.yaml", TIPS_TESTS.format(expected="log"))
    assert "walk: 1 passed, transcripts: 1 passed / 0 failed" in texts(replies)
    # attaching tests keeps the approval; publishing now passes
    assert (await world.publishing.publish_draft(pia, "tips")).version == 1


async def test_errors_block_preview_and_other_roles_are_refused(world: PubWorld) -> None:
    with pytest.raises(NotAllowed):
        await world.publishing.submit_draft(world.actors["alex"], "tips.yaml", TIPS.encode())
    with pytest.raises(NotAllowed):
        await world.publishing.rollback_dialog(world.actors["cora"], "crisis", 1)
    with pytest.raises(PublishRefused):
        await world.publishing.rollback_dialog(world.actors["pia"], "crisis", 7)
    outcome = await world.publishing.submit_draft(
        world.actors["pia"], "tips.yaml", TIPS.replace("next: done", "next: nowhere").encode()
    )
    assert not outcome.saved
    assert outcome.check is not None
    assert [d.code for d in outcome.check.errors] == ["RD024"]


async def test_no_reviewer_needed_when_configured(
    pub_config: Config, clock: FakeClock, content: Path
) -> None:
    config = dataclasses.replace(
        pub_config, publishing=PublishingConfig(reviewers_required=0, max_file_bytes=20_000)
    )
    async with await Relais.open(config, clock) as relais:
        world = await open_world(relais, config, clock, content)
        replies = await world.upload("pia", "tips.yaml", TIPS)
        assert "then /publish tips" in texts(replies)
        replies = await world.chat("pia").say("/publish tips")
        assert "Published tips version 1." in texts(replies)


async def test_restart_keeps_versions_and_pinned_sessions(world: PubWorld) -> None:
    alex = world.chat("alex")
    await alex.say("/crisis K-1")
    await alex.press("A difficult talk")
    pia, paul = world.actors["pia"], world.actors["paul"]
    await world.publishing.submit_draft(
        pia, "crisis.yaml", CRISIS.replace("Take care of yourself too.", "V2 ending.").encode()
    )
    await approve(world.publishing, paul, "crisis")
    await world.publishing.publish_draft(pia, "crisis")
    # restart: a new catalog from content/ plus the database
    again = await open_world(world.relais, world.config, world.clock, world.content, enrol=False)
    assert again.dialogs.library.versions("crisis") == (1, 2)
    latest = again.dialogs.source().get("crisis")
    assert latest is not None
    assert "V2 ending." in latest.source_text
    alex2 = again.chat("alex")
    replies = await alex2.say("It went badly")
    replies = await alex2.press(replies[-1].buttons[1].token)
    replies = await alex2.press(replies[-1].buttons[1].token)
    assert "Take care of yourself too." in texts(replies)


async def test_running_bot_picks_up_versions_published_elsewhere(world: PubWorld) -> None:
    other = await open_world(world.relais, world.config, world.clock, world.content, enrol=False)
    pia, paul = world.actors["pia"], world.actors["paul"]
    await other.publishing.submit_draft(pia, "tips.yaml", TIPS.encode())
    await approve(other.publishing, paul, "tips")
    await other.publishing.publish_draft(pia, "tips")
    assert world.dialogs.source().get("tips") is None
    assert await world.publishing.refresh() == 1
    assert world.dialogs.source().get("tips") is not None

    # a running bot polls (`relais run` starts it): a rollback elsewhere arrives by itself
    background = Background(publishing=world.publishing, refresh_every=timedelta(milliseconds=20))
    await background.start([])
    try:
        await other.publishing.rollback_dialog(pia, "tips", 1)
        for _ in range(500):
            if world.dialogs.library.versions("tips") == (1, 2):
                break
            await asyncio.sleep(0.01)
        assert world.dialogs.library.versions("tips") == (1, 2)
    finally:
        await background.stop()


async def test_workflow_on_every_backend(
    database_url: str, tmp_path: Path, clock: FakeClock, content: Path
) -> None:
    """Drafts, review, publish, rollback and history on SQLite and PostgreSQL."""
    config = Config(
        data_dir=str(tmp_path / "data"),
        content_dir=str(content),
        storage=StorageConfig(url=database_url),
    )
    async with await Relais.open(config, clock) as relais:
        world = await open_world(relais, config, clock, content)
        pia, paul = world.actors["pia"], world.actors["paul"]
        await world.publishing.submit_draft(pia, "tips.yaml", TIPS.encode())
        await world.publishing.review_draft(paul, "tips", False, "again")
        await world.publishing.submit_draft(pia, "tips.yaml", TIPS.encode())
        await approve(world.publishing, paul, "tips")
        assert (await world.publishing.publish_draft(pia, "tips")).version == 1
        assert (await world.publishing.rollback_dialog(paul, "tips", 1)).version == 2
        history = await world.publishing.version_history(paul, "tips")
        assert [(h.version, h.origin) for h in history] == [(1, "draft"), (2, "rollback")]
        assert await world.publishing.list_open_drafts(pia) == []
        # the record and the guards on both backends: an upload counted, a stale digest
        # refused, the reviewer's view remembered, the version keeps its review time
        assert "Draft ready" in texts(await world.upload("pia", "tips.yaml", TIPS + "\n"))
        with pytest.raises(PublishRefused) as refused:
            await world.publishing.review_draft(paul, "tips", True, "", None, "0" * 16)
        assert refused.value.key == "changed_since_shown"
        await approve(world.publishing, paul, "tips")
        await world.publishing.publish_draft(pia, "tips")
        history = await world.publishing.version_history(paul, "tips")
        assert (history[-1].reviewer, history[-1].reviewed_at) == ("Paul", clock.now())
