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

__all__ = ["ConfigError", "InvalidInput", "RelaisError", "SchemaOutOfDate"]


class RelaisError(Exception):
    """Base of every error Relais reports to a user or an operator."""


class ConfigError(RelaisError):
    def __init__(self, message: str, path: str = "") -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class InvalidInput(RelaisError):
    pass


class SchemaOutOfDate(RelaisError):
    pass
