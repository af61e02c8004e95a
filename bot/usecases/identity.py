"""Who is talking: identify a chat identity, redeem an invite, profile settings."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import InvalidInput
from bot.messages import SenderIdentity
from bot.policy import Action
from bot.usecases.base import (
    Actor,
    ActorScope,
    CommitThenRaise,
    EntryScope,
    UseCases,
    actor_of,
    channel_entry,
    requires_role,
)

__all__ = [
    "INVITE_ATTEMPTS",
    "INVITE_WINDOW",
    "LANGUAGES",
    "IdentityUseCases",
    "hash_invite_code",
]

log = logging.getLogger(__name__)

LANGUAGES = ("en", "fr")
#: failed redemptions allowed per chat identity within the window
INVITE_ATTEMPTS = 5
INVITE_WINDOW = timedelta(hours=1)
_CODE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def hash_invite_code(code: str) -> str:
    """Invite codes are random (>= 128 bits): a plain SHA-256 is enough to store them."""
    return hashlib.sha256(code.strip().encode("utf-8")).hexdigest()


class IdentityUseCases(UseCases):
    @channel_entry("identity.identify")
    async def identify(self, scope: EntryScope, channel: str, user_id: str) -> Actor | None:
        """The enrolled practitioner behind a chat identity, or None (unknown or revoked)."""
        row = await scope.tx.access.actor_for_identity(channel=channel, user_id=str(user_id))
        return None if row is None else actor_of(row)

    @channel_entry("invite.redeem")
    async def redeem_invite(
        self,
        scope: EntryScope,
        channel: str,
        user_id: str,
        code: str,
        sender: SenderIdentity | None = None,
    ) -> Actor:
        """Bind this chat identity to the practitioner the invite was made for, and pin the
        master key of `sender` (Matrix cross-signing) if it has one: trust on first use, bound
        to the code; a device or key it does not vouch for later gets no case data.

        Raises InvalidInput on an unknown, used or expired code, and once a chat identity has
        failed INVITE_ATTEMPTS times within INVITE_WINDOW (even with a good code).
        """
        tx, user_id = scope.tx, str(user_id)
        failures = await tx.people.failed_attempts(
            channel=channel, user_id=user_id, since=tx.now - INVITE_WINDOW
        )
        if failures >= INVITE_ATTEMPTS:
            log.warning("invite redemption rate-limited on %s", channel)
            raise InvalidInput("too many invite attempts: wait an hour, then try again").saying(
                "invite_attempts"
            )
        invite = None
        if _CODE.match(code.strip()):
            invite = await tx.people.invite_by_hash(code_hash=hash_invite_code(code))
        usable = (
            invite is not None
            and invite.used_at is None
            and invite.expires_at > tx.now
            and await tx.people.use_invite(invite_id=invite.id, now=tx.now, channel=channel)
        )
        if not usable or invite is None:
            await tx.people.record_failed_attempt(channel=channel, user_id=user_id, now=tx.now)
            scope.audit = True
            scope.detail = {"channel": channel}
            raise CommitThenRaise(
                InvalidInput(
                    "this invite code is not valid (unknown, already used or expired): "
                    "ask your coordinator for a new one"
                ).saying("invite_code")
            )
        pid = invite.practitioner_id
        if invite.role is not None:  # the role is granted now, by the person redeeming
            await tx.people.add_roles(practitioner_id=pid, roles=[invite.role])
        await tx.people.set_revoked(practitioner_id=pid, at=None)
        await tx.people.bind(practitioner_id=pid, channel=channel, user_id=user_id, now=tx.now)
        scope.audit = True
        scope.detail = {"actor_id": pid, "channel": channel, "invite_id": invite.id}
        if sender is not None and sender.master_key is not None:
            await tx.pins.pin(channel=channel, user_id=user_id, master_key=sender.master_key)
            scope.detail["pinned"] = True
        log.info("practitioner %s enrolled on %s", pid, channel)
        row = await tx.access.actor(practitioner_id=pid)
        assert row is not None
        return actor_of(row)

    @channel_entry("identity.unreachable")
    async def mark_unreachable(self, scope: EntryScope, channel: str, user_id: str) -> None:
        """The channel cannot reach this identity (e.g. the user blocked the bot); the next
        message it sends makes it reachable again (`begin_turn`)."""
        pid = await scope.tx.people.set_identity_unreachable(
            channel=channel, user_id=str(user_id), unreachable=True
        )
        scope.audit = pid is not None
        scope.detail = {"actor_id": pid, "channel": channel}

    @requires_role(Action.UPDATE_PROFILE)
    async def set_language(self, scope: ActorScope, lang: str) -> Actor:
        if lang not in LANGUAGES:
            raise InvalidInput(f"expected one of {', '.join(LANGUAGES)}, found {lang!r}").saying(
                "language", found=lang, languages=", ".join(LANGUAGES)
            )
        await scope.tx.people.update_profile(
            practitioner_id=scope.actor.practitioner_id, language=lang
        )
        scope.detail = {"field": "language"}
        return replace(scope.actor, language=lang)

    @requires_role(Action.UPDATE_PROFILE)
    async def set_time_zone(self, scope: ActorScope, time_zone: str) -> Actor:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(
                f"expected an IANA time zone such as Europe/Paris, found {time_zone!r}"
            ).saying("time_zone", found=time_zone) from exc
        await scope.tx.people.update_profile(
            practitioner_id=scope.actor.practitioner_id, time_zone=time_zone
        )
        scope.detail = {"field": "time_zone"}
        return replace(scope.actor, time_zone=time_zone)

    @requires_role(Action.UPDATE_PROFILE)
    async def set_quiet_hours(self, scope: ActorScope, start: str | None, end: str | None) -> None:
        """Quiet hours in local time ("22:00", "07:00"); None, None = no quiet hours."""
        if (start is None) != (end is None):
            raise InvalidInput(
                "give both the start and the end of quiet hours, or neither"
            ).saying("quiet_both")
        for value in (start, end):
            if value is not None and not _HHMM.match(value):
                raise InvalidInput(f"expected a time such as 22:00, found {value!r}").saying(
                    "time", found=value
                )
        await scope.tx.people.update_profile(
            practitioner_id=scope.actor.practitioner_id, quiet_start=start, quiet_end=end
        )
        scope.detail = {"field": "quiet_hours"}
