"""The walk behind a card's situations: bounded on loops, through gotos, record keeping
skipped, texts that need a conversation left out, headings dropped."""

from __future__ import annotations

from bot.cards.steps import MAX_STEPS, situations
from dialogs import Library, load_dialog_text
from dialogs.model import Dialog

START = """\
id: start
title: {en: "Help now"}
tags: [crisis]
start: what
nodes:
  what:
    kind: question
    text: "What is happening?"
    options:
      - id: sos
        label: "Someone is in danger now"
        next: call
        risk: true
      - id: loop
        label: "Going round"
        next: round
      - id: asked
        label: "Tell me more"
        next: ask
      - id: other
        label: "Another guide"
        next: away
  call:
    kind: contact
    text: "Call now{% if case %} about {{ case }}{% endif %}."
    roles: [emergency]
    page: true
    next: log
  log:
    kind: note
    text: "Log it?"
    body: "called"
    next: after
  after:
    kind: message
    text: "Stay with the person."
    next: done
  round:
    kind: message
    text: "Round we go."
    next: round_again
  round_again:
    kind: goto
    dialog: start
    next: done
  ask:
    kind: input
    text: "What did they say?"
    var: said
    next: echo
  echo:
    kind: message
    text: "They said {{ said }}."
    next: done
  away:
    kind: goto
    dialog: other
    next: done
  done:
    kind: end
"""

OTHER = """\
id: other
title: {en: "Another guide"}
start: first
nodes:
  first:
    kind: message
    text: |-
      Short heading

      The first real step.
    next: second
  second:
    kind: message
    text: "The second step."
    next: third
  third:
    kind: end
    text: "The third step."
"""


def _load(text: str) -> Dialog:
    result = load_dialog_text(text, "x.yaml")
    assert result.dialog is not None, result.diagnostics
    return result.dialog


def test_the_walk_is_bounded_and_shows_what_a_card_can_show() -> None:
    start, other = _load(START), _load(OTHER)
    library = Library([start, other])
    found = {s.label: s for s in situations(library, start, "en")}
    danger = found["Someone is in danger now"]
    assert danger.risk
    assert [(s.text, s.roles, s.page) for s in danger.steps] == [
        ("Call now.", ("emergency",), True),  # `{% if case %}` dropped, no source shown
        ("Stay with the person.", (), False),  # the note in between is skipped
    ]
    # a goto back to the start question: bounded, and the question's choices listed once
    round_steps = found["Going round"].steps
    assert len(round_steps) == MAX_STEPS
    assert round_steps[0].text == "Round we go."
    assert "Going round" not in [c.label for c in round_steps[1].choices]  # already a situation
    assert "Someone is in danger now" not in [c.label for c in round_steps[1].choices]  # sos
    # a text that needs an answer is left out, not shown as a template or an error
    asked = [s.text for s in found["Tell me more"].steps]
    assert asked == ["What did they say?"]
    # into another dialog: its heading line dropped, at most MAX_STEPS screens
    assert [s.text for s in found["Another guide"].steps] == [
        "The first real step.",
        "The second step.",
    ]
