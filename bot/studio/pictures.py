"""Dialogs read from stored YAML and their pictures (the same Graphviz drawing as
`relais dialogs graph` and the chat's preview), remembered by the text's checksum so that a
page shown again draws nothing."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict

from dialogs import Dialog, load_dialog_text, render_picture
from dialogs.errors import DialogError, GraphvizMissing

__all__ = ["Drawings", "title_of"]

log = logging.getLogger(__name__)

_KEEP = 128


def title_of(dialog: Dialog | None, lang: str, fallback: str) -> str:
    if dialog is None:
        return fallback
    return dialog.title.get(lang, dialog.default_language) or fallback


class Drawings:
    def __init__(self) -> None:
        self._dialogs: OrderedDict[str, Dialog | None] = OrderedDict()
        self._pictures: OrderedDict[tuple[str, str], bytes | None] = OrderedDict()

    def dialog(self, dialog_id: str, source: str) -> Dialog | None:
        """The dialog a stored text holds (None when it cannot be read)."""
        key = hashlib.sha256(source.encode("utf-8")).hexdigest()
        if key not in self._dialogs:
            loaded = load_dialog_text(
                source, f"{dialog_id}.yaml", max_bytes=len(source.encode("utf-8")) + 1
            )
            self._remember(self._dialogs, key, loaded.dialog)
        return self._dialogs[key]

    async def svg(self, dialog_id: str, source: str, lang: str) -> bytes | None:
        """The SVG picture of a stored text in `lang` (its first language if it lacks it);
        None when it cannot be drawn (no Graphviz, or the text does not load)."""
        dialog = self.dialog(dialog_id, source)
        if dialog is None:
            return None
        picture_lang = lang if lang in dialog.languages else None
        key = (dialog.source_digest(), picture_lang or "")
        if key not in self._pictures:
            try:
                svg = await asyncio.to_thread(render_picture, dialog, "svg", picture_lang)
            except GraphvizMissing:
                log.warning("studio: Graphviz is not installed; no dialog pictures")
                return None
            except DialogError:
                log.warning("studio: drawing %s failed", dialog_id)
                svg = None
            self._remember(self._pictures, key, svg)
        return self._pictures[key]

    @staticmethod
    def _remember(memo: OrderedDict, key: object, value: object) -> None:  # type: ignore[type-arg]
        memo[key] = value
        while len(memo) > _KEEP:
            memo.popitem(last=False)
