"""How publishing is shown: its messages (`[publishing]` in content/catalog/<lang>.toml) and
pure functions from what the publishing use cases return to replies.

A draft reply starts with the verdict (saved and publishable, saved but failing tests, or
nothing saved), then the tests ("walk: N passed, transcripts: M passed / K failed" and the
failures by name), the warnings (with what to do about each code, in the reader's language:
`bot.chat.checker_texts`), then what publishing would replace and what to do next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.catalog import LANGUAGES, in_use
from bot.chat.checker_texts import code_text
from bot.messages import Button, Reply
from dialogs import load_dialog_text

if TYPE_CHECKING:
    from bot.publishing.records import DraftOutcome, HistoryEntry, Published, ReviewView
    from dialogs.diagnostics import Diagnostic

__all__ = [
    "LANGS",
    "clip",
    "draft_replies",
    "history_replies",
    "published_replies",
    "review_replies",
    "text",
    "who",
]

#: the languages a publishing notice is written in
LANGS = LANGUAGES


def text(lang: str, key: str, **values: object) -> str:
    """The publishing message `key` in `lang` (English when the language or key is missing)."""
    return in_use().text(lang, f"publishing.{key}", **values)


#: room left for the header of a message (Telegram allows 4,096 characters)
_MAX_BODY = 3500
_MAX_DIAGNOSTICS = 25
_MAX_FAILURES = 5
#: hex digits of the checksum in an approve button (`bot.publishing.usecases.DIGEST_CHARS`)
_DIGEST = 16


def clip(body: str, lang: str) -> str:
    if len(body) <= _MAX_BODY:
        return body
    return body[:_MAX_BODY].rsplit("\n", 1)[0] + "\n" + text(lang, "review_truncated")


def who(lang: str, name: str, via: str) -> str:
    """A name as the record shows it: the person, or the operator who acted for them."""
    if via and name:
        return text(lang, "who_operator_for", via=via, name=name)
    if via:
        return text(lang, "who_operator", via=via)
    return name


def _tests_lines(outcome: DraftOutcome, lang: str) -> list[str]:
    tested = outcome.tested
    if tested is None:
        return []
    dialog = outcome.dialog_id or ""
    walk_passed = sum(o.passed for o in tested.walk)
    walk_failed = len(tested.walk) - walk_passed
    walk_more = text(lang, "walk_failed", failed=walk_failed) if walk_failed else ""
    if not tested.transcripts:
        line = text(
            lang, "tests_none", walk_passed=walk_passed, walk_failed=walk_more, dialog=dialog
        )
    else:
        passed = sum(o.passed for o in tested.transcripts)
        line = text(
            lang,
            "tests_line",
            walk_passed=walk_passed,
            walk_failed=walk_more,
            passed=passed,
            failed=len(tested.transcripts) - passed,
        )
        if outcome.tests_from is not None:
            line += " " + text(lang, "tests_inherited", version=outcome.tests_from, dialog=dialog)
    failed = tested.failed
    return [line, *(str(o) for o in failed[:_MAX_FAILURES])] + (
        [f"(+{len(failed) - _MAX_FAILURES})"] if len(failed) > _MAX_FAILURES else []
    )


def _diagnostic_lines(diagnostics: list[Diagnostic], lang: str) -> list[str]:
    """The diagnostics as the checker writes them (at most 25), then what to do about each of
    their codes, once per code, in the reader's language (`[checker]` of the catalog)."""
    shown = diagnostics[:_MAX_DIAGNOSTICS]
    lines = [str(d) for d in shown]
    if len(diagnostics) > _MAX_DIAGNOSTICS:
        lines.append(f"(+{len(diagnostics) - _MAX_DIAGNOSTICS})")
    codes = dict.fromkeys(d.code for d in shown)
    said = [(code, m) for code in codes if (m := code_text(in_use(), lang, code)) is not None]
    if said:
        lines.append(text(lang, "checker.what_to_do"))
    for code, meaning in said:
        lines.append(text(lang, "checker.code", code=code, title=meaning.title, fix=meaning.fix))
    return lines


def draft_replies(outcome: DraftOutcome, lang: str, reviewers_required: int) -> list[Reply]:
    dialog_id = outcome.dialog_id or ""
    lines: list[str] = []
    if outcome.tests_only:
        lines.append(text(lang, "tests_attached", dialog=dialog_id))
        lines.extend(_tests_lines(outcome, lang))
    elif not outcome.saved:
        assert outcome.check is not None
        diagnostics = outcome.check.diagnostics
        errors = len(outcome.check.errors)
        lines.append(
            text(
                lang,
                "draft_errors",
                file=outcome.file_name[:100],
                errors=errors,
                warnings=len(diagnostics) - errors,
            )
        )
        lines.extend(_diagnostic_lines(diagnostics, lang))
        return [Reply(clip("\n".join(lines), lang))]
    else:
        assert outcome.check is not None
        assert outcome.check.dialog is not None
        dialog = outcome.check.dialog
        title = dialog.title.get(lang, dialog.default_language)
        warnings = outcome.check.diagnostics
        if outcome.tests_passed:
            lines.append(
                text(lang, "draft_ready", dialog=dialog_id, title=title, warnings=len(warnings))
            )
        else:
            failed = outcome.tested.failed if outcome.tested else []
            lines.append(
                text(lang, "draft_blocked", dialog=dialog_id, title=title, failed=len(failed))
            )
        lines.extend(_tests_lines(outcome, lang))
        lines.extend(_diagnostic_lines(warnings, lang))
        if outcome.revised:
            lines.append(text(lang, "draft_revised", dialog=dialog_id))
        if outcome.voided_reviewer:
            lines.append(text(lang, "approval_voided", reviewer=outcome.voided_reviewer))
        if outcome.base_version is not None:
            lines.append(
                text(lang, "draft_replaces", dialog=dialog_id, version=outcome.base_version)
            )
    key = "draft_next_review" if reviewers_required >= 1 else "draft_next_publish"
    lines.append(text(lang, key, dialog=dialog_id))
    return [Reply(clip("\n".join(lines), lang))]


def review_replies(view: ReviewView, lang: str, reviewers_required: int) -> list[Reply]:
    draft = view.draft
    loaded = load_dialog_text(
        draft.source, f"{draft.dialog_id}.yaml", max_bytes=len(draft.source.encode()) + 1
    )
    title = (
        loaded.dialog.title.get(lang, loaded.dialog.default_language)
        if loaded.dialog
        else draft.dialog_id
    )
    status = draft.status if draft.status != "approved" or draft.approved else "draft"
    lines = [
        text(
            lang,
            "review_title",
            dialog=draft.dialog_id,
            title=title,
            author=who(lang, view.author_name, draft.author_via or ""),
            status=status,
        )
    ]
    if draft.review_comment and view.reviewer_name:
        lines.append(
            text(lang, "review_comment", reviewer=view.reviewer_name, comment=draft.review_comment)
        )
    published = view.published
    if published is None:
        lines.append(text(lang, "review_new"))
        body = draft.source
    else:
        # imported here: bot.publishing's records word their refusals with `text` above
        from bot.publishing.checks import diff_sources

        body = diff_sources(
            published.source,
            draft.source,
            f"{draft.dialog_id} v{published.version}",
            f"{draft.dialog_id} draft",
        )
        key = "review_diff" if body else "review_same"
        lines.append(text(lang, key, version=published.version))
    replies = [Reply("\n".join(lines))]
    if body:
        replies.append(Reply(clip(body, lang)))
    if view.own:
        replies.append(Reply(text(lang, "review_own")))
        return replies
    digest = draft.checksum[:_DIGEST]
    buttons = [
        Button(text(lang, "approve"), f"pub.a.{draft.id}.{digest}"),
        Button(text(lang, "reject"), f"pub.r.{draft.id}"),
    ]
    if draft.approved or reviewers_required == 0:
        buttons.append(Button(text(lang, "publish"), f"pub.p.{draft.id}"))
    replies[-1] = Reply(replies[-1].text, tuple(buttons))
    return replies


def history_replies(dialog_id: str, entries: list[HistoryEntry], lang: str) -> list[Reply]:
    if not entries:
        return [Reply(text(lang, "history_none", dialog=dialog_id))]
    lines = [text(lang, "history_title", dialog=dialog_id)]
    for entry in entries:
        reviewer = ""
        if entry.reviewer:
            at = (
                text(
                    lang,
                    "history_reviewed_at",
                    at=entry.reviewed_at.strftime("%Y-%m-%d %H:%M UTC"),
                )
                if entry.reviewed_at
                else ""
            )
            reviewer = text(
                lang,
                "history_reviewer",
                reviewer=who(lang, entry.reviewer, entry.reviewer_via),
                at=at,
            )
        publisher = who(lang, entry.publisher, entry.publisher_via)
        author = who(lang, entry.author, entry.author_via)
        lines.append(
            text(
                lang,
                "history_line",
                version=entry.version,
                when=entry.published_at.strftime("%Y-%m-%d %H:%M UTC"),
                origin=entry.origin,
                author=author,
                reviewer=reviewer,
                publisher=text(lang, "history_publisher", publisher=publisher)
                if publisher and publisher != author
                else "",
            )
        )
    return [Reply(clip("\n".join(lines), lang))]


def published_replies(published: Published, lang: str) -> list[Reply]:
    dialog = published.dialog
    lines = [text(lang, "published", dialog=dialog.id, version=published.version)]
    if published.previous is not None:
        lines.append(
            text(
                lang,
                "published_sessions",
                sessions=published.sessions_on_previous,
                old=published.previous,
                version=published.version,
            )
        )
    told = "rollback_notified" if published.origin == "rollback" else "published_notified"
    lines.append(text(lang, told, notified=published.notified))
    if published.origin == "rollback":
        lines.append(text(lang, "rollback_psychologists", told=published.psychologists_told))
    return [Reply("\n".join(lines))]
