"""Load the vendored GHL OpenAPI specs, resolve ``$ref``s and index their operations.

The specs in ``spec/apps/*.json`` are copied unchanged from GoHighLevel/highlevel-api-docs (see
``spec/SOURCE.md``); everything the sandbox knows about routes, headers, request bodies and
success status codes is read from them here.
"""

from __future__ import annotations

import functools
import json
import posixpath
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC_ROOT = Path(__file__).with_name("spec")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


@dataclass(frozen=True)
class SchemaAt:
    """A schema node plus the spec document (relative to the spec root) its ``$ref``s start from."""

    schema: Mapping[str, Any]
    doc: str


@dataclass(frozen=True)
class Parameter:
    """One operation parameter (``in`` is ``path``, ``query`` or ``header``)."""

    name: str
    location: str
    required: bool
    schema: SchemaAt | None


@dataclass(frozen=True)
class Operation:
    """One (method, path template) operation of a spec file."""

    spec: str  # the spec's name, e.g. "locations" for apps/locations.json
    method: str  # upper case
    path: str  # the template as written in the spec, e.g. "/locations/{locationId}/tags"
    operation_id: str
    parameters: tuple[Parameter, ...]
    request_body: SchemaAt | None
    request_content_type: str | None
    responses: Mapping[str, SchemaAt | None]  # status code -> JSON schema (None: no body schema)
    security: tuple[Mapping[str, tuple[str, ...]], ...] | None  # None: not declared

    def parameter(self, name: str, location: str) -> Parameter | None:
        """The parameter ``name`` in ``location`` (header names compare case-insensitively)."""
        for param in self.parameters:
            if param.location != location:
                continue
            if location == "header":
                same = param.name.lower() == name.lower()
            else:
                same = param.name == name
            if same:
                return param
        return None

    def params_in(self, location: str) -> tuple[Parameter, ...]:
        """All parameters declared ``in: location``."""
        return tuple(p for p in self.parameters if p.location == location)

    @property
    def version_values(self) -> tuple[str, ...] | None:
        """The ``Version`` header's enum, or None when the operation declares no Version header."""
        param = self.parameter("Version", "header")
        if param is None:
            return None
        enum = param.schema.schema.get("enum", ()) if param.schema else ()
        return tuple(str(v) for v in enum)

    @property
    def success_status(self) -> int:
        """The lowest documented 2xx status (200 for create-tag, 201 for create-custom-field)."""
        codes = sorted(int(c) for c in self.responses if c.isdigit() and c.startswith("2"))
        return codes[0] if codes else 200

    @property
    def requires_auth(self) -> bool:
        """True when the operation declares a security requirement or an Authorization header."""
        if self.security:
            return True
        return self.parameter("Authorization", "header") is not None

    def response_schema(self, status: int) -> SchemaAt | None:
        """The JSON schema documented for ``status`` (None if undocumented or bodiless)."""
        return self.responses.get(str(status))


class SpecError(ValueError):
    """A spec file or ``$ref`` that cannot be read."""


class SpecLibrary:
    """Read access to the vendored spec files (cached; the files never change at run time).

    Args:
        root: The folder holding ``apps/*.json`` and ``common/*.json``.
    """

    def __init__(self, root: Path = SPEC_ROOT) -> None:
        self.root = root
        self._docs: dict[str, Mapping[str, Any]] = {}
        self._ops: dict[str, tuple[Operation, ...]] = {}
        self._lock = threading.Lock()

    def spec_names(self) -> tuple[str, ...]:
        """The names of the vendored API specs (``apps/<name>.json``), sorted."""
        return tuple(sorted(p.stem for p in (self.root / "apps").glob("*.json")))

    def document(self, doc: str) -> Mapping[str, Any]:
        """The parsed JSON of ``doc`` (a path relative to the spec root)."""
        with self._lock:
            if doc not in self._docs:
                path = (self.root / doc).resolve()
                if self.root.resolve() not in path.parents:
                    raise SpecError(f"spec document outside the spec folder: {doc}")
                try:
                    self._docs[doc] = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    raise SpecError(f"cannot read spec document {doc}: {exc}") from exc
            return self._docs[doc]

    def resolve(self, node: SchemaAt) -> SchemaAt:
        """Follow ``$ref`` chains until a schema without ``$ref`` is reached."""
        seen: set[tuple[str, str]] = set()
        while isinstance(node.schema.get("$ref"), str):
            ref = str(node.schema["$ref"])
            if (node.doc, ref) in seen:
                raise SpecError(f"circular $ref {ref} in {node.doc}")
            seen.add((node.doc, ref))
            node = self._follow(ref, node.doc)
        return node

    def _follow(self, ref: str, doc: str) -> SchemaAt:
        file_part, _, pointer = ref.partition("#")
        target_doc = doc
        if file_part:
            target_doc = posixpath.normpath(posixpath.join(posixpath.dirname(doc), file_part))
        current: Any = self.document(target_doc)
        for token in [t for t in pointer.split("/") if t]:
            key = token.replace("~1", "/").replace("~0", "~")
            if isinstance(current, Mapping) and key in current:
                current = current[key]
            elif isinstance(current, list) and key.isdigit() and int(key) < len(current):
                current = current[int(key)]
            else:
                raise SpecError(f"unresolvable $ref {ref} in {doc}")
        if not isinstance(current, Mapping):
            raise SpecError(f"$ref {ref} in {doc} does not point to a schema")
        return SchemaAt(current, target_doc)

    def component(self, spec: str, name: str) -> SchemaAt:
        """``components.schemas[name]`` of ``apps/<spec>.json``, resolved."""
        doc = f"apps/{spec}.json"
        return self.resolve(SchemaAt({"$ref": f"#/components/schemas/{name}"}, doc))

    def operations(self, spec: str) -> tuple[Operation, ...]:
        """Every operation of ``apps/<spec>.json``, in file order."""
        with self._lock:
            cached = self._ops.get(spec)
        if cached is None:
            cached = tuple(self._read_operations(spec))
            with self._lock:
                self._ops[spec] = cached
        return cached

    def all_operations(self) -> tuple[Operation, ...]:
        """The operations of every vendored spec."""
        return tuple(op for name in self.spec_names() for op in self.operations(name))

    def _read_operations(self, spec: str) -> Iterator[Operation]:
        doc = f"apps/{spec}.json"
        paths = self.document(doc).get("paths", {})
        for template, item in paths.items():
            shared = item.get("parameters", [])
            for method, raw in item.items():
                if method in HTTP_METHODS and isinstance(raw, Mapping):
                    yield self._operation(spec, doc, method, template, raw, shared)

    def _operation(
        self,
        spec: str,
        doc: str,
        method: str,
        template: str,
        raw: Mapping[str, Any],
        shared: list[Any],
    ) -> Operation:
        params = tuple(self._parameter(p, doc) for p in [*shared, *raw.get("parameters", [])])
        body, content_type = self._request_body(raw.get("requestBody"), doc)
        responses = {
            str(code): self._response_schema(resp, doc, error=not str(code).startswith("2"))
            for code, resp in raw.get("responses", {}).items()
        }
        security = raw.get("security")
        return Operation(
            spec=spec,
            method=method.upper(),
            path=template,
            operation_id=str(raw.get("operationId", f"{method} {template}")),
            parameters=params,
            request_body=body,
            request_content_type=content_type,
            responses=responses,
            security=(
                None
                if security is None
                else tuple({k: tuple(v) for k, v in req.items()} for req in security)
            ),
        )

    def _parameter(self, raw: Mapping[str, Any], doc: str) -> Parameter:
        node = self.resolve(SchemaAt(raw, doc))
        schema = node.schema.get("schema")
        return Parameter(
            name=str(node.schema["name"]),
            location=str(node.schema["in"]),
            required=bool(node.schema.get("required", False)),
            schema=(
                self.resolve(SchemaAt(schema, node.doc)) if isinstance(schema, Mapping) else None
            ),
        )

    def _request_body(self, raw: Any, doc: str) -> tuple[SchemaAt | None, str | None]:
        if not isinstance(raw, Mapping):
            return None, None
        node = self.resolve(SchemaAt(raw, doc))
        content = node.schema.get("content", {})
        for content_type, media in content.items():
            schema = media.get("schema") if isinstance(media, Mapping) else None
            if isinstance(schema, Mapping):
                return self.resolve(SchemaAt(schema, node.doc)), str(content_type)
        return None, None

    def _response_schema(self, raw: Any, doc: str, *, error: bool = False) -> SchemaAt | None:
        """The JSON schema of one documented response (None: no body schema).

        ``error``: a non-2xx response. Some specs point their error bodies at schemas they do
        not define (``apps/links.json`` refers to ``#/components/schemas/BadRequestDTO`` of its
        own file, which only ``common-schemas.json`` has); such a status counts as documented
        without a body schema instead of making the whole spec unreadable. A success
        response's schema must resolve.
        """
        if not isinstance(raw, Mapping):
            return None
        node = self.resolve(SchemaAt(raw, doc))
        media = node.schema.get("content", {}).get("application/json")
        if not isinstance(media, Mapping) or not isinstance(media.get("schema"), Mapping):
            return None
        try:
            return self.resolve(SchemaAt(media["schema"], node.doc))
        except SpecError:
            if error:
                return None
            raise


@functools.lru_cache(maxsize=1)
def default_library() -> SpecLibrary:
    """The process-wide library of the vendored specs."""
    return SpecLibrary()
