"""The exit report as a document: `content/templates/exit_report.<md|html>.j2`, rendered only
through `bot.reports.documents.render_document` (sandboxed, bounded, located errors).

The template sees plain values built here: `report` (the case's code, owner and dates, each
element of the plan with its answer or none, what is missing, the contacts of "where to get
help", the post-exit follow-up) and `t`, the labels of `[exit.report]` in the catalog. Element
headings and prompts come from `content/exit_report.yaml`. Nothing else reaches the template.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.chat.catalog import Catalog
from bot.exit.plan import ExitPlan, exit_content
from bot.exit.usecases import ExitReport
from bot.reports.documents import FORMATS, Format, render_document

__all__ = ["FORMATS", "exit_report_file_name", "exit_values", "render_exit_report"]

#: (role id, language) -> the role's label (`DialogRegistry.role_label`)
RoleLabel = Callable[[str, str], str]


def _local(when: datetime | None, time_zone: str, fmt: str = "%Y-%m-%d") -> str:
    if when is None:
        return ""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return when.astimezone(zone).strftime(fmt)


def _status(catalog: Catalog, lang: str, status: str) -> str:
    try:
        return catalog.text(lang, f"exit.status_{status}")
    except KeyError:
        return status


def exit_values(
    report: ExitReport,
    plan: ExitPlan,
    catalog: Catalog,
    role_label: RoleLabel,
    lang: str,
    time_zone: str = "UTC",
) -> dict[str, Any]:
    """The plain values the template sees: `report` and `t`."""
    answers = report.progress.answers
    elements = []
    for number, element in enumerate(plan.elements, start=1):
        answer = answers.get(element.id)
        elements.append(
            {
                "id": element.id,
                "number": number,
                "label": element.label.get(lang, element.label["en"]),
                "prompt": element.prompt.get(lang, element.prompt["en"]),
                "answered": answer is not None,
                "text": answer.text if answer is not None else "",
                "author": answer.author_name if answer is not None else "",
                "updated": _local(answer.updated_at, time_zone) if answer is not None else "",
                "revision": answer.revision if answer is not None else 0,
            }
        )
    extra = [
        {"id": a.element, "text": a.text, "author": a.author_name}
        for a in sorted(answers.values(), key=lambda a: a.element)
        if plan.element(a.element) is None
    ]
    contacts = [
        {
            "role": role_label(c.role, lang),
            "name": c.name,
            "phone": c.phone or "",
            "hours": c.hours or "",
        }
        for c in report.contacts
    ]
    follow_up = [
        {"due": _local(f.due_at, time_zone), "status": f.status} for f in report.follow_up
    ]
    case = report.case
    return {
        "report": {
            "lang": lang,
            "case": case.code,
            "status": _status(catalog, lang, case.status),
            "owner": report.owner_name,
            "opened": _local(case.created_at, time_zone),
            "closed": _local(case.closed_at, time_zone),
            "generated": _local(report.generated_at, time_zone, "%Y-%m-%d %H:%M"),
            "elements": elements,
            "answered": sum(1 for e in elements if e["answered"]),
            "total": len(elements),
            "complete": all(e["answered"] for e in elements),
            "missing": [e["label"] for e in elements if not e["answered"]],
            "extra": extra,
            "contacts": contacts,
            "follow_up": follow_up,
        },
        "t": dict(catalog.messages.get(lang, {}).get("exit", {}).get("report", {})),
    }


def render_exit_report(
    report: ExitReport,
    plan: ExitPlan,
    *,
    content_dir: Path,
    catalog: Catalog,
    role_label: RoleLabel,
    lang: str,
    fmt: Format,
    time_zone: str = "UTC",
) -> str:
    """The exit report as Markdown or printable HTML."""
    name = f"exit_report.{fmt}.j2"
    return render_document(
        exit_content(content_dir, f"templates/{name}") / "templates",
        name,
        exit_values(report, plan, catalog, role_label, lang, time_zone),
    )


def exit_report_file_name(case_code: str, fmt: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in case_code)
    return f"exit-report-{safe}.{fmt}"
