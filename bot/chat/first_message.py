"""The first message Relais sends a practitioner once enrolled, on every channel: who they are
enrolled as, and plainly what Relais is (an automated assistant, not a clinician, showing
guidance the team's psychologists wrote) and how to reach a human in an emergency: /sos at any
time, and the emergency contacts of their team listed right there (EU AI Act, Art. 50: people
are told they are talking to a machine)."""

from __future__ import annotations

import logging

from bot.chat.catalog import Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.ports import ChatBackend
from bot.messages import Reply
from bot.usecases.actors import Actor

__all__ = ["FIRST_CONTACT_ROLES", "first_message"]

logger = logging.getLogger(__name__)

#: the humans the first message lists: the emergency services and the psychologist on call
FIRST_CONTACT_ROLES = ("emergency", "on_call_psychologist")


async def first_message(
    backend: ChatBackend, catalog: Catalog, dialogs: DialogRegistry, actor: Actor, lang: str
) -> Reply:
    """Welcome + what Relais is + how to reach a human (with the team's contacts, if any)."""
    roles = ", ".join(catalog.label(lang, "roles", r) for r in sorted(actor.roles))
    lines = [
        catalog.text(lang, "welcome", name=actor.name, roles=roles),
        catalog.text(lang, "welcome_disclosure"),
        catalog.text(lang, "welcome_emergency"),
    ]
    try:
        contacts = await backend.contacts_for(actor, list(FIRST_CONTACT_ROLES), None)
    except Exception:  # the welcome stands without the list: /sos shows it
        logger.exception("first message to %s: no contacts listed", actor.practitioner_id)
        contacts = []
    for contact in contacts:
        hours = catalog.text(lang, "contact_hours", hours=contact.hours) if contact.hours else ""
        lines.append(
            catalog.text(
                lang,
                "contact_line",
                role=dialogs.role_label(contact.role, lang),
                name=contact.name,
                phone=contact.phone or "",
                hours=hours,
            )
        )
    if not contacts:  # the one fallback with a number: the local emergency number (112)
        role = dialogs.role_label(FIRST_CONTACT_ROLES[0], lang)
        lines.append(catalog.text(lang, "contact_missing", role=role))
    lines.append(catalog.text(lang, "welcome_commands"))
    return Reply("\n".join(lines))
