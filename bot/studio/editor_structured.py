"""The Studio's structured view of a dialog: each screen as a card with its texts in every
language side by side (missing translations highlighted), its options and where they lead,
and the checker's diagnostics about it; forms that change one thing at a time.

    GET  /dialogs/{id}/structured        the cards of the visitor's working copy
    POST /dialogs/{id}/structured        action=save (a card's texts, labels and targets),
                                         add_option, remove:<option id>, add_screen

It edits the same working copy as the text view (bot/studio/workspace.py) through
`dialogs.structured_edits`, which keeps the file's comments and layout. Nothing is saved in
the database until the author submits the copy as a draft from the text view.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDictProxy

from bot.studio.context import context_of, render, require_psychologist, text
from bot.studio.editor import check_copy, dialog_id_of
from bot.studio.pages import DIALOG_ID
from bot.studio.workspace import WorkingCopy, working_copy
from dialogs.structured import Card, StructuredView, TextRow, structured_view
from dialogs.structured_edits import (
    NEW_SCREEN_KINDS,
    AddOption,
    AddScreen,
    Edit,
    EditRefused,
    RemoveOption,
    SetNext,
    SetOptionLabel,
    SetOptionNext,
    SetText,
    apply_edit,
)

__all__ = ["card_edits", "routes"]

routes = web.RouteTableDef()

Form = MultiDictProxy[str | bytes | bytearray | web.FileField]


def _field(form: Form, name: str) -> str | None:
    value = form.get(name)
    return value.replace("\r\n", "\n") if isinstance(value, str) else None


def _text_edits(node: str, rows: Iterable[TextRow | None], form: Form) -> list[Edit]:
    """A `SetText` for each language of each text the form changes (`node` "": the dialog's
    title and summary); an empty missing translation stays missing."""
    edits: list[Edit] = []
    for row in rows:
        if row is None:
            continue
        for cell in row.cells:
            sent = _field(form, f"text:{row.field}:{cell.lang}")
            if sent is None or sent == cell.value or (cell.missing and not sent.strip()):
                continue
            edits.append(SetText(node, cell.lang, sent, row.field))
    return edits


def card_edits(card: Card, form: Form) -> list[Edit]:
    """The one-thing edits a card's form asks for: each text, label or target it changes."""
    edits = _text_edits(card.id, card.texts, form)
    for option in card.options:
        if option.label is not None:
            for cell in option.label.cells:
                sent = _field(form, f"label:{option.id}:{cell.lang}")
                if sent is None or sent == cell.value or (cell.missing and not sent.strip()):
                    continue
                edits.append(SetOptionLabel(card.id, option.id, cell.lang, sent))
        target = _field(form, f"next:{option.id}")
        if target and target != option.next:
            edits.append(SetOptionNext(card.id, option.id, target))
    target = _field(form, "goes")
    if target and len(card.next) == 1 and not card.next[0].when and target != card.next[0].to:
        edits.append(SetNext(card.id, target))
    return edits


def _edits(form: Form, view: StructuredView) -> tuple[list[Edit], str]:
    """The edits a posted form asks for, and the card to show after them."""
    action = str(form.get("action", ""))
    node = str(form.get("node", ""))
    languages = view.languages
    if action == "save_dialog":
        return _text_edits("", (view.title, view.summary), form), ""
    if action == "save":
        card = view.card(node)
        if card is None:
            raise EditRefused("no_node", f"there is no screen {node!r}", node=node)
        return card_edits(card, form), node
    if action == "add_option":
        labels = {
            lang: value
            for lang in languages
            if (value := (_field(form, f"new_label:{lang}") or "").strip())
        }
        option = (_field(form, "new_option") or "").strip()
        target = (_field(form, "new_next") or "").strip()
        return [AddOption(node, option, target, labels)], node
    if action.startswith("remove:"):
        return [RemoveOption(node, action.removeprefix("remove:"))], node
    if action == "add_screen":
        new = (_field(form, "screen_id") or "").strip()
        texts = {
            lang: value
            for lang in languages
            if (value := (_field(form, f"screen_text:{lang}") or "").strip())
        }
        kind = str(form.get("screen_kind", ""))
        target = (_field(form, "screen_next") or "").strip()
        return [AddScreen(new, kind, texts, target)], new
    raise EditRefused("bad_action", f"unknown action {action[:40]!r}")


async def _page(
    request: web.Request,
    copy: WorkingCopy,
    *,
    status: int = 200,
    error: str = "",
    saved: str = "",
    saved_dialog: bool = False,
) -> web.Response:
    check = await check_copy(request, copy)
    view = structured_view(copy.text, f"{copy.dialog_id}.yaml", check.found)
    if view.card(saved) is None:
        saved = ""
    return render(
        request,
        "editor_structured.html",
        status=status,
        dialog_id=copy.dialog_id,
        origin=copy.origin,
        draft_by=copy.draft_by,
        view=view,
        check=check,
        meanings={d.code: d for d in check.diagnostics},  # title and fix, in the visitor's words
        kinds=NEW_SCREEN_KINDS,
        saved=saved,
        saved_dialog=saved_dialog,
        error=error,
        section="dialogs",
    )


@routes.get(f"/dialogs/{DIALOG_ID}/structured")
async def structured_page(request: web.Request) -> web.Response:
    actor = require_psychologist(request)
    copy = await working_copy(request, actor, dialog_id_of(request))
    if request.query.get("saved_dialog"):
        return await _page(request, copy, saved_dialog=True)
    return await _page(request, copy, saved=request.query.get("saved", "")[:64])


@routes.post(f"/dialogs/{DIALOG_ID}/structured")
async def structured_edit(request: web.Request) -> web.StreamResponse:
    actor = require_psychologist(request)
    copy = await working_copy(request, actor, dialog_id_of(request))
    form = await request.post()
    view = structured_view(copy.text, f"{copy.dialog_id}.yaml")
    try:
        edits, node = _edits(form, view)
        changed = copy.text
        limit = context_of(request).config.publishing.max_file_bytes
        for edit in edits:
            changed = apply_edit(changed, edit, f"{copy.dialog_id}.yaml", max_bytes=limit)
    except EditRefused as refused:
        values = {"node": "", "option": "", "id": "", "language": "", "field": "", "kind": ""}
        values.update(refused.values)
        reason = text(request, f"editor.refused_{refused.key}", **values)
        return await _page(request, copy, status=400, error=reason)
    copy.replace_text(changed)
    where = f"saved={quote(node)}#card-{quote(node)}" if node else "saved_dialog=1#card-dialog"
    raise web.HTTPSeeOther(f"/dialogs/{copy.dialog_id}/structured?{where}")
