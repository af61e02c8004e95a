"""The bot's own messages, per language, from content/catalog/<lang>.toml.

Psychologists and translators edit these files; the code only names keys. A missing key in a
language falls back to English; a missing key everywhere is a programming error (KeyError).
A feature's messages sit in a table of their own, named with a dot: `checkins.reminder` is
`reminder` under `[checkins]`.
"""

from __future__ import annotations

import functools
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

__all__ = [
    "BUNDLED_CONTENT",
    "LANGUAGES",
    "Catalog",
    "bundled",
    "content_in_use",
    "in_every_language",
    "in_use",
    "use_content",
]

LANGUAGES = ("en", "fr")
_DEFAULT = "en"
#: the content folder shipped with Relais (`content_dir` unset)
BUNDLED_CONTENT = Path(__file__).resolve().parent.parent.parent / "content"


@dataclass(frozen=True, slots=True)
class Catalog:
    messages: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, content_dir: Path) -> Catalog:
        messages: dict[str, dict[str, Any]] = {}
        for lang in LANGUAGES:
            path = content_dir / "catalog" / f"{lang}.toml"
            try:
                messages[lang] = tomllib.loads(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise ConfigError(f"cannot read message catalog {path}: {exc.strerror}") from exc
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
            _check_fields(path, messages[lang])
            _check_dates(path, messages[lang])
        return cls(messages)

    def text(self, lang: str, key: str, **values: object) -> str:
        template = _lookup(self.messages.get(lang, self.messages[_DEFAULT]), key)
        if not isinstance(template, str):
            template = _lookup(self.messages[_DEFAULT], key)
            if not isinstance(template, str):
                raise KeyError(key)
        return template.format(**values) if values else template

    def label(self, lang: str, table: str, key: str) -> str:
        """A label from a sub-table ([roles], [relations], [tags], [commands])."""
        for candidate in (lang, _DEFAULT):
            value = self.messages.get(candidate, {}).get(table, {}).get(key)
            if isinstance(value, str):
                return value
        return key.replace("_", " ")

    def commands(self, lang: str) -> list[tuple[str, str]]:
        """The bot's command menu (command, description) for a language."""
        table = self.messages[_DEFAULT]["commands"]
        return [(name, self.label(lang, "commands", name)) for name in table]


@functools.cache
def bundled() -> Catalog:
    """The catalog shipped with Relais, loaded once (a default fixed before any configuration
    is read; everything composed at run time reads `in_use`)."""
    return Catalog.load(BUNDLED_CONTENT)


#: the content folder of this process (`use_content`, set when `bot.app.Relais` opens)
_content: list[Path] = [BUNDLED_CONTENT]


def use_content(folder: Path) -> None:
    """The content folder this process serves (`content_dir`): the one module-level setting,
    for the messages composed away from a chat turn, whose callers do not carry the
    configuration (check-in reminders and escalations, publishing notices, dates)."""
    _content[0] = folder


def content_in_use() -> Path:
    return _content[0]


def in_use() -> Catalog:
    """The catalog of the content folder in use (`use_content`), loaded once per folder: a
    team's edits to its catalogs reach its reminders and notices as they reach its chats."""
    return _catalog_at(_content[0])


@functools.cache
def _catalog_at(folder: Path) -> Catalog:
    return bundled() if folder == BUNDLED_CONTENT else Catalog.load(folder)


def in_every_language(key: str, catalog: Catalog | None = None) -> str:
    """A message in every language, joined with " / " (a channel's own notices, said before it
    knows who writes)."""
    source = catalog or in_use()
    return " / ".join(source.text(lang, key) for lang in LANGUAGES)


def _lookup(table: dict[str, Any], key: str) -> object:
    value: object = table
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


#: how many names `[dates]` lists (`bot.chat.dates`)
_DATE_NAMES = {"weekdays": 7, "months": 12}


def _check_dates(path: Path, table: dict[str, Any]) -> None:
    """`[dates]` names 7 weekdays and 12 months, separated by spaces."""
    dates = table.get("dates", {})
    for key, count in _DATE_NAMES.items():
        value = dates.get(key) if isinstance(dates, dict) else None
        if value is None:
            continue  # missing: English is used
        found = len(value.split()) if isinstance(value, str) else 0
        if found != count:
            raise ConfigError(
                f"{path}: dates.{key}: expected {count} names separated by spaces, found {found}"
            )


def _check_fields(path: Path, table: dict[str, Any], where: str = "") -> None:
    """Every `{...}` of a message is a plain name, as `{name}`: no format spec (`{name:>999999999}`
    builds a gigabyte), conversion, attribute or item access (`{name.__class__}`)."""
    for key, value in table.items():
        if isinstance(value, dict):
            _check_fields(path, value, f"{where}{key}.")
            continue
        if not isinstance(value, str):
            continue
        try:
            fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(value)]
        except ValueError as exc:
            raise ConfigError(f"{path}: {where}{key}: {exc} (write {{{{ for a brace)") from exc
        for field_name, spec, conversion in fields:
            if field_name is None:
                continue
            if not field_name.isidentifier() or spec or conversion:
                raise ConfigError(
                    f"{path}: {where}{key}: {{{field_name}{'!' + conversion if conversion else ''}"
                    f"{':' + spec if spec else ''}}} is not allowed: a message inserts values "
                    "as {name} only"
                )
