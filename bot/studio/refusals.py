"""A publishing refusal as the Studio says it. The publishing use cases raise `PublishRefused`
with a key of the catalog's `[publishing]` texts, worded for chat ("/review crisis"); where
that wording names a chat command or sending a file, `[studio.refused]` has the Studio's own
text under the same key, and a link to the page where the practitioner does it instead
(`<key>_link` names the link, `LINKS` gives its address). Other refusals read the same in
both places and keep the publishing text."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.publishing.records import PublishRefused
from bot.studio.context import context_of, visitor_of

__all__ = ["LINKS", "Refusal", "refusal"]

#: refusal key -> the Studio page that does what the chat wording names ({dialog}: its id)
LINKS = {
    "needs_review": "/drafts/{dialog}",
    "review_first": "/drafts/{dialog}",
    "changed_since_shown": "/drafts/{dialog}",
    "stale_button": "/drafts/{dialog}",
    "digest_too_short": "/drafts/{dialog}",
    "reject_needs_comment": "/drafts/{dialog}",
    "was_rejected": "/dialogs/{dialog}/edit",
    "tests_no_draft": "/submit?dialog={dialog}",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """What base.html shows: the message, and a link (address and words) when it has one."""

    text: str
    link: str = ""
    link_text: str = ""

    def values(self) -> dict[str, str]:
        """The `render` values: `error`, `error_link`, `error_link_text`."""
        return {"error": self.text, "error_link": self.link, "error_link_text": self.link_text}


def refusal(request: web.Request, refused: PublishRefused, dialog_id: str) -> Refusal:
    """The Studio's words for a publishing refusal about `dialog_id`."""
    catalog = context_of(request).catalog
    lang = visitor_of(request).lang
    values = {"dialog": dialog_id, **refused.values}
    if refused.key not in LINKS:
        return Refusal(refused.text(lang))
    said = catalog.text(lang, f"studio.refused.{refused.key}", **values)
    link = LINKS[refused.key].format(dialog=values["dialog"])
    return Refusal(said, link, catalog.text(lang, f"studio.refused.{refused.key}_link"))
