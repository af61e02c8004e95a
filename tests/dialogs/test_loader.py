from __future__ import annotations

from pathlib import Path

import pytest

from dialogs import load_dialog_file, load_dialog_text
from dialogs.diagnostics import CODES, Loc
from dialogs.model import CheckinNode, InputNode, QuestionNode
from tests.dialogs.helpers import DATA, HEADER, check, codes, dialog_yaml, load


def test_fixture_loads_every_kind() -> None:
    result = load_dialog_file(DATA / "full.yaml")
    assert result.ok, [str(d) for d in result.diagnostics]
    dialog = result.dialog
    assert dialog is not None
    kinds = {node.kind for node in dialog.nodes.values()}
    assert kinds == {"question", "contact", "message", "input", "note", "checkin", "goto", "end"}
    assert dialog.languages == ("en", "fr")
    first = dialog.nodes["first"]
    assert isinstance(first, QuestionNode)
    assert [o.id for o in first.options] == ["sos", "talk", "tips"]
    assert first.loc == Loc(str(DATA / "full.yaml"), 13, 5)
    risk = dialog.nodes["ask_risk"]
    assert isinstance(risk, InputNode)
    assert risk.validate.type == "number"
    assert risk.next[0].when_source == "risk >= 8"
    assert risk.next[1].when is None
    follow = dialog.nodes["follow"]
    assert isinstance(follow, CheckinNode)
    assert follow.after.total_seconds() == 86400


def test_every_code_is_documented() -> None:
    for code, info in CODES.items():
        assert code == info.code
        assert code.startswith("RD")
        assert len(code) == 5
        assert info.severity in ("error", "warning")
        assert info.title
        assert info.fix


def test_yaml_syntax_error_is_located() -> None:
    result = load_dialog_text("id: x\ntitle: [unclosed\nstart: a\n", "bad.yaml")
    assert result.dialog is None
    [d] = result.diagnostics
    assert d.code == "RD001"
    assert d.loc.file == "bad.yaml"
    assert d.loc.line >= 2
    assert str(d).startswith("bad.yaml:")


def test_size_limit() -> None:
    result = load_dialog_text("a: b\n" * 100, "big.yaml", max_bytes=100)
    assert [d.code for d in result.diagnostics] == ["RD002"]


def test_invalid_utf8_is_located() -> None:
    result = load_dialog_text(b"id: x\ntitle: caf\xe9\n", "latin1.yaml")
    [d] = result.diagnostics
    assert d.code == "RD003"
    assert (d.loc.line, d.loc.col) == (2, 11)


def test_binary_file() -> None:
    result = load_dialog_text(b"\x89PNG\r\n\x1a\n\x00\x00", "picture.yaml")
    assert [d.code for d in result.diagnostics] == ["RD003"]


def test_alias_bomb_is_refused() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        bomb += f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    result = load_dialog_text(bomb, "bomb.yaml")
    assert result.dialog is None
    assert [d.code for d in result.diagnostics] == ["RD004"]


def test_recursive_alias_is_refused() -> None:
    result = load_dialog_text("a: &a [*a]\n", "loop.yaml")
    assert result.dialog is None
    assert "RD004" in [d.code for d in result.diagnostics]


def test_deep_nesting_is_refused() -> None:
    result = load_dialog_text("a: " + "[" * 5000 + "]" * 5000 + "\n", "deep.yaml")
    assert [d.code for d in result.diagnostics] == ["RD005"]
    block = "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1\n"
    result = load_dialog_text(block, "deep2.yaml")
    assert [d.code for d in result.diagnostics] == ["RD005"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "RD006"),
        ("- a\n- b\n", "RD012"),
        ("id: x\n", "RD011"),
        ("id: Bad-Id\ntitle: t\nstart: a\nnodes: {a: {kind: end}}\n", "RD013"),
        ("id: x\nid: y\ntitle: t\nstart: a\nnodes: {a: {kind: end}}\n", "RD015"),
        ("id: x\ntitel: t\nstart: a\nnodes: {a: {kind: end}}\n", "RD010"),
        ("id: x\ntitle: t\nstart: a\nnodes: {a: {kind: ending}}\n", "RD016"),
        ("id: x\ntitle: t\nstatus: live\nstart: a\nnodes: {a: {kind: end}}\n", "RD016"),
    ],
)
def test_structural_codes(text: str, code: str) -> None:
    result = load_dialog_text(text, "x.yaml")
    assert code in [d.code for d in result.diagnostics], [str(d) for d in result.diagnostics]


def test_unknown_key_suggests_the_right_one() -> None:
    text = dialog_yaml(
        """
        first:
          kind: message
          text: {en: "Hi", fr: "Salut"}
          nxet: done
        done:
          kind: end
        """
    )
    [d] = [d for d in check(text) if d.code == "RD010"]
    assert "did you mean 'next'?" in d.hint
    assert d.loc.line == 9


def test_duplicate_node_id() -> None:
    text = dialog_yaml(
        """
        first: {kind: end}
        first: {kind: end}
        """
    )
    assert "RD020" in codes(text)


def test_bad_duration_and_validation() -> None:
    text = dialog_yaml(
        """
        first:
          kind: input
          text: {en: "Age?", fr: "Âge ?"}
          var: age
          validate: {type: integer, min_length: 5, max_length: 2, pattern: "([a-z", colour: red}
          next: later
        later:
          kind: checkin
          text: {en: "Later?", fr: "Plus tard ?"}
          after: 3 fortnights
          next: done
        done: {kind: end}
        """
    )
    found = codes(text)
    assert found.count("RD045") == 4
    assert "RD044" in found


def test_bad_condition_points_at_the_column() -> None:
    text = dialog_yaml(
        """
        first:
          kind: message
          text: {en: "Hi", fr: "Salut"}
          next:
            - when: "risk === 'high'"
              to: done
            - to: done
        done: {kind: end}
        """
    )
    [d] = [d for d in check(text) if d.code == "RD042"]
    assert d.loc.line == 10
    assert d.loc.col > 15


def test_reserved_variable_name() -> None:
    text = dialog_yaml(
        """
        first:
          kind: input
          text: {en: "Name?", fr: "Nom ?"}
          var: case
          next: done
        done: {kind: end}
        """
    )
    assert "RD016" in codes(text)


def test_file_stem_must_match_id(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(HEADER + "  first: {kind: end}\n", encoding="utf-8")
    result = load_dialog_file(path)
    assert [d.code for d in result.diagnostics] == ["RD014"]


def test_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    result = load_dialog_file(tmp_path / "nope.yaml")
    assert result.dialog is None
    assert [d.code for d in result.diagnostics] == ["RD006"]


def test_block_texts_lose_their_trailing_newline() -> None:
    text = dialog_yaml(
        """
        first:
          kind: end
          text:
            en: |
              Two lines
              of text
            fr: "Deux lignes"
        """
    )
    dialog = load(text)
    node_text = dialog.nodes["first"].text
    assert node_text is not None
    assert node_text.values["en"] == "Two lines\nof text"


def test_guarded_composer_builds_the_same_dialog() -> None:
    text = (DATA / "full.yaml").read_text(encoding="utf-8")
    fast = load_dialog_text(text, "full.yaml")
    guarded = load_dialog_text(text + "# a * and an & force the guarded composer\n", "full.yaml")
    assert fast.dialog is not None
    assert fast.dialog == guarded.dialog
    assert fast.diagnostics == guarded.diagnostics == []


def test_second_document_is_refused() -> None:
    result = load_dialog_text("id: a\n---\nid: b\n", "two.yaml")
    assert result.dialog is None
    assert [d.code for d in result.diagnostics] in (["RD001"], ["RD006"])


SOURCED = dialog_yaml(
    """
    first:
      kind: question
      text: "Is anyone in danger?"
      source: "RAN MH paper (2021), 'Recommandations'"
      options:
        - id: danger
          label: "Yes"
          next: help
          risk: true
        - id: fine
          label: "No"
          next: tell
    tell:
      kind: message
      text: "Listen."
      source: "general practice, not from the paper"
      next: ask
    ask:
      kind: input
      text: "What happened?"
      var: what
      source: "general practice"
      next: log
    log:
      kind: note
      text: "Log it?"
      body: "{{ what }}"
      source: "the paper"
      next: follow
    follow:
      kind: checkin
      text: "Check in?"
      after: 1d
      source: "the paper"
      next: tips
    tips:
      kind: goto
      dialog: sample
      source: "the paper"
      next: done
    help:
      kind: contact
      roles: [emergency]
      page: true
      source: "the protocol"
    done:
      kind: end
      source: "the paper"
    """,
    header=HEADER.replace("languages: [en, fr]\n", "languages: [en]\n"),
)


def test_every_node_kind_takes_a_source_and_options_a_risk_flag() -> None:
    dialog = load(SOURCED)
    assert {n.kind for n in dialog.nodes.values() if n.source} == {
        "question", "message", "input", "note", "checkin", "goto", "contact", "end",
    }  # fmt: skip
    assert dialog.nodes["tell"].source == "general practice, not from the paper"
    first = dialog.nodes["first"]
    assert isinstance(first, QuestionNode)
    assert [(o.id, o.risk) for o in first.options] == [("danger", True), ("fine", False)]


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("risk: true", "risk: maybe", "RD012"),
        ("risk: true", "risk: [yes]", "RD012"),
        ('source: "general practice, not from the paper"', "source: {en: x}", "RD012"),
        ('source: "general practice, not from the paper"', 'source: "  "', "RD016"),
        ('source: "general practice, not from the paper"', "sources: x", "RD010"),
    ],
)
def test_bad_source_and_risk_values_are_located(old: str, new: str, code: str) -> None:
    assert old in SOURCED
    text = SOURCED.replace(old, new, 1)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.strip() == new)
    result = load_dialog_text(text, "sample.yaml")
    [d] = [d for d in result.diagnostics if d.severity == "error"]
    assert (d.code, d.loc.line) == (code, line), str(d)
