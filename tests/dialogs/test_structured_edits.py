"""Structured edits change one thing and keep the rest of the file as written: comments,
quoting, flow or block style, blank lines."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from dialogs import load_dialog_text
from dialogs.model import QuestionNode
from dialogs.structured import structured_view
from dialogs.structured_edits import (
    AddOption,
    AddScreen,
    EditRefused,
    RemoveOption,
    SetNext,
    SetOptionLabel,
    SetOptionNext,
    SetText,
    apply_edit,
)
from tests.dialogs.test_structured import SAMPLE

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted(
    p for p in (ROOT / "content" / "dialogs").glob("*.yaml") if not p.name.endswith(".test.yaml")
)


def changed(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines removed and the lines added."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def test_setting_a_french_text_keeps_comments_and_changes_one_line() -> None:
    after = apply_edit(SAMPLE, SetText("first", "fr", "Et ensuite ?"))
    assert "  # the middle screen is only in English so far\n" in after
    assert changed(SAMPLE, after) == (
        ['    text: {en: "What now?", fr: "Et maintenant ?"}'],
        ['    text: {en: "What now?", fr: "Et ensuite ?"}'],
    )
    card = structured_view(after).card("first")
    assert card is not None
    assert card.texts[0].value("fr") == "Et ensuite ?"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_an_edit_of_a_bundled_dialog_changes_only_its_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    dialog = load_dialog_text(text, path.name).dialog
    assert dialog is not None
    start = dialog.nodes[dialog.start]
    assert isinstance(start, QuestionNode)
    option = start.options[-1]
    after = apply_edit(text, SetOptionLabel(start.id, option.id, "fr", "Autre libellé"))
    removed, added = changed(text, after)
    assert len(removed) == 1
    assert len(added) == 1
    assert "Autre libellé" in added[0]
    assert [line for line in text.splitlines() if line.lstrip().startswith("#")] == [
        line for line in after.splitlines() if line.lstrip().startswith("#")
    ]
    reread = load_dialog_text(after, path.name).dialog
    assert reread is not None
    node = reread.nodes[start.id]
    assert isinstance(node, QuestionNode)
    label = node.options[-1].label
    assert label is not None
    assert label.values["fr"] == "Autre libellé"


def test_a_missing_translation_is_added_in_the_language_order() -> None:
    after = apply_edit(SAMPLE, SetOptionLabel("first", "stop", "fr", "Arrêter"))
    assert changed(SAMPLE, after) == (
        ['        label: {en: "Stop"}'],
        ['        label: {en: "Stop", fr: "Arrêter"}'],
    )
    assert structured_view(after).card("first").missing_languages == ()  # type: ignore[union-attr]


def test_a_plain_text_becomes_a_text_per_language() -> None:
    after = apply_edit(SAMPLE, SetText("middle", "fr", "Seulement en français"))
    assert changed(SAMPLE, after) == (
        ['    text: "Plain English only"'],
        ["    text:", '      en: "Plain English only"', '      fr: "Seulement en français"'],
    )


def test_a_plain_text_in_the_default_language_stays_plain() -> None:
    after = apply_edit(SAMPLE, SetText("middle", "en", "Still plain"))
    assert changed(SAMPLE, after) == (
        ['    text: "Plain English only"'],
        ['    text: "Still plain"'],
    )


def test_a_text_on_several_lines_becomes_a_block() -> None:
    after = apply_edit(SAMPLE, SetText("done", "fr", "Au revoir.\nÀ bientôt."))
    assert '    text:\n      en: "Bye"\n      fr: |-\n        Au revoir.\n' in after
    card = structured_view(after).card("done")
    assert card is not None
    assert card.texts[0].value("fr") == "Au revoir.\nÀ bientôt."
    assert card.texts[0].value("en") == "Bye"
    assert "|-" in after
    assert "# the middle screen" in after


def test_a_block_text_stays_a_block() -> None:
    text = (ROOT / "content" / "dialogs" / "crisis.yaml").read_text(encoding="utf-8")
    after = apply_edit(text, SetText("what", "fr", "Que se passe-t-il ?\n\nUne autre ligne."))
    removed, added = changed(text, after)
    assert added == ["        Une autre ligne."]
    assert len(removed) == 2
    assert "      fr: |-" in after.splitlines()


def test_texts_that_yaml_would_read_otherwise_are_quoted() -> None:
    plain = SAMPLE.replace('text: "Plain English only"', "text: Plain English only")
    for value in ("yes", "12", "a: b", " padded", "#hash", "2025-01-01"):
        after = apply_edit(plain, SetText("middle", "en", value))
        middle = load_dialog_text(after).dialog.nodes["middle"]  # type: ignore[union-attr]
        assert middle.text is not None
        assert middle.text.get("en", "en") == value


def test_option_target_and_a_single_next() -> None:
    after = apply_edit(SAMPLE, SetOptionNext("first", "go", "done"))
    assert changed(SAMPLE, after) == (["        next: middle"], ["        next: done"])
    after = apply_edit(SAMPLE, SetNext("middle", "first"))
    assert changed(SAMPLE, after) == (["    next: done"], ["    next: first"])


def test_adding_and_removing_an_option_keeps_the_comment_after_it() -> None:
    labels = {"en": "Wait", "fr": "Attendre"}
    after = apply_edit(SAMPLE, AddOption("first", "wait", "done", labels))
    removed, added = changed(SAMPLE, after)
    assert removed == []
    assert added == [
        "      - id: wait",
        '        label: {en: "Wait", fr: "Attendre"}',
        "        next: done",
    ]
    lines = after.splitlines()
    assert lines.index("  # the middle screen is only in English so far") == (
        lines.index("      - id: wait") + 3
    )
    back = apply_edit(after, RemoveOption("first", "wait"))
    assert back == SAMPLE


def test_removing_the_last_option_keeps_the_comment_and_an_end_of_line_comment() -> None:
    text = SAMPLE.replace("next: middle", "next: middle  # the usual way")
    after = apply_edit(text, RemoveOption("first", "stop"))
    assert "        next: middle  # the usual way\n  # the middle screen" in after


def test_adding_a_screen_at_the_end() -> None:
    after = apply_edit(
        SAMPLE, AddScreen("later", "message", {"en": "Later", "fr": "Plus tard"}, "done")
    )
    assert after.startswith(SAMPLE)
    assert after[len(SAMPLE) :] == (
        '\n  later:\n    kind: message\n    text: {en: "Later", fr: "Plus tard"}\n    next: done\n'
    )
    card = structured_view(after).card("later")
    assert card is not None
    assert card.texts[0].value("fr") == "Plus tard"


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (SetText("nowhere", "fr", "x"), "no_node"),
        (SetText("first", "de", "x"), "bad_lang"),
        (SetText("first", "fr", "x", field="colour"), "bad_field"),
        (SetOptionLabel("first", "nope", "fr", "x"), "no_option"),
        (SetOptionNext("first", "go", "Not An Id"), "bad_id"),
        (AddOption("first", "go", "done"), "option_exists"),
        (AddOption("middle", "new", "done"), "not_question"),
        (AddScreen("first", "end"), "node_exists"),
        (AddScreen("new", "goto"), "bad_kind"),
        (AddScreen("new", "message"), "needs_next"),
    ],
)
def test_an_impossible_edit_is_refused_with_its_reason(edit: object, key: str) -> None:
    with pytest.raises(EditRefused) as refused:
        apply_edit(SAMPLE, edit)  # type: ignore[arg-type]
    assert refused.value.key == key
    assert str(refused.value)


def test_the_last_option_cannot_be_removed() -> None:
    once = apply_edit(SAMPLE, RemoveOption("first", "stop"))
    with pytest.raises(EditRefused) as refused:
        apply_edit(once, RemoveOption("first", "go"))
    assert refused.value.key == "last_option"


def test_unreadable_yaml_is_refused_and_points_to_the_text_view() -> None:
    with pytest.raises(EditRefused) as refused:
        apply_edit("id: x\nnodes: [\n", SetText("first", "fr", "x"))
    assert refused.value.key == "unreadable"
    assert "text view" in str(refused.value)


def test_removing_an_option_in_the_middle_keeps_the_comments_around_it() -> None:
    text = SAMPLE.replace(
        "      - id: stop", "      # stop is for when they say no\n      - id: stop"
    ).replace("next: middle", "next: middle\n      # after go")
    after = apply_edit(text, RemoveOption("first", "go"))
    assert "      # after go\n      # stop is for when they say no\n      - id: stop" in after


def test_a_file_with_aliases_is_refused_before_ruamel_reads_it() -> None:
    bomb = SAMPLE.replace('text: "Plain English only"', "text: &a x\n    error: *a")
    with pytest.raises(EditRefused) as refused:
        apply_edit(bomb, SetText("first", "fr", "x"))
    assert refused.value.key == "unreadable"
    assert "RD004" in str(refused.value)


def test_the_dialog_title_in_one_language() -> None:
    after = apply_edit(SAMPLE, SetText("", "fr", "Un exemple", "title"))
    assert changed(SAMPLE, after) == (
        ['title: {en: "Sample", fr: "Exemple"}'],
        ['title: {en: "Sample", fr: "Un exemple"}'],
    )
    view = structured_view(after)
    assert view.title is not None
    assert view.title.value("fr") == "Un exemple"
    with pytest.raises(EditRefused):
        apply_edit(SAMPLE, SetText("", "fr", "x", "text"))
