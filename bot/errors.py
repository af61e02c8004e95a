"""Errors of the application layer (RelaisError, ConfigError, InvalidInput and SchemaOutOfDate
are defined in `storage.errors`, below both layers, and re-exported here).

RelaisError
 ├── ConfigError          the configuration file or a secret is wrong (carries the key path)
 ├── NotAllowed           the actor may not do this (authorization)
 │    └── NotYourCase     refused on a case the actor has no relation to: it says exactly what
 │                        NotFound says, so a code that exists answers like one that does not
 ├── UntrustedDevice      not from this device: its owner's pinned identity does not vouch for it
 ├── NotFound             a case, note, practitioner... does not exist (or is not visible)
 ├── InvalidInput         a value typed by a user or an admin is not acceptable
 │    └── CaseClosed      the case is closed: notes and check-ins cannot be added
 └── SchemaOutOfDate      the database needs `relais db upgrade`
"""

from __future__ import annotations

from storage.errors import ConfigError, InvalidInput, RelaisError, SchemaOutOfDate

__all__ = [
    "CaseClosed",
    "ConfigError",
    "InvalidInput",
    "NotAllowed",
    "NotFound",
    "NotYourCase",
    "RelaisError",
    "RoleNotAllowed",
    "SchemaOutOfDate",
    "UntrustedDevice",
]


class NotAllowed(RelaisError):
    #: the policy action that refused, when a use case's body asked the table about a
    #: sub-object (`bot.usecases.decorators.decide`): named in the denial's audit entry
    rule: str = ""


class NotYourCase(NotAllowed):
    pass


class RoleNotAllowed(NotAllowed):
    """Refused by role alone, whatever the case or the item: the chat says so (not "on this
    case")."""


class NotFound(RelaisError):
    pass


class CaseClosed(InvalidInput):
    pass


class UntrustedDevice(RelaisError):
    """Case data asked for from a device the practitioner's pinned identity does not vouch
    for (not a NotAllowed: the chat layer tells the practitioner to ask their coordinator)."""

    def __init__(self, message: str, trust: str) -> None:
        super().__init__(message)
        self.trust = trust
