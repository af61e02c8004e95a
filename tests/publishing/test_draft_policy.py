"""Who may drop or review a draft is the policy table's (issue 15): `draft.withdraw` and
`draft.review`, role x relation (author, other), checked through the publishing use cases; a
refusal is `NotAllowed` (worded as before) and audited as denied."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from bot.errors import NotAllowed, RelaisError
from bot.policy import POLICY, Action, Relation, Role
from bot.publishing.records import PublishRefused
from storage.models import AuditEntryRow
from tests.publishing.conftest import PubWorld

TIPS = (Path(__file__).resolve().parent / "data" / "tips.yaml").read_text("utf-8")


async def _denied(world: PubWorld) -> list[tuple[str, str | None]]:
    async with world.relais.db.transaction(world.clock.now()) as tx:
        rows = await tx.conn.execute(select(AuditEntryRow).order_by(AuditEntryRow.seq))
        return [
            (r.action, json.loads(r.detail).get("refused")) for r in rows if r.outcome == "denied"
        ]


async def _passed(call: object) -> tuple[bool, str]:
    try:
        await call  # type: ignore[misc]
    except NotAllowed as exc:
        refused = exc
    except RelaisError as exc:
        return True, str(exc)
    else:
        return True, "ok"
    assert isinstance(refused, PublishRefused) or "role" in str(refused), refused
    return False, str(refused)


async def test_withdrawing_a_draft_follows_the_policy(world: PubWorld) -> None:
    pia, paul, ada = world.actors["pia"], world.actors["paul"], world.actors["ada"]
    rows = [  # (who, relation, role): author first, then others
        (paul, Relation.OTHER, Role.PSYCHOLOGIST),
        (ada, Relation.OTHER, Role.ADMIN),
        (pia, Relation.AUTHOR, Role.PSYCHOLOGIST),
    ]
    for who, relation, role in rows:
        await world.publishing.submit_draft(pia, "tips.yaml", TIPS.encode())
        before = await _denied(world)
        passed, detail = await _passed(world.publishing.withdraw_draft(who, "tips"))
        expected = POLICY[(role, Action.WITHDRAW_DRAFT, relation)]
        assert passed == expected, (role, relation, detail)
        if not expected:
            assert "Pia" in detail  # worded as before: whose draft it is
            assert await _denied(world) == [*before, ("dialog.draft", "draft.withdraw")]
            await world.publishing.withdraw_draft(pia, "tips")
    assert not POLICY[(Role.PSYCHOLOGIST, Action.WITHDRAW_DRAFT, Relation.OTHER)]


async def test_reviewing_ones_own_draft_is_refused_by_the_policy(world: PubWorld) -> None:
    pia, paul = world.actors["pia"], world.actors["paul"]
    await world.publishing.submit_draft(pia, "tips.yaml", TIPS.encode())
    before = await _denied(world)
    passed, detail = await _passed(world.publishing.review_draft(pia, "tips", False, "again"))
    assert not passed
    assert not POLICY[(Role.PSYCHOLOGIST, Action.REVIEW_DRAFT, Relation.AUTHOR)]
    assert await _denied(world) == [*before, ("dialog.approve", "draft.review")]
    passed, detail = await _passed(world.publishing.review_draft(paul, "tips", False, "again"))
    assert passed
    assert detail == "ok"
    assert POLICY[(Role.PSYCHOLOGIST, Action.REVIEW_DRAFT, Relation.OTHER)]


async def test_approving_a_revision_not_shown_is_refused_and_audited_as_denied(
    world: PubWorld,
) -> None:
    """A stale approve button (or `--digest`) approves nothing, and the record says that a
    psychologist tried: a denial, like every other refusal of who may do what."""
    from bot.publishing.review import STALE_APPROVAL

    pia, paul = world.actors["pia"], world.actors["paul"]
    await world.publishing.submit_draft(pia, "tips.yaml", TIPS.encode())
    before = await _denied(world)
    passed, detail = await _passed(
        world.publishing.review_draft(paul, "tips", True, "", None, "0" * 16)
    )
    assert not passed
    assert "changed" in detail
    assert await _denied(world) == [*before, ("dialog.approve", STALE_APPROVAL)]
    drafts = await world.publishing.list_open_drafts(paul)
    assert [(d.dialog_id, d.status) for d, _author in drafts] == [
        ("tips", "draft")
    ]  # not approved
