"""A dialog's texts for translators: export one language as PO or XLIFF, import it back.

Every text has a stable id made of the dialog, node and option ids, never of its position, so a
translation follows its text when screens move in the file:

    crisis.title                 the dialog's title (also `.summary`)
    crisis.what.text             a node's text (also `.error`, `.body`, `.yes`, `.no`, `.label`)
    crisis.what.sos.label        the label of option `sos` of question `what`

The source language (the dialog's first language) is the msgid / `<source>`; the target
language is the msgstr / `<target>`, empty when not yet translated; a note gives the node's
kind and the line of the source text. Importing applies the non-empty translations to the YAML
file through `dialogs.roundtrip` (comments and layout kept), then runs the checker on the
result: `ImportResult.ok` is False when an id is unknown, the file is for another dialog, or
the result has an error, and then nothing should be written. XML is parsed with defusedxml.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import polib
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from dialogs.checker import check_dialog_text
from dialogs.diagnostics import Diagnostic, has_errors
from dialogs.errors import DialogError
from dialogs.glossary import Glossary
from dialogs.model import Dialog
from dialogs.reader import LANG_RE
from dialogs.roundtrip import (
    RoundTripDoc,
    TextRef,
    dump_roundtrip,
    get_text,
    line_of,
    load_roundtrip,
    set_text,
    text_refs,
)

__all__ = [
    "FORMATS",
    "ImportResult",
    "StringEntry",
    "StringTable",
    "Translation",
    "TranslationError",
    "Translations",
    "extract_strings",
    "import_translations",
    "read_translations",
    "to_po",
    "to_xliff",
]

FORMATS = ("po", "xliff")
XLIFF2 = "urn:oasis:names:tc:xliff:document:2.0"
XLIFF12 = "urn:oasis:names:tc:xliff:document:1.2"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


class TranslationError(DialogError):
    """A dialog or a translation file cannot be used; the message says what and where."""


@dataclass(frozen=True, slots=True)
class StringEntry:
    """One text of a dialog: its stable id, where it is, and its two languages."""

    id: str
    ref: TextRef
    kind: str  # the node kind, "option" or "dialog"
    line: int  # of the source-language text in the YAML file
    source: str
    target: str  # "" when not yet translated


@dataclass(frozen=True, slots=True)
class StringTable:
    dialog_id: str
    source_lang: str
    target_lang: str
    file: str
    entries: tuple[StringEntry, ...]


@dataclass(frozen=True, slots=True)
class Translation:
    id: str
    source: str
    target: str
    #: where it is in the translation file: "line 12" (PO) or "unit crisis.what.text" (XLIFF)
    where: str


@dataclass(slots=True)
class Translations:
    """What a translation file holds (`problems`: what could not be read, located)."""

    dialog_id: str
    source_lang: str
    target_lang: str
    items: list[Translation] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ImportResult:
    """The dialog file's new text and what the import did; write `text` only when `ok`."""

    text: str
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    untranslated: int = 0
    #: refusals: unknown ids, another dialog, unreadable entries (each names where)
    problems: list[str] = field(default_factory=list)
    #: the source text changed since the export: the translation may be out of date
    stale: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not has_errors(self.diagnostics)


def _languages(doc: RoundTripDoc) -> list[str]:
    languages = doc.data.get("languages")
    return [str(x) for x in languages] if isinstance(languages, list) else ["en"]


def _dialog_id(doc: RoundTripDoc, source_name: str) -> str:
    dialog_id = doc.data.get("id")
    if not isinstance(dialog_id, str) or not dialog_id:
        raise TranslationError(f"{source_name}: the dialog has no id")
    return dialog_id


def extract_strings(text: str, source_name: str, lang: str) -> StringTable:
    """Every text of the dialog file in its first language, with its `lang` translation."""
    if not LANG_RE.match(lang):
        raise TranslationError(f"{lang!r} is not a language code (en, fr, de...)")
    doc = load_roundtrip(text, source_name)
    dialog_id = _dialog_id(doc, source_name)
    source_lang = _languages(doc)[0]
    if lang == source_lang:
        raise TranslationError(
            f"{lang} is the dialog's source language: export another language "
            f"(the dialog has {', '.join(_languages(doc))})"
        )
    entries = []
    for ref, kind in text_refs(doc):
        source = get_text(doc, ref, source_lang)
        if not source:
            continue
        entries.append(
            StringEntry(
                ref.string_id(dialog_id),
                ref,
                kind,
                line_of(doc, ref, source_lang),
                source,
                get_text(doc, ref, lang) or "",
            )
        )
    return StringTable(dialog_id, source_lang, lang, source_name, tuple(entries))


def _note(entry: StringEntry) -> str:
    """Where the text is, for the translator: its node's kind and id, field and line."""
    ref = entry.ref
    if ref.option:
        where = f"option '{ref.option}' of question '{ref.node}', {ref.field}"
    elif ref.node:
        where = f"{entry.kind} node '{ref.node}', {ref.field}"
    else:
        where = f"dialog {ref.field}"
    return f"{where}, line {entry.line}"


# -- PO ----------------------------------------------------------------------------------------
def to_po(table: StringTable) -> str:
    """A gettext PO file: msgctxt = the stable id, msgid = source, msgstr = translation."""
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": f"relais dialog {table.dialog_id}",
        "Language": table.target_lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Relais-Dialog": table.dialog_id,
        "X-Relais-Source-Language": table.source_lang,
    }
    for entry in table.entries:
        po.append(
            polib.POEntry(
                msgctxt=entry.id,
                msgid=entry.source,
                msgstr=entry.target,
                comment=_note(entry),
                occurrences=[(table.file, str(entry.line))],
            )
        )
    return str(po)


def _read_po(text: str, source_name: str) -> Translations:
    try:
        po = polib.pofile(text, encoding="utf-8")
    except (OSError, ValueError, UnicodeError) as exc:
        raise TranslationError(f"{source_name}: not a readable PO file: {exc}") from None
    meta = po.metadata
    found = Translations(
        meta.get("X-Relais-Dialog", ""),
        meta.get("X-Relais-Source-Language", ""),
        meta.get("Language", ""),
    )
    for entry in po:
        where = f"{source_name}:{entry.linenum}"
        if entry.obsolete:
            continue
        if not entry.msgctxt:
            found.problems.append(f"{where}: an entry without msgctxt (the text's id)")
            continue
        if entry.fuzzy and entry.msgstr:
            found.problems.append(
                f"{where}: {entry.msgctxt} is marked fuzzy: check it and remove the fuzzy flag"
            )
            continue
        found.items.append(Translation(entry.msgctxt, entry.msgid, entry.msgstr, where))
    return found


# -- XLIFF -------------------------------------------------------------------------------------
def to_xliff(table: StringTable) -> str:
    """An XLIFF 2.0 document: one `<unit id="...">` per text, with a location note."""
    root = ET.Element(
        "xliff",
        {
            "xmlns": XLIFF2,
            "version": "2.0",
            "srcLang": table.source_lang,
            "trgLang": table.target_lang,
        },
    )
    file = ET.SubElement(root, "file", {"id": table.dialog_id, "original": table.file})
    for entry in table.entries:
        unit = ET.SubElement(file, "unit", {"id": entry.id})
        notes = ET.SubElement(unit, "notes")
        ET.SubElement(notes, "note", {"category": "location"}).text = _note(entry)
        segment = ET.SubElement(unit, "segment")
        ET.SubElement(segment, "source", {_XML_SPACE: "preserve"}).text = entry.source
        ET.SubElement(segment, "target", {_XML_SPACE: "preserve"}).text = entry.target
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _text_of(element: ET.Element | None) -> str:
    return "".join(element.itertext()) if element is not None else ""


def _read_xliff(data: str, source_name: str) -> Translations:
    try:
        root = SafeET.fromstring(data)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise TranslationError(f"{source_name}: not a readable XLIFF file: {exc}") from None
    if root.tag == f"{{{XLIFF2}}}xliff":
        ns = {"x": XLIFF2}
        files = root.findall("x:file", ns)
        found = Translations(
            files[0].get("id", "") if files else "",
            root.get("srcLang", ""),
            root.get("trgLang", ""),
        )
        for unit in root.iterfind("x:file/x:unit", ns):
            uid = unit.get("id", "")
            sources = [_text_of(s) for s in unit.iterfind("x:segment/x:source", ns)]
            targets = [_text_of(t) for t in unit.iterfind("x:segment/x:target", ns)]
            found.items.append(
                Translation(uid, "".join(sources), "".join(targets), f"{source_name}: unit {uid}")
            )
        return found
    if root.tag == f"{{{XLIFF12}}}xliff":
        ns = {"x": XLIFF12}
        first = root.find("x:file", ns)
        found = Translations(
            first.get("original", "") if first is not None else "",
            first.get("source-language", "") if first is not None else "",
            first.get("target-language", "") if first is not None else "",
        )
        for unit in root.iterfind("x:file/x:body/x:trans-unit", ns):
            uid = unit.get("id", "")
            found.items.append(
                Translation(
                    uid,
                    _text_of(unit.find("x:source", ns)),
                    _text_of(unit.find("x:target", ns)),
                    f"{source_name}: trans-unit {uid}",
                )
            )
        return found
    raise TranslationError(f"{source_name}: not an XLIFF 2.0 or 1.2 document (root {root.tag})")


def read_translations(data: str, source_name: str) -> Translations:
    """A PO or XLIFF file's translations (told apart by content, not by name)."""
    if data.lstrip().startswith("<"):
        return _read_xliff(data, source_name)
    return _read_po(data, source_name)


# -- import ------------------------------------------------------------------------------------
def import_translations(
    text: str,
    source_name: str,
    translations: Translations,
    *,
    roles: Collection[str] | None = None,
    dialog_ids: Collection[str] | None = None,
    dialogs: Mapping[str, Dialog] | None = None,
    glossary: Glossary | None = None,
) -> ImportResult:
    """Apply the non-empty translations to the dialog file's text, then check the result
    (with the library context given, as `dialogs.check_dialog_text` takes it)."""
    doc = load_roundtrip(text, source_name)
    dialog_id = _dialog_id(doc, source_name)
    result = ImportResult(text)
    lang = translations.target_lang
    result.problems.extend(translations.problems)
    if translations.dialog_id and translations.dialog_id != dialog_id:
        result.problems.append(
            f"the translations are for dialog {translations.dialog_id!r}, not {dialog_id!r}"
        )
        return result
    if not LANG_RE.match(lang):
        result.problems.append(
            f"the translation file does not say its language ({lang!r}): set Language "
            "(PO) or trgLang (XLIFF)"
        )
        return result
    languages = _languages(doc)
    source_lang = translations.source_lang or languages[0]
    known = {ref.string_id(dialog_id): ref for ref, _kind in text_refs(doc)}
    for item in translations.items:
        ref = known.get(item.id)
        if ref is None:
            result.problems.append(
                f"{item.where}: unknown id {item.id!r}: the dialog has no such text "
                "(removed or renamed since the export? export again)"
            )
            continue
        if not item.target:
            result.untranslated += 1
            continue
        current_source = get_text(doc, ref, source_lang)
        if item.source and current_source is not None and item.source != current_source:
            result.stale.append(item.id)
        if get_text(doc, ref, lang) == item.target:
            result.unchanged += 1
            continue
        set_text(doc, ref, lang, item.target)
        result.changed.append(item.id)
    if result.changed and lang not in languages and isinstance(doc.data.get("languages"), list):
        doc.data["languages"].append(lang)
    result.text = dump_roundtrip(doc)
    checked = check_dialog_text(
        result.text,
        source_name,
        roles=roles,
        dialog_ids=dialog_ids,
        dialogs=dialogs,
        glossary=glossary,
    )
    result.diagnostics = checked.diagnostics
    return result
