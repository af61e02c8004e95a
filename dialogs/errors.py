"""Errors of the dialogs package.

DialogError
 ├── ExpressionError     a `when:` condition does not parse (carries the column)
 ├── StateFormatError    a saved SessionState cannot be read by this version
 └── GraphvizMissing     `dot` is not installed, so no picture can be rendered

Bad content never raises: the loader and the checker return diagnostics instead.
"""

from __future__ import annotations

__all__ = ["DialogError", "ExpressionError", "GraphvizMissing", "StateFormatError"]


class DialogError(Exception):
    """Base of the errors raised by the dialogs package."""


class ExpressionError(DialogError):
    def __init__(self, message: str, column: int = 0) -> None:
        self.column = column
        super().__init__(message)


class StateFormatError(DialogError):
    pass


class GraphvizMissing(DialogError):
    def __init__(self) -> None:
        super().__init__("Graphviz is not installed: apt-get install graphviz")
