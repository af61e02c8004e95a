from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs import load_library, load_paths
from dialogs.diagnostics import sort_diagnostics
from tests.dialogs.helpers import DATA, HEADER, check, codes, dialog_yaml

OK_END = """
done:
  kind: end
  text: {en: "Bye", fr: "Au revoir"}
"""


def test_fixtures_are_clean() -> None:
    loaded = load_library(DATA)
    assert loaded.diagnostics == []
    assert loaded.library.ids() == ["full", "tips"]


def test_broken_file_reports_every_problem_located() -> None:
    loaded = load_paths([DATA / "broken"])
    found = {(d.code, d.loc.line) for d in loaded.diagnostics}
    assert {
        ("RD071", 8),
        ("RD041", 9),
        ("RD024", 13),
        ("RD021", 14),
        ("RD030", 18),
        ("RD031", 18),
        ("RD051", 19),
        ("RD070", 22),
        ("RD044", 26),
        ("RD010", 27),
    } <= found
    assert "broken" not in loaded.library
    assert loaded.diagnostics == sort_diagnostics(loaded.diagnostics)


@pytest.mark.parametrize(
    ("nodes", "code"),
    [
        # RD023 start missing
        ("other: {kind: end}", "RD023"),
        # RD024 target missing
        ("first: {kind: message, text: {en: a, fr: b}, next: nowhere}", "RD024"),
        # RD030 unreachable + RD031 dead end
        ("first: {kind: end}\nalone: {kind: end}", "RD030"),
        ("first: {kind: message, text: {en: a, fr: b}}", "RD031"),
        # RD032 cycle with no way out
        (
            """
            first:
              kind: question
              text: {en: "Again?", fr: "Encore ?"}
              options:
                - {id: again, label: {en: Again, fr: Encore}, next: second}
            second:
              kind: question
              text: {en: "Again?", fr: "Encore ?"}
              options:
                - {id: back, label: {en: Back, fr: Retour}, next: first}
            """,
            "RD032",
        ),
        # RD032 loop without a question
        (
            """
            first:
              kind: message
              text: {en: a, fr: b}
              next: [{when: "defined(x)", to: done}, {to: second}]
            second: {kind: message, text: {en: a, fr: b}, next: first}
            x_in: {kind: input, text: {en: a, fr: b}, var: x, next: done}
            done: {kind: end}
            """,
            "RD032",
        ),
        # RD033 every branch conditional
        (
            "first: {kind: message, text: {en: a, fr: b},"
            " next: [{when: 'lang == \"en\"', to: done}]}\ndone: {kind: end}",
            "RD033",
        ),
        # RD040 template does not parse
        ("first: {kind: end, text: {en: 'Hi {{ name', fr: b}}", "RD040"),
        # RD041 undefined variable
        ("first: {kind: end, text: {en: 'Hi {{ name }}', fr: b}}", "RD041"),
        # RD043 undefined variable in a condition
        (
            "first: {kind: message, text: {en: a, fr: b}, next: [{when: 'mood == 1', to: done},"
            " {to: done}]}\ndone: {kind: end}",
            "RD043",
        ),
        # RD050 missing default language, RD051 missing translation, RD052 undeclared language
        ("first: {kind: end, text: {fr: b}}", "RD050"),
        ("first: {kind: end, text: {en: a}}", "RD051"),
        ("first: {kind: end, text: 'plain string'}", "RD051"),
        ("first: {kind: end, text: {en: a, fr: b, de: c}}", "RD052"),
        # RD060 long label, RD061 long option id
        (
            "first: {kind: question, text: {en: a, fr: b}, options: [{id: a, next: done, label:"
            " {en: 'This label is far too long to fit on a phone button', fr: b}}]}"
            "\ndone: {kind: end}",
            "RD060",
        ),
        (
            "first: {kind: question, text: {en: a, fr: b}, options: [{id: " + "o" * 60 + ","
            " next: done, label: {en: a, fr: b}}]}\ndone: {kind: end}",
            "RD061",
        ),
        # RD062 long message
        ("first: {kind: end, text: {en: '" + "x" * 4100 + "', fr: b}}", "RD062"),
        # RD070 unknown role
        ("first: {kind: contact, roles: [plumber]}", "RD070"),
        # RD025 goto to a missing dialog
        ("first: {kind: goto, dialog: nowhere}", "RD025"),
    ],
)
def test_codes(nodes: str, code: str) -> None:
    found = codes(dialog_yaml(nodes))
    assert code in found, found


def test_clean_dialog_has_no_diagnostics() -> None:
    text = dialog_yaml(
        """
        first:
          kind: question
          text: {en: "Hello {{ practitioner }}, case {{ case }}", fr: "Bonjour"}
          options:
            - {id: ask, label: {en: Ask, fr: Demander}, next: ask}
            - {id: stop, label: {en: Stop, fr: Stop}, next: done}
        ask:
          kind: input
          text: {en: "Mood?", fr: "Humeur ?"}
          var: mood
          next: [{when: "mood in ['bad', 'awful']", to: call}, {to: done}]
        call: {kind: contact, roles: [case_owner], next: done}
        """.replace("\n        ", "\n")
        + OK_END
    )
    assert check(text) == []


def test_crisis_dialog_needs_emergency_on_first_screen() -> None:
    header = HEADER.replace("languages: [en, fr]", "languages: [en, fr]\ntags: [crisis]")
    good = dialog_yaml(
        """
        first:
          kind: question
          text: {en: "What now?", fr: "Et maintenant ?"}
          options:
            - {id: sos, label: {en: Emergency, fr: Urgence}, next: call}
            - {id: done, label: {en: Nothing, fr: Rien}, next: done}
        call: {kind: contact, roles: [emergency, on_call_psychologist]}
        """.replace("\n        ", "\n")
        + OK_END,
        header,
    )
    assert check(good) == []
    hidden = good.replace("next: call}", "next: call, when: \"lang == 'en'\"}")
    assert "RD071" in [d.code for d in check(hidden)]
    not_emergency = good.replace("roles: [emergency, on_call_psychologist]", "roles: [case_owner]")
    assert "RD071" in [d.code for d in check(not_emergency)]


def test_duplicate_dialog_ids_across_a_library(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    text = dialog_yaml("first: {kind: end}")
    (tmp_path / "sample.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "copy.yaml").write_text(text, encoding="utf-8")
    found = [d.code for d in load_paths([tmp_path]).diagnostics]
    assert "RD022" in found


def test_published_without_reviewer_warns() -> None:
    header = HEADER.replace("start:", "status: published\nstart:")
    assert codes(dialog_yaml("first: {kind: end}", header)) == ["RD080"]


def test_json_of_a_diagnostic() -> None:
    [d] = check(dialog_yaml("first: {kind: end, text: {en: a}}"))
    data = d.to_json()
    assert data["code"] == "RD051"
    assert data["severity"] == "warning"
    assert data["line"] == 6


# -- guidance a clinician would sign: RD100-RD105 (dialogs/guidance.py, dialogs/glossary.py) ----

EN_HEADER = HEADER.replace("languages: [en, fr]\n", "languages: [en]\n")


def _guidance(text: str, *others: str, glossary: str | None = None) -> list[tuple[str, int, str]]:
    """(code, line, message) of the RD1xx diagnostics of `text`, checked with `others` as its
    library and the glossary given."""
    from dialogs import load_dialog_text
    from dialogs.checker import check_dialog_text
    from dialogs.glossary import load_glossary_text
    from tests.dialogs.helpers import ROLES

    library = {}
    for other in others:
        loaded = load_dialog_text(other, "other.yaml")
        assert loaded.dialog is not None, [str(d) for d in loaded.diagnostics]
        library[loaded.dialog.id] = loaded.dialog
    terms = None
    if glossary is not None:
        read = load_glossary_text(glossary)
        assert read.diagnostics == [], [str(d) for d in read.diagnostics]
        terms = read.glossary
    result = check_dialog_text(
        text,
        "sample.yaml",
        roles=ROLES,
        dialog_ids={"sample", *library},
        dialogs=library,
        glossary=terms,
    )
    return [
        (d.code, d.loc.line, d.message) for d in result.diagnostics if "RD100" <= d.code < "RD120"
    ]


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _risky(after: str, *, risk: bool = True) -> str:
    """A dialog whose first question has a `risk: true` option leading to `go`."""
    flag = ", risk: true" if risk else ""
    return dialog_yaml(
        f"""
        first:
          kind: question
          text: "Has the person mentioned a plan, a means or a date?"
          options:
            - {{id: plan, label: "Yes, or I can't tell", next: go{flag}}}
            - {{id: no, label: "No", next: done}}
        {textwrap.indent(textwrap.dedent(after).strip(), "        ").lstrip()}
        help:
          kind: contact
          roles: [emergency, on_call_psychologist]
        page:
          kind: contact
          roles: [on_call_psychologist]
          page: true
        done:
          kind: end
        """,
        EN_HEADER,
    )


def _ask(node: str, then: str) -> str:
    return f"""
    {node}:
      kind: question
      text: "Who is with the person?"
      options:
        - {{id: someone, label: "Someone", next: {then}}}
        - {{id: alone, label: "Alone", next: {then}}}
    """


def test_risk_option_straight_to_emergency_or_page_is_fine() -> None:
    assert _guidance(_risky("go: {kind: message, text: 'Stay calm.', next: help}")) == []
    assert _guidance(_risky("go: {kind: message, text: 'Stay calm.', next: page}")) == []


def test_risk_option_whose_path_ends_before_help_is_an_error() -> None:
    text = _risky("go: {kind: message, text: 'Listen to them.', next: done}")
    [(code, line, message)] = _guidance(text)
    assert code == "RD100"
    assert line == _line(text, "risk: true")
    assert "'plan'" in message
    assert "can end" in message
    assert "go → done" in message
    # the rule is opt-in per option: the same dialog without `risk` is not checked
    assert _guidance(_risky("go: {kind: message, text: 'x', next: done}", risk=False)) == []


def test_a_contact_that_neither_pages_nor_lists_emergency_is_not_help() -> None:
    text = _risky(
        """
        go:
          kind: contact
          roles: [case_owner]
          next: done
        """
    )
    assert [c for c, _, _ in _guidance(text)] == ["RD100"]


def test_risk_help_within_the_screen_bound() -> None:
    from dialogs.guidance import RISK_SCREENS

    assert RISK_SCREENS == 3
    # help on the 3rd screen after the option: two questions first
    ok = _risky(_ask("go", "second") + _ask("second", "help"))
    assert _guidance(ok) == []
    # a third question first: too late
    late = _risky(_ask("go", "second") + _ask("second", "third") + _ask("third", "help"))
    [(code, line, message)] = _guidance(late)
    assert (code, line) == ("RD100", _line(late, "risk: true"))
    assert "3 screens" in message
    assert "go → second → third" in message


def test_every_branch_of_a_risk_path_must_reach_help() -> None:
    text = _risky(
        """
        go:
          kind: question
          text: "Is the person with you?"
          options:
            - {id: yes, label: "Yes", next: help}
            - {id: no, label: "No", next: done}
        """
    )
    [(code, _line_no, message)] = _guidance(text)
    assert code == "RD100"
    assert "go → done" in message


def test_an_input_loop_before_help_is_an_error() -> None:
    text = _risky(
        """
        go:
          kind: input
          text: "What did they say?"
          var: words
          next: again
        again:
          kind: question
          text: "Anything else?"
          options:
            - {id: more, label: "More", next: go}
            - {id: enough, label: "That's all", next: help}
        """
    )
    [(code, _line_no, message)] = _guidance(text)
    assert code == "RD100"
    assert "go → again → go" in message


def test_a_risk_path_whose_conditions_may_all_fail_can_end() -> None:
    """The engine finishes a dialog when every option of a question is hidden, or no branch of
    a `next` holds: with only conditional ways on, the path may end there."""
    hidden = _risky(
        """
        go:
          kind: question
          text: "Is the person with you?"
          options:
            - {id: yes, label: "Yes", next: help, when: "lang == 'en'"}
            - {id: no, label: "No", next: page, when: "lang == 'fr'"}
        """
    )
    [(code, _line_no, message)] = _guidance(hidden)
    assert code == "RD100"
    assert "can end" in message
    assert _guidance(hidden.replace(", when: \"lang == 'fr'\"", "")) == []
    branches = _risky("go: {kind: message, text: x, next: [{when: \"lang == 'en'\", to: help}]}")
    assert [c for c, _, _ in _guidance(branches)] == ["RD100"]
    assert _guidance(branches.replace("}]}", "}, {to: page}]}")) == []


def test_risk_paths_follow_gotos_into_the_library() -> None:
    helps = dialog_yaml(
        """
        first:
          kind: contact
          roles: [emergency]
        """,
        EN_HEADER.replace("id: sample", "id: urgent"),
    )
    talks = dialog_yaml(
        """
        first:
          kind: question
          text: "Talk first?"
          options:
            - {id: ok, label: "OK", next: done}
        done:
          kind: end
        """,
        EN_HEADER.replace("id: sample", "id: talk"),
    )
    to_help = _risky("go: {kind: goto, dialog: urgent}")
    assert _guidance(to_help, helps) == []
    # a dialog that ends without help, and nothing after the goto: the session ends
    to_talk = _risky("go: {kind: goto, dialog: talk}")
    [(code, _line_no, message)] = _guidance(to_talk, talks)
    assert code == "RD100"
    assert "go → talk:first → talk:done" in message
    # ... unless the goto goes on to help when that dialog returns
    then_help = _risky("go: {kind: goto, dialog: talk, next: help}")
    assert _guidance(then_help, talks) == []
    # a goto whose only way on is conditional: the dialog may end when it returns
    maybe = _risky("go: {kind: goto, dialog: talk, next: [{when: \"lang == 'en'\", to: help}]}")
    assert [c for c, _, _ in _guidance(maybe, talks)] == ["RD100"]
    # a goto into a dialog the library does not hold continues at its next, as in the engine
    assert [c for c, _, _ in _guidance(to_talk)] == ["RD100"]


def test_risk_rule_over_a_folder_follows_gotos(tmp_path: Path) -> None:
    (tmp_path / "sample.yaml").write_text(_risky("go: {kind: goto, dialog: urgent}"), "utf-8")
    urgent = dialog_yaml("first: {kind: contact, roles: [emergency]}", EN_HEADER)
    (tmp_path / "urgent.yaml").write_text(urgent.replace("id: sample", "id: urgent"), "utf-8")
    assert [d for d in load_paths([tmp_path]).diagnostics if d.code == "RD100"] == []
    (tmp_path / "urgent.yaml").write_text(
        urgent.replace("id: sample", "id: urgent").replace("[emergency]", "[case_owner]"), "utf-8"
    )
    [found] = [d for d in load_paths([tmp_path]).diagnostics if d.code == "RD100"]
    assert found.severity == "error"
    assert found.loc.file.endswith("sample.yaml")
    assert "sample" not in load_paths([tmp_path]).library  # an error leaves the dialog out


def test_a_hostile_web_of_gotos_is_checked_within_a_budget() -> None:
    import time

    from dialogs.guidance import MAX_PLACES

    def web(n: int) -> str:
        """n gotos back into itself, 8 deep: n**8 ways to help"""
        branches = ", ".join(f"{{when: \"lang == 'x{j}'\", to: g{j}}}" for j in range(n - 1))
        nodes = [f"first: {{kind: message, text: x, next: [{branches}, {{to: g{n - 1}}}]}}"]
        for j in range(n):
            nodes.append(f"g{j}: {{kind: goto, dialog: web, next: r{j}}}")
            nodes.append(f"r{j}: {{kind: contact, roles: [emergency]}}")
        return dialog_yaml("\n".join(nodes), EN_HEADER.replace("id: sample", "id: web"))

    began = time.monotonic()
    [(code, _line_no, message)] = _guidance(_risky("go: {kind: goto, dialog: web}"), web(30))
    assert code == "RD100"
    assert f"more than {MAX_PLACES:,} steps" in message
    assert time.monotonic() - began < 20
    # a web of 3 is walked to the end (3**8 = 6,561 ways), and found safe
    assert _guidance(_risky("go: {kind: goto, dialog: web}"), web(3)) == []


def _words(n: int, word: str = "word") -> str:
    return " ".join([word] * n)


def test_first_screen_word_budget_per_language() -> None:
    from dialogs.guidance import FIRST_SCREEN_WORDS

    assert FIRST_SCREEN_WORDS == 60

    def first_screen(en: int, fr: int) -> str:
        return dialog_yaml(
            f"""
            first:
              kind: message
              text:
                en: "{_words(en - 5)}"
                fr: "{_words(fr - 5, "mot")}"
              next: ask
            ask:
              kind: question
              text:
                en: "What is {{{{ practitioner }}}} seeing?"
                fr: "Que voit-on ? {{{{ practitioner }}}} l'a-t-il vu"
              options:
                - {{id: a, label: {{en: A, fr: A}}, next: done}}
            done:
              kind: end
            """
        )

    assert _guidance(first_screen(60, 60)) == []
    text = first_screen(60, 61)
    [(code, line, message)] = _guidance(text)
    assert (code, line) == ("RD101", _line(text, 'fr: "mot'))
    assert "61 words in 'fr'" in message


GLOSSARY = """\
en:
  - avoid: "personality disorder"
    use: "describe the behaviour you see"
    why: "no diagnosis by non-clinicians"
    audience: [mentor, social_worker]
  - avoid: "psychopath"
    use: "describe the behaviour you see"
fr:
  - avoid: "référent du dossier"
    use: "responsable du dossier"
    why: "the paper's term"
"""


def _said(en: str, fr: str, audience: str = "") -> str:
    header = HEADER.replace("start:", f"audience: [{audience}]\nstart:") if audience else HEADER
    return dialog_yaml(
        f"""
        first:
          kind: question
          text:
            en: "{en}"
            fr: "{fr}"
          options:
            - {{id: a, label: {{en: "Tell the Psychopath", fr: "Prévenir"}}, next: done}}
        done:
          kind: end
        """,
        header,
    )


def test_glossary_terms_are_flagged_with_the_suggestion() -> None:
    text = _said("A Personality\\n  Disorder, maybe.", "Appelez le référent du dossier.")
    found = _guidance(text, glossary=GLOSSARY)
    assert sorted((code, message) for code, _, message in found) == [
        ("RD102", "node 'first' text (en): avoid 'Personality\\n  Disorder'"),
        ("RD102", "node 'first' text (fr): avoid 'référent du dossier'"),
        ("RD102", "option 'a' label (en): avoid 'Psychopath'"),
    ]
    from dialogs.checker import check_dialog_text
    from dialogs.glossary import load_glossary_text

    hint = {
        d.message: d.hint
        for d in check_dialog_text(
            text, "sample.yaml", glossary=load_glossary_text(GLOSSARY).glossary
        ).diagnostics
    }
    assert hint["node 'first' text (fr): avoid 'référent du dossier'"] == (
        "use: responsable du dossier; the paper's term"
    )


@pytest.mark.parametrize(
    ("en", "fr"),
    [
        ("personality disorders are common", "Appelez le referent du dossier."),  # whole words
        ("personality-disordered", "le référent du dossiers"),
        ("référent du dossier", "personality disorder"),  # each term in its own language
    ],
)
def test_glossary_matches_whole_words_with_accents_in_their_language(en: str, fr: str) -> None:
    assert _guidance(_said(en, fr), glossary=GLOSSARY) == [
        (
            "RD102",
            _line(_said(en, fr), "label: {en"),
            "option 'a' label (en): avoid 'Psychopath'",
        )
    ]


def test_glossary_audience_limits_a_term_to_dialogs_open_to_those_roles() -> None:
    for_clinicians = _said("A personality disorder.", "x", audience="psychologist, coordinator")
    assert [m for _, _, m in _guidance(for_clinicians, glossary=GLOSSARY)] == [
        "option 'a' label (en): avoid 'Psychopath'"
    ]
    for_mentors = _said("A personality disorder.", "x", audience="mentor")
    assert len(_guidance(for_mentors, glossary=GLOSSARY)) == 2
    for_everyone = _said("A personality disorder.", "x")
    assert len(_guidance(for_everyone, glossary=GLOSSARY)) == 2


@pytest.mark.parametrize(
    ("glossary", "line", "words"),
    [
        ("en:\n  - use: x\n", 2, "has no 'avoid'"),
        ("en:\n  - avoid: x\n    usee: y\n", 3, "unknown key 'usee'"),
        ("english:\n  - avoid: x\n", 1, "not a language code"),
        ("en:\n  - avoid: x\n    audience: [mentors]\n", 3, "audience role 'mentors'"),
        ("en:\n  - avoid: x\n  - avoid: X\n", 3, "listed twice"),
        ("en:\n  - avoid: ''\n", 2, "avoid is empty"),
        ("en: {avoid: x}\n", 1, "must be a list"),
        ("- avoid: x\n", 1, "a mapping of languages"),
        ("en: [unclosed\n", 2, ""),
    ],
)
def test_bad_glossary_files_are_located(glossary: str, line: int, words: str) -> None:
    from dialogs.glossary import load_glossary_text

    read = load_glossary_text(glossary, "glossary.yaml")
    [problem] = read.diagnostics
    assert problem.severity == "error"
    assert problem.code in ("RD103", "RD001")
    assert problem.loc.line == line, str(problem)
    assert words in problem.message


def test_glossary_beside_the_dialogs_folder_is_used(tmp_path: Path) -> None:
    folder = tmp_path / "dialogs"
    folder.mkdir()
    (folder / "sample.yaml").write_text(_said("A personality disorder.", "x"), "utf-8")
    assert [d.code for d in load_paths([tmp_path]).diagnostics] == []
    (tmp_path / "glossary.yaml").write_text(GLOSSARY, "utf-8")
    for path in (tmp_path, folder, folder / "sample.yaml"):
        found = [d for d in load_paths([path]).diagnostics]
        assert [d.code for d in found] == ["RD102", "RD102"], path
    (tmp_path / "glossary.yaml").write_text("en:\n  - avoid: x\n    use: [y]\n", "utf-8")
    [bad] = load_paths([tmp_path]).diagnostics
    assert (bad.code, bad.loc.file, bad.loc.line) == ("RD103", str(tmp_path / "glossary.yaml"), 3)


@pytest.mark.parametrize(
    ("en", "numbers"),
    [
        ("If someone is in danger, call 112 now.", ["112"]),
        ("Dial 911 or 999.", ["911", "999"]),
        ("Appelez le 15 ou le 17.", ["15", "17"]),
        ("Composez le 18 (pompiers).", ["18"]),
        ("SAMU : 15, police : 17", ["15", "17"]),
        ("Ligne 3114, ou le 116 123.", ["3114", "116 123"]),
        ("Wait 15 minutes, then call back.", []),
        ("On day 17 they called again.", []),
        ("Call them within 18 hours.", []),
        ("Call at 9:15 or on 17/03.", []),
        ("Appelez-le le 17 mars.", []),
        ("Call 01 12 34 56 78.", []),
        ("They called 15 times.", []),
        ("Room 1120, 112th floor.", []),
        ("{{ practitioner }} 15", []),
    ],
)
def test_hard_coded_emergency_numbers(en: str, numbers: list[str]) -> None:
    text = _said(en, "x")
    found = [(c, m) for c, _, m in _guidance(text) if c == "RD104"]
    assert [m.rsplit(" ", 1)[-1].strip("'") for _, m in found] == [
        n.rsplit(" ", 1)[-1] for n in numbers
    ]


def test_hard_coded_number_in_a_block_text_is_located_on_its_line() -> None:
    text = dialog_yaml(
        """
        first:
          kind: contact
          text:
            en: |-
              Keep yourself safe.
              If in danger, call 112.
            fr: "Appelez les secours."
          roles: [emergency]
        """
    )
    [(code, line, _message)] = _guidance(text)
    assert (code, line) == ("RD104", _line(text, "call 112"))
    from dialogs.checker import check_dialog_text

    [d] = [d for d in check_dialog_text(text, "sample.yaml").diagnostics if d.code == "RD104"]
    assert d.loc.col == _lines_col(text, "112")
    assert "emergency" in d.hint
    assert "contacts directory" in d.hint


def _lines_col(text: str, needle: str) -> int:
    line = next(line for line in text.splitlines() if needle in line)
    return line.index(needle) + 1


def _audience(dialog_id: str, audience: str, goto: str = "") -> str:
    header = EN_HEADER.replace("id: sample", f"id: {dialog_id}")
    if audience:
        header = header.replace("start:", f"audience: [{audience}]\nstart:")
    node = (
        f"first: {{kind: goto, dialog: {goto}, next: done}}\ndone: {{kind: end}}"
        if goto
        else "first: {kind: end}"
    )
    return dialog_yaml(node, header)


def test_goto_into_a_narrower_audience_warns() -> None:
    clinicians = _audience("clinic", "psychologist")
    text = _audience("sample", "mentor, psychologist", goto="clinic")
    [(code, line, message)] = _guidance(text, clinicians)
    assert (code, line) == ("RD105", _line(text, "kind: goto"))
    assert "mentor may open 'sample' but not 'clinic'" in message
    # everyone -> mentors only: the others are named (psychologists and admins see all)
    found = _guidance(_audience("sample", "", goto="mentors"), _audience("mentors", "mentor"))
    assert [m.split(":")[1].split(" may")[0] for _, _, m in found] == [
        " coordinator, social_worker"
    ]
    # same or wider audience: fine
    assert _guidance(_audience("sample", "mentor", goto="clinic"), _audience("clinic", "")) == []
    wider = _audience("clinic", "mentor, social_worker")
    assert _guidance(_audience("sample", "mentor", goto="clinic"), wider) == []


def test_guidance_rules_stay_linear_on_hostile_texts() -> None:
    """Unclosed template tags and long runs of digits and spaces cost one pass, not one per
    character: a text of half a megabyte is checked in well under a second, not in hours."""
    import time

    from dialogs.guidance import count_words, first_screen_words

    # (brackets closed by "]]": the YAML guard refuses deep nesting, not this)
    hostile = "{{]]" * 60_000 + "{%]]" * 30_000 + ("15 " + " " * 1000) * 100 + "call 112"
    text = dialog_yaml(f"first:\n  kind: end\n  text: |-\n    {hostile}", EN_HEADER)
    began = time.monotonic()
    found = _guidance(text)
    assert time.monotonic() - began < 10
    # an unclosed tag is text: 102 words on the first screen, and the number after a call word
    assert [c for c, _, _ in found] == ["RD101", "RD104"]
    assert count_words("What is {{ practitioner }} seeing? {% if x %}yes{% endif %}") == 5
    loaded = load_paths([DATA / "full.yaml"]).library.get("full")
    assert loaded is not None
    assert first_screen_words(loaded, "en")[0] == 5


def test_the_bundled_glossary_is_valid_and_found_for_the_content() -> None:
    from dialogs.glossary import find_glossary, load_glossary

    content = Path(__file__).resolve().parents[2] / "content"
    found = find_glossary(content / "dialogs")
    assert found == content / "glossary.yaml"
    read = load_glossary(found)
    assert [str(d) for d in read.diagnostics] == []
    assert {t.lang for t in read.glossary.terms} == {"en", "fr"}
    avoided = {t.avoid for t in read.glossary.terms}
    assert {"personality disorder", "référent du dossier", "réinsertion"} <= avoided


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_guidance_rules_never_raise_on_damaged_dialogs(data: st.DataObject) -> None:
    """Lines of a dialog with risk options, gotos and block texts dropped, duplicated or
    edited: the guidance rules report located diagnostics, never an exception."""
    from dialogs.checker import check_dialog_text
    from dialogs.diagnostics import CODES
    from dialogs.glossary import load_glossary_text

    base = _risky(_ask("go", "second") + _ask("second", "help")).replace(
        'text: "Who is with the person?"',
        "text: |-\n        Call 112 or le 15.\n        A personality disorder {{ x",
    )
    lines = base.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "dup", "edit"]))
        if action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        else:
            junk = data.draw(st.text(alphabet="ab:{}[]-'\"|> #%0159\n", max_size=8))
            pos = data.draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + junk + lines[i][pos:]
        if not lines:
            break
    text = "\n".join(lines) + "\n"
    glossary = load_glossary_text(GLOSSARY).glossary
    result = check_dialog_text(text, "sample.yaml", dialogs={}, glossary=glossary)
    for diagnostic in result.diagnostics:
        assert diagnostic.code in CODES
        assert 0 <= diagnostic.loc.line <= len(text.splitlines()) + 1
