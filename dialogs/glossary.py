"""The glossary (content/glossary.yaml): per language, terms a dialog should not use.

```yaml
en:
  - avoid: "personality disorder"
    use: "describe the behaviour you see"
    why: "no diagnosis by non-clinicians"
    audience: [mentor, social_worker]   # optional: only dialogs open to these roles
```

A term matches case-insensitively, as whole words (a space in it matches any run of spaces or
line breaks), with accents respected ("referent" does not match "référent"). The checker
reports a match as RD102 with the suggested term; a bad glossary file is RD103.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dialogs.diagnostics import Diagnostic, Loc
from dialogs.loader import AUDIENCE_ROLES
from dialogs.reader import LANG_RE
from dialogs.yamlsafe import diag, loc_of, parse_yaml

__all__ = [
    "GLOSSARY_FILE",
    "Glossary",
    "GlossaryLoad",
    "GlossaryTerm",
    "find_glossary",
    "load_glossary",
    "load_glossary_text",
]

GLOSSARY_FILE = "glossary.yaml"
_TERM_KEYS = ("avoid", "use", "why", "audience")
_MAX_TERM = 200
_ROLES_HINT = "roles: " + ", ".join(AUDIENCE_ROLES)


@dataclass(frozen=True, slots=True)
class GlossaryTerm:
    lang: str
    avoid: str
    use: str
    why: str
    loc: Loc
    #: the roles it applies to (a dialog open to any of them); empty = every dialog
    audience: tuple[str, ...] = ()
    pattern: re.Pattern[str] = field(default=re.compile("(?!)"), compare=False, repr=False)

    def hint(self) -> str:
        parts = [f"use: {self.use}" if self.use else "", self.why]
        return "; ".join(p for p in parts if p)


def _pattern(avoid: str) -> re.Pattern[str]:
    words = avoid.split()
    body = r"\s+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Glossary:
    terms: tuple[GlossaryTerm, ...] = ()

    def matches(
        self, text: str, lang: str, open_to: frozenset[str]
    ) -> Iterator[tuple[GlossaryTerm, re.Match[str]]]:
        """Each term of `lang` found in `text`, for a dialog open to the roles `open_to`."""
        for term in self.terms:
            if term.lang != lang or (term.audience and not open_to & set(term.audience)):
                continue
            found = term.pattern.search(text)
            if found is not None:
                yield term, found


@dataclass(slots=True)
class GlossaryLoad:
    glossary: Glossary
    diagnostics: list[Diagnostic] = field(default_factory=list)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def add(self, node: yaml.Node, message: str, hint: str = "") -> None:
        self.diagnostics.append(diag(loc_of(self.source, node), "RD103", message, hint))

    def text(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
            self.add(node, f"{what} must be a text")
            return None
        value = " ".join(str(node.value).split())
        if not value:
            self.add(node, f"{what} is empty")
            return None
        if len(value) > _MAX_TERM:
            self.add(node, f"{what} is longer than {_MAX_TERM} characters")
            return None
        return value

    def audience(self, node: yaml.Node) -> tuple[str, ...] | None:
        items = node.value if isinstance(node, yaml.SequenceNode) else None
        if not items or not all(isinstance(i, yaml.ScalarNode) for i in items):
            self.add(
                node, "audience must be a list of roles", "roles: " + ", ".join(AUDIENCE_ROLES)
            )
            return None
        roles = tuple(str(i.value) for i in items)
        for item, role in zip(items, roles, strict=True):
            if role not in AUDIENCE_ROLES:
                self.add(
                    item,
                    f"audience role {role!r} is unknown",
                    "roles: " + ", ".join(AUDIENCE_ROLES),
                )
                return None
        return roles

    def term(self, lang: str, node: yaml.Node) -> GlossaryTerm | None:
        if not isinstance(node, yaml.MappingNode):
            self.add(node, "a glossary entry must be a mapping with avoid: and use:")
            return None
        values: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
            if key not in _TERM_KEYS:
                close = difflib.get_close_matches(key, _TERM_KEYS, n=1)
                hint = f"did you mean {close[0]!r}?" if close else "keys: " + ", ".join(_TERM_KEYS)
                self.add(key_node, f"unknown key {key!r} in a glossary entry", hint)
                return None
            if key in values:
                self.add(key_node, f"duplicate key {key!r} in a glossary entry")
                return None
            values[key] = value_node
        if "avoid" not in values:
            self.add(node, "a glossary entry has no 'avoid'", "the term to avoid")
            return None
        avoid = self.text(values["avoid"], "avoid")
        use = self.text(values["use"], "use") if "use" in values else ""
        why = self.text(values["why"], "why") if "why" in values else ""
        audience = self.audience(values["audience"]) if "audience" in values else ()
        if avoid is None or use is None or why is None or audience is None:
            return None
        loc = loc_of(self.source, values["avoid"])
        return GlossaryTerm(lang, avoid, use, why, loc, audience, _pattern(avoid))


def load_glossary_text(data: str | bytes, source: str = GLOSSARY_FILE) -> GlossaryLoad:
    """Read a glossary; every problem is an RD103 diagnostic (the good entries are kept)."""
    parsed = parse_yaml(data, source)
    result = GlossaryLoad(Glossary(), list(parsed.diagnostics))
    root = parsed.root
    if root is None:
        return result
    reader = _Reader(source)
    terms: list[GlossaryTerm] = []
    if not isinstance(root, yaml.MappingNode):
        reader.add(root, "a glossary is a mapping of languages (en:, fr:) to lists of terms")
    else:
        seen: dict[tuple[str, str], Loc] = {}
        for lang_node, entries in root.value:
            lang = str(lang_node.value) if isinstance(lang_node, yaml.ScalarNode) else ""
            if not LANG_RE.match(lang):
                reader.add(lang_node, f"{lang!r} is not a language code", "use en, fr...")
                continue
            if not isinstance(entries, yaml.SequenceNode):
                reader.add(entries, f"{lang}: must be a list of entries (- avoid: ...)")
                continue
            for entry in entries.value:
                term = reader.term(lang, entry)
                if term is None:
                    continue
                key = (lang, term.avoid.casefold())
                if key in seen:
                    reader.add(
                        entry, f"{term.avoid!r} is listed twice in {lang}", f"first at {seen[key]}"
                    )
                    continue
                seen[key] = term.loc
                terms.append(term)
    result.glossary = Glossary(tuple(terms))
    result.diagnostics.extend(reader.diagnostics)
    return result


def load_glossary(path: str | Path) -> GlossaryLoad:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return GlossaryLoad(
            Glossary(), [diag(Loc(str(path)), "RD103", f"cannot read: {exc.strerror}")]
        )
    return load_glossary_text(data, str(path))


def find_glossary(start: str | Path) -> Path | None:
    """glossary.yaml in the content folder given (a file's folder) or in its parent (the
    content root beside `dialogs/`)."""
    here = Path(start)
    if here.is_file() or here.suffix == ".yaml":
        here = here.parent
    for folder in (here, here.parent):
        candidate = folder / GLOSSARY_FILE
        if candidate.is_file():
            return candidate
    return None
