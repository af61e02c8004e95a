"""A draft of another team's guidance, through the publishing use cases on SQLite and
PostgreSQL: a psychologist of Team B is refused what Team A's may do with it (be shown it,
approve it, send it back, preview it, withdraw it, send a file over it); the draft is left as
it was, the lists leave it out, and each refusal is audited as denied, naming the dialog.
Chat, the command line and the Studio all call these use cases (their own tests:
tests/e2e/test_publishing_telegram.py, tests/publishing/test_cli.py, tests/studio)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Relais
from bot.clock import FakeClock
from bot.config import Config, PublishingConfig, StorageConfig
from bot.errors import NotAllowed
from bot.policy import POLICY, Action, Relation, Role
from bot.publishing.records import PublishRefused
from storage.models import AuditEntryRow
from tests.publishing.conftest import PubWorld, approve, open_world
from tests.publishing.test_teams import TEAM_TIPS, TIPS, enrol_team_b
from tests.storage.helpers import enrol


@pytest.fixture
async def any_world(
    database_url: str, tmp_path: Path, clock: FakeClock, content: Path
) -> AsyncIterator[PubWorld]:
    """The publishing world on every backend, with Bea (psychologist) in Team B."""
    config = Config(
        data_dir=str(tmp_path / "data"),
        content_dir=str(content),
        storage=StorageConfig(url=database_url),
        publishing=PublishingConfig(reviewers_required=1, max_file_bytes=20_000),
    )
    async with await Relais.open(config, clock) as relais:
        world = await open_world(relais, config, clock, content)
        await enrol_team_b(world)
        yield world


async def _denials(world: PubWorld) -> list[tuple[str, dict[str, object]]]:
    async with world.relais.db.transaction(world.clock.now()) as tx:
        rows = await tx.conn.execute(select(AuditEntryRow).order_by(AuditEntryRow.seq))
        return [(r.action, json.loads(r.detail)) for r in rows if r.outcome == "denied"]


async def _refused(call: object) -> PublishRefused:
    with pytest.raises(PublishRefused) as refused:
        await call  # type: ignore[misc]
    assert isinstance(refused.value, NotAllowed)  # audited as denied, not a plain refusal
    return refused.value


async def test_another_teams_draft_is_refused_by_the_use_cases(any_world: PubWorld) -> None:
    world = any_world
    pia, paul, bea = world.actors["pia"], world.actors["paul"], world.actors["bea"]
    publishing = world.publishing
    await publishing.submit_draft(pia, "tips.yaml", TEAM_TIPS.encode())
    draft = (await publishing.list_open_drafts(paul))[0][0]
    before = await _denials(world)

    calls: dict[str, tuple[str, Callable[[], Awaitable[object]]]] = {
        "team.review": ("dialog.review", lambda: publishing.draft_for_review(bea, "tips")),
        "team.approve": (
            "dialog.approve",
            lambda: publishing.review_draft(bea, "tips", True, "", None, draft.checksum[:16]),
        ),
        "team.reject": (
            "dialog.approve",
            lambda: publishing.review_draft(bea, "tips", False, "no"),
        ),
        "team.preview": ("dialog.draft", lambda: publishing.draft_to_preview(bea, "tips")),
        "team.withdraw": ("dialog.draft", lambda: publishing.withdraw_draft(bea, "tips")),
    }
    expected = []
    for key, (action, call) in calls.items():
        refused = await _refused(call())
        assert refused.key == key
        assert refused.values == {"dialog": "tips", "teams": "Team A"}
        expected.append((action, {"dialog_id": "tips", "draft_id": draft.id}))
    # by its button (the draft's id) as well as by the dialog's id
    refused = await _refused(publishing.draft_for_review(bea, "", draft.id))
    assert refused.key == "team.review"
    expected.append(("dialog.review", {"dialog_id": "tips", "draft_id": draft.id}))
    # nor may Bea send a file over Team A's open draft (it would say whose draft it is)
    refused = await _refused(publishing.submit_draft(bea, "tips.yaml", TIPS.encode()))
    assert refused.key == "not_your_team"

    denied = (await _denials(world))[len(before) :]
    assert [(a, d.get("refused")) for a, d in denied] == [
        *((a, "dialog.teams") for a, _ in expected),
        ("dialog.draft", "dialog.teams"),
    ]
    for (action, ids), (found_action, detail) in zip(expected, denied, strict=False):
        assert action == found_action
        assert {k: detail[k] for k in ids} == ids
    # nothing changed: the draft is open, unreviewed, and Bea was never recorded as shown it
    still = (await publishing.list_open_drafts(paul))[0][0]
    assert (still.id, still.status, still.reviewer_id) == (draft.id, "draft", None)
    assert await publishing.list_open_drafts(bea) == []  # another team's: left out
    # Team A's other psychologist reviews and approves it as before
    await approve(publishing, paul, "tips")
    assert (await publishing.publish_draft(pia, "tips")).version == 1


async def test_a_draft_is_another_teams_by_its_published_version(any_world: PubWorld) -> None:
    """A draft that drops `teams:` is still Team A's guidance until it is published."""
    world = any_world
    pia, paul, bea = world.actors["pia"], world.actors["paul"], world.actors["bea"]
    publishing = world.publishing
    await publishing.submit_draft(pia, "tips.yaml", TEAM_TIPS.encode())
    await approve(publishing, paul, "tips")
    await publishing.publish_draft(pia, "tips")
    await publishing.refresh()
    outcome = await publishing.submit_draft(pia, "tips.yaml", TIPS.encode())
    assert outcome.saved
    refused = await _refused(publishing.draft_for_review(bea, "tips"))
    assert (refused.key, refused.values["teams"]) == ("team.review", "Team A")
    refused = await _refused(publishing.review_draft(bea, "tips", False, "no"))
    assert refused.key == "team.reject"
    assert await publishing.list_open_drafts(bea) == []
    assert len(await publishing.list_open_drafts(paul)) == 1


async def test_whatever_the_table_allows_another_teams_draft_is_refused(
    any_world: PubWorld,
) -> None:
    """The team rule stands above the policy table (as for another team's case): every role
    the table lets review or drop drafts is refused, in Team B, a draft of Team A's."""
    world = any_world
    publishing = world.publishing
    await publishing.submit_draft(world.actors["pia"], "tips.yaml", TEAM_TIPS.encode())
    checked = 0
    for role in Role:
        reviews = POLICY[(role, Action.REVIEW_DIALOG, Relation.OTHER)]
        drafts = POLICY[(role, Action.DRAFT_DIALOG, Relation.OTHER)]
        if not (reviews or drafts):
            continue
        actor = await enrol(world.relais, f"B {role.value}", role.value, team="Team B")
        if reviews:
            refused = await _refused(publishing.draft_for_review(actor, "tips"))
            assert refused.key == "team.review", role
            assert await publishing.list_open_drafts(actor) == [], role
        if drafts:
            refused = await _refused(publishing.withdraw_draft(actor, "tips"))
            assert refused.key == "team.withdraw", role
            refused = await _refused(publishing.draft_to_preview(actor, "tips"))
            assert refused.key == "team.preview", role
        checked += 1
    assert checked >= 2  # psychologists and admins


async def test_publishing_another_teams_approved_draft_is_refused(any_world: PubWorld) -> None:
    world = any_world
    pia, paul, bea = world.actors["pia"], world.actors["paul"], world.actors["bea"]
    await world.publishing.submit_draft(pia, "tips.yaml", TEAM_TIPS.encode())
    await approve(world.publishing, paul, "tips")
    before = await _denials(world)
    refused = await _refused(world.publishing.publish_draft(bea, "tips"))
    assert (refused.key, refused.values["teams"]) == ("not_your_team", "Team A")
    [(action, detail)] = (await _denials(world))[len(before) :]
    assert (action, detail["refused"], detail["dialog_id"]) == (
        "dialog.publish",
        "dialog.teams",
        "tips",
    )
    assert await world.publishing.published_versions("tips") == []
