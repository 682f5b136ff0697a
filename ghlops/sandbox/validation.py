"""Request validation against the spec's schemas, with NestJS class-validator style messages.

Only the OpenAPI subset the GHL specs use is supported: ``type``, ``properties``, ``required``,
``items``, ``enum``, ``allOf``/``anyOf``/``oneOf``, ``$ref``, ``nullable``,
``additionalProperties``, string/number/array bounds and ``pattern``. Like GHL's NestJS
ValidationPipe (``whitelist`` + ``forbidNonWhitelisted``), properties a body schema does not
declare are rejected, and optional properties may be ``null``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ghlops.sandbox.spec import Operation, SchemaAt, SpecLibrary

_MISSING: Any = object()

_TYPE_MESSAGES = {
    "string": "must be a string",
    "number": "must be a number conforming to the specified constraints",
    "integer": "must be an integer number",
    "boolean": "must be a boolean value",
    "array": "must be an array",
    "object": "must be an object",
}


@dataclass
class _Flat:
    """A schema with its ``$ref``s followed and its ``allOf`` parts merged."""

    type: str | None = None
    properties: dict[str, SchemaAt] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    enum: list[Any] | None = None
    items: SchemaAt | None = None
    additional: bool | None = None  # None: not stated
    nullable: bool = False
    alternatives: list[list[SchemaAt]] = field(default_factory=list)
    bounds: dict[str, Any] = field(default_factory=dict)

    @property
    def is_object(self) -> bool:
        return self.type == "object" or (self.type is None and bool(self.properties))


_BOUNDS = ("minLength", "maxLength", "minimum", "maximum", "pattern", "minItems", "maxItems")


class Validator:
    """Validates JSON values and query strings against schemas of a :class:`SpecLibrary`."""

    def __init__(self, library: SpecLibrary) -> None:
        self.library = library

    # -- schema helpers -------------------------------------------------------------------

    def flatten(self, node: SchemaAt) -> _Flat:
        """Resolve ``node`` and merge its ``allOf`` parts into one description."""
        flat = _Flat()
        self._merge(flat, node)
        return flat

    def _merge(self, flat: _Flat, node: SchemaAt) -> None:
        node = self.library.resolve(node)
        schema, doc = node.schema, node.doc
        if isinstance(schema.get("type"), str):
            flat.type = schema["type"]
        for name, sub in schema.get("properties", {}).items():
            flat.properties[name] = SchemaAt(sub, doc)
        flat.required += [r for r in schema.get("required", []) if r not in flat.required]
        if isinstance(schema.get("enum"), list):
            flat.enum = list(schema["enum"])
        if isinstance(schema.get("items"), Mapping):
            flat.items = SchemaAt(schema["items"], doc)
        if "additionalProperties" in schema:
            flat.additional = schema["additionalProperties"] is not False
        flat.nullable = flat.nullable or bool(schema.get("nullable"))
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                flat.alternatives.append([SchemaAt(alt, doc) for alt in schema[key]])
        flat.bounds.update({k: schema[k] for k in _BOUNDS if k in schema})
        for part in schema.get("allOf", []):
            self._merge(flat, SchemaAt(part, doc))

    def property_names(self, node: SchemaAt) -> list[str]:
        """The property names an object schema declares (including ``allOf`` parts)."""
        return list(self.flatten(node).properties)

    # -- bodies ---------------------------------------------------------------------------

    def validate_body(
        self,
        body: Mapping[str, Any],
        node: SchemaAt,
        *,
        extra_properties: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> list[str]:
        """Validate a request body object.

        Args:
            body: The parsed JSON object.
            node: The operation's request body schema.
            extra_properties: Top-level properties the spec does not declare, or declares
                wrongly, that the live API accepts (name -> schema). A listed property replaces
                the spec's declaration (its ``required`` status is kept); a schema with
                ``"x-allow-empty": true`` accepts ``""`` for a required property.

        Returns:
            The class-validator style messages; empty when the body is valid.
        """
        flat = self.flatten(node)
        for name, schema in (extra_properties or {}).items():
            flat.properties[name] = SchemaAt(schema, node.doc)
        return self._check_object(body, flat, "")

    def takes_array(self, node: SchemaAt) -> bool:
        """Whether a request body schema is an array (calendar notifications are created as an
        array of objects)."""
        return self.flatten(node).type == "array"

    def validate_array_body(self, body: list[Any], node: SchemaAt) -> list[str]:
        """Validate a request body that is an array: each item against the ``items`` schema,
        messages prefixed with the item's index (``0.receiverType should not be empty``)."""
        flat = self.flatten(node)
        if flat.items is None:  # pragma: no cover - only array schemas come here
            return []
        item = self.flatten(flat.items)
        errors: list[str] = []
        for index, value in enumerate(body):
            if isinstance(value, Mapping):
                errors += self._check_object(value, item, str(index))
            else:
                errors.append(f"{index} must be an object")
        return errors

    def _check_object(self, obj: Mapping[str, Any], flat: _Flat, parent: str) -> list[str]:
        errors: list[str] = []
        if flat.properties and flat.additional is not True:
            errors += [
                _prefixed(parent, f"property {key} should not exist")
                for key in obj
                if key not in flat.properties
            ]
        for name, sub in flat.properties.items():
            value = obj.get(name, _MISSING)
            errors += self._check_property(name, value, sub, name in flat.required, parent)
        return errors

    def _check_property(
        self, name: str, value: Any, node: SchemaAt, required: bool, parent: str
    ) -> list[str]:
        flat = self.flatten(node)
        if value is _MISSING or value is None:
            if not required or (value is None and flat.nullable):
                return []  # class-validator @IsOptional() skips null and undefined
            empty = _prefixed(parent, f"{name} should not be empty")
            return [empty, *self._type_only(name, flat, parent)]
        errors: list[str] = []
        if required and value == "" and not self.library.resolve(node).schema.get("x-allow-empty"):
            errors.append(_prefixed(parent, f"{name} should not be empty"))
        return errors + self._check_value(value, flat, name, parent)

    def _type_only(self, name: str, flat: _Flat, parent: str) -> list[str]:
        message = _TYPE_MESSAGES.get(flat.type or "")
        return [_prefixed(parent, f"{name} {message}")] if message else []

    def _check_value(
        self, value: Any, flat: _Flat, name: str, parent: str, *, each: bool = False
    ) -> list[str]:
        subject = f"each value in {name}" if each else name
        for group in flat.alternatives:
            group_errors = [
                self._check_value(value, self.flatten(alt), name, parent, each=each)
                for alt in group
            ]
            if all(group_errors):
                return group_errors[0]  # no alternative fits: report against the first
        expected = "object" if flat.is_object else flat.type
        if expected and not _has_type(value, expected):
            return [_prefixed(parent, f"{subject} {_TYPE_MESSAGES[expected]}")]
        if flat.enum is not None and value not in flat.enum:
            allowed = ", ".join(str(v) for v in flat.enum)
            return [_prefixed(parent, f"{subject} must be one of the following values: {allowed}")]
        errors = [_prefixed(parent, f"{subject} {m}") for m in _bound_messages(value, flat.bounds)]
        if isinstance(value, list) and flat.items is not None:
            errors += self._check_items(value, self.flatten(flat.items), name, parent)
        elif isinstance(value, Mapping) and flat.is_object:
            errors += self._check_object(value, flat, _prefixed(parent, name))
        return errors

    def _check_items(self, items: list[Any], flat: _Flat, name: str, parent: str) -> list[str]:
        errors: list[str] = []
        nested = flat.is_object or bool(flat.alternatives)
        for index, item in enumerate(items):
            if nested and isinstance(item, Mapping):
                errors += self._check_value(item, flat, f"{name}.{index}", parent)
            else:
                errors += self._check_value(item, flat, name, parent, each=True)
        return list(dict.fromkeys(errors))  # "each value in x ..." once, like class-validator

    # -- query strings --------------------------------------------------------------------

    def validate_query(self, query: Mapping[str, str], operation: Operation) -> list[str]:
        """Validate query parameters (strings) against the operation's ``in: query`` params.

        Undeclared query parameters are ignored.
        """
        errors: list[str] = []
        for param in operation.params_in("query"):
            raw = query.get(param.name)
            if raw is None:
                if param.required:
                    errors.append(f"{param.name} should not be empty")
                continue
            if param.schema is None:
                continue
            flat = self.flatten(param.schema)
            errors += self._check_value(_coerce_query(raw, flat.type), flat, param.name, "")
        return errors


def _prefixed(parent: str, text: str) -> str:
    """NestJS prefixes nested constraint messages with the parent path (``a.0.b must ...``)."""
    return f"{parent}.{text}" if parent else text


def _has_type(value: Any, expected: str) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if expected == "array":
        return isinstance(value, list)
    if expected == "object":
        return isinstance(value, Mapping)
    return True  # types the specs do not use are not checked


def _coerce_query(raw: str, expected: str | None) -> Any:
    """Turn a query string value into the JSON type its schema expects, when it parses."""
    if expected in ("number", "integer"):
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if number.is_integer() else number
    if expected == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def _fmt(number: Any) -> str:
    return str(int(number)) if isinstance(number, float) and number.is_integer() else str(number)


def _bound_messages(value: Any, bounds: Mapping[str, Any]) -> list[str]:
    messages: list[str] = []
    if isinstance(value, str):
        if "minLength" in bounds and len(value) < bounds["minLength"]:
            messages.append(f"must be longer than or equal to {bounds['minLength']} characters")
        if "maxLength" in bounds and len(value) > bounds["maxLength"]:
            messages.append(f"must be shorter than or equal to {bounds['maxLength']} characters")
        if "pattern" in bounds and not _matches(str(bounds["pattern"]), value):
            messages.append(f"must match /{bounds['pattern']}/ regular expression")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in bounds and value < bounds["minimum"]:
            messages.append(f"must not be less than {_fmt(bounds['minimum'])}")
        if "maximum" in bounds and value > bounds["maximum"]:
            messages.append(f"must not be greater than {_fmt(bounds['maximum'])}")
    elif isinstance(value, list):
        if "minItems" in bounds and len(value) < bounds["minItems"]:
            messages.append(f"must contain at least {bounds['minItems']} elements")
        if "maxItems" in bounds and len(value) > bounds["maxItems"]:
            messages.append(f"must contain no more than {bounds['maxItems']} elements")
    return messages


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True  # an ECMAScript-only pattern Python cannot compile is not enforced
