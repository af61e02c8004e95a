"""The use cases of pocket cards: the team's contacts printed on a crisis dialog's card.

- ``card_contacts(actor, dialog, lang)``: for a practitioner (chat, Studio). Decorated with
  ``@requires_dialog(Action.POCKET_CARD)``: the subject is the dialog, the relation is
  `audience` when the dialog's `audience` names one of the actor's roles (or names none),
  else `other`; the policy table decides (whoever may open the dialog may print its card).
  Audited with the dialog, version and language; a refusal is audited as denied.
- ``card_directory(team=...)``: for the command line (`relais dialogs card`), audited as the
  operator.

A card holds no case data: roles, names and numbers of the team's directory only.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

from bot.cards.document import CardContact
from bot.errors import RoleNotAllowed
from bot.policy import Action, Relation, scope_of
from bot.policy import dialog_relation as policy_dialog_relation
from bot.usecases.actors import _audited_as, _for_detail
from bot.usecases.admin import resolve_team
from bot.usecases.base import Actor, ActorScope, EntryScope, Permission, UseCases
from bot.usecases.decorators import Subject, guarded, operator_command
from bot.usecases.host import mark
from dialogs.model import Dialog
from storage.records import Contact
from storage.retry import retry_conflicts
from storage.tx import Tx

__all__ = ["CardUseCases", "dialog_relation", "requires_dialog"]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound=UseCases)


def dialog_relation(dialog: Dialog, actor: Actor) -> tuple[Relation, ...]:
    """`audience` when the dialog is for one of the actor's roles (or for everyone), else
    `other`; no relation at all (refused) when it is another team's guidance (`teams:`)."""
    relation = policy_dialog_relation(
        actor.roles, actor.team_name, audience=dialog.audience, teams=dialog.teams
    )
    return () if relation is None else (relation,)


def requires_dialog(
    action: Action,
) -> Callable[
    [Callable[Concatenate[S, ActorScope, Dialog, P], Awaitable[R]]],
    Callable[Concatenate[S, Actor, Dialog, P], Awaitable[R]],
]:
    """A use case about one dialog: `method(actor, dialog, ...)`; the policy table decides
    on the actor's relation to the dialog (its `audience`)."""
    if scope_of(action) != "dialog":
        raise TypeError(f"{action} is not about one dialog")

    def decorate(
        fn: Callable[Concatenate[S, ActorScope, Dialog, P], Awaitable[R]],
    ) -> Callable[Concatenate[S, Actor, Dialog, P], Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(
            self: S, actor: Actor, dialog: Dialog, /, *args: P.args, **kwargs: P.kwargs
        ) -> R:
            async def locate(tx: Tx) -> Subject:
                fresh = await self._fresh_actor(tx, actor)
                refusal = RoleNotAllowed(f"this guide is not for your role ({action})")
                relations = dialog_relation(dialog, fresh)
                return Subject(fresh, relations, ActorScope(tx, fresh), None, refusal)

            def audit(scope: ActorScope) -> dict[str, Any]:
                kind, actor_id = _audited_as(scope.actor)
                detail = {"dialog": dialog.id, "version": dialog.version, **scope.detail}
                return {
                    "actor_kind": kind,
                    "actor_id": actor_id,
                    "detail": _for_detail(scope.actor, detail),
                }

            async def run(scope: ActorScope) -> R:
                return await fn(self, scope, dialog, *args, **kwargs)

            return await guarded(self, actor, action, locate, run, audit)

        mark(wrapper, Permission("dialog", str(action), "actor, dialog"))
        return retry_conflicts(wrapper)

    return decorate


def _card_contacts(directory: Sequence[Contact]) -> list[CardContact]:
    return [
        CardContact(c.role, c.name, c.phone or "", c.hours or "")
        for c in sorted(directory, key=lambda c: (c.role, c.priority, c.key))
    ]


class CardUseCases(UseCases):
    @requires_dialog(Action.POCKET_CARD)
    async def card_contacts(
        self, scope: ActorScope, dialog: Dialog, lang: str
    ) -> list[CardContact]:
        """The contacts of the actor's team for the card of `dialog` in `lang`."""
        directory = await scope.tx.contacts.for_team(team_id=scope.actor.team_id)
        scope.detail = {"lang": lang, "contacts": len(directory)}
        return _card_contacts(directory)

    @operator_command("dialog.card")
    async def card_directory(
        self, scope: EntryScope, dialog_id: str, lang: str, *, team: str | None = None
    ) -> list[CardContact]:
        """The contacts of a team (the only one, or `team`) for a card printed by the
        operator."""
        the_team = await resolve_team(scope.tx, team)
        directory = await scope.tx.contacts.for_team(team_id=the_team.id)
        scope.detail = {
            "team_id": the_team.id,
            "dialog": dialog_id,
            "lang": lang,
            "contacts": len(directory),
        }
        return _card_contacts(directory)
