"""The JSON Schema matches the language: bundled and fixture dialogs validate against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from dialogs.yamlsafe import parse_yaml
from tests.dialogs.helpers import DATA

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "content" / "schema" / "dialog.schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
BUNDLED = sorted(
    p for p in (ROOT / "content" / "dialogs").glob("*.yaml") if not p.name.endswith(".test.yaml")
)


def _data(node: yaml.Node) -> Any:
    """YAML as editors read it (YAML 1.2 core: only true/false are booleans; keys are text)."""
    if isinstance(node, yaml.MappingNode):
        return {str(k.value): _data(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_data(v) for v in node.value]
    if node.tag.endswith(":bool"):
        return {"true": True, "false": False}.get(node.value.lower(), node.value)
    if node.tag.endswith(":int"):
        return int(node.value)
    if node.tag.endswith(":float"):
        return float(node.value)
    return None if node.tag.endswith(":null") else node.value


def _load(path: Path) -> Any:
    parsed = parse_yaml(path.read_bytes(), str(path))
    assert parsed.root is not None, [str(d) for d in parsed.diagnostics]
    return _data(parsed.root)


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", [DATA / "full.yaml", DATA / "tips.yaml", *BUNDLED], ids=str)
def test_dialog_validates(path: Path) -> None:
    data = _load(path)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(data)]
    assert errors == []


def test_schema_rejects_what_the_loader_rejects() -> None:
    data = _load(DATA / "full.yaml")
    data["nodes"]["first"]["colour"] = "red"
    assert not VALIDATOR.is_valid(data)
    data = _load(DATA / "full.yaml")
    data["nodes"]["follow"]["after"] = "soon"
    assert not VALIDATOR.is_valid(data)


def test_schema_takes_node_sources_and_risk_options() -> None:
    data = _load(DATA / "full.yaml")
    for node in data["nodes"].values():
        node["source"] = "general practice, not from the paper"
    data["nodes"]["first"]["options"][0]["risk"] = True
    assert [e.message for e in VALIDATOR.iter_errors(data)] == []
    data["nodes"]["first"]["options"][0]["risk"] = "yes"
    assert not VALIDATOR.is_valid(data)
    data = _load(DATA / "full.yaml")
    data["nodes"]["first"]["source"] = " "
    assert not VALIDATOR.is_valid(data)
