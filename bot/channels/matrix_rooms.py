"""Which rooms the bot is in: invites it accepts, and the encrypted DM of each practitioner.

- `read_invite` (pure): an invite is accepted when it is direct (`is_direct`, as clients set it
  for a DM) or the room has at most two members (the inviter and the bot); anything else is
  rejected. Enrolment (who may talk to the bot) is decided by the chat layer, not here.
- `Memberships`: after each sync, joins the invites `read_invite` accepts (messages count from
  the invite on) and leaves the rooms it rejects or that grew beyond two members.
- `DirectRooms.room_for(user_id)`: the DM the practitioner already uses with the bot (learned
  from their messages, or created earlier), else a new encrypted DM inviting them. It checks
  that the user exists; a DM only counts while it has no third member.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from nio import AsyncClient, ErrorResponse, InviteMemberEvent, JoinResponse, RoomCreateResponse
from nio.api import RoomPreset

from bot.channels.base import SendResult
from bot.channels.matrix_state import MatrixState
from bot.logsafe import pseudonym

__all__ = ["DirectRooms", "Invite", "Memberships", "read_invite"]

logger = logging.getLogger(__name__)

ENCRYPTION_STATE = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


@dataclass(frozen=True, slots=True)
class Invite:
    accept: bool
    invite_ts: int  # origin_server_ts of the invite (ms); 0 if the server did not say
    members: int  # joined + invited members the invite shows, the bot included


def read_invite(own_user_id: str, invite_state: list[Any]) -> Invite | None:
    """What to do with an invite, from its stripped state; None if it is not for us."""
    is_direct = False
    invite_ts = 0
    members: set[str] = set()
    for event in invite_state:
        if not isinstance(event, InviteMemberEvent):
            continue
        if event.membership in ("join", "invite"):
            members.add(event.state_key)
        if event.state_key == own_user_id and event.membership == "invite":
            is_direct = bool(event.content.get("is_direct"))
            invite_ts = int(event.source.get("origin_server_ts") or 0)
    if own_user_id not in members:
        return None
    return Invite(accept=is_direct or len(members) <= 2, invite_ts=invite_ts, members=len(members))


class Memberships:
    def __init__(self, client: AsyncClient, state: MatrixState, own_user_id: str) -> None:
        self.client = client
        self.state = state
        self.own_user_id = own_user_id
        self._invites: dict[str, int] = {}  # room id -> invite timestamp (ms), to join
        self._leaving: set[str] = set()

    def on_invite(self, room_id: str, invite_state: list[Any]) -> None:
        invite = read_invite(self.own_user_id, invite_state)
        if invite is None:
            return  # not (or no longer) an invite for us
        if invite.accept:
            self._invites[room_id] = invite.invite_ts or int(time.time() * 1000) - 60_000
        else:
            logger.info("matrix: rejecting invite to %s (%d members)", room_id, invite.members)
            self._leaving.add(room_id)

    def on_left(self, room_id: str) -> None:
        self.state.forget_room(room_id)
        self._invites.pop(room_id, None)

    def check_size(self, room_id: str) -> None:
        room = self.client.rooms.get(room_id)
        if room is not None and room.member_count > 2 and room_id not in self._leaving:
            logger.info("matrix: leaving %s (%d members)", room_id, room.member_count)
            self._leaving.add(room_id)
            self.state.forget_room(room_id)

    async def apply(self) -> None:
        """Leave and join what the last syncs asked for (failures are retried next time)."""
        for room_id in list(self._leaving):
            response = await self.client.room_leave(room_id)
            if not isinstance(response, ErrorResponse) or response.status_code == "M_FORBIDDEN":
                self._leaving.discard(room_id)
                self.state.forget_room(room_id)
        for room_id, invite_ts in list(self._invites.items()):
            self.state.set_room_since(room_id, invite_ts, replace=True)
            joined = await self.client.join(room_id)
            if isinstance(joined, JoinResponse):
                logger.info("matrix: joined %s", room_id)
                del self._invites[room_id]
            elif joined.status_code in ("M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN"):
                logger.info("matrix: invite to %s gone (%s)", room_id, joined.status_code)
                del self._invites[room_id]


class DirectRooms:
    def __init__(self, client: AsyncClient, state: MatrixState, sync_wait: float = 30.0) -> None:
        self.client = client
        self.state = state
        self.sync_wait = sync_wait

    def usable(self, room_id: str, user_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return room is not None and user_id in room.users and room.member_count <= 2

    async def room_for(self, user_id: str) -> str | SendResult:
        """The DM's room id, or the SendResult to report (unreachable / failed)."""
        room_id = self.state.direct_room(user_id)
        if room_id is not None:
            if self.usable(room_id, user_id):
                return room_id
            self.state.forget_room(room_id)
        profile = await self.client.get_profile(user_id)
        if isinstance(profile, ErrorResponse) and profile.status_code == "M_NOT_FOUND":
            logger.warning("matrix: no such user %s", pseudonym(user_id))
            return SendResult("unreachable", detail="no such user")
        response = await self.client.room_create(
            is_direct=True,
            invite=[user_id],
            preset=RoomPreset.trusted_private_chat,
            initial_state=[ENCRYPTION_STATE],
        )
        if not isinstance(response, RoomCreateResponse):
            logger.warning(
                "matrix: cannot open a DM with %s: %s", pseudonym(user_id), response.status_code
            )
            if response.status_code in ("M_FORBIDDEN", "M_NOT_FOUND", "M_INVALID_PARAM"):
                return SendResult("unreachable", detail=str(response.status_code))
            return SendResult("failed", detail=str(response.status_code))
        room_id = str(response.room_id)
        self.state.set_room_since(room_id, int(time.time() * 1000))
        self.state.set_direct_room(user_id, room_id)
        # room_send needs the room (and its encryption state) from a sync
        deadline = time.monotonic() + self.sync_wait
        while time.monotonic() < deadline:
            room = self.client.rooms.get(room_id)
            if room is not None and room.encrypted and user_id in room.users:
                return room_id
            await asyncio.sleep(0.05)
        logger.warning("matrix: new DM %s not seen in sync yet", room_id)
        return SendResult("failed", detail="new room not synced")
