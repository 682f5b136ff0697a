"""Route tables: which spec operation each handler emulates, and matching request paths to them.

A handler module declares its routes with a :class:`RouteTable`::

    routes = RouteTable("locations")          # the spec file: spec/apps/locations.json

    @routes.get("/locations/{locationId}/tags")   # method + path template exactly as in the spec
    def list_tags(ctx: RequestContext) -> JSON: ...

    routes.kind("tags", schema="LocationTagsSchema")  # a stored kind and its API view

The :class:`Router` is built from *every* operation of the vendored specs: a request that matches
a spec operation without a handler is answered "not emulated" instead of "unknown route".

Extension operations: GHL sometimes publishes an operation after the vendored spec snapshot
(the pipeline writes, API notes section 5). A handler module registers such an operation with
:meth:`RouteTable.extension`, giving what the spec would have given: its ``Version`` values, a
minimal request body schema, its security and its success status. The route then carries its own
:class:`~ghlops.sandbox.spec.Operation`, so routing, the ``Version`` check, auth and body
validation treat it exactly like a spec operation. An extension that the vendored spec gains
later is refused (the spec's operation must then be used), so extensions never shadow the spec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from ghlops.sandbox.spec import Operation, Parameter, SchemaAt

if TYPE_CHECKING:
    from ghlops.sandbox.context import RequestContext
    from ghlops.sandbox.store import Store

Handler = Callable[["RequestContext"], Any]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class Route:
    """A handler bound to one spec operation.

    Attributes:
        spec: The spec name (``apps/<spec>.json``).
        method: The HTTP method, upper case.
        path: The path template exactly as the spec writes it.
        handler: Called with a validated :class:`RequestContext`; returns the JSON body (sent
            with the operation's documented 2xx status) or a :class:`Reply`.
        extra_body_properties: Undocumented top-level body properties the live API is known to
            accept (name -> JSON schema), so they are not rejected as unknown; or corrected
            schemas of properties the spec declares wrongly, which replace the spec's (see
            ``Validator.validate_body``).
        operation: For an extension route (see :meth:`RouteTable.extension`): the operation
            it brings along because the vendored spec lacks it; None for spec routes.
    """

    spec: str
    method: str
    path: str
    handler: Handler
    extra_body_properties: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    operation: Operation | None = None


@dataclass(frozen=True)
class Kind:
    """A kind of stored object and the spec schema its API view is projected onto.

    Attributes:
        name: The kind's name in the store and in ``Sandbox.objects`` (e.g. ``"customFields"``).
        spec: The spec whose ``components.schemas`` holds ``schema``.
        schema: The response schema of one object; stored fields it lacks are never returned.
        extra_fields: Fields of the API view that the vendored schema lacks (added by a later
            API version, e.g. a pipeline's ``useOpportunityProbability``), returned when stored.
    """

    name: str
    spec: str
    schema: str
    extra_fields: tuple[str, ...] = ()


# (store, location_id, fields) -> the new object's id
Seeder = Callable[["Store", str, dict[str, Any]], str]


class RouteTable:
    """The routes and kinds of one handler module (one spec file).

    Args:
        spec: The spec name the module's path templates come from.
    """

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.routes: list[Route] = []
        self.extensions: list[Route] = []  # routes of operations the vendored spec lacks
        self.kinds: list[Kind] = []
        self.seeders: dict[str, Seeder] = {}

    def route(
        self,
        method: str,
        path: str,
        *,
        extra_body_properties: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Callable[[H], H]:
        """Decorator registering a handler for ``method path`` of this table's spec."""

        def register(handler: H) -> H:
            self.routes.append(
                Route(self.spec, method.upper(), path, handler, dict(extra_body_properties or {}))
            )
            return handler

        return register

    def get(self, path: str, **options: Any) -> Callable[[H], H]:
        """``route("GET", path)``."""
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[H], H]:
        """``route("POST", path)``."""
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[H], H]:
        """``route("PUT", path)``."""
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[H], H]:
        """``route("PATCH", path)``."""
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[H], H]:
        """``route("DELETE", path)``."""
        return self.route("DELETE", path, **options)

    def kind(self, name: str, *, schema: str, extra_fields: tuple[str, ...] = ()) -> None:
        """Declare a stored kind whose API view is ``components.schemas[schema]`` (plus
        ``extra_fields`` the schema lacks)."""
        self.kinds.append(Kind(name, self.spec, schema, tuple(extra_fields)))

    def extension(
        self,
        method: str,
        path: str,
        *,
        operation_id: str,
        versions: tuple[str, ...],
        security: tuple[Mapping[str, tuple[str, ...]], ...],
        status: int = 200,
        body: Mapping[str, Any] | None = None,
        response: Mapping[str, Any] | None = None,
    ) -> Callable[[H], H]:
        """Decorator registering a handler for an operation the vendored spec does not have.

        Args:
            method: The HTTP method.
            path: The path template (``{name}`` segments are required string path params).
            operation_id: A name for the operation, as a spec's ``operationId``.
            versions: The ``Version`` header values it accepts (the header is required).
            security: Its security requirements, as in a spec (``({"bearer": (scope,)},)``).
            status: The success status (the handler's plain return value is sent with it).
            body: The JSON schema of its request body (validated like a spec body: unknown
                properties are refused), or None for an operation without a body. ``$ref`` s
                resolve against this table's spec file.
            response: The JSON schema of its success body, for documentation and tests.
        """
        doc = f"apps/{self.spec}.json"
        params = [
            Parameter(
                "Version", "header", True, SchemaAt({"type": "string", "enum": list(versions)}, doc)
            )
        ]
        params += [
            Parameter(segment[1:-1], "path", True, SchemaAt({"type": "string"}, doc))
            for segment in split_path(path)
            if _is_param(segment)
        ]
        operation = Operation(
            spec=self.spec,
            method=method.upper(),
            path=path,
            operation_id=operation_id,
            parameters=tuple(params),
            request_body=SchemaAt(body, doc) if body is not None else None,
            request_content_type="application/json" if body is not None else None,
            responses={str(status): SchemaAt(response, doc) if response is not None else None},
            security=security,
        )

        def register(handler: H) -> H:
            self.extensions.append(
                Route(self.spec, method.upper(), path, handler, operation=operation)
            )
            return handler

        return register

    def seeder(self, name: str) -> Callable[[Seeder], Seeder]:
        """Decorator registering how ``Sandbox.seed`` stores objects of kind ``name``.

        A seeder stands in for the GHL UI: it stores objects the public API cannot create
        (pipelines, users, carriers) or that a test wants in place. Kinds without a seeder get
        the generic one (a 20-character id, ``locationId``, the given fields).
        """

        def register(seeder: Seeder) -> Seeder:
            self.seeders[name] = seeder
            return seeder

        return register


@dataclass(frozen=True)
class Match:
    """The operation a request path matched, its handler (None: not emulated) and path params."""

    operation: Operation
    route: Route | None
    path_params: dict[str, str]


def split_path(path: str) -> list[str]:
    """Percent-decoded path segments; trailing slashes are ignored (Express non-strict routing)."""
    trimmed = path.split("?", 1)[0].rstrip("/")
    return [unquote(segment) for segment in trimmed.split("/")[1:]] if trimmed else []


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


class Router:
    """Matches (method, path) to spec operations; literal segments beat ``{params}``.

    Args:
        operations: Every operation of the vendored specs.
        routes: The handlers. Each must name an existing spec operation, or bring its own
            (an extension route, see :meth:`RouteTable.extension`).

    Raises:
        ValueError: A route names an operation the spec does not have, an extension route
            names one the spec has, or two routes name the same operation.
    """

    def __init__(self, operations: Iterable[Operation], routes: Iterable[Route]) -> None:
        by_key = {(op.spec, op.method, op.path): op for op in operations}
        routes = list(routes)
        spec_ops = {(op.method, op.path) for op in by_key.values()}
        for route in routes:
            if route.operation is None:
                continue
            if (route.method, route.path) in spec_ops:
                raise ValueError(
                    f"extension {route.method} {route.path} is in the vendored spec now: "
                    "serve the spec's operation instead"
                )
            by_key[(route.spec, route.method, route.path)] = route.operation
        self._handlers: dict[tuple[str, str, str], Route] = {}
        for route in routes:
            key = (route.spec, route.method, route.path)
            if key not in by_key:
                raise ValueError(
                    f"route {route.method} {route.path} is not in apps/{route.spec}.json"
                )
            if key in self._handlers:
                raise ValueError(f"two handlers for {route.method} {route.path} ({route.spec})")
            self._handlers[key] = route
        self._templates: dict[int, list[tuple[list[str], Operation]]] = {}
        for op in by_key.values():
            segments = split_path(op.path)
            self._templates.setdefault(len(segments), []).append((segments, op))

    @property
    def routes(self) -> list[Route]:
        """The registered routes."""
        return list(self._handlers.values())

    def match(self, method: str, path: str) -> Match | None:
        """The best matching operation for ``method`` and ``path``, or None."""
        segments = split_path(path)
        best: tuple[tuple[int, ...], Match] | None = None
        for template, op in self._templates.get(len(segments), []):
            if op.method != method.upper():
                continue
            params = _bind(template, segments)
            if params is None:
                continue
            route = self._handlers.get((op.spec, op.method, op.path))
            rank = (*(1 if _is_param(s) else 0 for s in template), 0 if route else 1)
            if best is None or rank < best[0]:
                best = (rank, Match(op, route, params))
        return best[1] if best else None


def _bind(template: list[str], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for pattern, segment in zip(template, segments, strict=True):
        if _is_param(pattern):
            if not segment:
                return None
            params[pattern[1:-1]] = segment
        elif pattern != segment:
            return None
    return params
