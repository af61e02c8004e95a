"""Live diagnostics: a text checked with the rest of the library, located at its lines, with
what to do; the JSON Schema's help for keys."""

from __future__ import annotations

import time
from pathlib import Path

from dialogs import load_library
from dialogs.diagnostics import CODES
from dialogs.live import check_in_library, schema_help

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
LIBRARY = load_library(CONTENT).library
CRISIS = (CONTENT / "dialogs" / "crisis.yaml").read_text(encoding="utf-8")


def test_a_bundled_dialog_is_clean_in_its_library() -> None:
    check = check_in_library(CRISIS, "crisis.yaml", library=LIBRARY)
    assert check.ok
    assert (check.errors, check.warnings) == (0, 0)


def test_a_goto_into_another_dialog_needs_the_library() -> None:
    alone = check_in_library(CRISIS, "crisis.yaml")
    assert "RD025" not in {d.code for d in alone.diagnostics}  # not checked without a library
    broken = CRISIS.replace("dialog: debrief", "dialog: debriefing")
    check = check_in_library(broken, "crisis.yaml", library=LIBRARY)
    (found,) = [d for d in check.diagnostics if d.code == "RD025"]
    assert broken.splitlines()[found.line - 1].strip() == "dialog: debriefing"
    assert found.hint == "did you mean 'debrief'?"


def test_a_diagnostic_has_its_line_column_and_what_to_do() -> None:
    broken = CRISIS.replace("    next: alert\n", "    next: alrt\n", 1)
    check = check_in_library(broken, "crisis.yaml", library=LIBRARY)
    assert not check.ok
    (found,) = [d for d in check.diagnostics if d.code == "RD024"]
    assert broken.splitlines()[found.line - 1] == "    next: alrt"
    assert found.column == 11
    assert found.severity == "error"
    assert found.fix == CODES["RD024"].fix
    assert found.title == CODES["RD024"].title
    assert check.on_line(found.line) == (found,)
    as_json = check.to_json()
    assert as_json["ok"] is False
    assert {"code": "RD024", "line": found.line}.items() <= as_json["diagnostics"][0].items()  # type: ignore[index]


def test_a_yaml_error_is_located() -> None:
    broken = CRISIS.replace("    kind: contact\n", "    kind: contact\n   bad indent: [\n", 1)
    check = check_in_library(broken, "crisis.yaml", library=LIBRARY)
    assert check.dialog is None
    assert check.diagnostics[0].code == "RD001"
    assert check.diagnostics[0].line > 0


def test_a_risk_path_is_followed_through_the_library() -> None:
    # the crisis start must lead straight to the emergency contacts
    broken = CRISIS.replace(
        "roles: [emergency]\n    next: alert", "roles: [probation_officer]\n    next: alert"
    )
    check = check_in_library(broken, "crisis.yaml", library=LIBRARY)
    codes = {d.code for d in check.diagnostics}
    assert "RD071" in codes


def test_fast_enough_for_each_pause_in_typing() -> None:
    started = time.perf_counter()
    for _ in range(5):
        check_in_library(CRISIS, "crisis.yaml", library=LIBRARY)
    assert (time.perf_counter() - started) / 5 < 0.5


def test_schema_help_describes_keys() -> None:
    found = schema_help(CONTENT / "schema" / "dialog.schema.json")
    assert "30m" in found["after"]
    assert "question" in found["kind"]
    assert "danger" in found["risk"]
    for key in ("start", "options", "roles", "page", "var", "dialog", "nodes"):
        assert found.get(key), key
    assert schema_help(CONTENT / "missing.json") == {}
