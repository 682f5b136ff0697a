"""The committed JSON Schemas are current, and the examples validate against them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from ghlops.manifest.schema import render_schemas

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"


def test_committed_schemas_are_up_to_date() -> None:
    for name, text in render_schemas().items():
        committed = (SCHEMAS / name).read_text(encoding="utf-8")
        assert committed == text, f"schemas/{name} is stale: run 'ghlops schema'"


def load(name: str) -> dict[str, object]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "project", sorted(p.parent for p in (ROOT / "ghlops" / "examples").glob("*/ghlops.yaml"))
)
def test_examples_validate(project: Path) -> None:
    jsonschema.validate(
        yaml.safe_load((project / "ghlops.yaml").read_text()), load("ghlops.schema.json")
    )
    bundle = load("bundle.schema.json")
    files = sorted((project / "bundles").rglob("*.yaml"))
    assert files
    for path in files:
        jsonschema.validate(yaml.safe_load(path.read_text()), bundle)


def test_schema_rejects_what_ghlops_rejects() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tags": [{"name": "x", "colour": "red"}]}, load("bundle.schema.json"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"version": 1, "locations": [{"name": "a", "id": "short"}]}, load("ghlops.schema.json")
        )
