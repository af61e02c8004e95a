"""What every part of the chat layer shares: the turn being handled and the services at hand."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import dialogs as dl
from bot.chat.catalog import Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.ports import ChatBackend, CheckinsPort, PublishingPort
from bot.chat.publishing_flow import PublishingFlow
from bot.chat.session import ChatSession
from bot.chat.usage import UsageRecorder
from bot.clock import Clock
from bot.config import Config
from bot.errors import RelaisError
from bot.messages import Incoming, Reply
from bot.policy import Action, DeviceTrust, channel_may, device_may
from bot.usecases.actors import Actor

__all__ = ["ChatCore", "Turn"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Turn:
    """Everything about the message being handled."""

    incoming: Incoming
    actor: Actor
    lang: str
    session: ChatSession
    #: the id of the stored conversation this turn started from (None: a fresh one)
    stored_id: str | None = None
    #: the engine state last read or written this turn, with the dict it came from (read
    #: once a turn, not again by each part that asks: `engine_state`)
    parsed: tuple[dict[str, Any], dl.SessionState] | None = None

    def engine_state(self) -> dl.SessionState | None:
        """The conversation's engine state (None: no dialog, or unreadable: dropped)."""
        data = self.session.engine
        if data is None:
            return None
        if self.parsed is not None and self.parsed[0] is data:
            return self.parsed[1]
        try:
            state = dl.SessionState.from_dict(data)
        except (dl.StateFormatError, ValueError, KeyError, TypeError):
            logger.warning("discarding an unreadable dialog state (format changed)")
            self.session.engine = None
            return None
        self.parsed = (data, state)
        return state

    def parsed_state(self, data: dict[str, Any] | None) -> dl.SessionState | None:
        """`data` parsed, if it is the dict this turn has read already (else None)."""
        if data is not None and self.parsed is not None and self.parsed[0] is data:
            return self.parsed[1]
        return None

    @property
    def had_session(self) -> bool:
        return self.stored_id is not None


class ChatCore:
    """The services, the catalog and the small helpers every chat flow uses (each flow holds
    one: `ChatService` composes `NotesFlow` and `DialogFlow` over the same core)."""

    def __init__(
        self,
        backend: ChatBackend,
        dialogs: DialogRegistry,
        catalog: Catalog,
        clock: Clock,
        config: Config,
        checkins: CheckinsPort | None = None,
        publishing: PublishingPort | None = None,
    ) -> None:
        self.backend = backend
        self.dialogs = dialogs
        self.catalog = catalog
        self.clock = clock
        self.config = config
        self.checkins = checkins
        #: publishing's commands, buttons and documents, shown (over its use cases)
        self.publishing = (
            PublishingFlow(publishing, config.publishing.reviewers_required)
            if publishing is not None
            else None
        )
        #: usage figures, counted off the reply path (bot.chat.usage)
        self.usage = UsageRecorder(backend, clock)

    def text(self, turn: Turn, key: str, **values: Any) -> Reply:
        return Reply(self.catalog.text(turn.lang, key, **values))

    def said(self, lang: str, error: RelaisError) -> str | None:
        """What `error` says to a practitioner in `lang` (`RelaisError.saying`, the catalogs'
        `[errors]`), or None when it says nothing of its own."""
        if error.said is None:
            return None
        key, values = error.said
        return self.catalog.text(lang, f"errors.{key}", **values)

    def refusal(
        self, turn: Turn, error: RelaisError, key: str, field: str | None = "reason"
    ) -> Reply:
        """A refused request in the reader's language: what the error says to a practitioner
        (`said`), else the catalog's `key`, with the error's message as `field` if named."""
        told = self.said(turn.lang, error)
        if told is not None:
            return Reply(told)
        return self.text(turn, key, **({field: str(error)} if field else {}))

    def expired(self, turn: Turn) -> list[Reply]:
        prompt = self.current_prompt(turn)
        if prompt:
            return [self.text(turn, "menu_expired"), *prompt]
        return [self.text(turn, "menu_expired_none")]

    def current_prompt(self, turn: Turn) -> list[Reply]:
        session = turn.session
        if session.pending and session.pending[0].step in ("case", "tag"):
            return []
        return [session.prompt.reply()] if session.prompt else []

    def notes_allowed(self, turn: Turn) -> bool:
        """Whether this turn's channel may carry case notes: the adapter says whether it is
        confidential (`Incoming.confidential`), the policy what that allows."""
        confidential = turn.incoming.confidential
        return all(
            channel_may(action, confidential=confidential)
            for action in (Action.LOG_NOTE, Action.READ_NOTES)
        )

    def notes_refusal(self, turn: Turn) -> Reply | None:
        """Why notes may not be logged or shown in this turn (None: they may). The use cases
        refuse them anyway; asking first keeps a dialog going instead of breaking it off."""
        if not self.notes_allowed(turn):
            return self.text(turn, "notes_refused_telegram")
        trust = DeviceTrust(turn.actor.device_trust)
        if not device_may(trust, Action.LOG_NOTE):
            return self.untrusted_device(turn, trust)
        return None

    def untrusted_device(self, turn: Turn, trust: str) -> Reply:
        """No case data from this device: what happened and what to do (ask the coordinator)."""
        key = "device_key_changed" if trust == DeviceTrust.KEY_CHANGED else "device_unsigned"
        return self.text(turn, key)
