"""The use cases the chat layer and the command line call (composed into `bot.app.Relais`)."""

from bot.usecases.base import (
    Actor,
    ActorScope,
    CaseScope,
    EntryScope,
    UseCases,
    channel_entry,
    operator_command,
    permission_of,
    requires,
    requires_role,
)

__all__ = [
    "Actor",
    "ActorScope",
    "CaseScope",
    "EntryScope",
    "UseCases",
    "channel_entry",
    "operator_command",
    "permission_of",
    "requires",
    "requires_role",
]
