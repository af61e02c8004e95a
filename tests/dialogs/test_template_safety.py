"""The restricted template language: what the checker refuses (RD040, RD120-RD124), located in
the file; what the renderer refuses whoever stored the text; and the bound on what it outputs."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dialogs import Choose, Library, LogNote, Say, Start, Text, step
from dialogs.engine import MAX_SAY
from dialogs.template_rules import template_rules
from dialogs.templates import MAX_OUTPUT, render, unavailable_text
from tests.dialogs.helpers import NOW, check, dialog_yaml, library, load


def _end_with(text: str) -> str:
    return dialog_yaml(
        """
        first:
          kind: input
          text: {en: "Name?", fr: "Nom ?"}
          var: name
          next: done
        done:
          kind: end
          text:
            en: |
              Thank you.
              TEMPLATE
            fr: Merci
        """.replace("TEMPLATE", text)
    )


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ("{% for i in range(3) %}x{% endfor %}", "RD120"),
        ("{% set n = 3 %}{{ n }}", "RD120"),
        ("{% macro m() %}x{% endmacro %}", "RD120"),
        ("{% include 'other' %}", "RD120"),
        ("{% filter upper %}x{% endfilter %}", "RD120"),
        ("{% with a = 1 %}{{ a }}{% endwith %}", "RD120"),
        ("{{ 'x' * 10**9 }}", "RD121"),
        ("{{ name ** 2 }}", "RD121"),
        ("{{ name + 'x' }}", "RD121"),
        ("{{ name ~ 'x' }}", "RD121"),
        ("{{ name // 2 }}", "RD121"),
        ("{{ name % 2 }}", "RD121"),
        ("{{ name.__class__ }}", "RD121"),
        ("{{ name['x'] }}", "RD121"),
        ("{{ name[1:] }}", "RD121"),
        ("{{ name.upper() }}", "RD121"),
        ("{{ range(10) }}", "RD121"),
        ("{{ {'a': 1} }}", "RD121"),
        ("{{ -name }}", "RD121"),
        ("{{ name | format(1) }}", "RD122"),
        ("{{ name | center(1000000) }}", "RD122"),
        ("{{ name | join(',') }}", "RD122"),
        ("{% if name is divisibleby(3) %}x{% endif %}", "RD122"),
        ("{{ name | truncate(*[1]) }}", "RD122"),
        ("{{ '" + "a" * 201 + "' }}", "RD123"),
        ("{{ 12345678901234567 }}", "RD123"),
        ("{{ " + "9" * 5000 + " }}", "RD123"),
        ("{% if name in [" + ",".join(["1"] * 51) + "] %}x{% endif %}", "RD123"),
        ("{% if name in [name] %}x{% endif %}", "RD123"),
        ("{{ " + "(" * 2000 + "name" + ")" * 2000 + " }}", "RD124"),
        ("{{ " + "not " * 60 + "name }}", "RD124"),
        ("{{ name", "RD040"),
    ],
)
def test_constructs_outside_the_language_are_refused(template: str, code: str) -> None:
    found = check(_end_with(template))
    assert code in [d.code for d in found], [str(d) for d in found]
    assert all(d.code != "RD041" for d in found)


def test_a_refused_construct_is_located_at_its_tag_in_the_file() -> None:
    text = _end_with("Again {{ name }}, {% for i in range(3) %}x{% endfor %}")
    (found,) = [d for d in check(text) if d.code == "RD120"]
    lines = text.split("\n")
    line = next(i for i, line in enumerate(lines, 1) if "{% for" in line)
    assert (found.loc.line, found.loc.col) == (line, lines[line - 1].index("{% for") + 1)
    assert "{% for %} is not allowed" in found.message
    assert "{% if %}" in found.hint


def test_an_inline_text_is_located_at_its_tag() -> None:
    text = dialog_yaml("first: {kind: end, text: {en: 'Hi {{ case * 3 }}', fr: b}}")
    (found,) = [d for d in check(text) if d.code == "RD121"]
    line = text.split("\n")[found.loc.line - 1]
    assert line[found.loc.col - 1 :].startswith("{{ case * 3 }}")
    assert "arithmetic ('*')" in found.message


@pytest.mark.parametrize(
    ("template", "context", "expected"),
    [
        ("Hi {{ name }}", {"name": "Ana"}, "Hi Ana"),
        ("{{ name | upper }} {{ name | lower | capitalize }}", {"name": "aNA"}, "ANA Ana"),
        ("{{ name | title }}|{{ name | trim }}|", {"name": " ana b "}, " Ana B |ana b|"),
        ("{{ name | truncate(9, end='…') }}", {"name": "a" * 20}, "aaaaaaaa…"),
        ("{{ name | length }}", {"name": "abc"}, "3"),
        ("{{ nobody | default('someone') }}", {}, "someone"),
        ("{{ name | d('x') }}", {"name": "Ana"}, "Ana"),
        ("{% if case %}on {{ case }}{% else %}no case{% endif %}", {"case": ""}, "no case"),
        (
            "{% if n > 3 %}big{% elif n in [1, 2] %}small{% else %}other{% endif %}",
            {"n": 2},
            "small",
        ),
        ("{% if x is defined and not (x == 'a' or x != 'b') %}y{% endif %}", {"x": "b"}, "y"),
        ("{% if x is undefined or x is none %}none{% endif %}", {}, "none"),
        ("{{ 'yes' if -1 < n else 'no' }}", {"n": 0}, "yes"),
        ("{% if 'ab' in name %}in{% endif %}{# note #}", {"name": "cabd"}, "in"),
        ("{% raw %}{{ not a tag }}{% endraw %}", {}, "{{ not a tag }}"),
    ],
)
def test_the_language_authors_need_renders(
    template: str, context: dict[str, object], expected: str
) -> None:
    assert not isinstance(template_rules(template), tuple), template_rules(template)
    assert render(template, context) == expected


def test_the_bundled_templates_keep_to_the_language() -> None:
    for template in (
        "{{ what_happened }}",
        "{% if case %}Case {{ case }}: {% endif %}{{ reaction }}",
    ):
        assert not isinstance(template_rules(template), tuple)


HOSTILE = (
    "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}done",
    "{{ 'x' * 10**8 }}",
    "{{ ''.__class__.__mro__ }}",
    "{% set x = 'y' %}{{ x }}",
    "{{ lipsum(100000) }}",
)


@pytest.mark.parametrize("template", HOSTILE)
def test_the_renderer_refuses_what_the_checker_refuses_whoever_stored_it(template: str) -> None:
    """A dialog row written straight into the database is not checked: rendering refuses it
    before compiling anything (no loop runs, no constant is folded)."""
    started = time.perf_counter()
    assert render(template, {"lang": "fr"}) == unavailable_text("fr")
    assert time.perf_counter() - started < 0.5


def test_a_hostile_dialog_is_shown_as_unavailable_not_run() -> None:
    """Through the engine: a dialog loaded without the checker (as a stored version is)."""
    text = dialog_yaml(
        """
        first:
          kind: question
          text: {en: "{% for a in range(5000) %}{% for b in range(5000) %}{% endfor %}{% endfor %}Hi", fr: b}
          options: [{id: ok, label: {en: OK, fr: OK}, next: done}]
        done: {kind: end, text: {en: "Bye {{ practitioner }}", fr: b}}
        """  # noqa: E501
    )
    lib = Library()
    lib.add(load(text))  # loaded, not checked: as a version read back from the database
    started = time.perf_counter()
    first = step(lib, None, Start("sample", "en", {"practitioner": "Ana"}), NOW)
    assert time.perf_counter() - started < 0.5
    (say,) = first.outputs
    assert isinstance(say, Say)
    assert say.text == unavailable_text("en")
    assert [o.id for o in say.options] == ["ok"]  # the person can still go on


def test_output_is_capped() -> None:
    long = "x" * 4000
    out = render("{{ a }} {{ a }} {{ a | upper }}", {"a": long})
    assert len(out) == MAX_OUTPUT
    assert out.endswith("…")
    simple = render("{{ a }}{{ a }}{{ a }}", {"a": long})
    assert len(simple) == MAX_OUTPUT
    assert simple.endswith("…")
    assert render("{{ a }}", {"a": "short"}) == "short"


def test_a_variable_not_set_on_this_path_shows_the_notice_not_the_source() -> None:
    assert render("You said {{ answer }}", {"lang": "en"}) == unavailable_text("en")
    assert "{{" not in render("{% if answer %}x{% endif %}", {"lang": "en"})


def test_an_input_answer_is_never_read_as_a_template() -> None:
    text = dialog_yaml(
        """
        first:
          kind: input
          text: {en: "Name?", fr: "Nom ?"}
          var: name
          next: done
        done: {kind: end, text: {en: "Thanks {{ name }}", fr: "Merci {{ name }}"}}
        """
    )
    lib = library(text)
    first = step(lib, None, Start("sample"), NOW)
    done = step(lib, first.state, Text("{{ 'x' * 10**9 }}"), NOW)
    assert done.outputs[0] == Say("Thanks {{ 'x' * 10**9 }}")


_CLI = "import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))"


def _limited(max_bytes: int) -> None:  # pragma: no cover - runs in the child process
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ("{{ 'x' * 10**9 }}", "RD121"),
        ("{{ " + "9" * 5000 + " }}", "RD123"),
        ("{{ " + "(" * 3000 + "x" + ")" * 3000 + " }}", "RD124"),
    ],
)
def test_relais_dialogs_check_gives_a_diagnostic_not_a_traceback(
    tmp_path: Path, template: str, code: str
) -> None:
    """In a child process limited to 1.5 GiB: folding `'x' * 10**9` would need a gigabyte."""
    path = tmp_path / "sample.yaml"
    path.write_text(
        dialog_yaml(f'first: {{kind: end, text: {{en: "{template}", fr: b}}}}'),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-c", _CLI, "dialogs", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: _limited(3 << 29),
        check=False,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert f"{path}:6:" in result.stdout
    assert f" {code} error: " in result.stdout


def test_one_message_gathers_at_most_max_say_characters() -> None:
    """A stored dialog (not checked) looping over message nodes of 8 KiB: the engine stops
    after MAX_AUTO_STEPS nodes, and what it says is cut at MAX_SAY, not 4 MB in one message."""
    text = dialog_yaml(
        """
        first: {kind: message, text: {en: "{{ practitioner }}", fr: b}, next: second}
        second: {kind: message, text: {en: "{{ practitioner }}", fr: b}, next: first}
        """
    )
    lib = Library()
    lib.add(load(text))
    result = step(lib, None, Start("sample", "en", {"practitioner": "x" * 9000}), NOW)
    said = [o for o in result.outputs if isinstance(o, Say)]
    assert said
    assert sum(len(o.text) for o in said) <= MAX_SAY
    assert said[0].text.endswith("…")


def test_the_question_itself_is_never_cut() -> None:
    chain = "\n".join(
        f"m{i}: {{kind: message, text: {{en: '{'y' * 4000}', fr: b}}, next: m{i + 1}}}"
        for i in range(6)
    )
    text = dialog_yaml(
        "first: {kind: message, text: {en: a, fr: b}, next: m0}\n"
        + chain
        + "\nm6: {kind: question, text: {en: 'Which one?', fr: b},"
        " options: [{id: a, label: {en: A, fr: A}, next: done}]}\ndone: {kind: end}"
    )
    result = step(library(text), None, Start("sample"), NOW)
    (say,) = [o for o in result.outputs if isinstance(o, Say)]
    assert say.text.endswith("Which one?")
    assert len(say.text) <= MAX_SAY + len("\n\nWhich one?")


def test_a_note_body_keeps_everything_typed_beyond_a_texts_cap() -> None:
    """Four answers of 4,000 characters: a shown text is cut at MAX_OUTPUT, a note's body is
    not (the notes use case decides what a note holds)."""
    text = dialog_yaml(
        """
        first: {kind: input, text: {en: "a?", fr: b}, var: a, next: second}
        second: {kind: input, text: {en: "b?", fr: b}, var: b, next: log}
        log:
          kind: note
          text: {en: "Log it?", fr: b}
          body: "{{ a }} / {{ b }} / {{ a }}"
          next: done
        done: {kind: end, text: {en: "{{ a }} {{ b }} {{ a }}", fr: b}}
        """
    )
    lib = library(text)
    state = step(lib, None, Start("sample"), NOW).state
    state = step(lib, state, Text("a" * 4000), NOW).state
    asked = step(lib, state, Text("b" * 4000), NOW)
    logged = step(lib, asked.state, Choose("yes", asked.outputs[-1].turn), NOW)
    (note,) = [o for o in logged.outputs if isinstance(o, LogNote)]
    assert note.body == "a" * 4000 + " / " + "b" * 4000 + " / " + "a" * 4000
    (said,) = [o for o in logged.outputs if isinstance(o, Say)]
    assert len(said.text) == MAX_OUTPUT
