"""What every use case shares: who acts, the permission decorators, one transaction each.

The modules behind these names: `actors` (who acts), `host` (the `UseCases` base class, the
scopes), `decorators` (the permission decorators and their one skeleton, `guarded`).

A use case is an ``async`` method of a `UseCases` subclass decorated with exactly one of:

- ``@requires(Action.X)``: about one case. Called as ``method(actor, case_code, ...)``; the
  body receives a `CaseScope` (transaction, fresh actor, case, relation) instead.
- ``@requires_role(Action.X)``: not about one case. Called as ``method(actor, ...)``; the body
  receives an `ActorScope`.
- ``@channel_entry("why")``: called by a channel before anyone is identified (identify, invite
  redemption, sessions, update dedup). The body receives an `EntryScope`.
- ``@channel_statements("why")``: a channel entry whose statements each stand alone (the
  statements of every chat message, the inbox, leases and webhook claims): run as
  `Database.autocommit` decides, never audited.
- ``@operator_command("audit action")``: the `relais` command line (whoever runs it holds the
  database and the keys). The body receives an `EntryScope`; the audit actor is "operator".
- a decorator of a feature whose subject is not a case code (check-ins:
  ``@requires_occurrence``, ``@requires_schedule``, ``@requires_any_case`` in
  `bot.checkins.permissions`): it only says how to find its subject and the actor's relations
  to it; everything else is the one skeleton, `bot.usecases.decorators.guarded`.

The decorator opens one transaction, re-reads the actor's roles from the database (a revoked
practitioner is refused), computes the relation, checks `bot.policy.POLICY`, runs the body and
writes the audit entry in the same transaction (the body may add ids to ``scope.detail``). A
refusal raises NotAllowed and is itself audited (outcome "denied", in its own transaction).
A body raises `CommitThenRaise(error)` to keep its writes (e.g. a failed invite attempt) and
still report the error.
A body that finds a sub-object of its own (a draft and its author) asks the table with
`decide(roles, action, relation, refusal)`: its NotAllowed is audited as denied like any other.

The actor also carries the trust in the device the request came from (`Actor.device_trust`,
set by the chat turn from the practitioner's pinned Matrix identity): an action of
`bot.policy.NEEDS_TRUSTED_DEVICE` from a device that is not trusted raises `UntrustedDevice`,
audited as denied with the reason, before anything is read (`UseCases._check_device`).
"""

from bot.usecases.actors import Actor, CaseIds, actor_of
from bot.usecases.decorators import (
    channel_entry,
    channel_statements,
    operator_command,
    operator_task,
    requires,
    requires_role,
)
from bot.usecases.host import (
    ActorScope,
    CaseScope,
    CommitThenRaise,
    EntryScope,
    Permission,
    UseCases,
    permission_of,
)

__all__ = [
    "Actor",
    "ActorScope",
    "CaseIds",
    "CaseScope",
    "CommitThenRaise",
    "EntryScope",
    "Permission",
    "UseCases",
    "actor_of",
    "channel_entry",
    "channel_statements",
    "operator_command",
    "operator_task",
    "permission_of",
    "requires",
    "requires_role",
]
