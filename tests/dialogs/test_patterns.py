"""Answer patterns run on RE2 (linear time): what the loader refuses (RD045, RD125), located;
that a pattern Python's `re` would backtrack on answers at once, through the engine."""

from __future__ import annotations

import time

import pytest

from dialogs import Start, Text, step
from dialogs.model import Validation
from dialogs.patterns import compile_pattern, matches
from dialogs.validation import validate_input
from tests.dialogs.helpers import NOW, check, dialog_yaml, library


def _ask(pattern: str) -> str:
    return dialog_yaml(
        f"""
        first:
          kind: input
          text: {{en: "Name?", fr: "Nom ?"}}
          var: name
          validate: {{pattern: '{pattern}'}}
          next: done
        done: {{kind: end, text: {{en: "Thanks {{{{ name }}}}", fr: "Merci"}}}}
        """
    )


def test_nested_quantifiers_answer_in_linear_time_through_the_engine() -> None:
    """`([A-Za-z]+\\s?)+` on 27 letters and a '!': Python's re took seconds, doubling with
    every letter; RE2 answers at once."""
    lib = library(_ask(r"([A-Za-z]+\s?)+"))
    first = step(lib, None, Start("sample"), NOW)
    started = time.perf_counter()
    refused = step(lib, first.state, Text("a" * 27 + "!"), NOW)
    assert time.perf_counter() - started < 0.5
    assert refused.error is not None
    assert refused.error.code == "invalid_input"
    accepted = step(lib, first.state, Text("Ana Maria"), NOW)
    assert accepted.error is None


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+$", r"(a|aa)+", r"(\w+\s?)*", r"(.*a){20}", r"([a-z]+)*[0-9]"],
)
def test_catastrophic_patterns_stay_fast_on_long_answers(pattern: str) -> None:
    started = time.perf_counter()
    for answer in ("a" * 4000 + "!", "ab" * 2000, "a" * 40 + "\n"):
        validate_input(answer, Validation(pattern=pattern, max_length=5000))
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", "backreferences"),
        (r"(?P<x>a)(?P=x)", "named backreferences"),
        (r"(?=a)a", "lookahead"),
        (r"(?!a)b", "negative lookahead"),
        (r"(?<=a)b", "lookbehind"),
        (r"(?>a+)b", "atomic groups"),
        (r"a++", "possessive"),
        (r"a{2000}", "at most {1000}"),
    ],
)
def test_patterns_re2_cannot_run_are_refused_located(pattern: str, reason: str) -> None:
    text = _ask(pattern)
    (found,) = [d for d in check(text) if d.code == "RD125"]
    line = text.split("\n")[found.loc.line - 1]
    assert "validate:" in line
    assert line[found.loc.col - 1 :].startswith("'")  # the pattern's value
    assert reason in found.message
    assert "linear-time" in found.hint


def test_a_pattern_that_is_no_regular_expression_is_rd045() -> None:
    assert "RD045" in [d.code for d in check(_ask("([a-z"))]
    assert "RD045" in [d.code for d in check(_ask("x" * 201))]


def test_letters_of_any_script_with_pl() -> None:
    assert matches(r"[\pL '-]+", "Éloïse O'Neil-Ånström")
    assert not matches(r"[\pL '-]+", "R2D2")
    assert matches(r"[A-Z]-\d+", "K-12")
    assert not matches(r"[A-Z]-\d+", "K-12\n")  # the whole answer, no trailing newline


def test_a_pattern_that_does_not_compile_never_matches() -> None:
    """A stored version is loaded, not checked: a hostile pattern refuses every answer."""
    assert not matches(r"(a)\1", "aa")
    assert not isinstance(compile_pattern("[0-9]{4}"), type(compile_pattern("(a)\\1")))
