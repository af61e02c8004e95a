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

__all__ = ["FastRow", "FastStatement"]


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


class FastStatement:
    """One statement compiled for SQLite, executable on a `sqlite3.Connection`."""

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
        names = compiled.positiontup or []
        #: (name, required, fixed value, processor) of each `?`, in order
        self._params: list[tuple[str, bool, Any, Callable[[Any], Any] | None]] = []
        for name in names:
            bind = compiled.binds[name]
            fixed = None if bind.required else bind.effective_value
            self._params.append((name, bind.required, fixed, bind.type.bind_processor(dialect)))
        self._columns: list[tuple[str, Callable[[Any], Any] | None]] = []
        selected = getattr(statement, "selected_columns", None)
        if selected is not None:
            for column in selected:
                processor = column.type.result_processor(dialect, None)
                self._columns.append((column.key, processor))

    def _bound(self, values: Mapping[str, Any]) -> list[Any]:
        bound = []
        for name, required, fixed, processor in self._params:
            value = values[name] if required else values.get(name, fixed)  # KeyError: a bug
            bound.append(processor(value) if processor is not None else value)
        return bound

    def execute(self, conn: sqlite3.Connection, values: Mapping[str, Any]) -> int:
        """Run a write; returns the number of rows it changed."""
        return conn.execute(self.sql, self._bound(values)).rowcount

    def first(self, conn: sqlite3.Connection, values: Mapping[str, Any]) -> FastRow | None:
        row = conn.execute(self.sql, self._bound(values)).fetchone()
        if row is None:
            return None
        return FastRow(
            {
                name: processor(value) if processor is not None else value
                for (name, processor), value in zip(self._columns, row, strict=True)
            }
        )
