"""JSON Schemas for ghlops.yaml and bundle files, generated from the models.

Editors use them for completion and inline errors (yaml-language-server modeline). They describe
the shape only; ghlops itself checks more (references, duplicate keys, templates).
"""

from __future__ import annotations

import json
from typing import Any

from ghlops.manifest.project import LOCATION_ID_RE, ProjectSpec
from ghlops.resources import registry

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
FILES = ("ghlops.schema.json", "bundle.schema.json")


def project_schema() -> dict[str, Any]:
    schema = ProjectSpec.model_json_schema()
    schema["$schema"] = SCHEMA_URI
    schema["title"] = "ghlops project file (ghlops.yaml)"
    schema["properties"]["version"] = {"const": 1, "description": "Format version; always 1"}
    schema["required"] = ["version", "locations"]
    defs = schema["$defs"]
    defs["LocationSpec"]["properties"]["id"] = {
        "type": "string",
        "pattern": f"^{LOCATION_ID_RE.pattern}$",
        "description": "The GHL location id (20 letters and digits)",
    }
    prune = defs["PolicySpec"]["properties"]["prune"]
    prune["anyOf"][0]["items"] = {"enum": registry.kinds()}
    return schema


def _drop_patterns(node: Any) -> Any:
    """Bundle files are templates: ``"{{ vars.slug }}.example.com"`` is a fine domain before
    rendering, so string patterns are left to ghlops (which checks the rendered value)."""
    if isinstance(node, dict):
        return {k: _drop_patterns(v) for k, v in node.items() if k != "pattern"}
    if isinstance(node, list):
        return [_drop_patterns(v) for v in node]
    return node


TEMPLATE_TEXT = {
    "type": "string",
    "pattern": "\\{\\{",
    "description": 'A template that renders to a number, e.g. "{{ vars.price }}"',
}


def _templated_numbers(node: Any) -> Any:
    """A number field may also hold a quoted template (``amount: "{{ vars.price }}"``): ghlops
    reads the rendered text as a number, and editors must not flag it."""
    if isinstance(node, list):
        return [_templated_numbers(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _templated_numbers(v) for k, v in node.items()}
    if node.get("type") in ("number", "integer"):
        return {"anyOf": [node, TEMPLATE_TEXT]}
    return node


ABSENT_PROPERTY = {
    "type": "boolean",
    "description": "ghlops: true removes the item an earlier bundle declared with this key from "
    "this location's desired state (the live object is deleted only if policy.prune names the "
    "kind)",
}


def bundle_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for kind in registry.bundle_kinds():
        model = registry.get(kind).model
        item = model.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(item.pop("$defs", {}))
        # a later bundle's item may set only what it changes, or remove the earlier item: the
        # merged item is checked by ghlops (docs/projects.md)
        item.pop("required", None)
        item["properties"]["absent"] = ABSENT_PROPERTY
        defs[model.__name__] = item
        adapter = registry.get(kind)
        if adapter.singleton:  # one object per location: a mapping of its fields
            properties[kind] = {
                "anyOf": [{"$ref": f"#/$defs/{model.__name__}"}, {"type": "null"}],
                "description": f"The location's {adapter.singular} (one per location; only "
                "the fields set here are managed)",
            }
            continue
        properties[kind] = {
            "type": ["array", "null"],
            "items": {"$ref": f"#/$defs/{model.__name__}"},
            "description": f"{adapter.singular.capitalize()} items",
        }
    schema: dict[str, Any] = _drop_patterns(
        {
            "$schema": SCHEMA_URI,
            "title": "ghlops bundle file",
            "description": "One key per resource kind, each a list of items (a mapping for the "
            "kinds of which a location has one, such as storeSettings; GHL API field names). "
            "Files are jinja2 templates rendered before parsing.",
            "type": "object",
            "additionalProperties": False,
            "properties": properties,
            "$defs": defs,
        }
    )
    return dict(_templated_numbers(schema))


_NUMERIC_BOUNDS = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)
# constraint names newer pydantic releases leave beside an "anyOf" they could not map (not JSON
# Schema keywords, so validators ignore them; older releases leave them out)
_NOT_JSON_SCHEMA = frozenset({"ge", "gt", "le", "lt"})


def _canonical(node: Any) -> Any:
    """The same schema whatever pydantic release wrote it: older releases write bounds as floats
    (``0.0``), leave out ``additionalProperties: true`` (JSON Schema's default) and flatten a
    union of unions; newer ones write ``0``, spell the default out and nest the unions, with
    pydantic's own ``ge``/``le`` beside them. Canonical form: integral bounds as integers, the
    default and the non-keywords left out, unions flat, a described reference as ``$ref`` beside
    its description (older releases wrap it in a one-item ``allOf``), a ``const`` without the
    ``type`` it implies (newer releases spell it out)."""
    if isinstance(node, list):
        return [_canonical(item) for item in node]
    if not isinstance(node, dict):
        return node
    canonical = {}
    for key, value in node.items():
        if key == "additionalProperties" and value is True:
            continue
        if key in _NOT_JSON_SCHEMA and isinstance(value, int | float):
            continue  # pydantic's own constraint names, left over where it found no keyword
        if key in _NUMERIC_BOUNDS and isinstance(value, float) and value.is_integer():
            value = int(value)
        value = _canonical(value)
        if key == "anyOf" and isinstance(value, list):
            value = _flat_any_of(value)
        canonical[key] = value
    if "const" in canonical and canonical.get("type") == _json_type(canonical["const"]):
        del canonical["type"]  # newer releases spell out the type a const already fixes
    only = canonical.get("allOf")
    if (
        isinstance(only, list)
        and len(only) == 1
        and isinstance(only[0], dict)
        and set(only[0]) == {"$ref"}
        and "$ref" not in canonical
    ):  # older releases wrap a described reference: {"allOf": [{"$ref": X}], "description": …}
        del canonical["allOf"]
        canonical["$ref"] = only[0]["$ref"]
    return canonical


def _json_type(value: Any) -> str | None:
    """The JSON Schema type of a constant."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def _flat_any_of(options: list[Any]) -> list[Any]:
    """``anyOf`` with nested ``anyOf`` lists spliced in and repeated options dropped (older
    pydantic releases flatten a union of unions, newer ones nest them: the same schema)."""
    flat: list[Any] = []
    for option in options:
        inner = option.get("anyOf") if isinstance(option, dict) and len(option) == 1 else None
        for one in _flat_any_of(inner) if isinstance(inner, list) else [option]:
            if one not in flat:
                flat.append(one)
    return flat


def render_schemas() -> dict[str, str]:
    """File name -> JSON text, as committed in schemas/."""
    return {
        name: json.dumps(_canonical(schema), indent=2, sort_keys=True) + "\n"
        for name, schema in zip(FILES, (project_schema(), bundle_schema()), strict=True)
    }
