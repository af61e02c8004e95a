"""A transaction PostgreSQL aborted for a conflict (serialization failure, deadlock) is run
again; any other database error is raised at once."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.app import Relais
from storage.retry import ATTEMPTS, is_conflict, retry_conflicts

POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _raising(state: str) -> str:
    return f"DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '{state}'; END $$"


@POSTGRES_ONLY
@pytest.mark.parametrize("state", ["40001", "40P01"])
async def test_a_conflict_is_run_again(relais: Relais, state: str) -> None:
    calls = 0

    @retry_conflicts
    async def transaction() -> int:
        nonlocal calls
        calls += 1
        async with relais.db.begin() as conn:
            if calls < 3:
                await conn.execute(text(_raising(state)))
            return int(await conn.scalar(text("SELECT 7")) or 0)

    assert await transaction() == 7
    assert calls == 3


@POSTGRES_ONLY
async def test_other_errors_and_endless_conflicts_are_raised(relais: Relais) -> None:
    calls = 0

    @retry_conflicts
    async def transaction(state: str) -> None:
        nonlocal calls
        calls += 1
        async with relais.db.begin() as conn:
            await conn.execute(text(_raising(state)))

    with pytest.raises(DBAPIError) as raised:
        await transaction("23505")
    assert calls == 1
    assert not is_conflict(raised.value)
    calls = 0
    with pytest.raises(DBAPIError) as raised:
        await transaction("40001")
    assert calls == ATTEMPTS
    assert is_conflict(raised.value)
