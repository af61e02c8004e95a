"""Database fixtures shared by every test area.

- ``database_url``: a fresh database at the newest migration, one per test, parametrized over
  ``sqlite`` and ``postgres``. SQLite: a copy of a template file migrated once per session.
  PostgreSQL: ``CREATE DATABASE ... TEMPLATE`` of a database migrated once per session, dropped
  after the test. PostgreSQL comes from RELAIS_TEST_POSTGRES (e.g.
  postgresql://postgres@127.0.0.1:5432/test): skipped when unset, a FAILURE when
  RELAIS_TEST_POSTGRES_REQUIRED=1 and the server cannot be reached.
- ``empty_database_url``: the same, without any table (migration tests).
- ``sqlite_url``: only the SQLite variant (tests that need one backend only).
- ``clock`` (FakeClock), ``config`` (data dir under tmp_path, the test database, embedded
  keys) and ``relais`` (an open `bot.app.Relais`).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.app import Relais
from bot.clock import FakeClock
from bot.config import Config, StorageConfig

_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:4]
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
_ENV_CLEARED = ("RELAIS_DATABASE_URL", "RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG")


def _pg_base() -> str | None:
    return os.environ.get("RELAIS_TEST_POSTGRES") or None


def _pg_required() -> bool:
    return os.environ.get("RELAIS_TEST_POSTGRES_REQUIRED") == "1"


def _pg_url(database: str) -> str:
    base = _pg_base()
    assert base is not None
    url = make_url(base).set(drivername="postgresql+asyncpg", database=database)
    return url.render_as_string(hide_password=False)


async def _pg_exec(*statements: str) -> None:
    conn = await _connect(make_url(_pg_base() or "").database or "postgres")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


class _Postgres:
    """One template database per test session; a fresh copy per test.

    Copies (``CREATE DATABASE ... TEMPLATE``) cost ~0.4 s, so a used database whose schema is
    still at head is emptied (DELETE, genesis row of the audit chain re-inserted) and
    reused by the next test; one that cannot be emptied quickly, or whose schema changed, is
    dropped.
    """

    def __init__(self) -> None:
        self.prefix = f"relais_t{os.getpid()}_{_HOST}_{uuid.uuid4().hex[:6]}"
        self.template = f"{self.prefix}_tpl"
        self.empty = f"{self.prefix}_empty"
        self.ready = False
        self.pool: list[str] = []
        self.reusable = False

    def setup(self) -> None:
        from storage import migrate

        asyncio.run(_drop_stale_databases())
        asyncio.run(_pg_exec(f"CREATE DATABASE {self.template}", f"CREATE DATABASE {self.empty}"))
        self.ready = True
        asyncio.run(migrate.upgrade(_pg_url(self.template)))
        seeded = asyncio.run(_seeded_tables(self.template))
        # only the genesis row of the audit chain is seeded by the migrations we know
        self.reusable = seeded == {"audit_head": 1}

    def fresh(self, *, migrated: bool) -> str:
        if migrated and self.pool:
            return self.pool.pop()
        name = f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        source = self.template if migrated else self.empty
        asyncio.run(_pg_exec(f"CREATE DATABASE {name} TEMPLATE {source}"))
        return name

    def release(self, name: str, *, migrated: bool) -> None:
        if migrated and self.reusable and asyncio.run(_empty_out(name)):
            self.pool.append(name)
        else:
            self.drop(name)

    def drop(self, name: str) -> None:
        asyncio.run(_pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def teardown(self) -> None:
        for name in self.pool:
            self.drop(name)
        if self.ready:
            self.drop(self.template)
            self.drop(self.empty)


async def _connect(database: str) -> Any:
    import asyncpg

    base = make_url(_pg_base() or "")
    return await asyncpg.connect(
        host=base.host or "127.0.0.1",
        port=base.port or 5432,
        user=base.username or "postgres",
        password=base.password,
        database=database,
        timeout=5,
    )


async def _drop_stale_databases() -> None:
    """Drop test databases left behind by test sessions that died (their pid is gone)."""
    conn = await _connect(make_url(_pg_base() or "").database or "postgres")
    try:
        names = [
            r["datname"]
            for r in await conn.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE 'relais\\_t%'"
            )
        ]
        for name in names:
            match = re.match(r"relais_t(\d+)_([0-9a-f]{4})_", name)
            # only ours: same host (same pid namespace), process gone
            if match and match.group(2) == _HOST and not _alive(int(match.group(1))):
                await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _seeded_tables(database: str) -> dict[str, int]:
    conn = await _connect(database)
    try:
        names = [
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        ]
        counts = {}
        for name in names:
            if name != "alembic_version":
                count = await conn.fetchval(f'SELECT count(*) FROM "{name}"')
                if count:
                    counts[name] = int(count)
        return counts
    finally:
        await conn.close()


async def _empty_out(database: str) -> bool:
    """Empty every table of a used test database; False when it should be dropped instead."""
    from storage import migrate

    conn = await _connect(database)
    try:
        version = await conn.fetchval("SELECT version_num FROM alembic_version")
        if version != migrate.head():
            return False
        await conn.execute("SET lock_timeout = '2s'")
        names = [
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
            if r["tablename"] != "alembic_version"
        ]
        async with conn.transaction():
            # DELETE beats TRUNCATE on tiny tables (no new files); FK triggers off meanwhile
            await conn.execute("SET LOCAL session_replication_role = replica")
            for name in names:
                await conn.execute(f'DELETE FROM "{name}"')
            await conn.execute(
                "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, $1)", "0" * 64
            )
        return True
    except Exception:
        return False
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def _postgres() -> Iterator[_Postgres | None]:
    if not _pg_base():
        if _pg_required():
            pytest.fail("RELAIS_TEST_POSTGRES_REQUIRED=1 but RELAIS_TEST_POSTGRES is not set")
        yield None
        return
    server = _Postgres()
    try:
        server.setup()
    except Exception as exc:  # unreachable, refused, bad credentials, no such database
        if _pg_required():
            pytest.fail(f"PostgreSQL at {_pg_base()} is unreachable: {exc}")
        yield None
        return
    yield server
    server.teardown()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from storage import migrate

    path = tmp_path_factory.mktemp("sqlite-template") / "relais.db"
    asyncio.run(migrate.upgrade(f"sqlite:///{path}"))
    return path


def _sqlite_copy(template: Path, target_dir: Path) -> str:
    target = target_dir / "relais.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def _database(
    request: pytest.FixtureRequest, template: Path | None, tmp_path: Path, *, migrated: bool
) -> Iterator[str]:
    if request.param == "sqlite":
        if template is None:
            yield f"sqlite:///{tmp_path / 'relais.db'}"
        else:
            yield _sqlite_copy(template, tmp_path)
        return
    postgres: _Postgres | None = request.getfixturevalue("_postgres")  # only when needed
    if postgres is None:
        pytest.skip("PostgreSQL tests need RELAIS_TEST_POSTGRES")
    name = postgres.fresh(migrated=migrated)
    try:
        yield _pg_url(name)
    finally:
        postgres.release(name, migrated=migrated)


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, _sqlite_template: Path, tmp_path: Path
) -> Iterator[str]:
    """A fresh, migrated database for this test (sqlite and postgres)."""
    yield from _database(request, _sqlite_template, tmp_path, migrated=True)


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database without any table (sqlite and postgres)."""
    yield from _database(request, None, tmp_path, migrated=False)


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite database (tests that need one backend only)."""
    return _sqlite_copy(_sqlite_template, tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """A configuration on the test database with embedded keys under tmp_path/data."""
    for name in _ENV_CLEARED:
        monkeypatch.delenv(name, raising=False)
    return Config(data_dir=str(tmp_path / "data"), storage=StorageConfig(url=database_url))


@pytest.fixture
async def relais(config: Config, clock: FakeClock) -> AsyncIterator[Relais]:
    app = await Relais.open(config, clock)
    try:
        yield app
    finally:
        await app.close()
