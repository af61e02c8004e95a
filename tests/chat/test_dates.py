"""Dates in chat replies follow the reader's language (`bot.chat.dates`): weekday and month
names from `[dates]` of the catalog, in the reader's time zone; English as before."""

from __future__ import annotations

import copy
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.chat.catalog import Catalog, bundled
from bot.chat.dates import local_time
from bot.errors import ConfigError

CONTENT = Path(__file__).resolve().parents[2] / "content"
#: Monday 2 February 2026, 09:00 UTC (10:00 in Paris)
MONDAY = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def test_english_stays_as_it_was() -> None:
    days = [local_time(MONDAY + timedelta(days=n), "Europe/Paris", "en") for n in range(7)]
    assert days == [
        (MONDAY + timedelta(days=n)).astimezone(UTC).strftime("%a %d %b 10:00") for n in range(7)
    ]
    assert days[2] == "Wed 04 Feb 10:00"


def test_french_weekdays_and_months() -> None:
    days = [local_time(MONDAY + timedelta(days=n), "Europe/Paris", "fr") for n in range(7)]
    assert days == [
        "lun. 02 févr. 10:00",
        "mar. 03 févr. 10:00",
        "mer. 04 févr. 10:00",
        "jeu. 05 févr. 10:00",
        "ven. 06 févr. 10:00",
        "sam. 07 févr. 10:00",
        "dim. 08 févr. 10:00",
    ]
    firsts = [datetime(2026, month, 15, 12, tzinfo=UTC) for month in range(1, 13)]
    months = [local_time(first, "UTC", "fr").split()[2] for first in firsts]
    assert months == [
        "janv.", "févr.", "mars", "avr.", "mai", "juin",
        "juil.", "août", "sept.", "oct.", "nov.", "déc.",
    ]  # fmt: skip


def test_the_day_is_the_readers_day() -> None:
    late = datetime(2026, 2, 3, 23, 30, tzinfo=UTC)  # already Wednesday in Paris
    assert local_time(late, "Europe/Paris", "fr") == "mer. 04 févr. 00:30"
    assert local_time(late, "America/New_York", "en") == "Tue 03 Feb 18:30"


def test_a_language_without_dates_falls_back_to_english() -> None:
    messages = copy.deepcopy(bundled().messages)
    del messages["fr"]["dates"]
    assert local_time(MONDAY, "UTC", "fr", Catalog(messages)) == "Mon 02 Feb 09:00"
    assert local_time(MONDAY, "UTC", "de") == "Mon 02 Feb 09:00"  # no such catalog


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("weekdays", "lun mar mer jeu ven sam", "expected 7 names"),
        ("months", "janv. févr. mars", "expected 12 names"),
    ],
)
def test_a_wrong_count_of_names_is_refused_on_load(
    tmp_path: Path, key: str, value: str, expected: str
) -> None:
    shutil.copytree(CONTENT / "catalog", tmp_path / "catalog")
    path = tmp_path / "catalog" / "fr.toml"
    text = path.read_text("utf-8")
    start = text.index(f"\n{key} = ", text.index("\n[dates]"))
    end = text.index("\n", start + 1)
    path.write_text(f'{text[:start]}\n{key} = "{value}"{text[end:]}', encoding="utf-8")
    with pytest.raises(ConfigError, match=f"fr.toml: dates.{key}: {expected}"):
        Catalog.load(tmp_path)
