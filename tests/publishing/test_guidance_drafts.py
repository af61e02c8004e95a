"""A draft sent in the chat is checked against the guidance rules with the library it would
join: a risk option that does not reach help (through the library's dialogs) is an error; the
glossary of the content folder gives warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.publishing.conftest import PubWorld, make_content, texts

TIPS = (Path(__file__).resolve().parent / "data" / "tips.yaml").read_text("utf-8")
RISKY = TIPS.replace(
    '        label: {en: "Not well", fr: "Pas bien"}\n        next: help\n',
    '        label: {en: "Not well", fr: "Pas bien"}\n        next: help\n        risk: true\n',
)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = make_content(tmp_path)
    (folder / "glossary.yaml").write_text(
        'en:\n  - avoid: "hard day"\n    use: "difficult day"\n', "utf-8"
    )
    return folder


async def test_a_risk_option_without_help_in_time_is_refused(world: PubWorld) -> None:
    assert "risk: true" in RISKY
    body = texts(await world.upload("pia", "tips.yaml", RISKY))
    line = RISKY.splitlines().index("        risk: true") + 1
    assert f"tips.yaml:{line}:15: RD100 error: risk option 'bad'" in body
    assert "There are no open drafts." in texts(await world.chat("pia").say("/draft"))
    # through the library: the crisis dialog it goes to asks two more questions first
    via_crisis = RISKY.replace(
        "  help:\n    kind: contact\n", "  help:\n    kind: goto\n    dialog: crisis\n  old:\n"
    ).replace(
        "    roles: [on_call_psychologist]\n",
        "    kind: contact\n    roles: [on_call_psychologist]\n",
    )
    body = texts(await world.upload("pia", "tips.yaml", via_crisis))
    assert "RD100 error" in body
    assert "crisis:ask" in body


async def test_a_risk_option_that_pages_is_a_draft_with_glossary_warnings(
    world: PubWorld,
) -> None:
    paged = RISKY.replace(
        "    roles: [on_call_psychologist]\n",
        "    roles: [on_call_psychologist]\n    page: true\n",
    )
    body = texts(await world.upload("pia", "tips.yaml", paged))
    assert "Draft ready: tips" in body
    assert "RD102 warning: title (en): avoid 'hard day' (use: difficult day)" in body
