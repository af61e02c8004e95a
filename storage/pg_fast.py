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

from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.types import TypeEngine

from storage.sqlite_fast import CompiledStatement

__all__ = ["PgStatement", "translated"]


class PgStatement(CompiledStatement):
    """One statement compiled for asyncpg (`$n` parameters, the casts SQLAlchemy renders),
    executable on an `asyncpg.Connection`."""

    def __init__(
        self,
        statement: ClauseElement,
        dialect: Dialect,
        *,
        column_keys: Sequence[str] | None = None,
    ) -> None:
        super().__init__(statement, dialect, column_keys=column_keys)
        if "POSTCOMPILE" in self.sql:  # an expanding IN list: SQLAlchemy's to run
            raise ValueError("a statement with parameters expanded at execution")

    @staticmethod
    def _bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
        return type_.dialect_impl(dialect).bind_processor(dialect)

    @staticmethod
    def _result_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
        return type_.dialect_impl(dialect).result_processor(dialect, None)

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
