"""Data protection and the directory: export, erase, retention, contacts import, audit trail."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import select

from bot.config import parse_duration
from bot.errors import ConfigError, InvalidInput, NotFound
from bot.review.decisions import decision_views
from bot.usecases.admin import find_case, one_practitioner, resolve_team
from bot.usecases.base import EntryScope, UseCases, operator_command
from bot.usecases.notes import NOTE_TAGS
from storage.audit import AuditEntry, AuditReport
from storage.audit_anchor import (
    Anchor,
    check_anchor_file,
    check_anchors,
    check_population,
    parse_head,
    read_anchors,
)
from storage.models import CheckinScheduleRow
from storage.records import Contact, OnCallSlot
from storage.repos.notes import decode_tags
from storage.upsert import lock_key

__all__ = [
    "DataProtectionUseCases",
    "ErasureResult",
    "ImportResult",
    "RetentionResult",
    "known_contact_roles",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ErasureResult:
    case_code: str
    notes_erased: int


@dataclass(frozen=True, slots=True)
class ImportResult:
    team: str
    contacts: int
    rota_slots: int


@dataclass(frozen=True, slots=True)
class RetentionResult:
    notes_deleted: int
    cases: int

    def to_dict(self) -> dict[str, int]:
        return {"notes_deleted": self.notes_deleted, "cases": self.cases}


def known_contact_roles(content_dir: Any) -> set[str] | None:
    """The roles declared in content/contact_roles.yaml (None when the file is missing)."""
    path = content_dir / "contact_roles.yaml"
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    roles = data.get("roles", data) if isinstance(data, dict) else {}
    return set(roles) if isinstance(roles, dict) else None


def _retention_periods(
    tags: Mapping[str, str], default: str
) -> tuple[timedelta | None, dict[str, timedelta | None]]:
    def period(value: str, path: str) -> timedelta | None:
        if not value or value.strip().lower() == "keep":
            return None
        return parse_duration(value, path)

    per_tag = {}
    for tag, value in tags.items():
        if tag not in NOTE_TAGS:
            raise ConfigError(
                f"unknown note tag: expected one of {', '.join(NOTE_TAGS)}",
                f"retention.tags.{tag}",
            )
        per_tag[tag] = period(value, f"retention.tags.{tag}")
    return period(default, "retention.notes"), per_tag


def _text(entry: Mapping[str, Any], key: str, where: str, required: bool = False) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise InvalidInput(f"{where}: missing {key!r}")
        return None
    if not isinstance(value, str | int):
        raise InvalidInput(f"{where}.{key}: expected a string")
    return str(value)


class DataProtectionUseCases(UseCases):
    @operator_command("case.export")
    async def export_case(self, scope: EntryScope, code: str) -> dict[str, Any]:
        """Everything held on a case (for an access request), decrypted."""
        tx = scope.tx
        case = await find_case(tx, code)
        members = await tx.cases.members(case_id=case.id)
        names = await tx.people.names(ids=[case.owner_id, *(m.practitioner_id for m in members)])
        notes = await tx.notes.all_for_case(case_id=case.id)
        trail = await self.db.audit_log.for_case(tx.conn, case_code=case.code)
        schedules = (
            await tx.conn.execute(
                select(CheckinScheduleRow).where(CheckinScheduleRow.case_id == case.id)
            )
        ).all()
        scope.case_id, scope.case_code = case.id, case.code
        scope.detail = {"notes": len(notes)}
        return {
            "case": {
                "code": case.code,
                "status": case.status,
                "created_at": case.created_at.isoformat(),
                "closed_at": case.closed_at.isoformat() if case.closed_at else None,
                "owner": names.get(case.owner_id, ""),
            },
            "members": [
                {
                    "name": names.get(m.practitioner_id, ""),
                    "role": m.role,
                    "added_at": m.added_at.isoformat(),
                }
                for m in members
            ],
            "notes": [n.to_dict() for n in notes],
            "decisions": [d.to_dict() for d in await decision_views(tx, case.id)],  # reviews
            "checkin_schedules": [
                {
                    "kind": r.kind,
                    "status": r.status,
                    "weekday": r.weekday,
                    "day_of_month": r.day_of_month,
                    "every_days": r.every_days,
                    "at_time": r.at_time,
                    "time_zone": r.time_zone,
                    "next_due_at": r.next_due_at.isoformat() if r.next_due_at else None,
                    "reminded": names.get(r.reminded_id, r.reminded_id),
                    "after_close": bool(r.after_close),
                }
                for r in schedules
            ],
            "exit_report": [  # the structured exit (bot.exit): one answer per element
                {
                    "element": a.element,
                    "text": a.text,
                    "author": a.author_name,
                    "revision": a.revision,
                    "updated_at": a.updated_at.isoformat(),
                }
                for a in await tx.exit_answers.for_case(case_id=case.id)
            ],
            "audit": [e.to_dict() for e in trail],
            "exported_at": tx.now.isoformat(),
        }

    @operator_command("case.erase")
    async def erase_case(self, scope: EntryScope, code: str) -> ErasureResult:
        """Delete a case and everything on it; the audit log keeps that it happened."""
        tx = scope.tx
        case = await find_case(tx, code)
        notes = await tx.notes.all_for_case(case_id=case.id)
        await tx.notes.delete_many(note_ids=[n.id for n in notes])
        await tx.cases.delete(case_id=case.id)
        scope.case_id, scope.case_code = case.id, case.code
        scope.detail = {"notes": len(notes)}
        log.info("case %s erased (%d notes)", case.id, len(notes))
        return ErasureResult(case.code, len(notes))

    @operator_command("retention.apply")
    async def apply_retention(self, scope: EntryScope) -> RetentionResult:
        """Delete notes older than their retention period (per tag if configured).

        A note with several tags is kept as long as the longest period among them; a tag
        without an override uses `retention.notes`; an empty period means keep. Idempotent.
        """
        tx = scope.tx
        default, per_tag = _retention_periods(
            self.config.retention.tags, self.config.retention.notes
        )
        periods = [p for p in [default, *per_tag.values()] if p is not None]
        if not periods:
            scope.detail = {"deleted": 0}
            return RetentionResult(0, 0)
        candidates = await tx.notes.older_than(before=tx.now - min(periods))
        doomed: dict[str, list[str]] = {}
        for note_id, case_id, created_at, tags_text in candidates:
            tags = decode_tags(tags_text) or ("",)
            applicable = [per_tag.get(t, default) if t in per_tag else default for t in tags]
            if any(p is None for p in applicable):
                continue
            longest = max(p for p in applicable if p is not None)
            if created_at < tx.now - longest:
                doomed.setdefault(case_id, []).append(note_id)
        deleted = 0
        for case_id, ids in doomed.items():
            count = await tx.notes.delete_many(note_ids=ids)
            deleted += count
            case = await tx.cases.by_id(case_id=case_id)
            await tx.audit(
                actor_kind="operator",
                actor_id=None,
                action="retention.delete",
                case_id=case_id,
                case_code=case.code if case else None,
                detail={"notes": count},
            )
        scope.detail = {"deleted": deleted, "cases": len(doomed)}
        return RetentionResult(deleted, len(doomed))

    @operator_command("contacts.import")
    async def import_contacts(
        self, scope: EntryScope, data: Mapping[str, Any], *, team: str | None = None
    ) -> ImportResult:
        """Replace a team's contacts directory and on-call rota (see contacts.example.toml)."""
        tx = scope.tx
        the_team = await resolve_team(tx, team or _text(data, "team", "file"), create=True)
        declared = known_contact_roles(self.config.content_path)
        contacts = data.get("contact", [])
        rota = data.get("oncall", [])
        if not isinstance(contacts, list) or not isinstance(rota, list):
            raise InvalidInput("expected [[contact]] and [[oncall]] tables")
        # two imports at once replace one after the other (not both sets kept beside each other)
        await lock_key(tx.conn, f"contacts:{the_team.id}")
        await tx.contacts.clear_team(team_id=the_team.id)
        ids: dict[str, tuple[str, str]] = {}
        for index, entry in enumerate(contacts):
            where = f"contact[{index}]"
            if not isinstance(entry, dict):
                raise InvalidInput(f"{where}: expected a table")
            unknown = set(entry) - {
                "key",
                "role",
                "name",
                "phone",
                "hours",
                "notes",
                "priority",
                "practitioner",
            }
            if unknown:
                raise InvalidInput(f"{where}: unknown key {sorted(unknown)[0]!r}")
            role = _text(entry, "role", where, required=True) or ""
            if declared is not None and role not in declared:
                raise InvalidInput(f"{where}.role: {role!r} is not in contact_roles.yaml")
            key = _text(entry, "key", where) or f"{role}-{index}"
            if key in ids:
                raise InvalidInput(f"{where}.key: duplicate key {key!r}")
            practitioner = _text(entry, "practitioner", where)
            pid = (await one_practitioner(tx, practitioner)).id if practitioner else None
            priority = entry.get("priority", index)
            if not isinstance(priority, int):
                raise InvalidInput(f"{where}.priority: expected an integer")
            contact_id = await tx.contacts.add(
                team_id=the_team.id,
                role=role,
                key=key,
                name=_text(entry, "name", where, required=True) or "",
                phone=_text(entry, "phone", where),
                hours=_text(entry, "hours", where),
                notes=_text(entry, "notes", where),
                practitioner_id=pid,
                priority=priority,
                now=tx.now,
            )
            ids[key] = (contact_id, role)
        for index, slot in enumerate(rota):
            where = f"oncall[{index}]"
            if not isinstance(slot, dict):
                raise InvalidInput(f"{where}: expected a table")
            key = _text(slot, "contact", where, required=True) or ""
            if key not in ids:
                raise InvalidInput(f"{where}.contact: no contact with key {key!r}")
            starts, ends = slot.get("from"), slot.get("to")
            if not isinstance(starts, datetime) or not isinstance(ends, datetime):
                raise InvalidInput(f"{where}: 'from' and 'to' must be TOML date-times")
            if starts.tzinfo is None or ends.tzinfo is None:
                raise InvalidInput(f"{where}: give 'from' and 'to' with an offset (+01:00)")
            if ends <= starts:
                raise InvalidInput(f"{where}: 'to' must be after 'from'")
            contact_id, contact_role = ids[key]
            role = _text(slot, "role", where) or contact_role
            position = slot.get("position", 0)
            if not isinstance(position, int):
                raise InvalidInput(f"{where}.position: expected an integer")
            await tx.contacts.add_slot(
                team_id=the_team.id,
                role=role,
                contact_id=contact_id,
                starts_at=starts,
                ends_at=ends,
                position=position,
            )
        scope.detail = {"team_id": the_team.id, "contacts": len(ids), "slots": len(rota)}
        return ImportResult(the_team.name, len(ids), len(rota))

    @operator_command("contacts.list")
    async def directory(
        self, scope: EntryScope, *, team: str | None = None
    ) -> tuple[list[Contact], list[OnCallSlot]]:
        """A team's contacts directory and on-call rota (decrypted)."""
        the_team = await resolve_team(scope.tx, team)
        scope.detail = {"team_id": the_team.id}
        contacts = await scope.tx.contacts.for_team(team_id=the_team.id)
        return contacts, await scope.tx.contacts.rota(team_id=the_team.id)

    @operator_command("audit.export")
    async def audit_export(self, scope: EntryScope, case_code: str) -> list[AuditEntry]:
        """The audit trail of one case (documented decision-making)."""
        code = case_code.strip().upper()
        entries = await self.db.audit_log.for_case(scope.tx.conn, case_code=code)
        scope.case_code = code
        scope.detail = {"entries": len(entries)}
        return entries

    @operator_command("audit.verify")
    async def audit_verify(self, scope: EntryScope, expect_head: str = "") -> AuditReport:
        """Walk the HMAC chain; the report names modified, inserted and deleted entries, and
        checks the log against the anchors kept outside the database (`[audit] anchor_file`,
        `expect_head` "SEQ:HASH") and against what the database holds (a wiped log)."""
        scope.audit = False
        anchors: list[Anchor] = []
        if expect_head:
            try:
                anchors.append(parse_head(expect_head))
            except ValueError as exc:
                raise InvalidInput(str(exc)) from None
        if self.config.audit.anchor_file:
            anchors.extend(read_anchors(self.config.audit.anchor_file))
        conn = scope.tx.conn
        report = await self.db.audit_log.verify(conn)
        audit = self.config.audit
        extra = [
            *check_anchor_file(
                audit.anchor_file, anchors, entries=report.entries, every=audit.anchor_every
            ),
            *await check_anchors(conn, report.head_seq, anchors),
            *await check_population(conn, report.entries),
        ]
        if not extra:
            return report
        return dataclasses.replace(report, problems=(*report.problems, *extra))

    @operator_command("audit.head")
    async def audit_head(self, scope: EntryScope) -> tuple[int, str]:
        """The chain's head (seq, hash) as "SEQ:HASH" is printed, to be kept elsewhere."""
        scope.audit = False
        head = await self.db.audit_log.head(scope.tx.conn)
        if head is None:
            raise NotFound(
                "the audit head row is missing (table audit_head): run `relais audit verify`"
            )
        return head
