"""The statements of every chat message, run on the sqlite3 connection itself.

SQLAlchemy spends about 40 microseconds on each execution (cache lookup, execution context,
result set-up) for a statement SQLite runs in 2. A chat turn runs three of them, so on SQLite
they are compiled once by SQLAlchemy and then executed directly on the driver connection, in
the transaction SQLAlchemy opened on that same connection (so they commit or roll back with it).

Nothing is written by hand: the SQL is SQLAlchemy's compilation of the statements the
repositories define, and values go through the column types' own bind and result processors
(`UTCDateTime` included), so a row read here is the row SQLAlchemy would have returned.
`tests/storage/test_sqlite_fast.py` holds both paths to the same results.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

__all__ = ["CompiledStatement", "FastRow", "FastStatement"]


class FastRow:
    """A result row with attribute access by column name, like SQLAlchemy's `Row`."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None


class CompiledStatement:
    """One statement compiled once by SQLAlchemy for a dialect: its SQL, how each parameter
    is bound and how each selected column is read, with the column types' own processors
    (this module's `FastStatement` for SQLite, `storage.pg_fast.PgStatement` for asyncpg)."""

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
        #: (name, required, fixed value, processor) of each positional parameter, in order
        self._params: list[tuple[str, bool, Any, Callable[[Any], Any] | None]] = []
        for name in compiled.positiontup or []:
            bind = compiled.binds[name]
            fixed = None if bind.required else bind.effective_value
            self._params.append(
                (name, bind.required, fixed, self._bind_processor(bind.type, dialect))
            )
        self._columns: list[tuple[str, Callable[[Any], Any] | None]] = []
        for column in getattr(statement, "selected_columns", None) or ():
            self._columns.append((column.key, self._result_processor(column.type, dialect)))

    @staticmethod
    def _bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
        return type_.bind_processor(dialect)

    @staticmethod
    def _result_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
        return type_.result_processor(dialect, None)

    def bound(self, values: Mapping[str, Any]) -> list[Any]:
        """The parameters' values, in order, as the driver takes them."""
        bound = []
        for name, required, fixed, processor in self._params:
            value = values[name] if required else values.get(name, fixed)  # KeyError: a bug
            bound.append(processor(value) if processor is not None else value)
        return bound

    def row(self, record: Any) -> FastRow | None:
        """The driver's row as the row SQLAlchemy would have returned (None for no row)."""
        if record is None:
            return None
        return FastRow(
            {
                name: processor(value) if processor is not None else value
                for (name, processor), value in zip(self._columns, record, strict=True)
            }
        )


class FastStatement(CompiledStatement):
    """One statement compiled for SQLite, executable on a `sqlite3.Connection`."""

    def execute(self, conn: sqlite3.Connection, values: Mapping[str, Any]) -> int:
        """Run a write; returns the number of rows it changed."""
        return conn.execute(self.sql, self.bound(values)).rowcount

    def first(self, conn: sqlite3.Connection, values: Mapping[str, Any]) -> FastRow | None:
        return self.row(conn.execute(self.sql, self.bound(values)).fetchone())
