"""`/case CODE`: who does what on a case (status, owner, members with their roles on it,
release date); `/member CODE add|remove NAME [ROLE]`: the case owner puts a practitioner of
the team on the case or takes them off. The use cases (`bot.usecases.case_team`) decide and
audit; names are case data, shown only over a confidential channel (the policy's
`channel_may`). Texts: `[case_info]`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.messages import Reply
from bot.policy import Action, channel_may
from bot.usecases.notes import CASE_ROLES

if TYPE_CHECKING:
    from bot.chat.core import ChatCore, Turn
    from bot.usecases.case_team import CaseInfo

__all__ = ["case_command", "member_command"]

#: the role on the case `/member CODE add NAME` gives when none is said
DEFAULT_CASE_ROLE = "mentor"


def _text(core: ChatCore, turn: Turn, key: str, **values: object) -> Reply:
    return core.text(turn, f"case_info.{key}", **values)


def _refusal(core: ChatCore, turn: Turn, action: Action) -> Reply | None:
    if channel_may(action, confidential=turn.incoming.confidential):
        return None
    return _text(core, turn, "not_confidential")


async def case_command(core: ChatCore, turn: Turn, argument: str) -> list[Reply]:
    refusal = _refusal(core, turn, Action.VIEW_CASE)
    if refusal is not None:
        return [refusal]
    words = argument.split()
    if len(words) != 1:
        return [_text(core, turn, "usage")]
    return [show_case(core, turn, await core.backend.case_info(turn.actor, words[0]))]


def show_case(core: ChatCore, turn: Turn, info: CaseInfo) -> Reply:
    lang, catalog = turn.lang, core.catalog
    known = info.status in ("open", "closed")
    status = catalog.text(lang, f"case_info.status_{info.status}") if known else info.status
    lines = [catalog.text(lang, "case_info.title", case=info.code, status=status)]
    lines.append(catalog.text(lang, "case_info.owner", name=info.owner_name))
    if info.members:
        lines.append(catalog.text(lang, "case_info.members"))
        for _pid, name, role in info.members:
            label = catalog.label(lang, "roles", role)
            lines.append(catalog.text(lang, "case_info.member_line", name=name, role=label))
    else:
        lines.append(catalog.text(lang, "case_info.no_members"))
    if info.release_on is not None:
        when = info.release_on.isoformat()
        lines.append(catalog.text(lang, "case_info.release", date=when))
    else:
        lines.append(catalog.text(lang, "case_info.no_release"))
    relation = catalog.label(lang, "relations", info.relation)
    lines.append(catalog.text(lang, "case_info.you", relation=relation))
    return Reply("\n".join(lines))


async def member_command(core: ChatCore, turn: Turn, argument: str) -> list[Reply]:
    refusal = _refusal(core, turn, Action.MANAGE_CASE)
    if refusal is not None:
        return [refusal]
    words = argument.split()
    if len(words) < 3 or words[1].lower() not in ("add", "remove"):
        return [_text(core, turn, "member_usage")]
    code, verb, rest = words[0], words[1].lower(), words[2:]
    backend = core.backend
    if verb == "remove":
        change = await backend.unassign_member(turn.actor, code, " ".join(rest))
        key = "member_removed" if change.changed else "member_not_on_case"
        return [_text(core, turn, key, name=change.name, case=change.case_code)]
    role = DEFAULT_CASE_ROLE
    if len(rest) > 1 and _is_case_role(rest[-1]):
        role, rest = rest[-1], rest[:-1]
    change = await backend.assign_member(turn.actor, code, " ".join(rest), role)
    label = core.catalog.label(turn.lang, "roles", change.role or role)
    info = await backend.case_info(turn.actor, code)
    done = _text(core, turn, "member_added", name=change.name, case=change.case_code, role=label)
    return [done, show_case(core, turn, info)]


def _is_case_role(word: str) -> bool:
    return word.strip().lower().replace("-", "_") in CASE_ROLES
