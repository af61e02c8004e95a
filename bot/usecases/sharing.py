"""Information sharing and the disclosure form (issue 16): a case's sharing record, set by the
owner (chat, command line), shown to the case team, reminded when its review date comes, and
the export for another agency that keeps only what the record allows it.

Categories and the note tags in each are data (content/lifecycle/sharing.yaml). A note goes to
an agency only when it has a tag and every category its tags fall in is allowed to that agency
(`exportable`); everything else is left out and counted in the export's `left_out`.

For other features (the monthly review pack, the exit report): `read_sharing(tx, case_id)`
inside any use case's transaction returns the `SharingRecord` (or None).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.errors import InvalidInput
from bot.lifecycle.content import SharingRules, handover_plan, sharing_rules
from bot.lifecycle.schedules import SHARING_REVIEW, schedule_for, withdraw
from bot.policy import Action
from bot.usecases.base import CaseScope, EntryScope, UseCases, operator_command, requires
from bot.usecases.handover import case_ref, operator_case, read_handover
from storage import checkins_repo as repo
from storage.recurrence import EveryNDays, zone
from storage.repos.sharing import Allowance, SharingRecord
from storage.tx import Tx

__all__ = [
    "SharingChange",
    "SharingUseCases",
    "SharingView",
    "exportable",
    "parse_allowance",
    "read_sharing",
]

#: the longest agency or role name a record keeps
MAX_RECIPIENT = 80
MAX_SIGNER = 120


@dataclass(frozen=True, slots=True)
class SharingChange:
    """What to change in a record; None / empty: unchanged. `allow` sets the categories of each
    recipient named (adding it if new); `remove` drops recipients; `replace` starts from no
    recipient at all (the command line's `--allow` given anew)."""

    allow: tuple[Allowance, ...] = ()
    remove: tuple[str, ...] = ()
    replace: bool = False
    signed_on: date | None = None
    signed_by: str | None = None
    review_on: date | None = None
    person_informed: bool | None = None


@dataclass(frozen=True, slots=True)
class SharingView:
    case_code: str
    record: SharingRecord | None
    #: the review date has come (the owner is being reminded)
    review_due: bool

    def to_dict(self) -> dict[str, Any]:
        record = self.record
        if record is None:
            return {"case": self.case_code, "record": None}
        return {
            "case": self.case_code,
            "record": {
                "allowed": [
                    {"recipient": a.recipient, "categories": list(a.categories)}
                    for a in record.allowed
                ],
                "signed_on": record.signed_on.isoformat() if record.signed_on else None,
                "signed_by": record.signed_by,
                "review_on": record.review_on.isoformat() if record.review_on else None,
                "review_due": self.review_due,
                "person_informed": record.person_informed,
                "updated_at": record.updated_at.isoformat(),
            },
        }


def parse_allowance(text: str, rules: SharingRules) -> Allowance:
    """`Probation:risk,progress` -> the recipient and its categories (checked)."""
    recipient, colon, categories = text.rpartition(":")
    recipient = " ".join(recipient.split())
    if not colon or not recipient:
        raise InvalidInput(
            f"expected RECIPIENT:CATEGORY,CATEGORY (e.g. Probation:risk,progress), found {text!r}"
        ).saying("sharing_allowance", found=text)
    if len(recipient) > MAX_RECIPIENT:
        raise InvalidInput(f"a recipient's name has at most {MAX_RECIPIENT} characters").saying(
            "sharing_recipient_long", most=MAX_RECIPIENT
        )
    wanted = tuple(dict.fromkeys(c.strip().lower() for c in categories.split(",") if c.strip()))
    unknown = [c for c in wanted if c not in rules.ids]
    if unknown or not wanted:
        raise InvalidInput(
            f"unknown categories for {recipient}: {', '.join(unknown) or 'none given'} "
            f"(categories: {', '.join(rules.ids)})"
        ).saying(
            "sharing_categories",
            recipient=recipient,
            found=", ".join(unknown) or "-",
            categories=", ".join(rules.ids),
        )
    return Allowance(recipient, wanted)


def exportable(tags: tuple[str, ...], allowed: set[str], rules: SharingRules) -> bool:
    """A note with these tags may go to a recipient allowed these categories."""
    categories = rules.categories_of(tags)
    return bool(categories) and categories <= allowed


async def read_sharing(tx: Tx, case_id: str) -> SharingRecord | None:
    return await tx.sharing.get(case_id=case_id)


def _merged(record: SharingRecord | None, change: SharingChange) -> dict[str, Any]:
    allowed = [] if change.replace or record is None else list(record.allowed)
    dropped = {r.strip().casefold() for r in change.remove}
    known = {a.recipient.casefold() for a in allowed}
    missing = sorted(dropped - known) if dropped else []
    if missing:
        raise InvalidInput(f"the record names no recipient {', '.join(missing)}").saying(
            "sharing_no_recipient", found=", ".join(missing)
        )
    allowed = [a for a in allowed if a.recipient.casefold() not in dropped]
    for new in change.allow:
        allowed = [a for a in allowed if a.recipient.casefold() != new.recipient.casefold()]
        allowed.append(new)
    signer = change.signed_by.strip() if change.signed_by is not None else None
    if signer is not None and not 0 < len(signer) <= MAX_SIGNER:
        raise InvalidInput(f"who signed: 1 to {MAX_SIGNER} characters").saying(
            "sharing_signer", most=MAX_SIGNER
        )
    return {
        "allowed": tuple(allowed),
        "signed_on": change.signed_on or (record.signed_on if record else None),
        "signed_by": signer or (record.signed_by if record else None),
        "review_on": change.review_on or (record.review_on if record else None),
        "person_informed": (
            change.person_informed
            if change.person_informed is not None
            else (record.person_informed if record else None)
        ),
    }


class SharingUseCases(UseCases):
    """The sharing record and the export for another agency (on `Relais`)."""

    def _rules(self) -> SharingRules:
        return sharing_rules(self.config.content_path)

    @requires(Action.SET_SHARING)
    async def set_sharing(self, scope: CaseScope, change: SharingChange) -> SharingView:
        """The owner changes the case's sharing record (`/sharing CODE allow ...`)."""
        view = await self._write(
            scope.tx, case_ref(scope.case), change, scope.actor.practitioner_id
        )
        scope.detail.update(_audited(change))
        return view

    @requires(Action.VIEW_SHARING)
    async def sharing(self, scope: CaseScope) -> SharingView:
        """`/sharing CODE`: the case's record, for the case team."""
        return self._view(scope.case.code, await read_sharing(scope.tx, scope.case.id), scope.tx)

    @operator_command("sharing.set")
    async def cli_set_sharing(
        self, scope: EntryScope, code: str, change: SharingChange
    ) -> SharingView:
        case = await operator_case(scope, code)
        view = await self._write(scope.tx, case, change, None)
        scope.detail.update(_audited(change))
        return view

    @operator_command("sharing.view")
    async def cli_sharing(self, scope: EntryScope, code: str) -> SharingView:
        case = await operator_case(scope, code)
        return self._view(case.code, await read_sharing(scope.tx, case.id), scope.tx)

    def _view(self, code: str, record: SharingRecord | None, tx: Tx) -> SharingView:
        due = bool(record and record.review_on and record.review_on <= tx.now.date())
        return SharingView(code, record, due)

    async def _write(
        self, tx: Tx, case: repo.CaseRef, change: SharingChange, by: str | None
    ) -> SharingView:
        for allowance in change.allow:
            parse_allowance(
                f"{allowance.recipient}:{','.join(allowance.categories)}", self._rules()
            )
        record = await read_sharing(tx, case.id)
        values = _merged(record, change)
        schedule_id = record.review_schedule_id if record else None
        review_moved = values["review_on"] != (record.review_on if record else None)
        if review_moved or (values["review_on"] and schedule_id is None):
            await withdraw(tx, schedule_id)
            schedule_id = await self._review_reminder(tx, case, values["review_on"], by)
        await tx.sharing.put(
            case_id=case.id,
            review_schedule_id=schedule_id,
            updated_by=by,
            now=tx.now,
            **values,
        )
        return self._view(case.code, await read_sharing(tx, case.id), tx)

    async def _review_reminder(
        self, tx: Tx, case: repo.CaseRef, review_on: date | None, by: str | None
    ) -> str | None:
        """The check-in reminding the owner, from the review date on, until it moves."""
        if review_on is None or case.status != "open":
            return None
        rules = self._rules()
        owner = await tx.checkin_reads.practitioner(practitioner_id=case.owner_id)
        tz = owner.time_zone if owner else self.config.checkins.default_time_zone
        local = tx.now.astimezone(zone(tz))
        # a review date already past: reminded from the next review_at to come, not a week on
        later = 1 if local.time() >= rules.review_at else 0
        start = max(review_on, local.date() + timedelta(days=later))
        rule = EveryNDays(rules.review_every_days, rules.review_at, tz, start)
        return await schedule_for(
            tx,
            case,
            rule,
            reminded_id=case.owner_id,
            grace=self.config.checkins.grace_period,
            purpose=SHARING_REVIEW,
            created_by=by,
        )

    @operator_command("case.export_for")
    async def export_case_for(
        self, scope: EntryScope, code: str, recipient: str
    ) -> dict[str, Any]:
        """`relais case export CODE --for AGENCY`: what the sharing record allows that agency,
        and what was left out (counts, never the text)."""
        tx = scope.tx
        case = await operator_case(scope, code)
        rules = self._rules()
        record = await read_sharing(tx, case.id)
        allowance = record.for_recipient(recipient) if record else None
        if record is None or allowance is None:
            named = ", ".join(a.recipient for a in record.allowed) if record else ""
            raise InvalidInput(
                f"the sharing record of {case.code} allows nothing to {recipient.strip()}: "
                "nothing exported"
                + (f" (it names: {named})" if named else " (the case has no sharing record)")
            )
        allowed = set(allowance.categories)
        notes = await tx.notes.all_for_case(case_id=case.id)
        tags_of = {n.id: n.tags for n in notes}
        kept: list[dict[str, Any]] = []
        left: dict[str, int] = {}
        for note in notes:
            # an amendment shares the tags of the note it amends
            tags = tags_of.get(note.amends_id, ()) if note.amends_id else note.tags
            if exportable(tags, allowed, rules):
                kept.append(
                    {
                        "created_at": note.created_at.isoformat(),
                        "tags": list(tags),
                        "categories": sorted(rules.categories_of(tags)),
                        "body": note.body,
                        "amends": note.amends_id,
                        "id": note.id,
                    }
                )
                continue
            reasons = sorted(rules.categories_of(tags) - allowed) or ["untagged"]
            for reason in reasons:
                left[reason] = left.get(reason, 0) + 1
        out: dict[str, Any] = {
            "case": {"code": case.code, "status": case.status},
            "for": allowance.recipient,
            "allowed_categories": list(allowance.categories),
            "sharing_record": {
                "signed_on": record.signed_on.isoformat() if record.signed_on else None,
                "review_on": record.review_on.isoformat() if record.review_on else None,
                "review_due": self._view(case.code, record, tx).review_due,
                "person_informed": record.person_informed,
            },
            "notes": kept,
        }
        if "practical" in allowed:
            view = await read_handover(tx, case, handover_plan(self.config.content_path))
            out["handover"] = view.to_dict()
        withheld = sorted(set(rules.ids) - allowed)
        out["left_out"] = {
            "categories": withheld,
            "notes": len(notes) - len(kept),
            "notes_by_reason": left,
            "sections": [
                "members and owner",
                "check-ins",
                "audit trail",
                "exit report",  # its answers fall in no category: never exported
                *([] if "practical" in allowed else ["handover checklist"]),
            ],
            "rule": "a note is exported only when every category its tags fall in is allowed",
        }
        out["exported_at"] = tx.now.isoformat()
        scope.detail = {"notes": len(kept), "left_out": len(notes) - len(kept)}
        scope.detail["categories"] = list(allowance.categories)
        return out


def _audited(change: SharingChange) -> dict[str, Any]:
    """What the audit entry says of a change: which fields, never the names it holds."""
    return {
        "allow": len(change.allow),
        "remove": len(change.remove),
        "replace": change.replace,
        "signed": change.signed_on is not None or change.signed_by is not None,
        "review_on": change.review_on.isoformat() if change.review_on else None,
        "person_informed": change.person_informed,
        "categories": sorted({c for a in change.allow for c in a.categories}),
    }
