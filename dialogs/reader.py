"""Reading YAML nodes into values, with a located diagnostic for each wrong one.

`YamlReader` is the loader's toolbox: mappings with allowed/required keys (and "did you mean"),
texts per language, ids, booleans, numbers, lists and conditions.
"""

from __future__ import annotations

import difflib
import re

import yaml

from dialogs.diagnostics import Diagnostic, Loc
from dialogs.errors import ExpressionError
from dialogs.expr import Expr, parse_expression
from dialogs.model import Text
from dialogs.yamlsafe import diag, loc_of

__all__ = ["ID_RE", "LANG_RE", "OPTION_ID_RE", "VAR_RE", "YamlReader", "describe", "is_null"]

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
OPTION_ID_RE = re.compile(r"^[a-z0-9_]+$")
VAR_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
LANG_RE = re.compile(r"^[a-z]{2}$")

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"


class YamlReader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def loc(self, node: yaml.Node) -> Loc:
        return loc_of(self.source, node)

    def add(self, node: yaml.Node | Loc, code: str, message: str, hint: str = "") -> None:
        loc = node if isinstance(node, Loc) else self.loc(node)
        self.diagnostics.append(diag(loc, code, message, hint))

    # -- mappings -------------------------------------------------------------------------
    def mapping(
        self, node: yaml.Node, spec: dict[str, bool], what: str
    ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """Keys -> (key node, value node); reports unknown, duplicate and missing keys."""
        if not isinstance(node, yaml.MappingNode):
            self.add(node, "RD012", f"{what} must be a mapping of keys, found {describe(node)}")
            return None
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node)
            if key is None:
                continue
            if key in found:
                self.add(key_node, "RD015", f"duplicate key {key!r} in {what}")
                continue
            if key not in spec:
                close = difflib.get_close_matches(key, list(spec), n=1)
                hint = f"did you mean {close[0]!r}?" if close else "allowed: " + ", ".join(spec)
                self.add(key_node, "RD010", f"unknown key {key!r} in {what}", hint)
                continue
            found[key] = (key_node, value_node)
        for key, required in spec.items():
            if required and key not in found:
                self.add(node, "RD011", f"{what} has no {key!r}")
        return found

    def key(self, node: yaml.Node) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.add(node, "RD012", "a key must be a plain word")
            return None
        return str(node.value)

    # -- scalars --------------------------------------------------------------------------
    def string(self, node: yaml.Node, what: str) -> str | None:
        """A text as typed: numbers and YAML 1.1 words such as yes/no/on/off stay texts."""
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (_STR, _INT, _FLOAT, _BOOL):
            self.add(node, "RD012", f"{what} must be a text, found {describe(node)}")
            return None
        return str(node.value)

    def ident(self, node: yaml.Node, what: str, pattern: re.Pattern[str] = ID_RE) -> str | None:
        value = self.string(node, what)
        if value is None:
            return None
        if not pattern.match(value):
            hint = "lower-case letters, digits and _" + (
                ", starting with a letter" if pattern is ID_RE else ""
            )
            self.add(node, "RD013", f"{what} {value!r} is not a valid id", hint)
            return None
        return value

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            return str(node.value).lower() in ("true", "yes", "on")
        self.add(node, "RD012", f"{what} must be true or false, found {describe(node)}")
        return None

    def number(self, node: yaml.Node, what: str, integer: bool = False) -> float | None:
        tags = (_INT,) if integer else (_INT, _FLOAT)
        if isinstance(node, yaml.ScalarNode) and node.tag in tags:
            try:
                return int(node.value) if node.tag == _INT else float(node.value)
            except ValueError:
                pass
        kind = "a whole number" if integer else "a number"
        self.add(node, "RD012", f"{what} must be {kind}, found {describe(node)}")
        return None

    def strings(
        self, node: yaml.Node, what: str, pattern: re.Pattern[str] | None = None
    ) -> tuple[str, ...]:
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR and node.value:
            items: list[yaml.Node] = [node]  # a single word is accepted as a list of one
        elif isinstance(node, yaml.SequenceNode):
            items = list(node.value)
        else:
            self.add(node, "RD012", f"{what} must be a list, found {describe(node)}")
            return ()
        out: list[str] = []
        for item in items:
            value = (
                self.ident(item, f"{what} item", pattern) if pattern else self.string(item, what)
            )
            if value is not None:
                out.append(value)
        return tuple(out)

    def text(self, node: yaml.Node, what: str) -> Text | None:
        if isinstance(node, yaml.ScalarNode):
            value = self.string(node, what)
            if value is None:
                return None
            return Text({"": value.rstrip("\n")}, self.loc(node), plain=True)
        if not isinstance(node, yaml.MappingNode):
            self.add(node, "RD012", f"{what} must be a text or a map of languages (en:, fr:)")
            return None
        values: dict[str, str] = {}
        locs: dict[str, Loc] = {}
        for key_node, value_node in node.value:
            lang = self.key(key_node)
            if lang is None:
                continue
            if not LANG_RE.match(lang):
                self.add(key_node, "RD016", f"{lang!r} is not a language code", "use en, fr...")
                continue
            if lang in values:
                self.add(key_node, "RD015", f"duplicate language {lang!r} in {what}")
                continue
            value = self.string(value_node, f"{what} ({lang})")
            if value is not None:
                values[lang] = value.rstrip("\n")
                locs[lang] = self.loc(value_node)
        return Text(values, self.loc(node), locs=locs)

    def expression(self, node: yaml.Node, what: str) -> tuple[Expr | None, str]:
        source = self.string(node, what)
        if source is None:
            return None, ""
        try:
            return parse_expression(source), source
        except ExpressionError as exc:
            loc = self.loc(node)
            offset = 1 if getattr(node, "style", None) in ("'", '"') else 0
            where = Loc(loc.file, loc.line, loc.col + offset + max(exc.column - 1, 0))
            self.add(where, "RD042", f"condition {source!r}: {exc}")
            return None, source


def describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    tag = str(node.tag).rsplit(":", 1)[-1]
    names = {"str": "a text", "int": "a number", "float": "a number", "bool": "true/false"}
    return "nothing" if tag == "null" else f"{names.get(tag, tag)} {node.value!r}"


def is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"
