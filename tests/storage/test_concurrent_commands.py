"""Commands and the bot at the same moment on PostgreSQL: every get-or-create is an upsert
(teams, practitioners by name, roles, chat bindings), a conflict aborts nothing visible.

Several `Relais` instances (each its own engine and pool, as separate processes would have)
on one fresh database; and two real `relais admin invite` processes started together.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Relais
from bot.clock import FakeClock
from bot.config import Config
from storage.models import ChannelIdentityRow, ContactRow, PractitionerRow, TeamRow

ROOT = Path(__file__).resolve().parents[2]
RELAIS = str(Path(sys.executable).parent / "relais")
POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


async def _count(relais: Relais, table: type, *where: object) -> int:
    async with relais.db.connect() as conn:
        stmt = select(func.count()).select_from(table)
        for condition in where:
            stmt = stmt.where(condition)  # type: ignore[arg-type]
        return int(await conn.scalar(stmt) or 0)


@POSTGRES_ONLY
async def test_invites_and_redemptions_at_once(
    relais: Relais, config: Config, clock: FakeClock
) -> None:
    others = [await Relais.open(config, clock) for _ in range(3)]
    apps = [relais, *others]
    try:
        names = [f"Mentor {i}" for i in range(8)] + ["Same Name", "Same Name"]
        invites = await asyncio.gather(
            *(
                apps[i % len(apps)].create_invite(role="mentor", name=name)
                for i, name in enumerate(names)
            )
        )  # a fresh database: every one of them finds no team and creates "default"
        assert await _count(relais, TeamRow) == 1
        assert {invite.team for invite in invites} == {"default"}
        assert await _count(relais, PractitionerRow) == 9  # "Same Name" is one practitioner
        # Redeemed at once on different instances; two codes redeemed from one chat at once.
        users = [str(1000 + i) for i in range(len(invites))]
        users[-1] = users[-2]
        actors = await asyncio.gather(
            *(
                apps[(i + 1) % len(apps)].redeem_invite("telegram", user, invite.code)
                for i, (user, invite) in enumerate(zip(users, invites, strict=True))
            )
        )
        assert len(actors) == len(invites)
        assert await _count(relais, ChannelIdentityRow) == len(set(users))
        notes = await asyncio.gather(
            *(apps[i % len(apps)].create_case(f"K-{i}", owner=f"Mentor {i}") for i in range(8))
        )
        assert len(notes) == 8
        report = await relais.audit_verify()
        assert report.ok, report.problems
    finally:
        for app in others:
            await app.close()


@POSTGRES_ONLY
async def test_two_invite_commands_at_the_same_moment(database_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env["RELAIS_DATABASE_URL"] = database_url
    env["RELAIS_DATA_DIR"] = str(tmp_path / "data")
    first = await asyncio.create_subprocess_exec(
        RELAIS, "keys", "status", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await first.wait()  # the keys exist before both commands read them
    procs = [
        await asyncio.create_subprocess_exec(
            RELAIS, "admin", "invite", "--role", "mentor", "--name", name, "--json",
            env=env, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        for name in ("Ana", "Ben", "Ana")
    ]  # fmt: skip
    results = [await proc.communicate() for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()[-3000:]
        assert b"Traceback" not in err
        assert json.loads(out)["team"] == "default"


@POSTGRES_ONLY
async def test_two_contact_imports_at_once_replace_not_duplicate(
    relais: Relais, config: Config, clock: FakeClock
) -> None:
    other = await Relais.open(config, clock)
    data = {
        "contact": [
            {"key": "e", "role": "emergency", "name": "Emergency", "phone": "112"},
            {"key": "a", "role": "on_call_psychologist", "name": "Dr A", "phone": "1"},
        ],
    }
    try:
        await relais.import_contacts(data, team="North")
        await asyncio.gather(
            *(app.import_contacts(data, team="North") for app in (relais, other) * 3)
        )
    finally:
        await other.close()
    assert await _count(relais, ContactRow) == 2
