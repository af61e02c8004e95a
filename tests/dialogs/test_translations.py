"""Translator export/import (dialogs.translations, dialogs.roundtrip) and its command line:
stable ids, comments and layout kept, unknown ids reported, nothing written on a checker error."""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest

from bot.cli import main
from dialogs import load_dialog_text
from dialogs.roundtrip import TextRef, dump_roundtrip, load_roundtrip, set_text
from dialogs.translations import (
    extract_strings,
    import_translations,
    read_translations,
    to_po,
    to_xliff,
)

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"

DIALOG = """\
# yaml-language-server: $schema=../schema/dialog.schema.json
# A comment the psychologist wrote: it must survive an import.
id: small
title: {en: "Small guide", fr: "Petit guide"}
languages: [en, fr]
audience: [mentor]
start: ask
nodes:
  ask:
    kind: question
    text:
      en: |-
        How is it going?

        Pick one.
      fr: |-
        Comment ça va ?

        Choisissez.
    options:
      - id: good   # the easy case
        label: {en: "Good", fr: "Bien"}
        next: done
      - id: bad
        label: {en: "Bad"}
        next: help

  help:
    kind: message
    text: "Call someone you trust."   # plain text: the default language
    next: done

  done:
    kind: end
    text: {en: "Take care.", fr: "Prenez soin de vous."}
"""


def _po_with(text: str, lang: str, **targets: str) -> str:
    po = polib.pofile(to_po(extract_strings(text, "small.yaml", lang)))
    for entry in po:
        if entry.msgctxt in targets:
            entry.msgstr = targets[entry.msgctxt]
    return str(po)


def test_export_has_stable_ids_sources_targets_and_notes() -> None:
    table = extract_strings(DIALOG, "small.yaml", "fr")
    by_id = {entry.id: entry for entry in table.entries}
    assert list(by_id) == [
        "small.title",
        "small.ask.text",
        "small.ask.good.label",
        "small.ask.bad.label",
        "small.help.text",
        "small.done.text",
    ]
    assert by_id["small.ask.bad.label"].target == ""  # not yet translated
    assert by_id["small.help.text"].source == "Call someone you trust."
    assert by_id["small.ask.good.label"].target == "Bien"
    po = to_po(table)
    assert 'msgctxt "small.ask.good.label"' in po
    assert "#. option 'good' of question 'ask', label, line 22" in po
    assert "#: small.yaml:22" in po
    assert "Language: fr" in po
    xliff = to_xliff(table)
    assert '<unit id="small.ask.text">' in xliff
    assert 'srcLang="en" trgLang="fr"' in xliff
    assert "<note category=\"location\">question node 'ask', text, line 12</note>" in xliff
    # both formats read back to the same translations
    from_po = read_translations(po, "small.fr.po")
    from_xliff = read_translations(xliff, "small.fr.xlf")
    assert from_po.dialog_id == from_xliff.dialog_id == "small"
    assert (from_po.source_lang, from_po.target_lang) == ("en", "fr")
    assert [(t.id, t.source, t.target) for t in from_po.items] == [
        (t.id, t.source, t.target) for t in from_xliff.items
    ]


def test_round_trip_changes_exactly_that_string_and_keeps_comments() -> None:
    po = _po_with(DIALOG, "fr", **{"small.ask.bad.label": "Mal"})
    result = import_translations(DIALOG, "small.yaml", read_translations(po, "small.fr.po"))
    assert result.ok, (result.problems, result.diagnostics)
    assert result.changed == ["small.ask.bad.label"]
    before, after = DIALOG.splitlines(), result.text.splitlines()
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert changed == [('        label: {en: "Bad"}', '        label: {en: "Bad", fr: "Mal"}')]
    assert "# A comment the psychologist wrote" in result.text
    assert "- id: good   # the easy case" in result.text
    loaded = load_dialog_text(result.text, "small.yaml")
    assert loaded.dialog is not None
    ask = loaded.dialog.nodes["ask"]
    assert ask.options[1].label.values == {"en": "Bad", "fr": "Mal"}  # type: ignore[attr-defined]


def test_a_plain_text_becomes_a_map_of_languages() -> None:
    po = _po_with(DIALOG, "fr", **{"small.help.text": "Appelez une personne de confiance."})
    result = import_translations(DIALOG, "small.yaml", read_translations(po, "x.po"))
    assert result.ok
    loaded = load_dialog_text(result.text, "small.yaml")
    assert loaded.dialog is not None
    text = loaded.dialog.nodes["help"].text
    assert text is not None
    assert text.values == {
        "en": "Call someone you trust.",
        "fr": "Appelez une personne de confiance.",
    }
    assert "# plain text: the default language" in result.text


def test_a_multi_line_translation_is_a_block_text() -> None:
    po = _po_with(DIALOG, "fr", **{"small.ask.text": "Comment ça se passe ?\n\nChoisissez."})
    result = import_translations(DIALOG, "small.yaml", read_translations(po, "x.po"))
    assert result.ok
    assert "      fr: |-\n        Comment ça se passe ?\n\n        Choisissez.\n" in result.text


def test_moving_a_node_in_the_file_does_not_break_the_import() -> None:
    po = _po_with(DIALOG, "fr", **{"small.ask.bad.label": "Mal", "small.done.text": "Au revoir."})
    help_block = DIALOG[DIALOG.index("  help:") : DIALOG.index("  done:")]
    moved = DIALOG.replace(help_block, "").replace("nodes:\n", "nodes:\n" + help_block)
    assert moved.index("  help:") < moved.index("  ask:")
    result = import_translations(moved, "small.yaml", read_translations(po, "x.po"))
    assert result.ok, result.problems
    assert sorted(result.changed) == ["small.ask.bad.label", "small.done.text"]
    assert '{en: "Take care.", fr: "Au revoir."}' in result.text


def test_an_unknown_id_is_reported_and_refused() -> None:
    po = polib.pofile(_po_with(DIALOG, "fr", **{"small.ask.bad.label": "Mal"}))
    po.append(polib.POEntry(msgctxt="small.gone.text", msgid="Old", msgstr="Ancien"))
    result = import_translations(DIALOG, "small.yaml", read_translations(str(po), "t.po"))
    assert not result.ok
    assert len(result.problems) == 1
    assert "unknown id 'small.gone.text'" in result.problems[0]
    assert result.problems[0].startswith("t.po:")  # located in the translation file


def test_a_translation_for_another_dialog_is_refused() -> None:
    po = _po_with(DIALOG, "fr", **{"small.ask.bad.label": "Mal"})
    other = DIALOG.replace("id: small", "id: other")
    result = import_translations(other, "other.yaml", read_translations(po, "x.po"))
    assert not result.ok
    assert "for dialog 'small', not 'other'" in result.problems[0]


def test_a_translation_that_breaks_the_dialog_has_checker_errors() -> None:
    po = _po_with(DIALOG, "fr", **{"small.ask.bad.label": "Mal {% for x in y %}"})
    result = import_translations(DIALOG, "small.yaml", read_translations(po, "x.po"))
    assert not result.ok
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert errors
    assert errors[0].loc.file == "small.yaml"
    assert errors[0].loc.line == 25  # the label's line in the new text


def test_a_stale_source_is_flagged_and_a_hostile_xliff_is_refused() -> None:
    po = _po_with(DIALOG, "fr", **{"small.ask.bad.label": "Mal"})
    changed = DIALOG.replace('{en: "Bad"}', '{en: "Not good"}')
    result = import_translations(changed, "small.yaml", read_translations(po, "x.po"))
    assert result.ok
    assert result.stale == ["small.ask.bad.label"]
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><xliff>&b;</xliff>'
    )
    with pytest.raises(Exception, match="not a readable XLIFF file"):
        read_translations(bomb, "bomb.xlf")


def test_roundtrip_keeps_every_bundled_dialog_byte_for_byte() -> None:
    for path in sorted((CONTENT / "dialogs").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert dump_roundtrip(load_roundtrip(text, str(path))) == text, path


def test_set_text_names_a_missing_node() -> None:
    doc = load_roundtrip(DIALOG, "small.yaml")
    with pytest.raises(Exception, match="the dialog has no node 'nowhere'"):
        set_text(doc, TextRef("nowhere", "text"), "fr", "x")


# -- command line -----------------------------------------------------------------------------
def _content(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(CONTENT / "dialogs", content / "dialogs")
    shutil.copy(CONTENT / "contact_roles.yaml", content / "contact_roles.yaml")
    shutil.copy(CONTENT / "glossary.yaml", content / "glossary.yaml")
    return content


def test_cli_export_edit_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = _content(tmp_path)
    dialog = content / "dialogs" / "trigger_loss.yaml"
    before = dialog.read_text(encoding="utf-8")
    out = tmp_path / "trigger_loss.fr.po"
    assert main(["dialogs", "strings", "export", str(dialog), "--lang", "fr", "-o", str(out)]) == 0
    po = polib.pofile(str(out))
    entry = po.find("trigger_loss.title", by="msgctxt")
    assert entry is not None
    entry.msgstr = "Un deuil dans la famille"
    po.save(str(out))
    capsys.readouterr()
    assert main(["dialogs", "strings", "import", str(out), "--to", str(dialog)]) == 0
    assert "1 text(s) changed" in capsys.readouterr().out
    after = dialog.read_text(encoding="utf-8")
    diff = [(b, a) for b, a in zip(before.splitlines(), after.splitlines(), strict=True) if b != a]
    assert len(diff) == 1
    assert "Un deuil dans la famille" in diff[0][1]
    assert after.startswith("# yaml-language-server")  # the comments are kept


def test_cli_import_with_a_checker_error_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = _content(tmp_path)
    dialog = content / "dialogs" / "trigger_loss.yaml"
    before = dialog.read_text(encoding="utf-8")
    out = tmp_path / "trigger_loss.fr.xlf"
    code = main(["dialogs", "strings", "export", str(dialog), "--lang", "fr", "-o", str(out)])
    assert code == 0
    assert out.read_text(encoding="utf-8").startswith("<?xml")
    broken = out.read_text(encoding="utf-8").replace(
        "Un décès ou une perte dans la famille</target>", "Un décès {{ nope(</target>", 1
    )
    out.write_text(broken, encoding="utf-8")
    capsys.readouterr()
    assert main(["dialogs", "strings", "import", str(out), "--to", str(dialog)]) == 1
    err = capsys.readouterr().err
    assert "nothing written" in err
    assert f"{dialog}:" in err  # the checker's diagnostic, located
    assert dialog.read_text(encoding="utf-8") == before


def test_a_new_language_is_added_to_the_dialog() -> None:
    table = extract_strings(DIALOG, "small.yaml", "de")
    assert all(entry.target == "" for entry in table.entries)
    po = polib.pofile(to_po(table))
    for entry in po:
        entry.msgstr = f"[de] {entry.msgid}"
    result = import_translations(DIALOG, "small.yaml", read_translations(str(po), "de.po"))
    assert result.ok, (result.problems, result.diagnostics)
    assert len(result.changed) == len(table.entries)
    assert "languages: [en, fr, de]" in result.text
    loaded = load_dialog_text(result.text, "small.yaml")
    assert loaded.dialog is not None
    assert loaded.dialog.title.values["de"] == "[de] Small guide"


def test_exporting_the_source_language_is_refused() -> None:
    with pytest.raises(Exception, match="en is the dialog's source language"):
        extract_strings(DIALOG, "small.yaml", "en")
