"""The statements of a typed chat turn, run on the asyncpg connection itself (PostgreSQL).

A chat turn on PostgreSQL is two autocommit statements (the turn's start, the session save).
Through SQLAlchemy each one also cost its async machinery: a greenlet switch into the sync
core and back, the compiled cache lookup, an execution context, the adapted cursor and the
result set-up; measured, that was most of this process's time per turn. So in an autocommit
block (`storage.database.Database.autocommit`) they are compiled once by SQLAlchemy (for asyncpg:
`$n` parameters, the casts SQLAlchemy renders) and run with asyncpg's `fetchrow` / `execute`,
whose own statement cache prepares each of them once per connection.

Nothing is written by hand: the SQL is SQLAlchemy's compilation of the repositories'
statements, values go through the column types' bind and result processors for this dialect
(`UTCDateTime` included), and an error is raised as SQLAlchemy would raise it: a dead
connection is handed back to SQLAlchemy, which invalidates it (and the pool's older ones) and
raises the `DBAPIError` that `storage.retry` runs the turn again for; any other driver error
is translated to SQLAlchemy's exception classes (IntegrityError, a conflict's SQLSTATE kept).
`tests/storage/test_pg_fast.py` holds both paths to the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from storage.sqlite_fast import FastRow

__all__ = ["PgStatement", "translated"]


class PgStatement:
    """One statement compiled for asyncpg, executable on an `asyncpg.Connection`."""

    def __init__(
        self,
        statement: ClauseElement,
        dialect: Dialect,
        *,
        column_keys: Sequence[str] | None = None,
    ) -> None:
        compiled = cast(
            SQLCompiler,
            statement.compile(
                dialect=dialect, column_keys=list(column_keys) if column_keys else None
            ),
        )
        self.sql = compiled.string
        if "POSTCOMPILE" in self.sql:  # an expanding IN list: SQLAlchemy's to run
            raise ValueError("a statement with parameters expanded at execution")
        #: (name, required, fixed value, processor) of each `$n`, in order
        self._params: list[tuple[str, bool, Any, Callable[[Any], Any] | None]] = []
        for name in compiled.positiontup or []:
            bind = compiled.binds[name]
            fixed = None if bind.required else bind.effective_value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            self._params.append((name, bind.required, fixed, processor))
        self._columns: list[tuple[str, Callable[[Any], Any] | None]] = []
        for column in getattr(statement, "selected_columns", None) or ():
            processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
            self._columns.append((column.key, processor))

    def bound(self, values: Mapping[str, Any]) -> list[Any]:
        bound = []
        for name, required, fixed, processor in self._params:
            value = values[name] if required else values.get(name, fixed)  # KeyError: a bug
            bound.append(processor(value) if processor is not None else value)
        return bound

    def row(self, record: Any) -> FastRow | None:
        """asyncpg's record as the row SQLAlchemy would have returned (None for no row)."""
        if record is None:
            return None
        return FastRow(
            {
                name: processor(value) if processor is not None else value
                for (name, processor), value in zip(self._columns, record, strict=True)
            }
        )

    @staticmethod
    def rowcount(status: str) -> int:
        """The rows a write changed, from asyncpg's status ("UPDATE 1", "INSERT 0 1")."""
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else -1


def translated(error: Exception, sql: str, dialect: Dialect) -> Exception:
    """A driver error (on a live connection) as SQLAlchemy raises it: asyncpg's exception
    becomes the dialect's DBAPI error (its SQLSTATE kept), wrapped in the matching
    `sqlalchemy.exc` class (`IntegrityError`, `OperationalError`, ...)."""
    dbapi = dialect.loaded_dbapi
    try:
        AsyncAdapt_asyncpg_connection._handle_exception_no_connection(dbapi, error)
    except dbapi.Error as dbapi_error:
        return cast(
            Exception,
            DBAPIError.instance(sql, None, dbapi_error, dbapi.Error, dialect=dialect),
        )
    except Exception as other:  # not the driver's: raised as it is
        return other
    raise AssertionError("unreachable")  # pragma: no cover
