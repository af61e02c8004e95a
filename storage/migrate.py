"""Schema migrations from the package: upgrade, downgrade, current revision, head, check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine
from storage.errors import ConfigError, SchemaOutOfDate

__all__ = [
    "check_schema",
    "current",
    "downgrade",
    "head",
    "known_revisions",
    "reporting",
    "upgrade",
]

_HERE = Path(__file__).resolve().parent


def _config() -> AlembicConfig:
    cfg = AlembicConfig(str(_HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    return cfg


def head() -> str:
    rev = ScriptDirectory.from_config(_config()).get_current_head()
    assert rev is not None
    return rev


def known_revisions() -> set[str]:
    """Every revision of this package's migrations (a backup at one of them can be restored)."""
    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _with_migration_engine(url: str, fn_name: str, revision: str) -> None:
    engine = create_engine(url, immediate=False, foreign_keys=False)
    try:
        async with engine.connect() as conn:

            def run(sync_conn: Connection) -> None:
                cfg = _config()
                cfg.attributes["connection"] = sync_conn
                getattr(command, fn_name)(cfg, revision)

            await conn.run_sync(run)
            await conn.commit()
    finally:
        await engine.dispose()


async def upgrade(url: str, revision: str = "head") -> None:
    async with reporting(url):
        await _with_migration_engine(url, "upgrade", revision)


async def downgrade(url: str, revision: str) -> None:
    async with reporting(url):
        await _with_migration_engine(url, "downgrade", revision)


async def current(url: str) -> str | None:
    engine = create_engine(url, immediate=False)
    try:
        async with reporting(url), engine.connect() as conn:
            return await conn.run_sync(_current)
    finally:
        await engine.dispose()


def unreachable(url: str, exc: BaseException) -> ConfigError:
    """A one-line error for a database that cannot be reached (no password in it)."""
    safe = make_url(url).render_as_string(hide_password=True)
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
    return ConfigError(f"cannot reach the database {safe}: {reason}", "storage.url")


@asynccontextmanager
async def reporting(url: str) -> AsyncIterator[None]:
    """Turn connection failures into ConfigError (printed as one line by the CLI)."""
    try:
        yield
    except (OSError, OperationalError, InterfaceError) as exc:
        raise unreachable(url, exc) from exc


async def check_schema(engine: AsyncEngine) -> None:
    """Raise SchemaOutOfDate unless the database is at the head revision."""
    url = engine.url.render_as_string(hide_password=False)
    async with reporting(url), engine.connect() as conn:
        rev = await conn.run_sync(_current)
        await conn.rollback()
    expected = head()
    if rev != expected:
        found = rev or "empty database"
        raise SchemaOutOfDate(
            f"the database schema is out of date ({found}, expected {expected}): "
            "run `relais db upgrade` first"
        )
