"""Trying a dialog: the engine's own steps, with what would happen for real described, never
done."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dialogs import Library, load_dialog_text, load_library
from dialogs.tryout import try_answer, try_start
from tests.dialogs.helpers import NOW, dialog_yaml

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = load_library(ROOT / "content").library

FLOW = dialog_yaml(
    """
    first:
      kind: question
      text: {en: "Start", fr: "Début"}
      options:
        - id: go
          label: {en: "Go", fr: "Aller"}
          next: what
        - id: help
          label: {en: "Help", fr: "Aide"}
          next: sos
    what:
      kind: input
      text: {en: "What happened?", fr: "Que s'est-il passé ?"}
      var: what
      next: log
    log:
      kind: note
      text: {en: "File a note?", fr: "Noter ?"}
      body: "Said: {{ what }}"
      tags: [concern]
      next: follow
    follow:
      kind: checkin
      text: {en: "Check in tomorrow?", fr: "Point demain ?"}
      after: 24h
      next: done
    sos:
      kind: contact
      text: {en: "Call now", fr: "Appelez"}
      roles: [emergency, on_call_psychologist]
      page: true
    done:
      kind: end
      text: {en: "Done", fr: "Terminé"}
    """
)


def _library() -> Library:
    dialog = load_dialog_text(FLOW).dialog
    assert dialog is not None
    return Library([dialog])


def test_a_note_and_a_check_in_are_described_not_done() -> None:
    library = _library()
    turn = try_start(library, "sample", "fr", NOW)
    assert [line.kind for line in turn.lines] == ["bot"]
    assert turn.lines[0].text == "Début"
    assert [o.label for o in turn.lines[0].options] == ["Aller", "Aide"]
    assert turn.state is not None
    turn = try_answer(library, turn.state, "go", NOW)
    assert [(line.kind, line.text) for line in turn.lines] == [
        ("you", "Aller"),
        ("bot", "Que s'est-il passé ?"),
    ]
    assert turn.prompt is not None
    assert turn.prompt.expects == "text"
    assert turn.state is not None
    turn = try_answer(library, turn.state, "il a crié", NOW)
    assert turn.lines[0].text == "il a crié"
    assert turn.state is not None
    turn = try_answer(library, turn.state, "yes", NOW)
    note = next(line for line in turn.lines if line.kind == "note")
    assert note.text == "Said: il a crié"
    assert note.tags == ("concern",)
    assert turn.state is not None
    turn = try_answer(library, turn.state, "yes", NOW)
    checkin = next(line for line in turn.lines if line.kind == "checkin")
    assert checkin.after == timedelta(hours=24)
    assert turn.ended
    assert turn.prompt is None
    assert turn.lines[-1].kind == "ended"


def test_a_page_and_contacts_are_described() -> None:
    library = _library()
    turn = try_start(library, "sample", "en", NOW)
    assert turn.state is not None
    turn = try_answer(library, turn.state, "help", NOW)
    kinds = [line.kind for line in turn.lines]
    assert "contacts" in kinds
    page = next(line for line in turn.lines if line.kind == "page")
    assert page.roles == ("emergency",)
    assert turn.ended


def test_a_refused_answer_keeps_the_state_and_says_why() -> None:
    library = _library()
    turn = try_start(library, "sample", "en", NOW)
    state = turn.state
    assert state is not None
    again = try_answer(library, state, "nonsense", NOW)
    assert again.lines[-1].kind == "refused"
    assert again.lines[-1].text
    assert again.state == state
    assert again.prompt is not None
    assert [o.id for o in again.prompt.options] == ["go", "help"]


def test_a_goto_runs_the_other_dialog_of_the_library() -> None:
    turn = try_start(LIBRARY, "crisis", "fr", NOW)
    assert turn.state is not None
    turn = try_answer(LIBRARY, turn.state, "loss", NOW)
    assert turn.state is not None
    assert turn.state.dialog_id == "trigger_loss"
    assert any("deuil" in line.text.lower() or "perte" in line.text.lower() for line in turn.lines)


def test_an_unknown_dialog_cannot_start() -> None:
    turn = try_start(_library(), "nothing", "en", NOW)
    assert turn.ended
    assert turn.lines[-1].kind == "refused"
