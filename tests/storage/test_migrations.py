"""Migrations up and down on SQLite and PostgreSQL; the app refuses an out-of-date schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.app import Relais
from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from bot.errors import SchemaOutOfDate
from storage import migrate
from storage.db import create_engine
from storage.models import Base


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _diff(url: str) -> list[object]:
    engine = create_engine(url)

    def compare(conn: Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    url = empty_database_url
    assert await migrate.current(url) is None
    await migrate.upgrade(url)
    assert await migrate.current(url) == migrate.head()
    assert set(Base.metadata.tables) <= await _tables(url)
    assert await _diff(url) == []  # the migration builds exactly the models
    await migrate.downgrade(url, "base")
    assert await migrate.current(url) is None
    assert await _tables(url) <= {"alembic_version"}
    await migrate.upgrade(url)
    assert await migrate.current(url) == migrate.head()


async def test_open_refuses_out_of_date_schema(
    empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RELAIS_DATABASE_URL", raising=False)
    config = Config(data_dir=str(tmp_path / "d"), storage=StorageConfig(url=empty_database_url))
    with pytest.raises(SchemaOutOfDate, match="relais db upgrade"):
        await Relais.open(config, FakeClock())
    relais = await Relais.open(config, FakeClock(), migrate_schema=True)
    await relais.close()


async def test_new_sqlite_database_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "relais.db"
    await migrate.upgrade(f"sqlite:///{path}")
    assert path.stat().st_mode & 0o077 == 0
    assert path.parent.stat().st_mode & 0o077 == 0
