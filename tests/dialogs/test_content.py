"""The bundled content pack: checks clean and passes its transcripts and walks."""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from dialogs import load_library
from dialogs.model import Dialog, QuestionNode, Text

CONTENT = Path(__file__).resolve().parents[2] / "content"


def _has_dialogs() -> bool:
    return any(not p.name.endswith(".test.yaml") for p in (CONTENT / "dialogs").glob("*.yaml"))


@pytest.mark.skipif(not _has_dialogs(), reason="no bundled dialogs yet")
def test_bundled_dialogs_have_no_errors() -> None:
    loaded = load_library(CONTENT)
    errors = [str(d) for d in loaded.diagnostics if d.severity == "error"]
    assert errors == []
    assert len(loaded.library) == len(loaded.files)


@pytest.mark.skipif(not _has_dialogs(), reason="no bundled dialogs yet")
def test_bundled_dialogs_pass_their_tests(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["dialogs", "test", str(CONTENT)])
    out = capsys.readouterr().out
    assert code == 0, out


# -- what a reviewing clinician would check, for the whole bundled pack --------------------

# 112, 911, 999 anywhere; the French 15, 17, 18 when a call word comes just before them
EMERGENCY_NUMBER = re.compile(
    r"(?<![\w/.,-])(?:112|911|999)(?![\w/.,-])"
    r"|(?:call|dial|appel\w*|compose\w*|faites|le|the|number|numéro|samu|police)\W{1,3}(?:15|17|18)\b",
    re.IGNORECASE,
)
GENERAL_PRACTICE = "not from the RAN paper"


def _pack() -> list[Dialog]:
    loaded = load_library(CONTENT)
    return list(loaded.library)


def _texts(dialog: Dialog) -> Iterator[tuple[str, str, str]]:
    """(where, language, text) for everything the dialog shows a practitioner."""
    shown: list[tuple[str, Text | None]] = [("title", dialog.title), ("summary", dialog.summary)]
    for node in dialog.nodes.values():
        shown.append((node.id, node.text))
        for key in ("body", "error", "yes", "no", "label"):
            shown.append((f"{node.id}.{key}", getattr(node, key, None)))
        if isinstance(node, QuestionNode):
            shown.extend((f"{node.id}.{o.id}", o.label) for o in node.options)
    for where, text in shown:
        if text is not None:
            for lang, value in text.values.items():
                yield where, lang, value


def _flat(table: dict[str, object], prefix: str = "") -> dict[str, str]:
    """Every text of a catalogue table, nested tables included (`studio.editor.title`)."""
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


def _catalog(lang: str) -> dict[str, str]:
    return _flat(tomllib.loads((CONTENT / "catalog" / f"{lang}.toml").read_text("utf-8")))


@pytest.mark.skipif(not _has_dialogs(), reason="no bundled dialogs yet")
def test_bundled_dialogs_check_without_warnings() -> None:
    loaded = load_library(CONTENT)
    assert [str(d) for d in loaded.diagnostics] == []


@pytest.mark.skipif(not _has_dialogs(), reason="no bundled dialogs yet")
def test_every_bundled_dialog_is_a_draft_in_english_and_french() -> None:
    for dialog in _pack():
        assert (dialog.status, dialog.reviewed_by) == ("draft", ""), dialog.id
        assert dialog.languages == ("en", "fr"), dialog.id
        for where, text in (
            ("title", dialog.title),
            *((n.id, n.text) for n in dialog.nodes.values()),
        ):
            if text is not None:
                assert set(text.values) == {"en", "fr"}, f"{dialog.id}: {where}"


@pytest.mark.skipif(not _has_dialogs(), reason="no bundled dialogs yet")
def test_no_emergency_number_is_hard_coded_in_guidance_roles_or_bot_texts() -> None:
    found = [
        f"{d.id}: {where} ({lang})"
        for d in _pack()
        for where, lang, value in _texts(d)
        if EMERGENCY_NUMBER.search(value)
    ]
    roles = yaml.safe_load((CONTENT / "contact_roles.yaml").read_text("utf-8"))["roles"]
    found += [
        f"contact_roles: {role}.{key}"
        for role, spec in roles.items()
        for key in ("label", "description")
        for value in spec[key].values()
        if EMERGENCY_NUMBER.search(value)
    ]
    for lang in ("en", "fr"):
        found += [
            f"catalog {lang}: {key}"
            for key, value in _catalog(lang).items()
            # the one fallback: a team whose directory lists no emergency entry at all
            if key != "contact_missing" and EMERGENCY_NUMBER.search(value)
        ]
    assert found == []


def test_the_example_directory_lists_the_french_emergency_numbers() -> None:
    directory = tomllib.loads((CONTENT.parent / "contacts.example.toml").read_text("utf-8"))
    phones = {c["phone"] for c in directory["contact"] if c["role"] == "emergency"}
    assert {"112", "15", "17"} <= phones


@pytest.mark.skipif(not _has_dialogs(), reason="no bundled dialogs yet")
def test_the_depression_paradox_stays_off_the_screens() -> None:
    """The paper's warning is for the multi-agency risk discussion, not a mentor mid-crisis."""
    for dialog in _pack():
        for where, _lang, value in _texts(dialog):
            assert "for the cause" not in value, f"{dialog.id}: {where}"
            assert "pour la cause" not in value, f"{dialog.id}: {where}"
    # ...it stays in the clinician's notes (the header of the file), for the review pack
    assert "fight for the cause again" in (CONTENT / "dialogs" / "mental_state.yaml").read_text(
        "utf-8"
    )


@pytest.mark.skipif(not _has_dialogs(), reason="no bundled dialogs yet")
def test_french_uses_the_papers_vocabulary_everywhere() -> None:
    avoid = ("référent du dossier", "réinsertion", "coordinateur responsable", "engagement réel")
    french = [
        f"{d.id}: {w}"
        for d in _pack()
        for w, lang, v in _texts(d)
        if lang == "fr" and any(a in v.lower() for a in avoid)
    ]
    french += [k for k, v in _catalog("fr").items() if any(a in v.lower() for a in avoid)]
    roles = yaml.safe_load((CONTENT / "contact_roles.yaml").read_text("utf-8"))["roles"]
    french += [r for r, spec in roles.items() if any(a in str(spec).lower() for a in avoid)]
    assert french == []
    assert roles["case_owner"]["label"]["fr"] == "Responsable du dossier"
    assert _catalog("fr")["relations.owner"] == "responsable du dossier"


@pytest.mark.skipif(not _has_dialogs(), reason="no bundled dialogs yet")
def test_crisis_menu_puts_danger_threats_and_mental_state_first() -> None:
    crisis = load_library(CONTENT).library.get("crisis")
    assert crisis is not None
    first = crisis.nodes[crisis.start]
    assert isinstance(first, QuestionNode)
    assert [o.id for o in first.options[:3]] == ["sos", "threat", "mental"]


@pytest.mark.skipif(not _has_dialogs(), reason="no bundled dialogs yet")
def test_first_screens_of_crisis_dialogs_fit_a_mid_crisis_read() -> None:
    for dialog in _pack():
        if "crisis" not in dialog.tags:
            continue
        text = dialog.nodes[dialog.start].text
        assert text is not None
        for lang, value in text.values.items():
            words = len(re.findall(r"\w[\w'’-]*", value))
            assert words <= 60, f"{dialog.id} ({lang}): {words} words"


@pytest.mark.skipif(not _has_dialogs(), reason="no bundled dialogs yet")
def test_general_practice_is_marked_on_the_nodes_that_hold_it() -> None:
    """The reviewing clinician sees exactly which passages are not from the paper."""
    marked = {
        (d.id, n.id) for d in _pack() for n in d.nodes.values() if GENERAL_PRACTICE in n.source
    }
    expected = {
        ("mental_state", "suicide"),  # suicide first aid
        ("mental_state", "emergency"),
        ("mental_state", "low"),  # sleep and eating questions
        ("mental_state", "strange"),  # psychosis first steps
        ("hostile_behaviour", "cycle"),  # the hostility cycle
        ("deescalation", "card"),  # de-escalation tips
        ("trigger_rejection", "feels"),  # cognitive technique
        ("threats_to_others", "first"),  # the violence branch, now its own dialog
        ("threats_to_others", "vague"),
        ("threats_to_others", "report"),
    }
    assert expected <= marked, sorted(expected - marked)


def test_the_guides_worked_examples_check_clean_and_pass_their_transcripts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """content/README.md teaches with these files: they must stay right as the rules grow."""
    guide = (CONTENT / "README.md").read_text("utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", guide, re.S)
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    dialogs = content / "dialogs"
    written = set()
    for block in blocks:
        found = re.search(r"^(?:id|dialog): (\w+)$", block, re.M)
        if found is None or not block.startswith(("# yaml-language-server", "dialog: ")):
            continue
        suffix = ".test.yaml" if block.startswith("dialog: ") else ".yaml"
        (dialogs / f"{found.group(1)}{suffix}").write_text(block, "utf-8")
        written.add(f"{found.group(1)}{suffix}")
    assert {"refuses_to_leave.yaml", "refuses_to_leave.test.yaml"} <= written
    assert "missed_appointment.yaml" in written
    code = main(["dialogs", "check", str(content)])
    out = "".join(capsys.readouterr())
    assert code == 0, out
    assert "0 errors, 0 warnings" in out
    assert main(["dialogs", "test", str(content)]) == 0, capsys.readouterr().out
