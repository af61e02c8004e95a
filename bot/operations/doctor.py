"""`relais doctor`: everything an admin should check after installing, or when something feels
wrong. Each check gives findings with a status (ok, warn, fail), what is wrong and how to fix
it. No secret, name or text typed by a person is ever printed: paths, settings, counts.

Checks: configuration valid; secret files readable by their owner only; schema current; keys
present and able to decrypt a sample; the audit chain verifies; each enabled channel reachable
with its credentials (Telegram getMe; Matrix: the homeserver answers, and whoami with the
stored access token is the bot's own device, with its encryption keys published; cross-signing
is reported, not required); the contacts directory has a fallback contact and every on-call
role has someone on call now (per team); disk space of the data directory; the clock agrees
with the homeserver's (Date header).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal

import aiohttp
from sqlalchemy import func, select

from bot.channels.matrix_state import Credentials, load_credentials
from bot.config import Config
from bot.errors import RelaisError
from bot.keystore import load_audit_secret, load_keyring
from bot.secretfiles import exposed_secret_files
from storage import migrate
from storage.models import ContactRow, OnCallRow, PractitionerRow, TeamRow

__all__ = ["Finding", "run_checks"]

Status = Literal["ok", "warn", "fail"]

#: below this much free space in the data directory: fail; below WARN_FREE: warn
MIN_FREE = 512 * 1024 * 1024
WARN_FREE = 2 * 1024 * 1024 * 1024
#: a clock further than this from the homeserver's breaks Matrix encryption and timeouts
MAX_SKEW = 30.0
TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    status: Status
    message: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _ok(check: str, message: str) -> Finding:
    return Finding(check, "ok", message)


async def run_checks(config: Config, *, now: datetime | None = None) -> list[Finding]:
    """Every check on a valid configuration (the caller reports an invalid one)."""
    now = now or datetime.now(UTC)
    findings = [_ok("config", f"configuration valid ({config.source or 'defaults'})")]
    secrets = _secret_files(config)
    findings += secrets
    findings += _disk(config)
    if any(f.status == "fail" for f in secrets):
        # Relais refuses to read a secret others can read: what needs one is not tried
        fix = "fix the secret files first (see above), then run relais doctor again"
        return [*findings, Finding("keys", "fail", "not checked: a secret file is exposed", fix)]
    schema = await _schema(config)
    findings += schema
    if all(f.status == "ok" for f in schema):
        findings += await _keys_and_audit(config)
        findings += await _contacts(config, now)
    findings += await _telegram(config)
    findings += await _matrix(config, now)
    return findings


def _secret_files(config: Config) -> list[Finding]:
    bad = exposed_secret_files(config)
    if not bad:
        return [_ok("secret files", "readable by their owner only")]
    return [
        Finding(
            "secret files",
            "fail",
            f"the {item.what} {item.path} ({item.key}) can be read by other users "
            f"(mode {mode:04o})",
            f"chmod 600 {item.path}",
        )
        for item, mode in bad
    ]


def _disk(config: Config) -> list[Finding]:
    path = config.data_path
    while not path.exists() and path != path.parent:
        path = path.parent
    usage = shutil.disk_usage(path)
    free = f"{usage.free / 2**30:.1f} GiB free in {config.data_path}"
    fix = f"free some space on the disk of {config.data_path} (or move data_dir)"
    if usage.free < MIN_FREE:
        return [Finding("disk", "fail", free + ": Relais may stop writing", fix)]
    if usage.free < WARN_FREE:
        return [Finding("disk", "warn", free, fix)]
    return [_ok("disk", free)]


async def _schema(config: Config) -> list[Finding]:
    try:
        current = await migrate.current(config.database_url())
    except RelaisError as exc:
        return [Finding("schema", "fail", str(exc), "check [storage] url and the database")]
    head = migrate.head()
    if current != head:
        return [
            Finding(
                "schema",
                "fail",
                f"database schema at {current or 'nothing'}, this Relais needs {head}",
                "back up, then run: relais db upgrade",
            )
        ]
    return [_ok("schema", f"database schema current ({head})")]


async def _keys_and_audit(config: Config) -> list[Finding]:
    from bot.app import Relais  # the application needs a current schema

    out: list[Finding] = []
    try:
        load_keyring(config, create=False)
        load_audit_secret(config, create=False)
    except RelaisError as exc:
        fix = "restore the key file and the audit secret from your backup (see keys.* settings)"
        return [Finding("keys", "fail", str(exc), fix)]
    relais = await Relais.open(config)
    try:
        async with relais.db.connect() as conn:
            row = (
                await conn.execute(
                    select(PractitionerRow.id, PractitionerRow.display_name_enc).limit(1)
                )
            ).first()
        if row is None:
            out.append(_ok("keys", "keys present (no encrypted data yet to try them on)"))
        else:
            try:
                relais.db.keys.decrypt(
                    row.display_name_enc,
                    table="practitioners",
                    column="display_name",
                    row_id=row.id,
                )
                out.append(_ok("keys", "keys present and able to decrypt the data"))
            except Exception as exc:
                out.append(
                    Finding(
                        "keys",
                        "fail",
                        f"the keys cannot decrypt the data ({type(exc).__name__})",
                        "use the key file that belongs to this database (from its backup)",
                    )
                )
        report = await relais.audit_verify()
        if report.ok:
            out.append(_ok("audit", f"audit chain verifies ({report.entries} entries)"))
        else:
            out.append(
                Finding(
                    "audit",
                    "fail",
                    f"audit chain broken: {len(report.problems)} problem(s)",
                    "run `relais audit verify` for the details; check the audit secret",
                )
            )
    finally:
        await relais.close()
    return out


async def _contacts(config: Config, now: datetime) -> list[Finding]:
    from bot.app import Relais

    out: list[Finding] = []
    role = config.checkins.fallback_contact
    relais = await Relais.open(config)
    try:
        async with relais.db.connect() as conn:
            teams = (await conn.execute(select(TeamRow.id, TeamRow.name))).all()
            for team in teams:
                fallback = await conn.scalar(
                    select(func.count())
                    .select_from(ContactRow)
                    .where(ContactRow.team_id == team.id, ContactRow.role == role)
                )
                if not fallback:
                    out.append(
                        Finding(
                            "contacts",
                            "fail",
                            f"team {team.name!r} has no fallback contact (role {role!r})",
                            f"add a contact with role {role} (relais contacts import), "
                            "or set checkins.fallback_contact",
                        )
                    )
                roles = (
                    await conn.execute(
                        select(OnCallRow.role).where(OnCallRow.team_id == team.id).distinct()
                    )
                ).scalars()
                for oncall_role in sorted(roles):
                    someone = await conn.scalar(
                        select(func.count())
                        .select_from(OnCallRow)
                        .where(
                            OnCallRow.team_id == team.id,
                            OnCallRow.role == oncall_role,
                            OnCallRow.starts_at <= now,
                            OnCallRow.ends_at > now,
                        )
                    )
                    if not someone:
                        out.append(
                            Finding(
                                "on call",
                                "fail",
                                f"team {team.name!r}: nobody on call now for {oncall_role!r}",
                                "extend the rota (relais contacts import) so that it covers now",
                            )
                        )
    finally:
        await relais.close()
    if not out:
        out.append(_ok("contacts", "every team has a fallback contact and someone on call"))
    return out


async def _get(session: aiohttp.ClientSession, url: str, **kw: Any) -> tuple[int, Any, Any]:
    async with session.get(url, **kw) as resp:
        try:
            body = await resp.json(content_type=None)
        except (json.JSONDecodeError, aiohttp.ContentTypeError, ValueError):
            body = None
        return resp.status, body, resp.headers


async def _telegram(config: Config) -> list[Finding]:
    if not config.telegram.enabled:
        return []
    try:
        token = config.telegram_token.read()
    except RelaisError as exc:
        return [Finding("telegram", "fail", str(exc), "set RELAIS_TELEGRAM_TOKEN or token_file")]
    base = config.telegram.base_url or "https://api.telegram.org/bot"
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            status, body, _ = await _get(session, f"{base}{token}/getMe")
    except (aiohttp.ClientError, TimeoutError) as exc:
        return [
            Finding(
                "telegram",
                "fail",
                f"cannot reach the Bot API ({type(exc).__name__})",
                "check the network, a proxy, or telegram.base_url",
            )
        ]
    if status == 200 and isinstance(body, dict) and body.get("ok"):
        name = body.get("result", {}).get("username", "?")
        return [_ok("telegram", f"Bot API reachable, token valid (bot @{name})")]
    if status in (401, 404):
        return [
            Finding(
                "telegram",
                "fail",
                "the Bot API refused the token",
                "put the token from @BotFather in RELAIS_TELEGRAM_TOKEN or telegram.token_file",
            )
        ]
    return [Finding("telegram", "fail", f"getMe answered HTTP {status}", "try again later")]


def _matrix_login(config: Config) -> Credentials | None:
    """The device the bot logged in as (user, device, access token), if it has yet."""
    store = Path(config.matrix.store_path or config.data_path / "matrix")
    try:
        return load_credentials(store)
    except (OSError, ValueError, KeyError):
        return None


def _device_keys(keys: Any, user: str, device: str) -> Finding:
    """The bot's device must have published its encryption keys (else nobody can send it an
    encrypted message); cross-signing is reported, not required."""
    published = isinstance(keys, dict) and device in keys.get("device_keys", {}).get(user, {})
    if not published:
        return Finding(
            "matrix device",
            "fail",
            f"device {device} has no encryption keys on the homeserver",
            "start `relais run`: it publishes them (or delete the Matrix store to log in anew)",
        )
    signed = isinstance(keys, dict) and user in keys.get("master_keys", {})
    return _ok(
        "matrix device",
        f"encryption keys published; cross-signing {'set up' if signed else 'not set up'}",
    )


async def _matrix(config: Config, now: datetime) -> list[Finding]:
    if not config.matrix.enabled:
        return []
    server = config.matrix.homeserver.rstrip("/")
    out: list[Finding] = []
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            status, _, headers = await _get(session, f"{server}/_matrix/client/versions")
            login = _matrix_login(config)
            who, keys = None, None
            if login is not None:
                auth = {"Authorization": f"Bearer {login.access_token}"}
                api = f"{server}/_matrix/client/v3"
                who = await _get(session, f"{api}/account/whoami", headers=auth)
                if who[0] == 200:
                    query = {"device_keys": {login.user_id: [login.device_id]}}
                    async with session.post(f"{api}/keys/query", json=query, headers=auth) as resp:
                        keys = await resp.json(content_type=None) if resp.status == 200 else None
    except (aiohttp.ClientError, TimeoutError) as exc:
        return [
            Finding(
                "matrix",
                "fail",
                f"cannot reach the homeserver {server} ({type(exc).__name__})",
                "check matrix.homeserver and the network",
            )
        ]
    if status != 200:
        return [Finding("matrix", "fail", f"{server} answered HTTP {status}", "check the URL")]
    if who is None:
        out.append(
            Finding(
                "matrix",
                "warn",
                "homeserver reachable; the bot has not logged in yet (no session stored)",
                "start `relais run` once: it logs in with matrix.password_file",
            )
        )
    elif who[0] == 200 and isinstance(who[1], dict) and login is not None:
        user, device = who[1].get("user_id"), who[1].get("device_id")
        if user != config.matrix.user_id or device != login.device_id:
            out.append(
                Finding(
                    "matrix",
                    "fail",
                    "the stored session is not the bot's device (another account than "
                    "matrix.user_id, or another device)",
                    "delete the Matrix store directory and start again",
                )
            )
        else:
            out.append(_ok("matrix", f"homeserver reachable, logged in (device {device})"))
            out.append(_device_keys(keys, login.user_id, login.device_id))
    else:
        out.append(
            Finding(
                "matrix",
                "fail",
                f"the homeserver refused the stored access token (HTTP {who[0]})",
                "the device was logged out: delete the Matrix store and start `relais run`",
            )
        )
    date = headers.get("Date")
    if date:
        skew = (parsedate_to_datetime(date) - now).total_seconds()
        if abs(skew) > MAX_SKEW:
            out.append(
                Finding(
                    "clock",
                    "fail",
                    f"this machine's clock is {abs(skew):.0f} s "
                    f"{'behind' if skew > 0 else 'ahead of'} the homeserver's",
                    "enable time synchronisation (e.g. systemd-timesyncd or chrony)",
                )
            )
        else:
            out.append(_ok("clock", f"agrees with the homeserver ({skew:+.0f} s)"))
    return out
