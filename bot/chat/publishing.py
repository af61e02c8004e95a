"""How publishing is shown: its messages (`[publishing]` in content/catalog/<lang>.toml)."""

from __future__ import annotations

from bot.chat.catalog import LANGUAGES, bundled

__all__ = ["LANGS", "text"]

#: the languages a publishing notice is written in
LANGS = LANGUAGES


def text(lang: str, key: str, **values: object) -> str:
    """The publishing message `key` in `lang` (English when the language or key is missing)."""
    return bundled().text(lang, f"publishing.{key}", **values)
