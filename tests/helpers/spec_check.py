"""Check sandbox answers against GHL's OpenAPI specs with ``jsonschema``.

Deliberately independent of ``ghlops.sandbox.spec``: it reads the vendored JSON itself, matches
paths to templates itself and lets ``jsonschema``/``referencing`` resolve the ``$ref``s
(including ``../common/common-schemas.json``), so a bug in the sandbox's own spec reading cannot
hide here.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import ghlops.sandbox

SPEC_DIR = Path(ghlops.sandbox.__file__).parent / "spec"
BASE_URI = "https://spec.invalid/"

# Statuses the v2 specs never document, checked against the shapes of the v3 common schemas
# (apps/v3/common/common-schemas.json ForbiddenDTO / NotFoundDTO, see the API notes 0.3).
UNDOCUMENTED = {
    403: {
        "type": "object",
        "required": ["statusCode", "message", "error"],
        "properties": {
            "statusCode": {"const": 403},
            "message": {"type": "string"},
            "error": {"const": "Forbidden"},
        },
        "additionalProperties": False,
    },
    404: {
        "type": "object",
        "required": ["statusCode", "message"],
        "properties": {"statusCode": {"const": 404}, "message": {"type": "string"}},
        "additionalProperties": False,
    },
}

# Objects whose response schemas declare no id although their paths need one (the spec's
# silence; the sandbox answers ``id``): these id fields are allowed, top level or per list item.
SILENT_IDS: dict[str, frozenset[str]] = {
    "/calendars/resources/": frozenset({"id"}),
}

# List operations the spec types as one item (associations.json types every answer, the list
# included, as one association): their answers are checked as arrays of that item.
LISTS_OF_ONE: frozenset[tuple[str, str]] = frozenset(
    {("GET", "/associations/"), ("GET", "/associations/objectKey/{objectKey}")}
)

# Properties typed as objects although the spec's examples, and GHL, give strings (associations'
# labels, object keys and type): a string there is checked as valid.
MISTYPED_STRINGS: dict[str, frozenset[str]] = {
    "/associations/": frozenset(
        {
            "firstObjectLabel",
            "firstObjectKey",
            "secondObjectLabel",
            "secondObjectKey",
            "associationType",
        }
    ),
}


@functools.cache
def documents() -> dict[str, dict[str, Any]]:
    """Every vendored spec document by path relative to the spec folder."""
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted(SPEC_DIR.glob("*/*.json")):
        docs[path.relative_to(SPEC_DIR).as_posix()] = json.loads(path.read_text("utf-8"))
    return docs


@functools.cache
def registry() -> Registry[Any]:
    resources = [
        (BASE_URI + rel, Resource.from_contents(doc, default_specification=DRAFT202012))
        for rel, doc in documents().items()
    ]
    return Registry().with_resources(resources)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = [
        "[^/]+" if re.fullmatch(r"\{[^}]+\}", seg) else re.escape(seg)
        for seg in template.rstrip("/").split("/")
    ]
    return re.compile("/".join(parts) + "/?")


def find_operation(method: str, path: str) -> tuple[str, str, dict[str, Any]] | None:
    """``(document, template, operation)`` for a concrete request, literal segments first."""
    found: list[tuple[int, str, str, dict[str, Any]]] = []
    for rel, doc in documents().items():
        for template, item in doc.get("paths", {}).items():
            op = item.get(method.lower())
            if op is not None and _template_regex(template).fullmatch(path.split("?")[0]):
                found.append((template.count("{"), rel, template, op))
    if not found:
        return None
    _, rel, template, op = min(found, key=lambda f: f[0])
    return rel, template, op


def _pointer(*tokens: str) -> str:
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def response_schema_uri(method: str, path: str, status: int) -> str | None:
    """The URI of the schema documented for this request and status, or None."""
    found = find_operation(method, path)
    if found is None:
        return None
    rel, template, op = found
    response = op.get("responses", {}).get(str(status))
    if response is None or "application/json" not in response.get("content", {}):
        return None
    tokens = ("paths", template, method.lower(), "responses", str(status), "content")
    return f"{BASE_URI}{rel}#{_pointer(*tokens, 'application/json', 'schema')}"


def _resolve(schema: dict[str, Any], resolver: Any) -> tuple[dict[str, Any], Any]:
    while "$ref" in schema:
        resolved = resolver.lookup(schema["$ref"])
        schema, resolver = resolved.contents, resolved.resolver
    return schema, resolver


def undocumented_fields(
    instance: Any, schema: dict[str, Any], resolver: Any, at: str = ""
) -> list[str]:
    """Dotted paths of object keys the schema does not declare (the specs never forbid them,
    so plain validation would accept fields GHL does not send)."""
    schema, resolver = _resolve(schema, resolver)
    props: dict[str, tuple[dict[str, Any], Any]] = {
        k: (v, resolver) for k, v in schema.get("properties", {}).items()
    }
    for part in schema.get("allOf", []):
        part, part_resolver = _resolve(part, resolver)
        props.update({k: (v, part_resolver) for k, v in part.get("properties", {}).items()})
    found: list[str] = []
    if isinstance(instance, dict) and props:
        for key, value in instance.items():
            if key not in props:
                found.append(at + key)
            else:
                sub, sub_resolver = props[key]
                found += undocumented_fields(value, sub, sub_resolver, f"{at}{key}.")
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(instance):
            found += undocumented_fields(item, schema["items"], resolver, f"{at}{index}.")
    return found


def check_response(method: str, path: str, status: int, body: Any) -> None:
    """Assert that ``body`` is what the spec documents for ``method path`` answering ``status``.

    Raises:
        AssertionError: The status is undocumented, or the body does not match its schema or
            carries fields the schema does not declare.
    """
    uri = response_schema_uri(method, path, status)
    if uri is None:
        if status not in UNDOCUMENTED:
            raise AssertionError(f"{method} {path}: status {status} is not in the spec")
        problems = list(Draft202012Validator(UNDOCUMENTED[status]).iter_errors(body))
        if problems:
            raise AssertionError(f"{method} {path} -> {status}: {problems[0].message}")
        return
    found = find_operation(method, path)
    if 200 <= status < 300 and found is not None and (method.upper(), found[1]) in LISTS_OF_ONE:
        if not isinstance(body, list):
            raise AssertionError(f"{method} {path} -> {status}: not a list")
        for item in body:
            _check_one(method, path, status, item, uri)
        return
    _check_one(method, path, status, body, uri)


def _check_one(method: str, path: str, status: int, body: Any, uri: str) -> None:
    """``body`` against the schema at ``uri`` (see :func:`check_response`)."""
    mistyped = next((f for p, f in MISTYPED_STRINGS.items() if path.startswith(p)), frozenset())
    if isinstance(body, dict) and mistyped:
        body = {k: ({} if k in mistyped and isinstance(v, str) else v) for k, v in body.items()}
    validator = Draft202012Validator({"$ref": uri}, registry=registry())
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        raise AssertionError(
            f"{method} {path} -> {status}: {errors[0].message} at {list(errors[0].path)}"
        )
    resolver = registry().resolver(base_uri=uri)
    extra = undocumented_fields(body, {"$ref": uri}, resolver)
    allowed = next((f for p, f in SILENT_IDS.items() if path.startswith(p)), frozenset())
    extra = [f for f in extra if re.sub(r"^\d+\.", "", f) not in allowed]
    if extra:
        raise AssertionError(f"{method} {path} -> {status}: undocumented fields {extra}")
