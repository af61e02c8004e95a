"""Render a review pack (`bot.review.pack.ReviewPack`) from the editable Jinja2 templates
`content/templates/review_pack.<md|html>.j2`, through the one sandboxed renderer
(`bot.reports.documents.render_document`: located errors, bounded time and size).

The template receives plain values only: `pack` (the case's data as built by the use case,
times already written in the case owner's time zone, statuses with their label), `t` (the
`[review]` labels of the catalog in the reader's language). Nothing about another case.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.chat.catalog import Catalog
from bot.lifecycle.reminders import checkin_what
from bot.reports.documents import FORMATS, Format, render_document
from bot.review.decisions import DecisionView
from bot.review.pack import PackNote, ReviewPack
from storage.recurrence import zone

__all__ = ["FORMATS", "pack_file_name", "pack_values", "render_review_pack"]

#: the tags whose group is shown even when empty (the committee reads "none" as a fact)
ALWAYS_SHOWN = ("progress", "relapse", "trigger", "concern", "decision")


def pack_file_name(pack: ReviewPack, fmt: str) -> str:
    return f"review-pack-{pack.case_code}-{pack.month}.{fmt}"


def pack_values(
    pack: ReviewPack, catalog: Catalog, lang: str, content_dir: Path
) -> dict[str, Any]:
    """The plain values a review pack template sees: `pack` and `t`."""
    tz = zone(pack.time_zone)

    def when(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    def t(key: str) -> str:
        return catalog.label(lang, "review", key)

    def note(n: PackNote) -> dict[str, Any]:
        return {
            "at": when(n.at),
            "author": n.author,
            "body": n.body,
            "tags": [catalog.label(lang, "tags", tag) for tag in n.tags],
            "amendments": [
                {"at": when(at), "author": who, "body": body} for at, who, body in n.amendments
            ],
        }

    def decision(d: DecisionView) -> dict[str, Any]:
        return {
            "number": d.number,
            "text": d.text,
            "taken_at": when(d.taken_at),
            "taken_by": d.taken_by,
            "status": d.status,
            "status_label": t(f"status_{d.status}"),
            "outcome": d.outcome,
            "settled_at": when(d.settled_at),
            "settled_by": d.settled_by,
        }

    groups = [
        {
            "tag": tag or "none",
            "label": catalog.label(lang, "tags", tag) if tag else t("no_tag"),
            "notes": [note(n) for n in notes],
        }
        for tag, notes in pack.notes.items()
        if notes or tag in ALWAYS_SHOWN
    ]
    return {
        "pack": {
            "lang": lang,
            "case": pack.case_code,
            "case_status": pack.case_status,
            "month": pack.month,
            "since": pack.since.isoformat(),
            "last_day": (pack.until - timedelta(days=1)).isoformat(),
            "time_zone": pack.time_zone,
            "generated": when(pack.generated_at),
            "owner": pack.owner,
            "members": [
                {"name": name, "role": catalog.label(lang, "roles", role)}
                for name, role in pack.members
            ],
            "groups": groups,
            "notes_count": len({id(n) for notes in pack.notes.values() for n in notes}),
            "counts": dict(pack.checkin_counts),
            "checkins": [
                {
                    "due": when(c.due_at),
                    "what": checkin_what(c.purpose, lang, content_dir)
                    or t("checkin_review" if c.review else "checkin_regular"),
                    "review": c.review,
                    "status": c.status,
                    "status_label": t(f"checkin_status_{c.status}"),
                    "escalated": c.escalated,
                    "acknowledged_by": c.acknowledged_by,
                    "acknowledged_at": when(c.acknowledged_at),
                }
                for c in pack.checkins
            ],
            "pages": [
                {
                    "at": when(p.at),
                    "role": p.role.replace("_", " "),
                    "requested_by": p.requested_by,
                    "acknowledged_by": p.acknowledged_by,
                    "minutes_to_ack": p.minutes_to_ack,
                }
                for p in pack.pages
            ],
            "handover": None
            if pack.handover is None
            else [{"id": h.item_id, "item": h.text(lang)} for h in pack.handover],
            "ticked": [
                {"id": k.item.item_id, "item": k.item.text(lang), "by": k.by, "at": when(k.at)}
                for k in pack.ticked
            ],
            "release_on": pack.release_on.isoformat() if pack.release_on else "",
            "carried": [decision(d) for d in pack.carried],
            "taken": [decision(d) for d in pack.taken],
        },
        "t": dict(catalog.messages.get(lang, {}).get("review", {})),
    }


def render_review_pack(
    pack: ReviewPack, *, content_dir: Path, catalog: Catalog, lang: str, fmt: Format
) -> str:
    """The pack as Markdown or printable HTML (`content_dir/templates/review_pack.<fmt>.j2`)."""
    return render_document(
        content_dir / "templates",
        f"review_pack.{fmt}.j2",
        pack_values(pack, catalog, lang, content_dir),
    )
