from __future__ import annotations

import pytest

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
