"""`relais dialogs draft|withdraw|review|publish|history|diff|rollback` (publishing).

Without ``--as NAME`` the operator acts (audited as "operator" with the shell user); with it,
the operator acts for the named practitioner, under the same rules as in chat (only
psychologists approve; a reviewer is never the author), and the audit and the history say
"operator (shell user X) for NAME". One shell user cannot be both the author and the approving
reviewer of a draft unless `[publishing] operator_may_act_for_two` is true. A review always
names its reviewer: `review ID --as NAME` shows the draft and its digest, `--approve --digest
D` approves exactly that revision. A rollback is a new version.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.app import Relais
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.publishing import draft_replies, review_replies, who
from bot.cli.cmd_db import emit_json, with_relais
from bot.config import load_config
from bot.errors import InvalidInput
from bot.publishing.checks import diff_sources
from bot.publishing.service import PublishingService
from bot.publishing.usecases import DIGEST_CHARS, Published
from bot.usecases.base import Actor

__all__ = ["register_versions"]

_AS_HELP = (
    "act for this practitioner: recorded (audit, history) as the operator, with your shell "
    "user, acting for them"
)


def register_versions(sub: Any) -> None:
    draft = sub.add_parser("draft", help="check a dialog file and save it as a draft")
    draft.add_argument("file", metavar="FILE", help="a dialog (.yaml) or its tests (.test.yaml)")
    draft.add_argument("--as", dest="as_name", metavar="NAME", help=_AS_HELP)
    draft.set_defaults(func=_draft)

    withdraw = sub.add_parser("withdraw", help="drop the open draft of a dialog")
    withdraw.add_argument("dialog", metavar="ID")
    withdraw.add_argument("--as", dest="as_name", metavar="NAME", help=_AS_HELP)
    withdraw.set_defaults(func=_withdraw)

    review = sub.add_parser(
        "review", help="show a draft and its digest, then approve it or send it back"
    )
    review.add_argument("dialog", metavar="ID")
    decision = review.add_mutually_exclusive_group()
    decision.add_argument("--approve", action="store_true")
    decision.add_argument("--reject", action="store_true")
    review.add_argument("--comment", default="")
    review.add_argument(
        "--digest",
        metavar="HEX",
        help="with --approve: the digest `review ID` printed (the revision you read)",
    )
    review.add_argument(
        "--as",
        dest="as_name",
        metavar="NAME",
        required=True,
        help="the reviewing psychologist (recorded as the operator acting for them)",
    )
    review.set_defaults(func=_review)

    publish = sub.add_parser("publish", help="publish the draft of a dialog as a new version")
    publish.add_argument("dialog", metavar="ID")
    publish.add_argument("--as", dest="as_name", metavar="NAME", help=_AS_HELP)
    publish.set_defaults(func=_publish)

    history = sub.add_parser("history", help="the published versions of a dialog")
    history.add_argument("dialog", metavar="ID")
    history.add_argument("--json", action="store_true")
    history.set_defaults(func=_history)

    diff = sub.add_parser("diff", help="what changed between two versions of a dialog")
    diff.add_argument("dialog", metavar="ID")
    diff.add_argument("v1", type=int)
    diff.add_argument("v2", type=int)
    diff.set_defaults(func=_diff)

    rollback = sub.add_parser("rollback", help="publish an older version again (a new version)")
    rollback.add_argument("dialog", metavar="ID")
    rollback.add_argument("version", type=int)
    rollback.add_argument("--as", dest="as_name", metavar="NAME", help=_AS_HELP)
    rollback.set_defaults(func=_rollback)


def _with_service(
    args: argparse.Namespace, fn: Callable[[PublishingService], Awaitable[int]]
) -> int:
    async def run(relais: Relais) -> int:
        registry = DialogRegistry.from_content(relais.config.content_path)
        service = PublishingService(relais, registry, relais.config, relais.clock)
        await service.load_published()
        return await fn(service)

    return with_relais(args, run)


async def _actor(service: PublishingService, name: str | None) -> Actor | None:
    return await service.practitioner_named(name) if name else None


def _print_published(published: Published) -> None:
    print(f"{published.dialog.id} version {published.version} published ({published.origin})")
    if published.previous is not None:
        print(
            f"{published.sessions_on_previous} session(s) in progress on version "
            f"{published.previous} will finish on it; new sessions get {published.version}"
        )
    if published.origin == "draft":
        print(f"{published.notified} team member(s) will be told that new guidance is available")
    else:
        print(f"{published.psychologists_told} psychologist(s) will be told of the rollback")


def _draft(args: argparse.Namespace) -> int:
    path = Path(args.file)
    limit = load_config(args.config).publishing.max_file_bytes
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # one byte more: the loader reports "too large"
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None

    async def run(service: PublishingService) -> int:
        actor = await _actor(service, args.as_name)
        if actor is not None:
            await service.count_draft_upload(actor)
            outcome = await service.submit_draft(actor, path.name, data)
        else:
            outcome = await service.operator_submit_draft(path.name, data)
        for reply in draft_replies(outcome, "en", service.config.publishing.reviewers_required):
            print(reply.text, file=sys.stdout if outcome.saved else sys.stderr)
        return 0 if outcome.saved and outcome.tests_passed else 1

    return _with_service(args, run)


def _withdraw(args: argparse.Namespace) -> int:
    async def run(service: PublishingService) -> int:
        actor = await _actor(service, args.as_name)
        if actor is not None:
            draft = await service.withdraw_draft(actor, args.dialog)
        else:
            draft = await service.operator_withdraw(args.dialog)
        print(f"draft of {draft.dialog_id} withdrawn")
        return 0

    return _with_service(args, run)


def _review(args: argparse.Namespace) -> int:
    async def run(service: PublishingService) -> int:
        actor = await service.practitioner_named(args.as_name)
        if not (args.approve or args.reject):
            view = await service.draft_for_review(actor, args.dialog)
            for reply in review_replies(view, "en", 1):
                print(reply.text)
            print(f"digest: {view.draft.checksum}")
            print(
                f"approve exactly this text: relais dialogs review {view.draft.dialog_id} "
                f"--approve --digest {view.draft.checksum[:DIGEST_CHARS]} --as NAME"
            )
            return 0
        if args.approve and not args.digest:
            raise InvalidInput(
                "--approve needs --digest: run `relais dialogs review "
                f"{args.dialog} --as NAME` first and give the digest it prints"
            )
        draft = await service.review_draft(
            actor, args.dialog, bool(args.approve), args.comment, None, args.digest
        )
        print(f"draft of {draft.dialog_id}: {draft.status}")
        return 0

    return _with_service(args, run)


def _publish(args: argparse.Namespace) -> int:
    async def run(service: PublishingService) -> int:
        actor = await _actor(service, args.as_name)
        if actor is not None:
            published = await service.publish_draft(actor, args.dialog)
        else:
            published = await service.operator_publish(args.dialog)
        _print_published(published)
        return 0

    return _with_service(args, run)


def _rollback(args: argparse.Namespace) -> int:
    async def run(service: PublishingService) -> int:
        actor = await _actor(service, args.as_name)
        if actor is not None:
            published = await service.rollback_dialog(actor, args.dialog, args.version)
        else:
            published = await service.operator_rollback(args.dialog, args.version)
        _print_published(published)
        print(f"(a copy of version {args.version})")
        return 0

    return _with_service(args, run)


def _history(args: argparse.Namespace) -> int:
    async def run(service: PublishingService) -> int:
        entries = await service.dialog_history(args.dialog)
        if not entries:
            raise InvalidInput(f"no published version of {args.dialog!r}")
        if args.json:
            emit_json({"dialog": args.dialog, "versions": [e.to_dict() for e in entries]})
            return 0
        for e in entries:
            reviewer = ""
            if e.reviewer:
                at = e.reviewed_at.strftime(" on %Y-%m-%d %H:%M UTC") if e.reviewed_at else ""
                reviewer = f", reviewed by {who('en', e.reviewer, e.reviewer_via)}{at}"
            author = who("en", e.author, e.author_via)
            publisher = who("en", e.publisher, e.publisher_via)
            published = f", published by {publisher}" if publisher and publisher != author else ""
            when = e.published_at.strftime("%Y-%m-%d %H:%M UTC")
            print(f"v{e.version}  {when}  {e.origin:<8}  by {author}{reviewer}{published}")
        return 0

    return _with_service(args, run)


def _diff(args: argparse.Namespace) -> int:
    async def run(service: PublishingService) -> int:
        versions = {v.version: v for v in await service.published_versions(args.dialog)}
        for wanted in (args.v1, args.v2):
            if wanted not in versions:
                known = ", ".join(str(v) for v in sorted(versions)) or "none"
                raise InvalidInput(f"{args.dialog} has no version {wanted} (versions: {known})")
        old, new = versions[args.v1], versions[args.v2]
        text = diff_sources(
            old.source, new.source, f"{args.dialog} v{args.v1}", f"{args.dialog} v{args.v2}"
        )
        sys.stdout.write(text or f"versions {args.v1} and {args.v2} are identical\n")
        return 0

    return _with_service(args, run)
