"""Authorization in one place: `POLICY[(role, action, relation)] -> allowed`.

The relation of a practitioner to a case is `owner` (the one person responsible for the file),
`member` (on the case team) or `other` (same team, not on the case). Cases of another team are
invisible (NotFound) whatever the table says. A practitioner with several roles may do what any
of their roles may do.

Actions with scope "team" do not concern one case: the table gives the same answer for every
relation (a test checks it). Every use case declares its action with a decorator from
`bot.usecases.base`; a test fails if a use case does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Literal

__all__ = [
    "ALL_ROLES",
    "POLICY",
    "Action",
    "Relation",
    "Role",
    "is_allowed",
    "scope_of",
]


class Role(StrEnum):
    MENTOR = "mentor"
    SOCIAL_WORKER = "social_worker"
    PSYCHOLOGIST = "psychologist"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class Relation(StrEnum):
    OWNER = "owner"
    MEMBER = "member"
    OTHER = "other"


class Action(StrEnum):
    # on one case
    VIEW_CASE = "case.view"
    READ_NOTES = "note.read"
    LOG_NOTE = "note.log"
    AMEND_NOTE = "note.amend"
    CASE_CONTACTS = "case.contacts"
    MANAGE_CASE = "case.manage"
    SCHEDULE_CHECKIN = "checkin.schedule"
    FOLLOW_UP = "checkin.followup"
    VIEW_CHECKINS = "checkin.view"
    ACK_CHECKIN = "checkin.ack"
    PAGE_CONTACT = "contact.page"
    # not about one case
    LIST_CASES = "cases.list"
    VIEW_CONTACTS = "contacts.view"
    UPDATE_PROFILE = "profile.update"
    OPEN_DIALOG = "dialog.open"
    DRAFT_DIALOG = "dialog.draft"
    REVIEW_DIALOG = "dialog.review"
    APPROVE_DIALOG = "dialog.approve"
    PUBLISH_DIALOG = "dialog.publish"
    ROLLBACK_DIALOG = "dialog.rollback"


ALL_ROLES: frozenset[Role] = frozenset(Role)
_M, _S, _P, _C, _A = (
    Role.MENTOR,
    Role.SOCIAL_WORKER,
    Role.PSYCHOLOGIST,
    Role.COORDINATOR,
    Role.ADMIN,
)
_CARE = frozenset({_M, _S, _P, _C})  # the roles that work with the person
_NONE: frozenset[Role] = frozenset()

# action: (owner, member, other) -> roles allowed. Admins manage people and the directory, not
# case content: an admin reads notes only through another role they also hold.
_CASE_RULES: dict[Action, tuple[frozenset[Role], frozenset[Role], frozenset[Role]]] = {
    Action.VIEW_CASE: (ALL_ROLES, ALL_ROLES, frozenset({_C})),
    Action.READ_NOTES: (_CARE, _CARE, _NONE),
    Action.LOG_NOTE: (_CARE, _CARE, _NONE),
    Action.AMEND_NOTE: (_CARE, _CARE, _NONE),
    Action.CASE_CONTACTS: (ALL_ROLES, ALL_ROLES, frozenset({_C})),
    Action.MANAGE_CASE: (frozenset({_C, _A}), _NONE, frozenset({_A})),
    Action.SCHEDULE_CHECKIN: (_CARE, frozenset({_C}), _NONE),
    Action.FOLLOW_UP: (_CARE, _CARE, _NONE),
    Action.VIEW_CHECKINS: (_CARE, _CARE, frozenset({_C})),
    Action.ACK_CHECKIN: (_CARE, _CARE, frozenset({_C})),
    Action.PAGE_CONTACT: (_CARE, _CARE, _NONE),
}

_TEAM_RULES: dict[Action, frozenset[Role]] = {
    Action.LIST_CASES: ALL_ROLES,
    Action.VIEW_CONTACTS: ALL_ROLES,
    Action.UPDATE_PROFILE: ALL_ROLES,
    Action.OPEN_DIALOG: ALL_ROLES,
    Action.DRAFT_DIALOG: frozenset({_P, _A}),
    Action.REVIEW_DIALOG: frozenset({_P, _A}),
    # approving or sending back clinical guidance: psychologists only (not admins)
    Action.APPROVE_DIALOG: frozenset({_P}),
    Action.PUBLISH_DIALOG: frozenset({_P, _A}),
    Action.ROLLBACK_DIALOG: frozenset({_P, _A}),
}


def _build() -> dict[tuple[Role, Action, Relation], bool]:
    table: dict[tuple[Role, Action, Relation], bool] = {}
    for action in Action:
        for relation in Relation:
            if action in _CASE_RULES:
                allowed = _CASE_RULES[action][list(Relation).index(relation)]
            else:
                allowed = _TEAM_RULES[action]
            for role in Role:
                table[(role, action, relation)] = role in allowed
    return table


#: The one policy table: (role, action, relation) -> allowed.
POLICY: dict[tuple[Role, Action, Relation], bool] = _build()


def scope_of(action: Action) -> Literal["case", "team"]:
    return "case" if action in _CASE_RULES else "team"


def is_allowed(roles: Iterable[str], action: Action, relation: Relation) -> bool:
    known = {r.value for r in Role}
    return any(POLICY[(Role(r), action, relation)] for r in roles if r in known)
