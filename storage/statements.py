"""The one place that picks how a repository's statement runs: a fast path (SQLite, or
PostgreSQL outside a transaction) or SQLAlchemy.

On SQLite's inline driver (`storage.sqlite_inline`) a transaction has the driver connection
(`raw`); a statement run here is then compiled once by SQLAlchemy (`storage.sqlite_fast`) and
executed on that connection, in the transaction SQLAlchemy opened on it. On PostgreSQL, in an
autocommit block (`Database.autocommit`: a chat turn), the block has the asyncpg connection
(`pg`) and `write` and `first` run there (`storage.pg_fast`); in a transaction they go through
SQLAlchemy, which begins it (a statement run beside it on the driver would commit on its own).
Repositories do not branch on the path: they hand their statement to `tx.sql` (`Tx.sql`), and
`tests/storage/test_sqlite_fast.py` and `tests/storage/test_pg_fast.py` hold both paths to the
same rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement, Executable

from storage.pg_fast import PgStatement, translated
from storage.sqlite_fast import FastStatement

__all__ = ["Statements"]

#: (statement id, column keys) -> (statement, compiled): the statement is kept so its id stays
#: its own; repositories build each statement once (module constants or cached builders)
_COMPILED: dict[tuple[int, tuple[str, ...] | None], tuple[Executable, FastStatement]] = {}
_COMPILED_PG: dict[tuple[int, tuple[str, ...] | None], tuple[Executable, PgStatement]] = {}


class Statements:
    """Runs statements in one transaction, on the fast path when there is one."""

    def __init__(
        self, conn: AsyncConnection, raw: sqlite3.Connection | None = None, pg: Any = None
    ) -> None:
        self._conn = conn
        self._raw = raw
        #: PostgreSQL, autocommit only: the `asyncpg.Connection` under `conn`
        self._pg = pg

    @property
    def fast(self) -> bool:
        return self._raw is not None or self._pg is not None

    def _compiled_pg(
        self, statement: Executable, column_keys: Sequence[str] | None
    ) -> PgStatement:
        keys = tuple(column_keys) if column_keys is not None else None
        found = _COMPILED_PG.get((id(statement), keys))
        if found is None or found[0] is not statement:
            compiled = PgStatement(
                cast(ClauseElement, statement), self._conn.dialect, column_keys=keys
            )
            found = (statement, compiled)
            _COMPILED_PG[(id(statement), keys)] = found
        return found[1]

    async def _on_pg(
        self,
        statement: Executable,
        values: Mapping[str, Any],
        column_keys: Sequence[str] | None,
        *,
        fetch: bool,
    ) -> Any:
        """Run a statement on the asyncpg connection: the row (`fetch`) or the rows changed."""
        compiled = self._compiled_pg(statement, column_keys)
        pg, args = self._pg, compiled.bound(values)  # a missing value: KeyError, a bug
        try:
            if fetch:
                return compiled.row(await pg.fetchrow(compiled.sql, *args))
            return compiled.rowcount(await pg.execute(compiled.sql, *args))
        except Exception as error:
            if not pg.is_closed():
                found = translated(error, compiled.sql, self._conn.dialect)
                if found is error:
                    raise
                raise found from error
            # A dead connection (the server restarted or ended it; nothing ran): SQLAlchemy
            # finds it so, invalidates it and the pool's older ones, and raises the error
            # `storage.retry` runs the turn again for, on a new connection.
            self._pg = None
            await self._conn.execute(statement, dict(values))
            raise  # not reached: a closed connection runs nothing

    def _compiled(self, statement: Executable, column_keys: Sequence[str] | None) -> FastStatement:
        keys = tuple(column_keys) if column_keys is not None else None
        found = _COMPILED.get((id(statement), keys))
        if found is None or found[0] is not statement:
            found = (
                statement,
                FastStatement(
                    cast(ClauseElement, statement), self._conn.dialect, column_keys=keys
                ),
            )
            _COMPILED[(id(statement), keys)] = found
        return found[1]

    async def write(
        self,
        statement: Executable,
        values: Mapping[str, Any],
        *,
        column_keys: Sequence[str] | None = None,
    ) -> int:
        """Run an insert, update or delete; returns the number of rows it changed."""
        if self._raw is not None:
            return self._compiled(statement, column_keys).execute(self._raw, values)
        if self._pg is not None:
            return int(await self._on_pg(statement, values, column_keys, fetch=False))
        return int((await self._conn.execute(statement, dict(values))).rowcount)

    async def write_many(
        self,
        statement: Executable,
        rows: Sequence[Mapping[str, Any]],
        *,
        column_keys: Sequence[str] | None = None,
    ) -> int:
        """Run one statement for each row (one executemany through SQLAlchemy); returns the
        number of rows changed."""
        if not rows:
            return 0
        if self._raw is not None:
            compiled = self._compiled(statement, column_keys)
            return sum(compiled.execute(self._raw, row) for row in rows)
        return int((await self._conn.execute(statement, [dict(row) for row in rows])).rowcount)

    async def first(self, statement: Executable, values: Mapping[str, Any]) -> Any:
        """The first row of a query (attribute access by column name), or None."""
        if self._raw is not None:
            return self._compiled(statement, None).first(self._raw, values)
        if self._pg is not None:
            return await self._on_pg(statement, values, None, fetch=True)
        return (await self._conn.execute(statement, dict(values))).first()
