"""The JSON Schema matches the language: bundled and fixture dialogs validate against it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.dialogs.helpers import DATA

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "content" / "schema" / "dialog.schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
BUNDLED = sorted(
    p for p in (ROOT / "content" / "dialogs").glob("*.yaml") if not p.name.endswith(".test.yaml")
)


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", [DATA / "full.yaml", DATA / "tips.yaml", *BUNDLED], ids=str)
def test_dialog_validates(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(data)]
    assert errors == []


def test_schema_rejects_what_the_loader_rejects() -> None:
    data = yaml.safe_load((DATA / "full.yaml").read_text(encoding="utf-8"))
    data["nodes"]["first"]["colour"] = "red"
    assert not VALIDATOR.is_valid(data)
    data = yaml.safe_load((DATA / "full.yaml").read_text(encoding="utf-8"))
    data["nodes"]["follow"]["after"] = "soon"
    assert not VALIDATOR.is_valid(data)
