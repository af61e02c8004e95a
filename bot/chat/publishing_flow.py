"""Publishing in a chat: the commands, buttons and documents of the workflow, shown.

Commands: /draft (list), /draft withdraw ID, /preview ID (started by `DialogFlow.start_preview`
with `preview_replies`), /review [ID], /approve ID [comment], /reject ID comment, /publish ID,
/history ID, /rollback ID VERSION; a document is a draft (or its `<id>.test.yaml` tests);
buttons are ``pub.a.<draft id>.<digest>`` (approve that revision), ``pub.r.<draft id>`` (reject:
asks for a comment) and ``pub.p.<draft id>`` (publish). The use cases (`bot.publishing`) return
data; `bot.chat.publishing` turns it into replies.
"""

from __future__ import annotations

from typing import Any

from bot.chat.ports import PublishingPort
from bot.chat.publishing import (
    LANGS,
    clip,
    draft_replies,
    history_replies,
    published_replies,
    review_replies,
    text,
    who,
)
from bot.messages import Reply
from bot.publishing.records import Published, PublishRefused
from dialogs import Dialog, load_dialog_text

__all__ = ["PublishingFlow"]


def _lang(actor: Any) -> str:
    lang = str(getattr(actor, "language", "en"))
    return lang if lang in LANGS else "en"


class PublishingFlow:
    """The chat side of publishing over the publishing use cases (`PublishingPort`)."""

    def __init__(self, service: PublishingPort, reviewers_required: int) -> None:
        self.service = service
        self.reviewers_required = reviewers_required

    async def restore_preview(self, actor: Any, dialog_id: str, version: int, digest: str) -> Any:
        return await self.service.restore_preview(actor, dialog_id, version, digest)

    # -- documents --------------------------------------------------------------------------

    async def handle_document(self, actor: Any, file_name: str, data: bytes) -> list[Reply]:
        lang = _lang(actor)
        try:
            outcome = await self.service.submit_document(actor, file_name, data)
        except PublishRefused as refused:
            return [Reply(refused.text(lang))]
        return draft_replies(outcome, lang, self.reviewers_required)

    # -- commands ---------------------------------------------------------------------------

    async def handle_command(self, actor: Any, command: str, argument: str) -> list[Reply]:
        lang = _lang(actor)
        service = self.service
        await service.refresh()
        dialog_id, _, rest = argument.strip().partition(" ")
        dialog_id = dialog_id.strip().lower()
        try:
            match command:
                case "draft" if dialog_id == "withdraw" and rest.strip():
                    draft = await service.withdraw_draft(actor, rest.strip().lower())
                    return [Reply(text(lang, "withdrawn", dialog=draft.dialog_id))]
                case "draft":
                    return await self._list(actor, lang, usage=True)
                case "review" if not dialog_id:
                    return await self._list(actor, lang, usage=False)
                case "review":
                    view = await service.draft_for_review(actor, dialog_id)
                    replies = review_replies(view, lang, self.reviewers_required)
                    loaded = load_dialog_text(
                        view.draft.source,
                        f"{view.draft.dialog_id}.yaml",
                        max_bytes=len(view.draft.source.encode()) + 1,
                    )
                    if loaded.dialog is None:
                        return replies
                    caption = text(lang, "picture_caption", dialog=view.draft.dialog_id)
                    return [*await self._with_picture(caption, loaded.dialog, lang), *replies]
                case _ if not dialog_id:
                    return [Reply(text(lang, "usage", command=command))]
                case "preview":
                    replies, _dialog = await self.preview_replies(actor, dialog_id)
                    return replies
                case "approve" | "reject":
                    approve = command == "approve"
                    draft = await service.review_draft(actor, dialog_id, approve, rest)
                    key = "approved" if approve else "rejected"
                    return [Reply(text(lang, key, dialog=draft.dialog_id))]
                case "publish":
                    return self._published(await service.publish_draft(actor, dialog_id), lang)
                case "history":
                    return history_replies(
                        dialog_id, await service.version_history(actor, dialog_id), lang
                    )
                case "rollback":
                    version = rest.strip().lstrip("v")
                    if not version.isdigit():
                        return [Reply(text(lang, "rollback_usage"))]
                    published = await service.rollback_dialog(actor, dialog_id, int(version))
                    replies = self._published(published, lang)
                    note = text(
                        lang,
                        "rolled_back",
                        dialog=dialog_id,
                        version=published.version,
                        source=int(version),
                    )
                    return [Reply(f"{replies[0].text}\n{note}")]
        except PublishRefused as refused:
            return [Reply(refused.text(lang))]
        return [Reply(text(lang, "draft_usage"))]

    async def _list(self, actor: Any, lang: str, *, usage: bool) -> list[Reply]:
        drafts = await self.service.list_open_drafts(actor)
        lines = [text(lang, "draft_usage")] if usage else []
        if drafts:
            lines.append(text(lang, "drafts_open"))
            lines.extend(
                text(
                    lang,
                    "draft_line",
                    dialog=d.dialog_id,
                    status=d.status,
                    author=who(lang, author, d.author_via or ""),
                )
                for d, author in drafts
            )
        else:
            lines.append(text(lang, "drafts_none"))
        return [Reply("\n".join(lines))]

    def _published(self, published: Published, lang: str) -> list[Reply]:
        self.service.add_published(published)
        return published_replies(published, lang)

    # -- buttons ----------------------------------------------------------------------------

    async def handle_button(self, actor: Any, token: str) -> list[Reply]:
        lang = _lang(actor)
        parts = token.split(".")
        if len(parts) not in (3, 4) or parts[0] != "pub" or not all(p.isalnum() for p in parts):
            return [Reply(text(lang, "stale_button"))]
        action, draft_id = parts[1], parts[2]
        digest = parts[3] if len(parts) == 4 else None
        service = self.service
        await service.refresh()
        try:
            if action == "a" and digest is not None:
                draft = await service.review_draft(actor, "", True, "", draft_id, digest)
                return [Reply(text(lang, "approved", dialog=draft.dialog_id))]
            if action == "r":
                view = await service.draft_for_review(actor, "", draft_id)
                return [Reply(text(lang, "reject_needs_comment", dialog=view.draft.dialog_id))]
            if action == "p":
                return self._published(await service.publish_draft(actor, "", draft_id), lang)
        except PublishRefused as refused:
            return [Reply(refused.text(lang))]
        return [Reply(text(lang, "stale_button"))]

    # -- preview ----------------------------------------------------------------------------

    async def preview_replies(self, actor: Any, dialog_id: str) -> tuple[list[Reply], Any]:
        """The replies that introduce a preview (with the draft's picture) and the draft as a
        `Dialog` at a negative preview version, or None (the replies say why)."""
        lang = _lang(actor)
        try:
            preview = await self.service.preview(actor, dialog_id)
        except PublishRefused as refused:
            return [Reply(refused.text(lang))], None
        if preview.dialog is None:
            lines = [text(lang, "preview_errors", dialog=preview.dialog_id), *preview.errors]
            return [Reply(clip("\n".join(lines), lang))], None
        intro = text(lang, "preview_intro", dialog=preview.dialog_id)
        return await self._with_picture(intro, preview.dialog, lang), preview.dialog

    async def _with_picture(self, caption: str, dialog: Dialog, lang: str) -> list[Reply]:
        """`caption` with the PNG picture of the dialog; without Graphviz, a clear note."""
        picture = await self.service.picture(dialog, lang)
        if picture.png is None:
            key = "picture_missing" if picture.problem == "graphviz_missing" else "picture_failed"
            return [Reply(caption), Reply(text(lang, key))]
        return [Reply(caption, attachment=("dialog.png", picture.png))]
