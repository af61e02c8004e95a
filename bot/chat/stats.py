"""`/stats [DIALOG]` for psychologists and coordinators: how guidance is used, in their language,
every figure below `[evaluation] min_count` as "< 5"; with a dialog, its drawing shaded by the
figures, with the answers to "Did this help?" under it (PNG), when Graphviz is installed. The
use cases refuse other roles (`Action.VIEW_USAGE`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.chat.feedback_view import DAYS, feedback_lines
from bot.chat.stats_view import usage_picture
from bot.messages import Reply
from bot.usage_measures import bucket_label
from dialogs.errors import DialogError, GraphvizMissing
from dialogs.graph import render_dot

if TYPE_CHECKING:
    from bot.chat.core import ChatCore, Turn

__all__ = ["WINDOW", "stats_command", "stats_picture"]

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=30)
_STOPPED = ("cancelled", "abandoned", "timeout")


@runtime_checkable
class UsageReader(Protocol):
    """`bot.usecases.usage.UsageUseCases` as the chat layer reads it."""

    def usage_figures(
        self, actor: Any, dialog_id: str | None = None, since: Any = ..., /
    ) -> Awaitable[Any]: ...
    def team_referrals(self, actor: Any, month: str = "", /) -> Awaitable[Any]: ...


def _shown(core: ChatCore, turn: Turn, figure: Any) -> str:
    """A figure as `str(figure)` reads it ("< 5" below the threshold), "withheld" in the
    practitioner's language (`bot.suppression`)."""
    return core.catalog.label(turn.lang, "figures", "withheld") if figure.withheld else str(figure)


def _items(core: ChatCore, turn: Turn, figures: dict[str, Any], table: str = "") -> str:
    return ", ".join(
        f"{core.catalog.label(turn.lang, table, item) if table else item} "
        f"{_shown(core, turn, figure)}"
        for item, figure in figures.items()
    )


def _node_line(core: ChatCore, turn: Turn, node: Any) -> str:
    text = core.catalog.text
    lang = turn.lang
    details = ""
    if node.choices:
        details += text(lang, "stats_chose", items=_items(core, turn, node.choices))
    if node.exits:
        details += text(lang, "stats_exits", items=_items(core, turn, node.exits, "usage_exits"))
    if node.sos:
        details += text(lang, "stats_sos", count=_shown(core, turn, node.sos))
    if node.pages:
        details += text(lang, "stats_pages", items=_items(core, turn, node.pages, "roles"))
    if node.emergency:
        details += text(lang, "stats_emergency", count=_shown(core, turn, node.emergency))
    if node.median_time:
        details += text(lang, "stats_median", time=bucket_label(node.median_time))
    visits = _shown(core, turn, node.visits)
    return text(lang, "stats_node", node=node.node_id, visits=visits, details=details)


async def stats_command(core: ChatCore, turn: Turn, argument: str) -> list[Reply]:
    backend = core.backend
    if not isinstance(backend, UsageReader):
        return [core.text(turn, "stats_unavailable")]
    dialog_id = argument.strip() or None
    report = await backend.usage_figures(turn.actor, dialog_id, WINDOW)
    lang = turn.lang
    lines = [
        core.catalog.text(
            lang,
            "stats_title",
            dialog=dialog_id or core.catalog.text(lang, "stats_every_guide"),
            days=WINDOW.days,
            min=report.min_count,
        )
    ]
    if not report.versions:
        lines.append(core.text(turn, "stats_none").text)
    for version in report.versions:
        starts = version.nodes.get(_start_of(core, version.dialog_id, version.version))
        lines.append(
            core.catalog.text(
                lang,
                "stats_version",
                dialog=version.dialog_id,
                version=version.version,
                in_lang=version.lang,
                started=_shown(core, turn, starts.visits) if starts else 0,
            )
        )
        if dialog_id:
            lines.extend(_node_line(core, turn, node) for node in version.nodes.values())
    referrals = await backend.team_referrals(turn.actor)
    lines.append(
        core.catalog.text(
            lang,
            "stats_referrals",
            pages=_shown(core, turn, referrals.pages),
            emergency=_shown(core, turn, referrals.emergency),
        )
    )
    lines.append("")  # "Did this help?": counts, and comments for psychologists only
    lines.extend(await feedback_lines(core, turn, dialog_id))
    reply = Reply("\n".join(lines))
    if dialog_id and report.versions:
        picture = await stats_picture(core, turn.actor, lang, report.versions[-1])
        if picture is not None:
            return [reply, Reply("", attachment=(f"{dialog_id}.png", picture))]
    return [reply]


def _start_of(core: ChatCore, dialog_id: str, version: int) -> str:
    dialog = core.dialogs.source().get(dialog_id, version)
    return dialog.start if dialog is not None else ""


async def stats_picture(
    core: ChatCore, actor: Any, lang: str, figures: Any, fmt: str = "png"
) -> bytes | None:
    """The newest version's drawing with its figures and, under it, the answers to "Did this
    help?" (`usage_picture`, as `relais stats --format` draws it; counts only, never a
    comment), in `fmt`; None without Graphviz or for an unknown dialog."""
    dialog = core.dialogs.source().get(figures.dialog_id, figures.version)
    if dialog is None:
        return None
    window = await core.backend.feedback_counts(actor, figures.dialog_id, DAYS)
    min_count = core.config.evaluation.min_count
    source = usage_picture(dialog, figures, window.counts, min_count, lang)
    try:
        return await asyncio.to_thread(render_dot, source, fmt)
    except (GraphvizMissing, DialogError) as exc:
        logger.info("no usage picture: %s", type(exc).__name__)
        return None
