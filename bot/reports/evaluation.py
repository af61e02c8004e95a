"""Render the monthly evaluation report (`bot.usecases.evaluation.EvaluationReport`) from an
editable Jinja2 template: `content/templates/evaluation.<md|html>.j2`.

The template runs in Jinja's sandbox and receives plain values only (strings, numbers, lists,
dicts): the labels of the report's language (`[report]`, `[tags]` of the message catalog, dialog
titles and contact-role names from the guidance) and the figures as already shown ("< 5" below
`[evaluation] min_count`, with `value` None then, so that a chart draws no bar for it). Nothing
else reaches it: no case code, no person, no text typed by anyone. HTML is autoescaped; the
charts are SVG drawn by the template itself (bars), embedded in the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.chat.catalog import Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.reports.documents import FORMATS, Format, render_document
from bot.usage_measures import Figure
from bot.usecases.evaluation import EvaluationReport, TeamEvaluation

__all__ = ["FORMATS", "render_evaluation", "report_values", "start_nodes"]


def start_nodes(dialogs: DialogRegistry) -> dict[tuple[str, int], str]:
    """(dialog id, version) -> its start node: a visit there is a dialog opened."""
    library = dialogs.library
    found = {}
    for dialog_id in library.ids():
        for version in library.versions(dialog_id):
            dialog = library.get(dialog_id, version)
            if dialog is not None:
                found[(dialog_id, version)] = dialog.start
    return found


def _title(dialogs: DialogRegistry, dialog_id: str, lang: str) -> str:
    dialog = dialogs.source().get(dialog_id)
    return dialog.title.get(lang, dialog.default_language) if dialog is not None else dialog_id


def _row(label: str, figure: Figure, withheld: str = "") -> dict[str, Any]:
    shown = withheld if figure.withheld and withheld else figure.shown()
    return {"label": label, "shown": shown, "value": figure.value}


def _rows(pairs: list[tuple[str, Figure]], withheld: str = "") -> dict[str, Any]:
    rows = [_row(label, figure, withheld) for label, figure in pairs]
    values = [r["value"] for r in rows if r["value"] is not None]
    return {"rows": rows, "max": max([*values, 1])}


def _team_values(
    team: TeamEvaluation, catalog: Catalog, dialogs: DialogRegistry, lang: str
) -> dict[str, Any]:
    def t(key: str) -> str:
        return catalog.label(lang, "report", key)

    def title(dialog_id: str) -> str:
        return _title(dialogs, dialog_id, lang) if dialog_id else t("no_dialog")

    ways = [
        (f"{title(dialog_id)} ({t('entry_' + entry)})", figure)
        for (dialog_id, entry), figure in team.referral_ways.items()
    ]
    tags = [
        (catalog.label(lang, "tags", tag) if tag else t("no_tag"), figure)
        for tag, figure in team.notes_by_tag.items()
    ]
    opened = [(_title(dialogs, d, lang), f) for d, f in team.dialogs_opened.items()]
    withheld = t("withheld")
    return {
        "name": team.team,
        "opened": _rows(opened, withheld),
        "referrals": _rows([(t("referral_" + k), f) for k, f in team.referrals.items()], withheld),
        "referral_ways": _rows(ways, withheld),
        "checkins": _rows([(t("checkins_" + k), f) for k, f in team.checkins.items()]),
        "pages": _rows([(t("pages_" + k), f) for k, f in team.pages.items()]),
        "ack_median_minutes": team.ack_median_minutes,
        "ack_times": _rows(list(team.ack_times.items())),
        "notes": _rows(tags),
    }


def report_values(
    report: EvaluationReport, catalog: Catalog, dialogs: DialogRegistry, lang: str
) -> dict[str, Any]:
    """The plain values a template sees (`report`), and its labels (`t`)."""
    opened = [(_title(dialogs, d, lang), f) for d, f in report.dialogs_opened.items()]
    return {
        "report": {
            "month": report.month,
            "since": report.since.isoformat(),
            "until": report.until.isoformat(),
            "min_count": report.min_count,
            "lang": lang,
            "opened": _rows(opened, catalog.label(lang, "report", "withheld")),
            "teams": [_team_values(team, catalog, dialogs, lang) for team in report.teams],
        },
        "t": dict(catalog.messages.get(lang, {}).get("report", {})),
    }


def render_evaluation(
    report: EvaluationReport,
    *,
    content_dir: Path,
    catalog: Catalog,
    dialogs: DialogRegistry,
    lang: str,
    fmt: Format,
) -> str:
    """The report as Markdown or HTML, from `content_dir/templates/evaluation.<fmt>.j2`."""
    return render_document(
        content_dir / "templates",
        f"evaluation.{fmt}.j2",
        report_values(report, catalog, dialogs, lang),
    )
