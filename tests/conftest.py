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
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.app import Relais
from bot.clock import FakeClock
from bot.config import Config, StorageConfig

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
    import asyncpg

    base = make_url(_pg_base() or "")
    conn = await asyncpg.connect(
        host=base.host or "127.0.0.1",
        port=base.port or 5432,
        user=base.username or "postgres",
        password=base.password,
        database=base.database or "postgres",
        timeout=5,
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


class _Postgres:
    """One template database per test session; a fresh copy per test."""

    def __init__(self) -> None:
        self.prefix = f"relais_t{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template = f"{self.prefix}_tpl"
        self.empty = f"{self.prefix}_empty"
        self.ready = False
        self.created: list[str] = []

    def setup(self) -> None:
        from storage import migrate

        asyncio.run(
            _pg_exec(f"CREATE DATABASE {self.template}", f"CREATE DATABASE {self.empty}")
        )
        asyncio.run(migrate.upgrade(_pg_url(self.template)))
        self.ready = True

    def fresh(self, *, migrated: bool) -> str:
        name = f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        source = self.template if migrated else self.empty
        asyncio.run(_pg_exec(f"CREATE DATABASE {name} TEMPLATE {source} STRATEGY FILE_COPY"))
        return name

    def drop(self, name: str) -> None:
        asyncio.run(_pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def teardown(self) -> None:
        if self.ready:
            self.drop(self.template)
            self.drop(self.empty)


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
    except (OSError, asyncio.TimeoutError, ConnectionError) as exc:
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
    asyncio.run(migrate.upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


def _sqlite_copy(template: Path, target_dir: Path) -> str:
    target = target_dir / "relais.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


def _database(
    request: pytest.FixtureRequest,
    postgres: _Postgres | None,
    template: Path | None,
    tmp_path: Path,
    *,
    migrated: bool,
) -> Iterator[str]:
    if request.param == "sqlite":
        if template is None:
            yield f"sqlite+aiosqlite:///{tmp_path / 'relais.db'}"
        else:
            yield _sqlite_copy(template, tmp_path)
        return
    if postgres is None:
        pytest.skip("PostgreSQL tests need RELAIS_TEST_POSTGRES")
    name = postgres.fresh(migrated=migrated)
    try:
        yield _pg_url(name)
    finally:
        postgres.drop(name)


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest,
    _postgres: _Postgres | None,
    _sqlite_template: Path,
    tmp_path: Path,
) -> Iterator[str]:
    """A fresh, migrated database for this test (sqlite and postgres)."""
    yield from _database(request, _postgres, _sqlite_template, tmp_path, migrated=True)


@pytest.fixture(params=BACKENDS)
def empty_database_url(
    request: pytest.FixtureRequest, _postgres: _Postgres | None, tmp_path: Path
) -> Iterator[str]:
    """A fresh database without any table (sqlite and postgres)."""
    yield from _database(request, _postgres, None, tmp_path, migrated=False)


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
