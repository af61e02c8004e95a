"""The structured view: cards per screen, texts side by side, missing translations,
diagnostics attached to the screen whose lines they fall on."""

from __future__ import annotations

from pathlib import Path

from dialogs.structured import node_key_lines, structured_view
from tests.dialogs.helpers import dialog_yaml

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = dialog_yaml(
    """
    first:
      kind: question
      text: {en: "What now?", fr: "Et maintenant ?"}
      options:
        - id: go
          label: {en: "Go on", fr: "Continuer"}
          next: middle
        - id: stop
          label: {en: "Stop"}
          next: done
    # the middle screen is only in English so far
    middle:
      kind: message
      text: "Plain English only"
      next: done
    done:
      kind: end
      text: {en: "Bye", fr: "Au revoir"}
    """
)


def test_every_screen_is_a_card_in_file_order_with_its_lines() -> None:
    view = structured_view(SAMPLE)
    assert view.readable
    assert view.dialog_id == "sample"
    assert view.languages == ("en", "fr")
    assert view.node_ids == ("first", "middle", "done")
    lines = SAMPLE.splitlines()
    for card in view.cards:
        assert lines[card.line - 1].strip() == f"{card.id}:"
    first = view.card("first")
    assert first is not None
    assert first.is_start
    assert first.end_line < view.cards[1].line


def test_texts_side_by_side_and_options_with_where_they_lead() -> None:
    first = structured_view(SAMPLE).card("first")
    assert first is not None
    assert first.kind == "question"
    (text,) = first.texts
    assert [(c.lang, c.value, c.missing) for c in text.cells] == [
        ("en", "What now?", False),
        ("fr", "Et maintenant ?", False),
    ]
    assert [(o.id, o.next, o.leads_somewhere) for o in first.options] == [
        ("go", "middle", True),
        ("stop", "done", True),
    ]
    go = first.options[0]
    assert go.label is not None
    assert go.label.value("fr") == "Continuer"


def test_missing_translations_are_flagged_per_text_and_per_card() -> None:
    view = structured_view(SAMPLE)
    first, middle, done = view.cards
    stop = first.options[1]
    assert stop.label is not None
    assert stop.label.missing == ("fr",)
    assert first.missing_languages == ("fr",)
    (text,) = middle.texts
    assert text.value("en") == "Plain English only"
    assert text.missing == ("fr",)
    assert middle.missing_languages == ("fr",)
    assert done.missing_languages == ()


def test_diagnostics_are_attached_to_the_screen_they_concern() -> None:
    broken = SAMPLE.replace("    next: done\n  done:", "    next: nowhere\n  done:")
    assert broken != SAMPLE
    view = structured_view(broken)
    middle = view.card("middle")
    assert middle is not None
    codes = {d.code for d in middle.diagnostics}
    assert "RD024" in codes  # leads to a node that does not exist
    first = view.card("first")
    assert first is not None
    assert "RD051" in {d.code for d in first.diagnostics}  # option stop: no French
    assert all(middle.line <= d.loc.line <= middle.end_line for d in middle.diagnostics)
    assert not any(d.code == "RD024" for d in view.diagnostics)


def test_an_unreadable_text_has_no_cards_and_says_why() -> None:
    view = structured_view("id: x\nnodes: [\n")
    assert not view.readable
    assert view.cards == ()
    assert view.diagnostics[0].code == "RD001"


def test_key_lines_of_a_bundled_dialog() -> None:
    text = (ROOT / "content" / "dialogs" / "crisis.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    found = node_key_lines(text)
    assert "what" in found
    for node_id, line in found.items():
        assert lines[line - 1].strip().startswith(f"{node_id}:")


def test_details_of_other_kinds() -> None:
    text = (ROOT / "content" / "dialogs" / "crisis.yaml").read_text(encoding="utf-8")
    view = structured_view(text)
    emergency, alert = view.card("emergency"), view.card("alert")
    assert emergency is not None
    assert alert is not None
    assert dict(emergency.details) == {"roles": "emergency", "page": "no"}
    assert dict(alert.details) == {"roles": "on_call_psychologist", "page": "yes"}
    gotos = [c for c in view.cards if c.kind == "goto"]
    assert gotos
    assert all(dict(c.details)["dialog"] for c in gotos)


def test_a_note_body_is_not_missing_a_translation() -> None:
    text = dialog_yaml(
        """
        first:
          kind: note
          text: {en: "File it?", fr: "Noter ?"}
          body: "Said: {{ case }}"
          next: done
        done:
          kind: end
        """
    )
    card = structured_view(text).card("first")
    assert card is not None
    body = next(row for row in card.texts if row.field == "body")
    assert [(c.lang, c.value) for c in body.cells] == [("en", "Said: {{ case }}")]
    assert card.missing_languages == ()
