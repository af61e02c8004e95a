from __future__ import annotations

import json
from datetime import timedelta

import pytest

from dialogs import (
    Cancel,
    Choose,
    Ended,
    Library,
    LogNote,
    PageContact,
    Say,
    ScheduleCheckin,
    SessionState,
    ShowContacts,
    Sos,
    Start,
    StateFormatError,
    StepResult,
    Text,
    Timeout,
    load_library,
    step,
)
from dialogs.events import Event
from tests.dialogs.helpers import DATA, NOW, dialog_yaml, library

CTX = {"practitioner": "Ana", "case": "C-12"}


@pytest.fixture(scope="module")
def lib() -> Library:
    return load_library(DATA).library


def run(lib: Library, events: list[Event], start: Start | None = None) -> list[StepResult]:
    results = [step(lib, None, start or Start("full", "en", CTX), NOW)]
    for event in events:
        results.append(step(lib, results[-1].state, event, NOW))
    return results


def prompt(result: StepResult) -> Say:
    says = [o for o in result.outputs if isinstance(o, Say) and o.expects is not None]
    assert says, result
    return says[-1]


def test_start_shows_the_first_question(lib: Library) -> None:
    [result] = run(lib, [])
    assert result.error is None
    say = prompt(result)
    assert say.text == "Hello Ana. What is happening?"
    assert [o.id for o in say.options] == ["sos", "talk", "tips"]
    assert say.expects == "option"
    assert say.turn == 1
    assert result.state is not None
    assert result.state.node == "first"


def test_french_and_fallback_language(lib: Library) -> None:
    fr = step(lib, None, Start("full", "fr", CTX), NOW)
    assert prompt(fr).options[0].label == "Contacts d'urgence"
    de = step(lib, None, Start("full", "de", CTX), NOW)
    assert de.state is not None
    assert de.state.lang == "en"


def test_contact_page_and_end(lib: Library) -> None:
    results = run(lib, [Choose("sos", 1)])
    outputs = results[-1].outputs
    assert outputs == (
        Say("Call now."),
        ShowContacts(("emergency", "on_call_psychologist"), urgent=False),
        PageContact("emergency"),
        Ended("completed"),
    )
    state = results[-1].state
    assert state is not None
    assert state.ended
    assert state.end_reason == "completed"


def test_message_auto_advances_into_the_next_prompt(lib: Library) -> None:
    results = run(lib, [Choose("talk", 1)])
    say = prompt(results[-1])
    assert say.text == "Let us go step by step.\n\nWhat happened?"
    assert say.expects == "text"
    assert say.options == ()
    assert say.turn == 2


def test_input_validation_conditions_note_and_checkin(lib: Library) -> None:
    results = run(
        lib,
        [Choose("talk", 1), Text("x"), Text("he shouted"), Text("eleven"), Text("11"), Text("9")],
    )
    too_short, not_number, out_of_range = results[2], results[4], results[5]
    assert too_short.error is not None
    assert too_short.error.code == "invalid_input"
    assert too_short.error.message == "Two characters at least."
    assert too_short.state is results[1].state
    assert not_number.error is not None
    assert not_number.error.message == "Please type a number."
    assert out_of_range.error is not None
    assert out_of_range.state is results[4].state
    high = results[-1]
    assert high.error is None
    assert high.outputs[0] == Say("Risk 9 is high.")
    assert high.outputs[1] == ShowContacts(("on_call_psychologist", "case_owner"))
    offer = prompt(high)
    assert [(o.id, o.label) for o in offer.options] == [("yes", "Yes"), ("no", "No")]
    assert high.state is not None
    assert high.state.vars == {"what_happened": "he shouted", "risk": 9}
    noted = step(lib, high.state, Choose("yes", offer.turn), NOW)
    assert noted.outputs[0] == LogNote("he shouted (risk 9)", ("trigger",))
    checkin = step(lib, noted.state, Choose("yes", prompt(noted).turn), NOW)
    assert checkin.outputs[0] == ScheduleCheckin(timedelta(hours=24), "Every node kind")
    assert checkin.outputs[-2:] == (Say("Take care."), Ended("completed"))


def test_no_emits_nothing(lib: Library) -> None:
    results = run(lib, [Choose("talk", 1), Text("he shouted"), Text("9"), Choose("no", 4)])
    assert not any(isinstance(o, LogNote) for o in results[-1].outputs)
    final = step(lib, results[-1].state, Choose("no", 5), NOW)
    assert not any(isinstance(o, ScheduleCheckin) for o in final.outputs)
    assert final.outputs[-1] == Ended("completed")


def test_conditional_option_hidden_and_refused(lib: Library) -> None:
    low = run(lib, [Choose("talk", 1), Text("he shouted"), Text("5")])[-1]
    assert [o.id for o in prompt(low).options] == ["done"]  # "more" needs risk < 3
    refused = step(lib, low.state, Choose("more", prompt(low).turn), NOW)
    assert refused.error is not None
    assert refused.error.code == "unknown_option"
    assert refused.state is low.state
    very_low = run(lib, [Choose("talk", 1), Text("he shouted"), Text("2")])[-1]
    assert [o.id for o in prompt(very_low).options] == ["more", "done"]


def test_goto_runs_the_other_dialog_and_returns(lib: Library) -> None:
    result = run(lib, [Choose("tips", 1)])[-1]
    assert result.outputs == (Say("Stay calm. Speak slowly.\n\nTake care."), Ended("completed"))
    assert ("tips", "card") in result.visited
    assert result.visited[-1] == ("full", "bye")


def test_goto_keeps_a_pinned_return_stack() -> None:
    child = dialog_yaml(
        """
        first:
          kind: input
          text: {en: "Child asks", fr: "L'enfant demande"}
          var: answer
          next: done
        done: {kind: end, text: {en: "Child done {{ answer }}", fr: "Fini"}}
        """
    ).replace("id: sample", "id: child")
    parent = dialog_yaml(
        """
        first:
          kind: input
          text: {en: "Name?", fr: "Nom ?"}
          var: name
          next: hop
        hop: {kind: goto, dialog: child, next: done}
        done: {kind: end, text: {en: "Back, {{ name }}", fr: "Retour"}}
        """
    )
    lib = library(child, parent)
    first = step(lib, None, Start("sample"), NOW)
    inside = step(lib, first.state, Text("Bo"), NOW)
    assert inside.state is not None
    assert inside.state.dialog_id == "child"
    [frame] = inside.state.stack
    assert (frame.dialog_id, frame.version, frame.return_to) == ("sample", 1, "done")
    assert frame.vars == {"name": "Bo"}
    assert inside.state.vars == {}
    # a new version of the parent is published while the session is in the child
    new_parent = library(parent.replace("Back, {{ name }}", "NEW {{ name }}")).get("sample")
    assert new_parent is not None
    lib.add(new_parent)
    assert lib.versions("sample") == (1, 2)
    done = step(lib, inside.state, Text("ok"), NOW)
    assert done.outputs == (Say("Child done ok\n\nBack, Bo"), Ended("completed"))


def test_session_stays_on_its_version() -> None:
    v1 = dialog_yaml(
        """
        first:
          kind: question
          text: {en: "Version one", fr: "Version un"}
          options: [{id: go, label: {en: Go, fr: Aller}, next: done}]
        done: {kind: end, text: {en: "End one", fr: "Fin un"}}
        """
    )
    lib = library(v1)
    started = step(lib, None, Start("sample"), NOW)
    v2 = library(v1.replace("one", "two")).get("sample")
    assert v2 is not None
    lib.add(v2)
    old = step(lib, started.state, Choose("go", 1), NOW)
    assert old.outputs[0] == Say("End one")
    fresh = step(lib, None, Start("sample"), NOW)
    assert fresh.state is not None
    assert fresh.state.version == 2
    assert prompt(fresh).text == "Version two"
    pinned = step(lib, None, Start("sample", version=1), NOW)
    assert pinned.state is not None
    assert pinned.state.version == 1


def test_stale_turn_is_refused(lib: Library) -> None:
    results = run(lib, [Choose("talk", 1)])
    stale = step(lib, results[-1].state, Choose("sos", 1), NOW)
    assert stale.error is not None
    assert stale.error.code == "stale_turn"
    assert stale.state is results[-1].state
    assert stale.outputs == ()


def test_wrong_kind_of_answer(lib: Library) -> None:
    start = run(lib, [])[0]
    text = step(lib, start.state, Text("hello"), NOW)
    assert text.error is not None
    assert text.error.code == "expected_option"
    at_input = run(lib, [Choose("talk", 1)])[-1]
    choose = step(lib, at_input.state, Choose("sos", 2), NOW)
    assert choose.error is not None
    assert choose.error.code == "expected_text"
    unknown = step(lib, start.state, Choose("dance", 1), NOW)
    assert unknown.error is not None
    assert unknown.error.code == "unknown_option"


def _states_at_every_prompt(lib: Library) -> list[SessionState]:
    paths = [
        [],
        [Choose("talk", 1)],
        [Choose("talk", 1), Text("he shouted")],
        [Choose("talk", 1), Text("he shouted"), Text("5")],
        [Choose("talk", 1), Text("he shouted"), Text("9")],
        [Choose("talk", 1), Text("he shouted"), Text("9"), Choose("no", 4)],
    ]
    states = []
    for path in paths:
        state = run(lib, path)[-1].state  # type: ignore[arg-type]
        assert state is not None
        assert not state.ended
        states.append(state)
    assert {s.node for s in states} == {"first", "ask_what", "ask_risk", "low", "log", "follow"}
    return states


def test_sos_from_every_prompt_keeps_the_state(lib: Library) -> None:
    for state in _states_at_every_prompt(lib):
        result = step(lib, state, Sos(), NOW)
        assert result.error is None
        assert result.state is state
        assert result.outputs[0] == ShowContacts(("emergency", "on_call_psychologist"), True)
        again = result.outputs[1]
        assert isinstance(again, Say)
        assert again.turn == state.turn
        assert again.expects


def test_sos_without_a_session() -> None:
    result = step(Library(), None, Sos(), NOW)
    assert result.outputs == (ShowContacts(("emergency", "on_call_psychologist"), True),)


def test_cancel_and_timeout_from_every_prompt(lib: Library) -> None:
    for state in _states_at_every_prompt(lib):
        cancelled = step(lib, state, Cancel(), NOW)
        assert cancelled.outputs == (Ended("cancelled"),)
        assert cancelled.state is not None
        assert cancelled.state.ended
        after = step(lib, cancelled.state, Choose("sos", state.turn), NOW)
        assert after.error is not None
        assert after.error.code == "ended"
        timed_out = step(lib, state, Timeout(), NOW)
        assert timed_out.outputs == (Ended("timeout"),)


def test_events_without_a_session(lib: Library) -> None:
    for event in (Choose("x", 1), Text("x"), Cancel(), Timeout()):
        result = step(lib, None, event, NOW)
        assert result.error is not None
        assert result.error.code == "no_session"
    unknown = step(lib, None, Start("nope"), NOW)
    assert unknown.error is not None
    assert unknown.error.code == "unknown_dialog"
    bad_node = step(lib, None, Start("full", node="nowhere"), NOW)
    assert bad_node.error is not None
    assert bad_node.error.code == "unknown_node"


def test_start_from_a_node_with_variables(lib: Library) -> None:
    result = step(lib, None, Start("full", "en", CTX, {"risk": 2}, node="low"), NOW)
    assert [o.id for o in prompt(result).options] == ["more", "done"]


def test_restart_keeps_counting_turns(lib: Library) -> None:
    first = run(lib, [Choose("talk", 1)])[-1]
    restarted = step(lib, first.state, Start("full", "en", CTX), NOW)
    assert prompt(restarted).turn == 3
    stale = step(lib, restarted.state, Choose("sos", 1), NOW)
    assert stale.error is not None
    assert stale.error.code == "stale_turn"


def test_state_round_trip(lib: Library) -> None:
    for state in _states_at_every_prompt(lib):
        data = json.loads(json.dumps(state.to_dict()))
        assert data["format_version"] == 1
        assert data["min_compatible"] == 1
        assert SessionState.from_dict(data) == state


def test_state_from_a_newer_incompatible_format() -> None:
    data = SessionState("full", 1, "first", "en").to_dict()
    data.update(format_version=3, min_compatible=2)
    with pytest.raises(StateFormatError, match="needs a reader of version 2"):
        SessionState.from_dict(data)
    data.update(min_compatible=1, extra_field=True)  # newer but compatible: readable
    assert SessionState.from_dict(data).node == "first"
    for broken in ({}, {"format_version": 1}, {**data, "turn": "x"}, {**data, "vars": {"a": []}}):
        with pytest.raises(StateFormatError):
            SessionState.from_dict(broken)


def test_deterministic(lib: Library) -> None:
    events: list[Event] = [Choose("talk", 1), Text("he shouted"), Text("9"), Choose("yes", 4)]
    assert run(lib, events) == run(lib, events)


def test_dates_and_patterns() -> None:
    text = dialog_yaml(
        r"""
        first:
          kind: input
          text: {en: "When?", fr: "Quand ?"}
          var: day
          validate: {type: date}
          next: code
        code:
          kind: input
          text: {en: "Code?", fr: "Code ?"}
          var: code
          validate: {pattern: "[A-Z]-\\d+"}
          next: done
        done: {kind: end, text: {en: "{{ day }} {{ code }}", fr: "x"}}
        """
    )
    lib = library(text)
    start = step(lib, None, Start("sample"), NOW)
    assert step(lib, start.state, Text("31/02/2025"), NOW).error is not None
    day = step(lib, start.state, Text("31/03/2025"), NOW)
    assert day.error is None
    assert step(lib, day.state, Text("c-12"), NOW).error is not None
    done = step(lib, day.state, Text("C-12"), NOW)
    assert done.outputs[0] == Say("2025-03-31 C-12")


def test_hidden_options_end_safely() -> None:
    text = dialog_yaml(
        """
        first:
          kind: question
          text: {en: "Only for French", fr: "Seulement en français"}
          options: [{id: a, label: {en: A, fr: A}, next: done, when: "lang == 'fr'"}]
        done: {kind: end}
        """
    )
    result = library(text)
    en = step(result, None, Start("sample", "en"), NOW)
    assert en.outputs == (Say("Only for French"), Ended("completed"))


def test_offer_labels_can_be_overridden_and_yes_no_words_stay_texts() -> None:
    text = dialog_yaml(
        """
        first:
          kind: question
          text: {en: "Log?", fr: "Consigner ?"}
          options:
            - {id: yes, label: {en: yes, fr: oui}, next: log}
        log:
          kind: note
          text: {en: "Log it?", fr: "Consigner ?"}
          body: "plain"
          yes: {en: "Log it", fr: "Consigner"}
          no: {en: "Don't", fr: "Non merci"}
          next: done
        done: {kind: end}
        """
    )
    lib = library(text)
    first = step(lib, None, Start("sample", "fr"), NOW)
    assert [(o.id, o.label) for o in prompt(first).options] == [("yes", "oui")]
    offer = step(lib, first.state, Choose("yes", 1), NOW)
    assert [(o.id, o.label) for o in prompt(offer).options] == [
        ("yes", "Consigner"),
        ("no", "Non merci"),
    ]
