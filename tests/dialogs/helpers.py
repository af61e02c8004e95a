"""Small helpers for the dialogs tests: build dialogs from YAML snippets, drive the engine."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

from dialogs import Dialog, Library, load_dialog_text
from dialogs.checker import check_dialog_text
from dialogs.diagnostics import Diagnostic

DATA = Path(__file__).parent / "data"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ROLES = frozenset(
    {
        "emergency",
        "on_call_psychologist",
        "on_call_psychiatrist",
        "case_owner",
        "probation_officer",
        "police_liaison",
        "social_services",
        "exit_worker",
        "team_coordinator",
    }
)

HEADER = """\
id: sample
title: {en: "Sample", fr: "Exemple"}
languages: [en, fr]
start: first
nodes:
"""


def dialog_yaml(nodes: str, header: str = HEADER) -> str:
    """A dialog file from a header and an indented block of nodes."""
    return header + textwrap.indent(textwrap.dedent(nodes).strip("\n"), "  ") + "\n"


def load(text: str, name: str = "sample.yaml") -> Dialog:
    result = load_dialog_text(text, name)
    assert result.dialog is not None, [str(d) for d in result.diagnostics]
    assert result.ok, [str(d) for d in result.diagnostics]
    return result.dialog


def check(text: str, name: str = "sample.yaml", ids: set[str] | None = None) -> list[Diagnostic]:
    return check_dialog_text(text, name, roles=ROLES, dialog_ids=ids or {"sample"}).diagnostics


def codes(text: str, name: str = "sample.yaml") -> list[str]:
    return [d.code for d in check(text, name)]


def library(*texts: str) -> Library:
    lib = Library()
    for text in texts:
        result = check_dialog_text(text, "x.yaml", roles=ROLES)
        assert result.dialog is not None
        assert result.ok, [str(d) for d in result.diagnostics]
        lib.add(result.dialog)
    return lib
