"""The usage picture (`bot.chat.stats_view.usage_picture`, what `relais stats --format` writes
and `/stats DIALOG` sends): the answers to "Did this help?" of the drawn version and language
under the drawing, "< 5" below `[evaluation] min_count`, and nothing but counts."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.chat.stats_view import usage_picture
from bot.usage_measures import Figure
from bot.usecases.usage import NodeFigures, VersionFigures
from dialogs.graph import render_dot
from dialogs.loader import load_dialog_file
from dialogs.model import Dialog
from storage.repos.feedback import FeedbackCount

CRISIS = Path(__file__).resolve().parents[2] / "content" / "dialogs" / "crisis.yaml"


@pytest.fixture
def crisis() -> Dialog:
    dialog = load_dialog_file(CRISIS).dialog
    assert dialog is not None
    return dialog


def counts(lang: str, version: int = 1, **answers: int) -> list[FeedbackCount]:
    return [FeedbackCount("crisis", version, lang, a, n) for a, n in answers.items()]


def figures(lang: str) -> VersionFigures:
    return VersionFigures("crisis", 1, lang, {"what": NodeFigures("what", Figure(9, 5))})


ANSWERS = [
    *counts("en", yes=7, partly=2),
    *counts("fr", yes=1, no=3),
    *counts("en", version=2, yes=40),  # another version: not this drawing's
    FeedbackCount("debrief", 1, "en", "yes", 50),  # another dialog
]


def test_the_answers_of_the_drawn_version_and_language(crisis: Dialog) -> None:
    english = usage_picture(crisis, figures("en"), ANSWERS, 5)
    assert 'label="Did this help? yes 7 · partly < 5 · no 0"' in english
    french = usage_picture(crisis, figures("fr"), ANSWERS, 5, "fr")
    assert 'label="Did this help? yes < 5 · partly 0 · no < 5"' in french
    merged = usage_picture(crisis, figures("*"), ANSWERS, 5)
    assert 'label="Did this help? yes 8 · partly < 5 · no < 5"' in merged
    # no usage yet: the answers of the language asked, or of every language
    assert "yes 8 · partly < 5 · no < 5" in usage_picture(crisis, None, ANSWERS, 5)
    assert "yes < 5 · partly 0 · no < 5" in usage_picture(crisis, None, ANSWERS, 5, "fr")
    assert "Did this help?" not in usage_picture(crisis, figures("en"), [], 5)


def test_a_small_count_is_never_drawn_as_its_value(crisis: Dialog) -> None:
    for small in range(1, 5):
        source = usage_picture(crisis, figures("en"), counts("en", yes=small, no=5), 5)
        assert "Did this help? yes < 5 · partly 0 · no 5" in source
        assert f"yes {small}" not in source


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz")
def test_the_svg_carries_the_counts(crisis: Dialog) -> None:
    svg = render_dot(usage_picture(crisis, figures("en"), ANSWERS, 5), "svg")
    words = "\n".join("".join(e.itertext()) for e in ET.fromstring(svg).iter())
    assert "Did this help? yes 7 · partly < 5 · no 0" in words
    assert "partly 2" not in words
