"""Every message of the bot's catalog exists in English and in French, with the same {fields}:
a key added in one language only would show English to a French practitioner (or fail), and a
field missing from a translation would drop what it names."""

from __future__ import annotations

import string
import tomllib
from pathlib import Path
from typing import Any

from bot.chat import checkins, publishing
from bot.chat.catalog import LANGUAGES, bundled

CONTENT = Path(__file__).resolve().parents[2] / "content"


def _flat(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _catalog(lang: str) -> dict[str, str]:
    return _flat(tomllib.loads((CONTENT / "catalog" / f"{lang}.toml").read_text("utf-8")))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_catalog_key_exists_in_both_languages() -> None:
    keys = {lang: set(_catalog(lang)) for lang in LANGUAGES}
    assert keys["en"] - keys["fr"] == set(), "missing in fr.toml"
    assert keys["fr"] - keys["en"] == set(), "missing in en.toml"
    # the feature tables moved from Python modules are there too
    assert {"checkins.reminder", "publishing.published"} <= keys["en"]


def test_every_translation_has_the_same_fields() -> None:
    english, french = _catalog("en"), _catalog("fr")
    differ = [key for key in english if _fields(english[key]) != _fields(french[key])]
    assert differ == []


def test_check_in_and_publishing_texts_come_from_the_catalog() -> None:
    french = _catalog("fr")
    shown = checkins.text("fr", "reminder", case="K-1")
    assert shown == french["checkins.reminder"].format(case="K-1")
    assert publishing.text("fr", "published", dialog="d", version=2) == french[
        "publishing.published"
    ].format(dialog="d", version=2)
    # an unknown language is shown in English, as before
    assert checkins.text("xx", "ack_thanks") == bundled().text("en", "checkins.ack_thanks")


def test_the_channels_notices_come_from_the_catalog() -> None:
    """Telegram's flood and error notices, Matrix's undecryptable notice: the catalog's words,
    in every language (the channel does not know who writes yet)."""
    from bot.channels.matrix import DEFAULT_UNDECRYPTABLE_TEXT
    from bot.chat.catalog import in_every_language

    english, french = _catalog("en"), _catalog("fr")
    assert in_every_language("flood_notice") == (
        f"{english['flood_notice']} / {french['flood_notice']}"
    )
    assert "Vous envoyez des messages" in in_every_language("flood_notice")
    assert "/sos" in in_every_language("channel_error")
    assert english["undecryptable"] == DEFAULT_UNDECRYPTABLE_TEXT
