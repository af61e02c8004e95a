"""A date and time in the reader's language and time zone, as chat replies show them:
'Wed 04 Feb 10:00' in English, 'mer. 04 févr. 10:00' in French.

The weekday and month names and the order of the parts are in the message catalog (`[dates]`
of content/catalog/<lang>.toml), so a translator changes them there, as any other text; a
language without them falls back to English, as any missing message does. `Catalog.load`
checks that `weekdays` names 7 days and `months` 12 months. Numeric dates (2026-02-04) need
no translation and keep their `strftime`.
"""

from __future__ import annotations

from datetime import datetime

from bot.chat.catalog import Catalog, in_use
from storage.recurrence import zone

__all__ = ["local_time"]


def local_time(when: datetime, time_zone: str, lang: str, catalog: Catalog | None = None) -> str:
    """`when` in `time_zone`, with the weekday and month names of `lang` (the bundled catalog
    unless another is given)."""
    names = catalog or in_use()
    local = when.astimezone(zone(time_zone))
    weekdays = names.text(lang, "dates.weekdays").split()
    months = names.text(lang, "dates.months").split()
    return names.text(
        lang,
        "dates.day_time",
        weekday=weekdays[local.weekday()],
        day=f"{local.day:02d}",
        month=months[local.month - 1],
        time=f"{local.hour:02d}:{local.minute:02d}",
    )
