"""Authorization in one place: `POLICY[(role, action, relation)] -> allowed`.

The relation of a practitioner to a case is `owner` (the one person responsible for the file),
`member` (on the case team) or `other` (same team, not on the case). To a check-in or a page
(an occurrence) a practitioner may also be `notified`: the escalation chain reached them (the
on-call person paged is usually not on the case), or they asked for the page. A practitioner
may do what any of their relations allows. Cases of another team are
invisible (NotFound) whatever the table says, and so is a dialog limited to other teams
(`teams:`, `dialog_relation`). A practitioner with several roles may do what any
of their roles may do.

Actions with scope "team" do not concern one case: the table gives the same answer for every
relation (a test checks it). Every use case declares its action with a decorator from
`bot.usecases.base`; a test fails if a use case does not.

The device a message came from is the second axis (`DeviceTrust`, Matrix only): a device that
the practitioner's pinned cross-signing identity does not vouch for may do nothing in
`NEEDS_TRUSTED_DEVICE` (case data, notes, check-ins on cases, publishing guidance); crisis
guidance, contacts and paging stay open to it, so a mentor is never left without help.

The channel is the third: case text (notes) travels only by a confidential channel
(`Incoming.confidential`, declared by the adapter: a Matrix E2EE room, the console, Telegram
only under `[telegram] allow_case_notes`); `channel_may` says what a channel may carry.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bot.messages import SenderIdentity

__all__ = [
    "ALL_ROLES",
    "NEEDS_CONFIDENTIAL_CHANNEL",
    "NEEDS_TRUSTED_DEVICE",
    "POLICY",
    "Action",
    "DeviceTrust",
    "Relation",
    "Role",
    "channel_may",
    "device_may",
    "device_trust",
    "dialog_relation",
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
    #: reached by an occurrence's escalation chain, or asked for the page (occurrences only)
    NOTIFIED = "notified"
    #: wrote the draft (drafts only; a draft from content/ has no author: it is everyone's)
    AUTHOR = "author"
    #: a dialog's `audience` names one of the practitioner's roles, or names none (dialogs)
    AUDIENCE = "audience"


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
    # the monthly multi-agency review (issue 16): decisions and the review pack of one case
    RECORD_DECISION = "decision.record"
    VIEW_DECISIONS = "decision.view"
    SETTLE_DECISION = "decision.settle"
    REVIEW_PACK = "case.review_pack"
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
    VIEW_STATUS = "operations.status"
    # evidence (issue 18): feedback on the guidance and the monthly evaluation report
    GIVE_FEEDBACK = "feedback.give"
    VIEW_FEEDBACK = "feedback.view"
    READ_FEEDBACK_COMMENTS = "feedback.comments"
    EVALUATION_REPORT = "report.evaluation"
    VIEW_USAGE = "usage.view"
    # Relais Studio (issue 20): a login link by /studio; reading dialogs, drafts and history
    STUDIO_LOGIN = "studio.login"
    STUDIO_READ = "studio.read"
    # on one draft of a dialog (relation: author, or other)
    WITHDRAW_DRAFT = "draft.withdraw"
    REVIEW_DRAFT = "draft.review"
    # the case from release to exit (issue 16): release and handover, information sharing
    SET_RELEASE = "handover.release"
    VIEW_HANDOVER = "handover.view"
    TICK_HANDOVER = "handover.tick"
    VIEW_SHARING = "sharing.view"
    SET_SHARING = "sharing.set"
    # on one dialog (relation: audience, or other)
    POCKET_CARD = "dialog.card"
    # the structured exit report of a case (issue 16)
    WRITE_EXIT = "exit.write"
    READ_EXIT = "exit.read"
    # closing a case from chat, with the post-exit follow-up or not (issue 16, /close)
    CLOSE_CASE = "case.close"


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
    # the exit report (issue 16): the case owner writes it, with the psychologists on the case
    # (the paper's residual risk and risk of return are clinical); the care team reads it
    Action.WRITE_EXIT: (_CARE, frozenset({_P}), _NONE),
    Action.READ_EXIT: (_CARE, _CARE, _NONE),
    # the review (issue 16). A decision is a note tagged `decision`: recorded and read like
    # notes; what became of it is said by the owner, or a psychologist or coordinator on the
    # case. The pack holds the month's notes: whoever reads the notes may have it.
    Action.RECORD_DECISION: (_CARE, _CARE, _NONE),
    Action.VIEW_DECISIONS: (_CARE, _CARE, _NONE),
    Action.SETTLE_DECISION: (_CARE, frozenset({_P, _C}), _NONE),
    Action.REVIEW_PACK: (_CARE, _CARE, _NONE),
}

# issue 16: the owner sets the release date (its handover plan) and the sharing record; the
# members see and tick the continuity checklist, and see the record (they ask "may I tell ...?");
# a coordinator not on the case sees both, as for check-ins. Admins: not case content.
_CASE_RULES.update(
    {
        Action.SET_RELEASE: (_CARE, _NONE, _NONE),
        Action.VIEW_HANDOVER: (_CARE, _CARE, frozenset({_C})),
        Action.TICK_HANDOVER: (_CARE, _CARE, _NONE),
        Action.VIEW_SHARING: (_CARE, _CARE, frozenset({_C})),
        Action.SET_SHARING: (_CARE, _NONE, _NONE),
    }
)

# issue 16, the whole course: the case owner closes the case from chat (`/close`), as the
# operator does from the command line (`relais case close`); the owner only: closing ends
# everyone's check-ins on the case. Admins: not case content.
_CASE_RULES[Action.CLOSE_CASE] = (_CARE, _NONE, _NONE)

_TEAM_RULES: dict[Action, frozenset[Role]] = {
    Action.LIST_CASES: ALL_ROLES,
    Action.VIEW_CONTACTS: ALL_ROLES,
    Action.UPDATE_PROFILE: ALL_ROLES,
    Action.DRAFT_DIALOG: frozenset({_P, _A}),
    Action.REVIEW_DIALOG: frozenset({_P, _A}),
    # approving or sending back clinical guidance: psychologists only (not admins)
    Action.APPROVE_DIALOG: frozenset({_P}),
    Action.PUBLISH_DIALOG: frozenset({_P, _A}),
    Action.ROLLBACK_DIALOG: frozenset({_P, _A}),
    # /status: channel health, the team's failed deliveries, pages waiting for acknowledgement
    Action.VIEW_STATUS: frozenset({_C, _A}),
    # "Did this help?": anyone who ran a dialog may answer; the counts go to those who write
    # and run the guidance; the comments (typed text) to the psychologists only
    Action.GIVE_FEEDBACK: ALL_ROLES,
    Action.VIEW_FEEDBACK: frozenset({_P, _C}),
    Action.READ_FEEDBACK_COMMENTS: frozenset({_P}),
    # the monthly evaluation report (counts only, no case code, no typed text)
    Action.EVALUATION_REPORT: frozenset({_P, _C}),
    # usage figures and referral counts (about guidance, never about a person): issue 18
    Action.VIEW_USAGE: frozenset({_P, _C}),
    # Relais Studio (issue 20): psychologists write and review there (the publishing rows
    # above decide each change); coordinators read dialogs, drafts and history. No case data.
    Action.STUDIO_LOGIN: frozenset({_P, _C}),
    Action.STUDIO_READ: frozenset({_P, _C}),
}


# on one draft: action: (author, other) -> roles allowed. A draft is dropped by its author or an
# admin; it is approved or sent back by a psychologist who did not write it (four eyes).
_DRAFT_RULES: dict[Action, tuple[frozenset[Role], frozenset[Role]]] = {
    Action.WITHDRAW_DRAFT: (frozenset({_P, _A}), frozenset({_A})),
    Action.REVIEW_DRAFT: (_NONE, frozenset({_P})),
}

# on one dialog: action: (audience, other) -> roles allowed. A dialog is for its audience (the
# dialog's own data); psychologists and admins open every dialog (they write and review them).
_DIALOG_RULES: dict[Action, tuple[frozenset[Role], frozenset[Role]]] = {
    Action.OPEN_DIALOG: (ALL_ROLES, frozenset({_P, _A})),
    # a crisis dialog's pocket card (no case data): whoever may open the dialog
    Action.POCKET_CARD: (ALL_ROLES, frozenset({_P, _A})),
}

#: what being notified by an occurrence allows, whatever one's relation to its case: anyone the
#: escalation reached may acknowledge it (the chain was frozen from the rota when it started)
_NOTIFIED_RULES: dict[Action, frozenset[Role]] = {
    Action.ACK_CHECKIN: ALL_ROLES,
}


def _build() -> dict[tuple[Role, Action, Relation], bool]:
    table: dict[tuple[Role, Action, Relation], bool] = {}
    for action in Action:
        for relation in Relation:
            if action in _DRAFT_RULES:
                author, other = _DRAFT_RULES[action]
                allowed = {Relation.AUTHOR: author, Relation.OTHER: other}.get(relation, _NONE)
            elif action in _DIALOG_RULES:
                audience, other = _DIALOG_RULES[action]
                allowed = {Relation.AUDIENCE: audience, Relation.OTHER: other}.get(relation, _NONE)
            elif action in _CASE_RULES and relation is Relation.NOTIFIED:
                allowed = _NOTIFIED_RULES.get(action, _NONE)
            elif action in _CASE_RULES and relation in (Relation.AUTHOR, Relation.AUDIENCE):
                allowed = _NONE
            elif action in _CASE_RULES:
                allowed = _CASE_RULES[action][list(Relation).index(relation)]
            else:
                allowed = _TEAM_RULES[action]
            for role in Role:
                table[(role, action, relation)] = role in allowed
    return table


_ROLES: dict[str, Role] = {r.value: r for r in Role}
#: is_allowed's answers by (roles, action, relations): the table is fixed, and a chat turn asks
#: the same few questions (a few roles, ~60 actions, 4 relations: a bounded set)
_ANSWERS: dict[tuple[frozenset[str], Action, tuple[Relation, ...]], bool] = {}


class _Table(dict[tuple[Role, Action, Relation], bool]):
    """The table; a change (a test's) forgets the answers `is_allowed` remembered."""

    def __setitem__(self, key: tuple[Role, Action, Relation], value: bool) -> None:
        super().__setitem__(key, value)
        _ANSWERS.clear()

    def __delitem__(self, key: tuple[Role, Action, Relation]) -> None:
        super().__delitem__(key)
        _ANSWERS.clear()


#: The one policy table: (role, action, relation) -> allowed.
POLICY: dict[tuple[Role, Action, Relation], bool] = _Table(_build())


def dialog_relation(
    roles: Iterable[str], team: str, *, audience: Iterable[str], teams: Iterable[str]
) -> Relation | None:
    """A practitioner's relation to a dialog: None when the dialog is another team's guidance
    (its `teams` name teams, not theirs): invisible, as another team's case is, whatever the
    table says; AUDIENCE when its `audience` names one of their roles or none; else OTHER."""
    limited_to = set(teams)
    if limited_to and team not in limited_to:
        return None
    wanted = set(audience)
    return Relation.AUDIENCE if not wanted or wanted & set(roles) else Relation.OTHER


def scope_of(action: Action) -> Literal["case", "team", "draft", "dialog"]:
    if action in _DRAFT_RULES:
        return "draft"
    if action in _DIALOG_RULES:
        return "dialog"
    return "case" if action in _CASE_RULES else "team"


def is_allowed(
    roles: Iterable[str], action: Action, relation: Relation | Iterable[Relation]
) -> bool:
    """May someone with these roles do `action` under this relation (or any of these)?"""
    relations = (relation,) if isinstance(relation, Relation) else tuple(relation)
    key = (frozenset(roles), action, relations)  # a frozenset already: the same object
    answer = _ANSWERS.get(key)
    if answer is None:
        answer = any(
            POLICY[(_ROLES[r], action, rel)] for r in key[0] if r in _ROLES for rel in relations
        )
        _ANSWERS[key] = answer
    return answer


class DeviceTrust(StrEnum):
    """What the practitioner's pinned identity says of the device a message came from."""

    TRUSTED = "trusted"  # signed by the pinned identity (or a channel without device keys)
    UNSIGNED_DEVICE = "unsigned_device"  # the owner has not cross-signed this device
    KEY_CHANGED = "key_changed"  # the account's master key is not the one pinned at enrolment


#: what only a trusted device may do: everything that shows or writes case data, and changing
#: the guidance itself. Not in it: crisis dialogs, contacts and /sos, paging, one's language.
NEEDS_TRUSTED_DEVICE: frozenset[Action] = frozenset(
    {
        *(action for action in _CASE_RULES if action is not Action.PAGE_CONTACT),
        Action.LIST_CASES,
        Action.DRAFT_DIALOG,
        Action.REVIEW_DIALOG,
        Action.PUBLISH_DIALOG,
        Action.ROLLBACK_DIALOG,
        Action.STUDIO_LOGIN,
    }
)


def device_trust(pinned_key: str | None, sender: SenderIdentity | None) -> DeviceTrust:
    """Trust in the device behind `sender`, given the master key pinned for that identity.

    - no `sender` identity (Telegram, console): trusted, the channel has no device keys;
    - a pinned key that differs from the sender's master key (or the key is gone): KEY_CHANGED;
    - a device its owner did not cross-sign: UNSIGNED_DEVICE, except for a practitioner with
      no cross-signing identity at all (nothing pinned, no master key) when the channel admits
      such legacy clients (`sender.enforced` is False: `[matrix] device_trust = "all"`). Once
      a key is pinned, an unsigned device is held back whatever the setting.
    Nothing pinned yet but a master key present: judged by the device's signature; the caller
    pins that key (trust on first use).
    """
    if sender is None:
        return DeviceTrust.TRUSTED
    if pinned_key is not None and sender.master_key != pinned_key:
        return DeviceTrust.KEY_CHANGED
    if sender.device_cross_signed and sender.master_key is not None:
        return DeviceTrust.TRUSTED
    if pinned_key is None and sender.master_key is None and not sender.enforced:
        return DeviceTrust.TRUSTED
    return DeviceTrust.UNSIGNED_DEVICE


def may_send_to(pinned_key: str | None, current_key: str | None) -> bool:
    """Whether a message Relais sends on its own (reminder, escalation, page) may go to the
    devices of an identity whose master key is `current_key`: only when it is the pinned one
    (or nothing is pinned). After a reset of the account's cross-signing, nothing is sent until
    the coordinator confirms the new identity (`relais admin trust NAME`)."""
    return pinned_key is None or current_key == pinned_key


def device_may(trust: DeviceTrust, action: Action) -> bool:
    return trust is DeviceTrust.TRUSTED or action not in NEEDS_TRUSTED_DEVICE


#: what shows or writes case text, which travels only by a confidential channel (an E2EE room,
#: the console; Telegram only when the operator allows it): notes, and the names of who works
#: on a case (`/case`, `/member`).
NEEDS_CONFIDENTIAL_CHANNEL: frozenset[Action] = frozenset(
    {Action.READ_NOTES, Action.LOG_NOTE, Action.AMEND_NOTE, Action.VIEW_CASE, Action.MANAGE_CASE}
)


def channel_may(action: Action, *, confidential: bool) -> bool:
    """Whether a channel (confidential or not, as its adapter declares) may carry `action`."""
    return confidential or action not in NEEDS_CONFIDENTIAL_CHANNEL
