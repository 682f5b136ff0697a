"""The sandbox core: routing, ``Version`` header, bearer auth, validation and dispatch.

Request pipeline (each step can answer early with a GHL-shaped error)::

    middleware[0] -> ... -> middleware[-1] -> route -> Version -> auth -> query -> body -> handler

Middleware are plain callables ``(request, call_next) -> response`` kept in
``Sandbox.middleware``; rate limiting (``X-RateLimit-*`` headers, 429), latency and fault
injection are meant to be added there without touching the pipeline.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from ghlops.sandbox import handlers
from ghlops.sandbox.context import Principal, Renderer, Reply, RequestContext
from ghlops.sandbox.errors import (
    SandboxHTTPError,
    bad_request,
    forbidden,
    route_not_found,
    unauthorized,
    unprocessable,
)
from ghlops.sandbox.ids import firestore_id, sandbox_token
from ghlops.sandbox.routing import Match, Router, Seeder
from ghlops.sandbox.spec import Operation, SpecLibrary, default_library
from ghlops.sandbox.store import Store
from ghlops.sandbox.validation import Validator

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("ghlops.sandbox")

# The official Node SDK's default Version (notes, Appendix D): the live API accepts it although
# no spec enum lists it, so the sandbox accepts it on every operation that requires a Version.
DEFAULT_EXTRA_VERSIONS = ("2023-02-21",)
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class SandboxResponse:
    """An HTTP answer of the sandbox."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class SandboxRequest:
    """An HTTP request as the sandbox (and its middleware) sees it.

    Attributes:
        method: Upper-case method.
        target: Path and query string as sent (``/locations/x/tags?y=1``).
        headers: Header values by lower-cased name.
        body: The raw body.
    """

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def path(self) -> str:
        """The target without its query string."""
        return urlsplit(self.target).path or "/"

    @property
    def query_string(self) -> str:
        """The raw query string (no ``?``)."""
        return urlsplit(self.target).query

    def header(self, name: str) -> str | None:
        """A header value by case-insensitive name."""
        return self.headers.get(name.lower())


CallNext = Callable[[SandboxRequest], SandboxResponse]
Middleware = Callable[[SandboxRequest, CallNext], SandboxResponse]


def json_response(
    status: int, body: Any, headers: Mapping[str, str] | None = None
) -> SandboxResponse:
    """A JSON answer (``Content-Type: application/json``) plus optional extra headers."""
    encoded = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return SandboxResponse(status, {**JSON_HEADERS, **(headers or {})}, encoded)


@dataclass
class _Prepared:
    match: Match
    context: RequestContext


class Sandbox:
    """An in-process emulator of the GHL API v2, built from GHL's OpenAPI specs.

    Args:
        db_path: SQLite file that keeps state across restarts, or None for an in-memory store.
        middleware: Initial ``(request, call_next) -> response`` wrappers, outermost first.
        extra_versions: ``Version`` values accepted besides each operation's spec enum.
        raise_server_errors: Re-raise unexpected handler exceptions instead of answering 500
            (useful in tests).
        library: The spec library (defaults to the vendored specs).
    """

    def __init__(
        self,
        db_path: str | os.PathLike[str] | None = None,
        *,
        middleware: Iterable[Middleware] = (),
        extra_versions: Iterable[str] = DEFAULT_EXTRA_VERSIONS,
        raise_server_errors: bool = False,
        library: SpecLibrary | None = None,
    ) -> None:
        self.library = library or default_library()
        self.validator = Validator(self.library)
        self.router = Router(self.library.all_operations(), handlers.all_routes())
        self.renderers: dict[str, Renderer] = {
            kind.name: _projector(
                self.validator.property_names(self.library.component(kind.spec, kind.schema))
            )
            for kind in handlers.all_kinds()
        }
        self.middleware: list[Middleware] = list(middleware)
        self.extra_versions = tuple(extra_versions)
        self.raise_server_errors = raise_server_errors
        self.store = Store(db_path)

    # -- lifecycle and test helpers ------------------------------------------------------------

    def close(self) -> None:
        """Close the database."""
        self.store.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def provision_location(
        self, location_id: str, *, name: str | None = None, token: str | None = None
    ) -> str:
        """Create a location if missing and return a bearer token for it (idempotent).

        Args:
            location_id: The location (sub-account) id.
            name: Its name (default ``"Sandbox location <id>"``; a given name replaces the old).
            token: The token to register; None reuses the location's first token or makes one.

        Returns:
            The token.

        Raises:
            ValueError: ``token`` already belongs to another location.
        """
        with self.store.transaction():
            self.store.add_location(location_id, name or f"Sandbox location {location_id}", None)
            if name is not None:
                self.store.rename_location(location_id, name)
            if token is None:
                existing = self.store.tokens_of_location(location_id)
                if existing:
                    return existing[0]
                token = sandbox_token()
            owner = self.store.token_owner(token)
            if owner is None:
                self.store.add_token(token, location_id=location_id)
            elif owner[0] != location_id:
                raise ValueError(f"token already belongs to location {owner[0]}")
            return token

    def location_for_token(self, token: str) -> str | None:
        """The location a bearer token belongs to (for middleware such as rate limiters)."""
        owner = self.store.token_owner(token)
        return owner[0] if owner else None

    def objects(self, location_id: str, kind: str) -> list[dict[str, Any]]:
        """A location's stored objects of ``kind`` as the API returns them, in creation order.

        Raises:
            ValueError: ``kind`` is not emulated.
        """
        render = self.renderers.get(kind)
        if render is None:
            raise ValueError(f"unknown kind {kind!r}; known: {', '.join(sorted(self.renderers))}")
        return [render(obj.data) for obj in self.store.list(location_id, kind)]

    def seed(self, data: Mapping[str, Any]) -> dict[str, list[str]]:
        """Store objects directly, as a person using the GHL UI would create them.

        ``data`` is ``{"locations": {<locationId>: {<kind>: [<fields>, ...]}}}``; locations are
        provisioned when missing. Returns the new ids per ``"<locationId>/<kind>"``.

        Raises:
            ValueError: the data has another shape, or names a kind that is not emulated.
        """
        locations = data.get("locations") if isinstance(data, Mapping) else None
        if not isinstance(locations, Mapping):
            raise ValueError("seed data must be a mapping with a 'locations' mapping")
        seeders = handlers.all_seeders()
        created: dict[str, list[str]] = {}
        with self.store.transaction():
            for location_id, kinds in locations.items():
                if not isinstance(kinds, Mapping):
                    raise ValueError(f"location {location_id}: expected a mapping of kinds")
                self.store.add_location(str(location_id), f"Sandbox location {location_id}", None)
                for kind, objects in kinds.items():
                    if kind not in self.renderers:
                        known = ", ".join(sorted(self.renderers))
                        raise ValueError(f"cannot seed unknown kind {kind!r} (known: {known})")
                    if not isinstance(objects, list) or not all(
                        isinstance(o, Mapping) for o in objects
                    ):
                        raise ValueError(
                            f"location {location_id}: {kind} must be a list of mappings"
                        )
                    seeder = seeders.get(kind, _generic_seeder(kind))
                    created[f"{location_id}/{kind}"] = [
                        seeder(self.store, str(location_id), dict(o)) for o in objects
                    ]
        return created

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport that calls :meth:`handle` in-process."""
        from ghlops.sandbox.transport import SandboxTransport

        return SandboxTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An httpx async transport that calls :meth:`handle` in-process."""
        from ghlops.sandbox.transport import AsyncSandboxTransport

        return AsyncSandboxTransport(self)

    # -- request handling ----------------------------------------------------------------------

    def handle(
        self, method: str, url_path_with_query: str, headers: Mapping[str, str], body: bytes
    ) -> SandboxResponse:
        """Answer one HTTP request.

        Args:
            method: The HTTP method.
            url_path_with_query: The request target, e.g. ``/locations/x/customFields?model=all``.
            headers: Request headers (any case).
            body: The raw request body.

        Returns:
            The response (JSON body, GHL status codes and error shapes).
        """
        target = url_path_with_query or "/"
        if not target.startswith("/"):  # an absolute URL: keep only path and query
            parts = urlsplit(target)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = SandboxRequest(
            method.upper(),
            target,
            {k.lower(): v for k, v in headers.items()},
            body or b"",
        )
        chain = tuple(self.middleware)

        def call(index: int, req: SandboxRequest) -> SandboxResponse:
            if index == len(chain):
                return self._dispatch(req)
            return chain[index](req, lambda next_req: call(index + 1, next_req))

        return call(0, request)

    def _dispatch(self, request: SandboxRequest) -> SandboxResponse:
        try:
            prepared = self._prepare(request)
            route = prepared.match.route
            assert route is not None  # _prepare refuses unemulated routes
            with self.store.transaction():
                result = route.handler(prepared.context)
        except SandboxHTTPError as exc:
            return json_response(exc.status, exc.body)
        except Exception:
            if self.raise_server_errors:
                raise
            logger.exception("sandbox handler failed: %s %s", request.method, request.target)
            return json_response(500, {"statusCode": 500, "message": "Internal server error"})
        if isinstance(result, Reply):
            return json_response(result.status, result.body, result.headers)
        return json_response(prepared.match.operation.success_status, result)

    def _prepare(self, request: SandboxRequest) -> _Prepared:
        match = self.router.match(request.method, request.path)
        if match is None or match.route is None:
            raise route_not_found(request.method, request.target, known_to_spec=match is not None)
        op = match.operation
        self._check_version(op, request)
        query = dict(parse_qsl(request.query_string, keep_blank_values=True)[::-1])
        principal = self._authorize(op, request, match.path_params, query)
        errors = self.validator.validate_query(query, op)
        if errors:
            raise unprocessable(errors)
        body = self._parse_body(op, request)
        if op.request_body is not None and isinstance(body, dict):
            errors = self.validator.validate_body(
                body, op.request_body, extra_properties=match.route.extra_body_properties
            )
            if errors:
                raise unprocessable(errors)
        context = RequestContext(
            operation=op,
            path_params=match.path_params,
            query=query,
            headers=dict(request.headers),
            body=body,
            principal=principal,
            store=self.store,
            renderers=self.renderers,
        )
        return _Prepared(match, context)

    def _check_version(self, op: Operation, request: SandboxRequest) -> None:
        allowed = op.version_values
        if allowed is None:
            return  # e.g. the store.json operations declare no Version header
        value = request.header("version")
        if not value:
            raise bad_request("Version header was not found")
        accepted = (*allowed, *self.extra_versions)
        if value not in accepted:
            raise bad_request(
                f"Version header value {value!r} is invalid; accepted: {', '.join(accepted)}"
            )

    def _authorize(
        self,
        op: Operation,
        request: SandboxRequest,
        path_params: Mapping[str, str],
        query: Mapping[str, str],
    ) -> Principal | None:
        if not op.requires_auth:
            return None
        token = _bearer(request.header("authorization"))
        owner = self.store.token_owner(token) if token else None
        if token is None or owner is None:
            raise unauthorized()
        principal = Principal(token, *owner)
        # A location named in the path or query must be the token's own. A location that does
        # not exist cannot be the token's, so it is answered the same way.
        for location_id in (path_params.get("locationId"), query.get("locationId")):
            if location_id is not None and location_id != principal.location_id:
                raise forbidden()
        return principal

    def _parse_body(self, op: Operation, request: SandboxRequest) -> Any:
        if op.request_body is None:
            return {}
        content_type = (request.header("content-type") or op.request_content_type or "").lower()
        if "x-www-form-urlencoded" in content_type:
            return dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        if "multipart/" in content_type:
            return {}  # file uploads are not emulated
        if not request.body.strip():
            return {}  # like Express' body parser: an empty body is {}
        try:
            value = json.loads(request.body)
        except UnicodeDecodeError as exc:
            raise bad_request(f"Request body is not UTF-8: {exc.reason}") from exc
        except json.JSONDecodeError as exc:
            raise bad_request(f"Unexpected token in JSON at position {exc.pos}") from exc
        if not isinstance(value, dict):
            raise bad_request("Request body must be a JSON object")
        return value


def _generic_seeder(kind: str) -> Seeder:
    def seed(store: Store, location_id: str, fields: dict[str, Any]) -> str:
        object_id = str(fields.get("id") or firestore_id())
        store.insert(
            location_id, kind, object_id, {**fields, "id": object_id, "locationId": location_id}
        )
        return object_id

    return seed


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _projector(names: list[str]) -> Renderer:
    keep = tuple(names)

    def render(data: Mapping[str, Any]) -> dict[str, Any]:
        return {name: data[name] for name in keep if name in data}

    return render
