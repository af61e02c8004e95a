"""Who to call: contact roles resolved against the directory and the on-call rota."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.policy import Action, Relation, device_may, is_allowed
from bot.usecases.base import ActorScope, UseCases, requires_role
from storage.records import Practitioner
from storage.tx import Tx

__all__ = ["CASE_OWNER_ROLE", "ContactEntry", "ContactUseCases", "resolve_roles"]

CASE_OWNER_ROLE = "case_owner"


@dataclass(frozen=True, slots=True)
class ContactEntry:
    """One person or service to call for a role; on-call entries come first."""

    role: str
    name: str
    phone: str | None
    hours: str | None
    notes: str | None
    on_call: bool
    practitioner_id: str | None
    contact_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "name": self.name,
            "phone": self.phone,
            "hours": self.hours,
            "notes": self.notes,
            "on_call": self.on_call,
            "practitioner_id": self.practitioner_id,
        }


class ContactUseCases(UseCases):
    @requires_role(Action.VIEW_CONTACTS)
    async def contacts_for(
        self, scope: ActorScope, roles: Sequence[str], case_code: str | None = None
    ) -> list[ContactEntry]:
        """Resolve contact roles, in the order asked: who is on call now, then the directory.

        `case_owner` resolves to the owner of `case_code` when the actor may see that case
        (Action.CASE_CONTACTS); otherwise it is left out. A crisis never fails because of it.
        """
        tx, actor = scope.tx, scope.actor
        wanted = list(dict.fromkeys(roles))
        owner = None
        if case_code and CASE_OWNER_ROLE in wanted:
            owner = await self._case_owner(scope, case_code)
        entries = await resolve_roles(tx, actor.team_id, wanted, owner)
        scope.detail = {"roles": len(wanted), "entries": len(entries)}
        return entries

    async def _case_owner(self, scope: ActorScope, case_code: str) -> Practitioner | None:
        tx, actor = scope.tx, scope.actor
        found = await tx.cases.with_relation(
            code=case_code.strip().upper(), practitioner_id=actor.practitioner_id
        )
        if found is None or found[0].team_id != actor.team_id:
            return None
        case, relation = found
        if not is_allowed(actor.roles, Action.CASE_CONTACTS, Relation(relation)):
            return None
        if not device_may(actor.device_trust, Action.CASE_CONTACTS):
            return None  # who owns the case is case data: not to an untrusted device
        scope.case_id, scope.case_code = case.id, case.code
        owner = await tx.people.get(practitioner_id=case.owner_id)
        return None if owner is None or owner.revoked else owner


async def resolve_roles(
    tx: Tx, team_id: str, roles: Sequence[str], owner: Practitioner | None
) -> list[ContactEntry]:
    """Contact roles in the order asked, each: who is on call now, then the directory of the
    team; `case_owner` is `owner` (left out when None)."""
    wanted = list(dict.fromkeys(roles))
    directory = await tx.contacts.for_team(team_id=team_id, roles=wanted)
    slots = await tx.contacts.on_call(team_id=team_id, roles=wanted, at=tx.now)
    on_call_ids = {s.contact_id for s in slots}
    by_id = {c.id: c for c in directory}
    entries: list[ContactEntry] = []
    for role in wanted:
        if role == CASE_OWNER_ROLE:
            if owner is not None:
                entries.append(await _owner_entry(tx, owner, team_id))
            continue
        seen: set[str] = set()
        for slot in (s for s in slots if s.role == role):
            contact = by_id.get(slot.contact_id)
            if contact is not None and contact.id not in seen:
                seen.add(contact.id)
                entries.append(_entry(role, contact, on_call=True))
        for contact in (c for c in directory if c.role == role):
            if contact.id not in seen and contact.id not in on_call_ids:
                seen.add(contact.id)
                entries.append(_entry(role, contact, on_call=False))
    return entries


async def _owner_entry(tx: Tx, owner: Practitioner, team_id: str) -> ContactEntry:
    phone = hours = None
    for contact in await tx.contacts.for_team(team_id=team_id):
        if contact.practitioner_id == owner.id:
            phone, hours = contact.phone, contact.hours
            break
    return ContactEntry(
        role=CASE_OWNER_ROLE,
        name=owner.name,
        phone=phone,
        hours=hours,
        notes=None,
        on_call=False,
        practitioner_id=owner.id,
        contact_id=None,
    )


def _entry(role: str, contact: Any, *, on_call: bool) -> ContactEntry:
    return ContactEntry(
        role=role,
        name=contact.name,
        phone=contact.phone,
        hours=contact.hours,
        notes=contact.notes,
        on_call=on_call,
        practitioner_id=contact.practitioner_id,
        contact_id=contact.id,
    )
