"""Authorization: every use case declares its permission, and the generated matrix of
role x action x relation is checked THROUGH the use cases against `bot.policy.POLICY`."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import bot
from bot.app import Relais
from bot.checkins import escalation as esc
from bot.checkins.service import CheckinService
from bot.checkins.tokens import checkin_token
from bot.errors import NotAllowed, RelaisError
from bot.policy import POLICY, Action, Relation, Role, scope_of
from bot.usecases.base import Actor, UseCases, actor_of, permission_of
from bot.usecases.notes import CASE_ROLES
from bot.usecases.sharing import SharingChange
from storage.repos.sharing import Allowance
from tests.storage.helpers import enrol

_SKIP_MODULES = ("bot.channels.telegram", "bot.channels.matrix")


def _import_all() -> None:
    for info in pkgutil.walk_packages(bot.__path__, "bot."):
        if not info.name.startswith(_SKIP_MODULES):
            importlib.import_module(info.name)


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _use_cases(*, private: bool = False) -> dict[str, Any]:
    """Public coroutine methods of every UseCases subclass (and, with `private`, the
    private ones that carry a permission), by qualified name."""
    _import_all()
    found: dict[str, Any] = {}
    for cls in {UseCases, *_subclasses(UseCases)}:
        for name, member in inspect.getmembers(cls):
            if not inspect.iscoroutinefunction(member) or name.startswith("__"):
                continue
            if name.startswith("_") and not (private and permission_of(member)):
                continue
            if name in cls.not_use_cases:
                continue
            found[f"{cls.__module__}.{cls.__qualname__}.{name}"] = member
    return found


def test_every_use_case_declares_its_permission() -> None:
    use_cases = _use_cases()
    assert any(name.endswith("Relais.log_note") for name in use_cases)
    missing = sorted(n for n, fn in use_cases.items() if permission_of(fn) is None)
    assert missing == [], (
        f"use cases without a permission declaration: {missing} (decorate them, or name "
        "lifecycle methods and facades over decorated methods in `not_use_cases`)"
    )


def test_declared_actions_exist_and_team_actions_ignore_relation() -> None:
    for fn in _use_cases(private=True).values():
        permission = permission_of(fn)
        if permission is not None and permission.kind in ("case", "team"):
            assert Action(permission.action) in Action
    for action in Action:
        if scope_of(action) == "team":
            for role in Role:
                answers = {POLICY[(role, action, relation)] for relation in Relation}
                assert len(answers) == 1, (role, action)
    assert len(POLICY) == len(Role) * len(Action) * len(Relation)


# -- the generated matrix ----------------------------------------------------------------------

#: the relations a use case about one case computes (`notified` is a relation to an occurrence)
CASE_RELATIONS = (Relation.OWNER, Relation.MEMBER, Relation.OTHER)

Args = Callable[[dict[str, Any], Role, str], tuple[tuple[Any, ...], dict[str, Any]]]
#: arguments after (actor, case_code) or (actor) for use cases whose allowed path must succeed
ARGS: dict[str, Args] = {
    "log_note": lambda w, r, c: (("matrix note", ["progress"]), {}),
    "list_notes": lambda w, r, c: ((), {}),
    "amend_note": lambda w, r, c: ((w["notes"][(r, c)], "amended"), {}),
    "case_info": lambda w, r, c: ((), {}),
    "assign_member": lambda w, r, c: (("Extra", "social_worker"), {}),
    "unassign_member": lambda w, r, c: (("Extra",), {}),
    "list_cases": lambda w, r, c: ((), {}),
    "contacts_for": lambda w, r, c: ((["emergency"],), {}),
    "set_language": lambda w, r, c: (("en",), {}),
    "set_time_zone": lambda w, r, c: (("Europe/Paris",), {}),
    "set_quiet_hours": lambda w, r, c: ((None, None), {}),
    # the monthly review (bot.review): every allowed call must succeed
    "record_decision": lambda w, r, c: (("a review decision",), {}),
    "list_decisions": lambda w, r, c: ((), {}),
    "review_pack": lambda w, r, c: (("2026-01",), {}),
    # issue 16: release and handover, information sharing
    "set_release": lambda w, r, c: ((date(2027, 1, 15),), {}),
    "handover": lambda w, r, c: ((), {}),
    "tick_handover": lambda w, r, c: (("housing", True), {}),
    "sharing": lambda w, r, c: ((), {}),
    "set_sharing": lambda w, r, c: (
        (SharingChange(allow=(Allowance("Probation", ("risk",)),), review_on=date(2027, 5, 1)),),
        {},
    ),
    # the structured exit (issue 16)
    "exit_progress": lambda w, r, c: ((), {}),
    "save_exit_answer": lambda w, r, c: (("residual_risk", "matrix answer"), {}),
    "exit_report": lambda w, r, c: ((), {}),
}


async def _world(relais: Relais) -> dict[str, Any]:
    await enrol(relais, "Boss", "coordinator")
    extra = await enrol(relais, "Extra", "social_worker")
    actors: dict[Role, Actor] = {}
    cases: dict[tuple[Role, Relation], str] = {}
    for role in Role:
        name = f"P {role.value}"
        actors[role] = await enrol(relais, name, role.value)
        for relation in CASE_RELATIONS:
            code = f"{role.value[:3].upper()}-{relation.value[:3].upper()}"
            owner = name if relation is Relation.OWNER else "Boss"
            await relais.create_case(code, owner=owner)
            if relation is Relation.MEMBER:
                case_role = role.value if role.value in CASE_ROLES else "mentor"
                await relais.add_member(code, name, role=case_role)
            cases[(role, relation)] = code
    notes: dict[tuple[Role, str], str] = {}
    async with relais.db.transaction(relais.clock.now()) as tx:
        for (role, _relation), code in cases.items():
            case = await tx.cases.by_code(code=code)
            assert case is not None
            notes[(role, code)] = await tx.notes.add(
                case_id=case.id,
                author_id=actors[role].practitioner_id,
                body="seed",
                tags=(),
                origin="test",
                now=tx.now,
            )
    return {"actors": actors, "cases": cases, "notes": notes, "extra": extra.practitioner_id}


async def _outcome(call: Any) -> tuple[bool, str]:
    """(passed authorization, detail) of one call."""
    try:
        await call
    except NotAllowed as exc:
        return False, f"NotAllowed: {exc}"
    except (RelaisError, TypeError, ValueError) as exc:
        return True, f"{type(exc).__name__}: {exc}"
    return True, "ok"


async def test_policy_matrix_through_use_cases(relais: Relais) -> None:
    world = await _world(relais)
    walked: dict[str, Any] = {}
    for fn in _use_cases(private=True).values():
        permission = permission_of(fn)
        if permission and permission.call in ("actor, case_code", "actor"):
            walked.setdefault(fn.__name__, (fn, permission))
    assert {"log_note", "list_notes", "amend_note", "list_cases"} <= set(walked)
    assert {"set_release", "tick_handover", "set_sharing", "sharing"} <= set(walked)
    mismatches: list[str] = []
    checked = 0
    for name, (fn, permission) in sorted(walked.items()):
        action = Action(permission.action)
        for role in Role:
            actor = world["actors"][role]
            for relation in CASE_RELATIONS:
                code = world["cases"][(role, relation)]
                args, kwargs = ARGS.get(name, lambda w, r, c: ((), {}))(world, role, code)
                if permission.call == "actor":
                    call = fn(relais, actor, *args, **kwargs)
                else:
                    call = fn(relais, actor, code, *args, **kwargs)
                passed, detail = await _outcome(call)
                expected = POLICY[(role, action, relation)]
                checked += 1
                if passed != expected or (expected and name in ARGS and detail != "ok"):
                    mismatches.append(
                        f"{name} ({action}) as {role.value}/{relation.value}: expected "
                        f"{'allowed' if expected else 'refused'}, got {detail}"
                    )
                if permission.call == "actor":
                    break  # relation does not apply
    assert checked >= 5 * 3 * 6
    assert mismatches == [], "\n".join(mismatches)


async def test_the_case_owner_as_a_contact_follows_the_policy(relais: Relais) -> None:
    """`case.contacts`, role x relation, through the one path that shows it (`contacts_for`
    with the role `case_owner`): the owner is listed when the table allows it, left out (never
    refused: a crisis never fails on it) when not, and when their access is revoked."""
    world = await _world(relais)
    mismatches: list[str] = []
    for role in Role:
        for relation in CASE_RELATIONS:
            code = world["cases"][(role, relation)]
            found = await relais.contacts_for(world["actors"][role], ["case_owner"], code)
            expected = POLICY[(role, Action.CASE_CONTACTS, relation)]
            if bool(found) != expected:
                mismatches.append(f"{role.value}/{relation.value}: {found}")
    assert mismatches == [], "\n".join(mismatches)
    coordinator = world["actors"][Role.COORDINATOR]
    code = world["cases"][(Role.COORDINATOR, Relation.MEMBER)]  # owned by Boss
    assert [e.name for e in await relais.contacts_for(coordinator, ["case_owner"], code)] == [
        "Boss"
    ]
    await relais.revoke("Boss")
    assert await relais.contacts_for(coordinator, ["case_owner"], code) == []


def test_only_the_decorators_build_an_actor() -> None:
    """An `Actor` is built in one place (`bot.usecases.base.actor_of`, from the row the
    decorators re-read): a use case that builds one by hand (issue 15: identity.py) would skip
    what the decorators carry over (device trust, the operator acting for someone)."""
    root = Path(bot.__file__).parent
    built: list[str] = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Actor"
            ):
                built.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    home = Path(inspect.getsourcefile(actor_of) or "").relative_to(root.parent)
    assert [where for where in built if not where.startswith(f"{home}:")] == []


async def test_acknowledging_an_occurrence_follows_the_policy(relais: Relais) -> None:
    """`checkin.ack` on a reminder or page, role x relation: its case's relation (owner,
    member, other), or `notified` (the escalation reached them) on a case they are not on."""
    world = await _world(relais)
    service = CheckinService(relais, relais.config, relais.clock, on_work=lambda: None)
    tokens: dict[tuple[Role, Relation], str] = {}
    async with relais.db.transaction(relais.clock.now()) as tx:
        for role in Role:
            for relation in (*CASE_RELATIONS, Relation.NOTIFIED):
                code = world["cases"][
                    (role, Relation.OTHER if relation is Relation.NOTIFIED else relation)
                ]
                case = await tx.cases.by_code(code=code)
                assert case is not None
                # notified: reached by the escalation chain, while the reminder went to another
                notified = world["actors"][role].practitioner_id
                first = notified if relation is Relation.NOTIFIED else world["extra"]
                chain = esc.Chain((esc.Target("oncall", first, None),))
                oid = await tx.occurrences.add(
                    kind="checkin",
                    case_id=case.id,
                    recipient_id=world["extra"],
                    due_at=tx.now,
                    deliver_at=tx.now,
                    status="waiting",
                    escalation_chain=chain.to_json(),
                    now=tx.now,
                )
                assert oid is not None
                tokens[(role, relation)] = checkin_token(oid, "ack")
    mismatches: list[str] = []
    for (role, relation), token in sorted(tokens.items()):
        relations = {relation, Relation.OTHER} if relation is Relation.NOTIFIED else {relation}
        expected = any(POLICY[(role, Action.ACK_CHECKIN, r)] for r in relations)
        passed, detail = await _outcome(service.handle_button(world["actors"][role], token))
        if passed != expected or (expected and detail != "ok"):
            mismatches.append(f"ack as {role.value}/{relation.value}: {detail}")
    assert len(tokens) == len(Role) * 4
    assert mismatches == [], "\n".join(mismatches)
    # the table says it: anyone notified may acknowledge, an admin not on the case may not
    assert all(POLICY[(role, Action.ACK_CHECKIN, Relation.NOTIFIED)] for role in Role)
    assert not POLICY[(Role.ADMIN, Action.ACK_CHECKIN, Relation.OTHER)]
