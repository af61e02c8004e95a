"""`relais stats` as text, JSON and a picture. Every count goes through `Figure`: below
`[evaluation] min_count` it reads "< 5" everywhere, and a picture shades such a node or edge
as unknown (grey, dashed), never by its true size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.usage_measures import Figure, bucket_label
from bot.usecases.feedback import feedback_figures
from dialogs.graph import KIND_COLOURS, _dot_text, _summary
from dialogs.model import Dialog, QuestionNode

if TYPE_CHECKING:
    from bot.usecases.feedback import FeedbackFigures
    from bot.usecases.usage import NodeFigures, ReferralReport, UsageReport, VersionFigures
    from storage.repos.feedback import FeedbackCount

__all__ = ["feedback_line", "report_json", "report_text", "usage_dot", "usage_picture"]

_LEFT = ("cancelled", "abandoned", "timeout")  # exits that mean someone stopped there
_HIDDEN_FILL = "#eeeeee"


def _figs(figures: dict[str, Figure]) -> dict[str, int | str]:
    return {item: figure.json() for item, figure in figures.items()}


def _node_json(node: NodeFigures) -> dict[str, Any]:
    return {
        "visits": node.visits.json(),
        "choices": _figs(node.choices),
        "exits": _figs(node.exits),
        "sos": node.sos.json() if node.sos else 0,
        "pages": _figs(node.pages),
        "emergency_screens": node.emergency.json() if node.emergency else 0,
        "median_time": bucket_label(node.median_time) if node.median_time else None,
    }


def report_json(
    report: UsageReport,
    referrals: ReferralReport | None,
    feedback: list[FeedbackFigures] | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "min_count": report.min_count,
        "dialogs": [
            {
                "dialog": v.dialog_id,
                "version": v.version,
                "lang": v.lang,
                "nodes": {node_id: _node_json(n) for node_id, n in v.nodes.items()},
            }
            for v in report.versions
        ],
    }
    if referrals is not None:
        value["referrals"] = {
            "pages": referrals.pages.json(),
            "emergency_screens": referrals.emergency.json(),
            "by_dialog_and_entry": [
                {"dialog": r.dialog_id, "entry": r.entry, "kind": r.kind, "count": r.count.json()}
                for r in referrals.rows
            ],
        }
    if feedback is not None:
        value["feedback"] = [
            {"dialog": f.dialog_id, "version": f.version, "lang": f.lang, **_figs(f.answers)}
            for f in feedback
        ]
    return value


def _items(figures: dict[str, Figure]) -> str:
    return ", ".join(f"{item} {figure}" for item, figure in figures.items())


def _node_line(node: NodeFigures) -> str:
    parts = [f"visits {node.visits}"]
    if node.choices:
        parts.append(f"chose: {_items(node.choices)}")
    if node.exits:
        parts.append(f"exits: {_items(node.exits)}")
    if node.sos:
        parts.append(f"/sos {node.sos}")
    if node.pages:
        parts.append(f"pages: {_items(node.pages)}")
    if node.emergency:
        parts.append(f"emergency screens {node.emergency}")
    if node.median_time:
        parts.append(f"median time {bucket_label(node.median_time)}")
    elif node.timed:
        parts.append(f"median time: too few ({node.timed})")
    return f"  {node.node_id:24} " + "; ".join(parts)


def feedback_line(answers: dict[str, Figure]) -> str:
    """'yes 12 · partly < 5 · no < 5'."""
    return " · ".join(f"{answer} {figure}" for answer, figure in answers.items())


def report_text(
    report: UsageReport,
    referrals: ReferralReport | None,
    feedback: list[FeedbackFigures] | None = None,
) -> str:
    lines = [
        f"Usage from {report.since} to {report.until} (exclusive); "
        f'figures below {report.min_count} read "< {report.min_count}".'
    ]
    if not report.versions:
        lines.append("No usage recorded in this period.")
    for version in report.versions:
        lines.append("")
        lang = "all languages" if version.lang == "*" else version.lang
        lines.append(f"{version.dialog_id} version {version.version} ({lang})")
        lines.extend(_node_line(node) for node in version.nodes.values())
    if referrals is not None:
        lines.append("")
        lines.append(
            f"Crisis referrals: conversations that reached a page of a human {referrals.pages}, "
            f"an emergency screen {referrals.emergency}"
        )
        for row in referrals.rows:
            dialog = row.dialog_id or "(no dialog)"
            lines.append(f"  {dialog:24} {row.entry:8} {row.kind:10} {row.count}")
    if feedback is not None:
        lines.append("")
        lines.append('"Did this help?" answers (comments: in the chat, for psychologists)')
        if not feedback:
            lines.append("  none in this period")
        for f in feedback:
            lang = "all languages" if f.lang == "*" else f.lang
            what = f"{f.dialog_id} v{f.version} ({lang})"
            lines.append(f"  {what:32} {feedback_line(f.answers)}")
    return "\n".join(lines) + "\n"


def _shade(share: float) -> str:
    """White (no one) to a deep blue (the most visited node)."""
    level = int(235 - 150 * max(0.0, min(1.0, share)))
    return f"#{level:02x}{level + 10:02x}ff"


def usage_dot(
    dialog: Dialog,
    figures: VersionFigures | None,
    lang: str | None = None,
    feedback: dict[str, Figure] | None = None,
) -> str:
    """The dialog's drawing (as `dialogs.graph.to_dot`), nodes shaded by visits, edges as
    thick as the share of choices, nodes where people stopped outlined in red; `feedback`,
    the answers to "Did this help?", under the drawing."""
    lang = lang if lang and lang != "*" else dialog.default_language
    nodes = figures.nodes if figures is not None else {}
    shown = [n.visits.value or 0 for n in nodes.values()]
    most = max(shown, default=0) or 1
    lines = [
        f'digraph "{_dot_text(dialog.id)}" {{',
        "    rankdir=TB;",
        '    node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '    edge [fontname="Helvetica", fontsize=9];',
        '    __start [shape=circle, label="start", fillcolor="#ffffff"];',
    ]
    if feedback:
        caption = _dot_text(f"Did this help? {feedback_line(feedback)}")
        lines.insert(2, f'    labelloc=b; fontname="Helvetica"; fontsize=11; label="{caption}";')
    shapes = {"question": "diamond", "end": "doublecircle", "goto": "component"}
    for node_id, node in dialog.nodes.items():
        figure = nodes.get(node_id)
        label = _summary(dialog, node, lang)
        attrs = [f"shape={shapes.get(node.kind, 'box')}"]
        if figure is None:
            fill = KIND_COLOURS.get(node.kind, "#ffffff")
            label += "\nvisits 0"
        elif figure.visits.hidden:
            fill = _HIDDEN_FILL
            attrs.append('style="rounded,filled,dashed"')
            label += f"\nvisits {figure.visits}"
        else:
            fill = _shade((figure.visits.value or 0) / most)
            label += f"\nvisits {figure.visits}"
        left = {k: v for k, v in (figure.exits if figure else {}).items() if k in _LEFT}
        if left:
            label += "\nstopped here: " + ", ".join(f"{k} {v}" for k, v in left.items())
            attrs.append('color="#c00000", penwidth=3')
        attrs.append(f'fillcolor="{fill}"')
        lines.append(
            f'    "{_dot_text(node_id)}" [label="{_dot_text(label)}", {", ".join(attrs)}];'
        )
    if dialog.start in dialog.nodes:
        lines.append(f'    __start -> "{_dot_text(dialog.start)}";')
    for node_id, node in dialog.nodes.items():
        figure = nodes.get(node_id)
        visits = (figure.visits.value or 0) if figure else 0
        for target, option_id, text in _outgoing(dialog, node, lang):
            chosen = figure.choices.get(option_id) if figure and option_id else None
            attrs = []
            if figure and node.kind in ("note", "checkin") and figure.choices:
                text = _items(figure.choices)  # an offer: yes and no both go on to `next`
            if chosen is not None:
                text = f"{text} ({chosen})" if text else str(chosen)
                if chosen.hidden:
                    attrs.append('style="dashed"')
                elif visits:
                    share = (chosen.value or 0) / visits
                    attrs.append(f"penwidth={1 + 5 * min(1.0, share):.1f}")
            if text:
                attrs.insert(0, f'label="{_dot_text(text)}"')
            suffix = f" [{', '.join(attrs)}]" if attrs else ""
            lines.append(f'    "{_dot_text(node_id)}" -> "{_dot_text(target)}"{suffix};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def usage_picture(
    dialog: Dialog,
    figures: VersionFigures | None,
    answers: Sequence[FeedbackCount],
    min_count: int,
    lang: str | None = None,
) -> str:
    """The DOT source of the picture `relais stats DIALOG --format` writes and `/stats DIALOG`
    sends: `usage_dot` with, under the drawing, the answers to "Did this help?" of the same
    version and language (every language together when `figures` are, lang "*"), each below
    `min_count` as "< 5". It takes counts only: a comment cannot reach a picture. `lang`: the
    language of the labels, and of the answers when there are no `figures`."""
    of = figures.lang if figures is not None else (lang or "*")
    mine = [
        a
        for a in answers
        if a.dialog_id == dialog.id
        and a.dialog_version == dialog.version
        and (of == "*" or a.lang == of)
    ]
    found = feedback_figures(mine, min_count, merge=of == "*")
    return usage_dot(dialog, figures, lang, found[0].answers if found else None)


def _outgoing(dialog: Dialog, node: Any, lang: str) -> list[tuple[str, str, str]]:
    """(target, option id or "", label) of each edge out of `node`."""
    out: list[tuple[str, str, str]] = []
    if isinstance(node, QuestionNode):
        for option in node.options:
            label = option.label.get(lang, dialog.default_language) if option.label else option.id
            out.append((option.next, option.id, " ".join(label.split())[:40]))
    for branch in node.next:
        out.append((branch.to, "", ""))
    return [edge for edge in out if edge[0] in dialog.nodes]
