"""The `/status` reply (coordinators): rendered from `bot.checkins.status.TeamStatus` with the
catalog's texts, in the reader's language and time zone."""

from __future__ import annotations

from typing import Any

from bot.chat.catalog import Catalog
from bot.chat.dates import local_time
from bot.messages import Reply

__all__ = ["render_status"]


def render_status(
    catalog: Catalog, lang: str, actor: Any, status: Any, channels: list[tuple[str, bool]]
) -> Reply:
    time_zone = actor.time_zone
    lines = [catalog.text(lang, "status_title")]
    health = ", ".join(
        catalog.text(lang, "status_channel_running" if ok else "status_channel_down", channel=name)
        for name, ok in channels
    )
    lines.append(catalog.text(lang, "status_channels", channels=health or "-"))
    lines.append("")
    if status.failed:
        lines.append(catalog.text(lang, "status_failed", n=len(status.failed)))
        for item in status.failed[:20]:
            lines.append(
                catalog.text(
                    lang,
                    "status_failed_line",
                    when=local_time(item.created_at, time_zone, lang, catalog),
                    what=catalog.label(lang, "delivery_kinds", item.kind),
                    who=status.names.get(item.recipient_id or "", "-"),
                    case=item.case_code or "-",
                    status=catalog.label(lang, "delivery_statuses", item.status),
                )
            )
    else:
        lines.append(catalog.text(lang, "status_failed_none"))
    lines.append("")
    if status.pages:
        lines.append(catalog.text(lang, "status_pages", n=len(status.pages)))
        for page in status.pages[:20]:
            lines.append(
                catalog.text(
                    lang,
                    "status_page_line",
                    when=local_time(page.paged_at, time_zone, lang, catalog),
                    case=page.case_code or "-",
                    who=status.names.get(page.requested_by or "", "-"),
                )
            )
    else:
        lines.append(catalog.text(lang, "status_pages_none"))
    return Reply("\n".join(lines))
