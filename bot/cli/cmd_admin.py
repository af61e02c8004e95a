"""`relais admin invite|revoke|list|trust`: enrolment of practitioners, and confirming a
practitioner's new Matrix identity."""

from __future__ import annotations

import argparse
from typing import Any

from bot.app import Relais
from bot.cli.cmd_db import emit_json, with_relais
from bot.config import parse_duration
from bot.errors import ConfigError, InvalidInput
from bot.usecases.admin import practitioner_dict
from bot.usecases.device_trust import fingerprint
from storage.records import ChannelIdentity

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("admin", help="enrol and revoke practitioners")
    sub = parser.add_subparsers(dest="admin_command", metavar="ACTION", required=True)
    invite = sub.add_parser("invite", help="print a one-time enrolment code")
    invite.add_argument("--role", required=True)
    invite.add_argument("--name", required=True)
    invite.add_argument("--team")
    invite.add_argument("--expires", default="24h", help="e.g. 30m, 24h, 7d (default 24h)")
    invite.add_argument("--json", action="store_true")
    invite.set_defaults(func=_invite)
    revoke = sub.add_parser("revoke", help="remove every channel binding of a practitioner")
    revoke.add_argument("name")
    revoke.add_argument("--json", action="store_true")
    revoke.set_defaults(func=_revoke)
    trust = sub.add_parser(
        "trust",
        help="confirm a practitioner's new Matrix identity (after you checked it with them)",
    )
    trust.add_argument("name")
    trust.add_argument("--json", action="store_true")
    trust.set_defaults(func=_trust)
    listing = sub.add_parser("list", help="list practitioners")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)


def _invite(args: argparse.Namespace) -> int:
    try:
        expires = parse_duration(args.expires)
    except ConfigError as exc:
        raise InvalidInput(f"--expires: {exc}") from None

    async def run(relais: Relais) -> int:
        code = await relais.create_invite(
            role=args.role, name=args.name, team=args.team, expires=expires
        )
        if args.json:
            emit_json(code.to_dict())
            return 0
        print(f"Invite code for a {code.role} in team {code.team!r}: {code.code}")
        print(f"Valid until {code.expires_at:%Y-%m-%d %H:%M} UTC, once.")
        if code.deep_link:
            print(f"Telegram: {code.deep_link}")
        print(f"Matrix: send '!start {code.code}' to the bot in a direct message.")
        return 0

    return with_relais(args, run)


def _revoke(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        result = await relais.revoke(args.name)
        if args.json:
            emit_json(
                {
                    "practitioner_id": result.practitioner_id,
                    "bindings_removed": result.bindings_removed,
                    "invites_dropped": result.invites_dropped,
                    "memberships_removed": list(result.memberships_removed),
                    "still_owner_of": list(result.still_owner_of),
                }
            )
        else:
            print(
                f"revoked {result.practitioner_id}: {result.bindings_removed} channel "
                f"binding(s) and {result.invites_dropped} pending invite(s) removed"
            )
            if result.memberships_removed:
                print(
                    f"taken off {len(result.memberships_removed)} case(s): "
                    f"{', '.join(result.memberships_removed)} (a new invite does not put them "
                    "back: `relais case add-member`)"
                )
            if result.still_owner_of:
                print(
                    f"still the owner of {', '.join(result.still_owner_of)}: give each case "
                    "another owner (`relais case set-owner CODE NAME`); a new invite would "
                    "restore their access to it"
                )
        return 0

    return with_relais(args, run)


def _trust(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        confirmed = await relais.trust_identity(args.name)
        if args.json:
            emit_json(
                [
                    {"channel": c.channel, "user_id": c.user_id, "master_key": c.master_key}
                    for c in confirmed
                ]
            )
            return 0
        for c in confirmed:
            print(f"{args.name} on {c.channel} ({c.user_id}): identity pinned")
            print(f"  master key {fingerprint(c.master_key)}")
        print("Case data is shown to their devices signed by this identity again.")
        return 0

    return with_relais(args, run)


def _identity_line(identity: ChannelIdentity) -> str:
    if identity.seen_master_key is not None:
        return f"{identity.channel} (identity changed: confirm with `relais admin trust`)"
    return identity.channel


def _list(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        people = await relais.list_practitioners()
        if args.json:
            emit_json([practitioner_dict(p, team) for p, team in people])
            return 0
        for p, team in people:
            channels = ", ".join(_identity_line(i) for i in p.identities) or "not enrolled"
            state = " (revoked)" if p.revoked else ""
            print(f"{p.name}{state} [{', '.join(sorted(p.roles))}] team {team}: {channels}")
        if not people:
            print("no practitioner yet: `relais admin invite --role ROLE --name NAME`")
        return 0

    return with_relais(args, run)
