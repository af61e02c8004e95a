"""The bottom of the error hierarchy, shared by storage and the application.

Storage imports nothing from `bot`; the errors it raises live here and `bot.errors` re-exports
them (with the application's own errors beside them), so `from bot.errors import ConfigError`
keeps working and names the same class.

RelaisError
 ├── ConfigError          the configuration file or a secret is wrong (carries the key path)
 ├── InvalidInput         a value typed by a user or an admin is not acceptable
 └── SchemaOutOfDate      the database needs `relais db upgrade`
"""

from __future__ import annotations

from typing import Self

__all__ = ["ConfigError", "InvalidInput", "RelaisError", "SchemaOutOfDate"]


class RelaisError(Exception):
    """Base of every error Relais reports to a user or an operator.

    Its message is written for logs and the command line, in English. `said`, when set (with
    `saying`), is what a practitioner reads in a chat instead, in their language: a key of the
    catalogs' `[errors]` table and its values (`bot.chat.core.ChatCore.refusal`)."""

    said: tuple[str, dict[str, object]] | None = None

    def saying(self, key: str, **values: object) -> Self:
        self.said = (key, values)
        return self


class ConfigError(RelaisError):
    def __init__(self, message: str, path: str = "") -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class InvalidInput(RelaisError):
    pass


class SchemaOutOfDate(RelaisError):
    pass
