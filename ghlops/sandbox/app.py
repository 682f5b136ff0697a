"""The sandbox core: routing, ``Version`` header, bearer auth, validation and dispatch.

Request pipeline (each step can answer early with a GHL-shaped error)::

    middleware[0] -> ... -> middleware[-1] -> route -> Version -> auth -> query -> body -> handler

Middleware are plain callables ``(request, call_next) -> response`` kept in
``Sandbox.middleware``. The built-in rate limiter and fault injector (``rate_limit=``,
``faults=``; see :mod:`ghlops.sandbox.middleware`) run after them, in that order. Latency
(``latency=``) and slow answers are a ``delay`` on the response that the transport or HTTP
server waits out, so the core never sleeps (and never under the store lock).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from ghlops.sandbox import handlers
from ghlops.sandbox.auth import (
    INVALID_JWT,
    bearer_token,
    check_scopes,
    check_token_class,
)
from ghlops.sandbox.context import (
    Principal,
    Renderer,
    Reply,
    RequestContext,
    can_access_location,
)
from ghlops.sandbox.errors import (
    SandboxHTTPError,
    bad_request,
    forbidden,
    route_not_found,
    unauthorized,
    unprocessable,
)
from ghlops.sandbox.handlers.oauth import new_refresh_token
from ghlops.sandbox.ids import firestore_id, sandbox_token
from ghlops.sandbox.routing import Match, Router, Seeder
from ghlops.sandbox.spec import Operation, SpecLibrary, default_library
from ghlops.sandbox.store import Store, TokenInfo
from ghlops.sandbox.validation import Validator

if TYPE_CHECKING:
    import httpx

    from ghlops.sandbox.middleware import FaultInjector, RateLimit, RateLimiter
    from ghlops.sandbox.middleware.readings import Readings

logger = logging.getLogger("ghlops.sandbox")

# The official Node SDK's default Version (notes, Appendix D): the live API accepts it although
# no spec enum lists it, so the sandbox accepts it on every operation that requires a Version.
DEFAULT_EXTRA_VERSIONS = ("2023-02-21",)
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class SandboxResponse:
    """An HTTP answer of the sandbox.

    Attributes:
        delay: Seconds the transport or HTTP server waits before delivering the answer
            (latency, slow-answer faults).
    """

    status: int
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0

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
        rate_limit: GHL's rate limits to enforce (``RateLimit()`` for the documented ones), or
            None for none; settable later through the ``rate_limit`` attribute.
        latency: Seconds added to every answer (dropped connections get none), waited out by
            the transport or HTTP server; settable later through ``latency``.
        faults: A :class:`~ghlops.sandbox.middleware.FaultInjector`, or None; settable later
            through ``faults``.
        readings: Which reading of the spec's silences to answer by
            (:class:`~ghlops.sandbox.middleware.readings.Readings`; default: the spec's plain
            reading); settable later through ``readings``.

    ``stats`` (a :class:`~ghlops.sandbox.middleware.RequestStats`) counts every HTTP request,
    also while rate limits are off; :meth:`request_count`, :meth:`throttled_count` and
    :meth:`faults_injected` read it.
    """

    def __init__(
        self,
        db_path: str | os.PathLike[str] | None = None,
        *,
        middleware: Iterable[Middleware] = (),
        extra_versions: Iterable[str] = DEFAULT_EXTRA_VERSIONS,
        raise_server_errors: bool = False,
        library: SpecLibrary | None = None,
        rate_limit: RateLimit | None = None,
        latency: float = 0.0,
        faults: FaultInjector | None = None,
        readings: Readings | None = None,
    ) -> None:
        from ghlops.sandbox.middleware import RequestDescriber, RequestStats  # imports this module

        if latency < 0:
            raise ValueError(f"latency must not be negative, not {latency}")
        self.library = library or default_library()
        self.validator = Validator(self.library)
        self.router = Router(
            self.library.all_operations(), [*handlers.all_routes(), *handlers.all_extensions()]
        )
        self.renderers: dict[str, Renderer] = {
            kind.name: _projector(
                self.validator.property_names(self.library.component(kind.spec, kind.schema))
                + list(kind.extra_fields)
            )
            for kind in handlers.all_kinds()
        }
        self.middleware: list[Middleware] = list(middleware)
        self.extra_versions = tuple(extra_versions)
        self.raise_server_errors = raise_server_errors
        self.store = Store(db_path)
        self.latency = latency
        self.faults = faults
        self.stats = RequestStats()
        self.describer = RequestDescriber(self.router, self.store)
        self._limiter: RateLimiter | None = None
        self.rate_limit = rate_limit
        self._readings: Middleware | None = None
        self.readings = readings

    # -- lifecycle and test helpers ------------------------------------------------------------

    def close(self) -> None:
        """Close the database."""
        self.store.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def provision_location(
        self,
        location_id: str,
        *,
        name: str | None = None,
        token: str | None = None,
        company_id: str | None = None,
        scopes: Iterable[str] | None = None,
    ) -> str:
        """Create a location if missing and return a bearer token for it (idempotent).

        The token is a sub-account Private Integration Token (user type ``Location``).

        Args:
            location_id: The location (sub-account) id.
            name: Its name (default ``"Sandbox location <id>"``; a given name replaces the old).
            token: The token to register; None reuses the location's first PIT or makes one.
            company_id: The agency the location belongs to (created if missing); None leaves
                the location's company as it is.
            scopes: The token's scopes: operations that require a scope outside them answer
                GHL's 401 ``"The token is not authorized for this scope."``. None: every scope
                (a given list replaces the token's earlier one).

        Returns:
            The token.

        Raises:
            ValueError: ``token`` already belongs to someone else, or the location already
                belongs to another company.
        """
        with self.store.transaction():
            if company_id is not None:
                self.store.add_company(company_id)
            self.store.add_location(
                location_id, name or f"Sandbox location {location_id}", company_id
            )
            if name is not None:
                self.store.rename_location(location_id, name)
            if company_id is not None:
                current = (self.store.location(location_id) or {}).get("companyId")
                if current is None:
                    self.store.set_location_company(location_id, company_id)
                elif current != company_id:
                    raise ValueError(f"location {location_id} already belongs to company {current}")
            if token is None:
                existing = self.store.tokens_of_location(location_id, kind="pit")
                token = existing[0] if existing else sandbox_token()
            info = self.store.token_info(token)
            if info is None:
                self.store.add_token(token, location_id=location_id)
            elif info.user_type != "Location" or info.location_id != location_id:
                raise ValueError(f"token already belongs to {_owner_text(info)}")
            self._set_scopes(token, scopes)
            return token

    def provision_agency(
        self, company_id: str, *, token: str | None = None, scopes: Iterable[str] | None = None
    ) -> str:
        """Create an agency (company) if missing and return an agency token for it (idempotent).

        The token is an agency Private Integration Token (user type ``Company``): it is admitted
        by ``Agency-Access`` operations, not by ``Agency-Access-Only`` ones (which need an agency
        OAuth token, see :meth:`issue_refresh_token`). Locations join the agency with
        ``provision_location(..., company_id=...)``.

        Args:
            company_id: The company (agency) id.
            token: The token to register; None reuses the agency's first PIT or makes one.
            scopes: The token's scopes, as for :meth:`provision_location`.

        Returns:
            The token.

        Raises:
            ValueError: ``token`` already belongs to someone else.
        """
        with self.store.transaction():
            self.store.add_company(company_id)
            if token is None:
                existing = self.store.agency_tokens(company_id, kind="pit")
                token = existing[0] if existing else sandbox_token()
            info = self.store.token_info(token)
            if info is None:
                self.store.add_token(
                    token, location_id=None, company_id=company_id, user_type="Company"
                )
            elif info.user_type != "Company" or info.company_id != company_id:
                raise ValueError(f"token already belongs to {_owner_text(info)}")
            self._set_scopes(token, scopes)
            return token

    def _set_scopes(self, token: str, scopes: Iterable[str] | None) -> None:
        if scopes is None:
            return
        info = self.store.token_info(token)
        assert info is not None
        self.store.set_token_data(token, {**info.data, "scopes": sorted(set(scopes))})

    def revoke_token(self, token: str) -> None:
        """Revoke a token: every call with it answers GHL's 401 ``"Invalid JWT"`` from now on.

        Raises:
            ValueError: the token is unknown.
        """
        with self.store.transaction():
            info = self.store.token_info(token)
            if info is None:
                raise ValueError("unknown token")
            self.store.set_token_data(token, {**info.data, "revoked": True})

    def register_oauth_client(self, client_id: str, client_secret: str) -> None:
        """Register a marketplace app's OAuth client (a new secret replaces the old one)."""
        with self.store.transaction():
            self.store.set_oauth_client(client_id, client_secret)

    def issue_refresh_token(
        self,
        client_id: str,
        company_id: str | None = None,
        *,
        location_id: str | None = None,
        scope: str | None = None,
    ) -> str:
        """Stand in for an app installation: a refresh token to exchange at ``POST /oauth/token``.

        With ``company_id`` alone the installation is agency-level (``userType: Company``; the
        company is created if missing); with ``location_id`` it is for that provisioned location
        (``userType: Location``).

        Args:
            client_id: A client registered with :meth:`register_oauth_client`.
            company_id: The installing agency.
            location_id: The installing sub-account, for a location-level installation.
            scope: The granted scopes, space-separated (default: the scopes of the areas the
                sandbox emulates; they are reported, never enforced).

        Returns:
            The refresh token (single use: each refresh answers a new one).

        Raises:
            ValueError: The client is unknown, neither id is given, the location is unknown or
                is not the company's.
        """
        with self.store.transaction():
            if self.store.oauth_client_secret(client_id) is None:
                raise ValueError(f"unknown OAuth client {client_id!r}: register it first")
            if location_id is not None:
                location = self.store.location(location_id)
                if location is None:
                    raise ValueError(f"unknown location {location_id}: provision it first")
                if company_id is not None and location["companyId"] != company_id:
                    raise ValueError(f"location {location_id} is not of company {company_id}")
                grant = {
                    "userType": "Location",
                    "locationId": location_id,
                    "companyId": location["companyId"],
                }
            elif company_id is not None:
                self.store.add_company(company_id)
                grant = {"userType": "Company", "companyId": company_id}
            else:
                raise ValueError("issue_refresh_token needs a company_id or a location_id")
            return new_refresh_token(self.store, client_id, grant, scope=scope)

    def location_for_token(self, token: str) -> str | None:
        """The location a bearer token belongs to (for middleware such as rate limiters)."""
        owner = self.store.token_owner(token)
        return owner[0] if owner else None

    def objects(self, location_id: str, kind: str) -> list[dict[str, Any]]:
        """A location's stored objects of ``kind`` as the API returns them, in creation order.

        Agency-level kinds (``customMenus``) are stored per company: pass the company id.

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
        provisioned when missing. Agency-level kinds (``customMenus``) go under
        ``{"companies": {<companyId>: {<kind>: [...]}}}`` (companies are created when missing).
        Returns the new ids per ``"<locationId or companyId>/<kind>"``.

        Raises:
            ValueError: the data has another shape, or names a kind that is not emulated.
        """
        locations = data.get("locations", {}) if isinstance(data, Mapping) else None
        companies = data.get("companies", {}) if isinstance(data, Mapping) else None
        if (
            not isinstance(locations, Mapping)
            or not isinstance(companies, Mapping)
            or not (locations or companies)
        ):
            raise ValueError(
                "seed data must be a mapping with a 'locations' or 'companies' mapping"
            )
        seeders = handlers.all_seeders()
        created: dict[str, list[str]] = {}
        owners = [("location", o, k) for o, k in locations.items()]
        owners += [("company", o, k) for o, k in companies.items()]
        with self.store.transaction():
            for owner_type, location_id, kinds in owners:
                if not isinstance(kinds, Mapping):
                    raise ValueError(f"{owner_type} {location_id}: expected a mapping of kinds")
                if owner_type == "company":
                    self.store.add_company(str(location_id))
                else:
                    self.store.add_location(
                        str(location_id), f"Sandbox location {location_id}", None
                    )
                for kind, objects in kinds.items():
                    if kind not in self.renderers:
                        known = ", ".join(sorted(self.renderers))
                        raise ValueError(f"cannot seed unknown kind {kind!r} (known: {known})")
                    if not isinstance(objects, list) or not all(
                        isinstance(o, Mapping) for o in objects
                    ):
                        raise ValueError(
                            f"{owner_type} {location_id}: {kind} must be a list of mappings"
                        )
                    seeder = seeders.get(kind, _generic_seeder(kind))
                    created[f"{location_id}/{kind}"] = [
                        seeder(self.store, str(location_id), dict(o)) for o in objects
                    ]
        return created

    def transport(self, sleep: Callable[[float], None] | None = None) -> httpx.BaseTransport:
        """An httpx transport that calls :meth:`handle` in-process; ``sleep`` (default
        ``time.sleep``) waits out latency and slow answers."""
        from ghlops.sandbox.transport import SandboxTransport

        return SandboxTransport(self) if sleep is None else SandboxTransport(self, sleep)

    def async_transport(
        self, sleep: Callable[[float], Awaitable[None]] | None = None
    ) -> httpx.AsyncBaseTransport:
        """An httpx async transport that calls :meth:`handle` in-process; ``sleep`` (default
        ``asyncio.sleep``) waits out latency and slow answers."""
        from ghlops.sandbox.transport import AsyncSandboxTransport

        return AsyncSandboxTransport(self) if sleep is None else AsyncSandboxTransport(self, sleep)

    # -- rate limits, latency, faults and counters ---------------------------------------------

    @property
    def rate_limit(self) -> RateLimit | None:
        """The enforced limits (None: off). Setting it starts every window and day afresh."""
        return self._limiter.config if self._limiter else None

    @rate_limit.setter
    def rate_limit(self, value: RateLimit | None) -> None:
        from ghlops.sandbox.middleware import RateLimiter

        self._limiter = RateLimiter(value, self.describer.describe, self.stats) if value else None

    @property
    def readings(self) -> Readings:
        """The reading of the spec's silences the sandbox answers by."""
        from ghlops.sandbox.middleware.readings import Readings, ReadingsMiddleware

        if isinstance(self._readings, ReadingsMiddleware):
            return self._readings.readings
        return Readings()

    @readings.setter
    def readings(self, value: Readings | None) -> None:
        from ghlops.sandbox.middleware.readings import ReadingsMiddleware

        if value is None or value.is_default:
            self._readings = None
        else:
            self._readings = ReadingsMiddleware(value, self.router, self.describer.describe)

    def request_count(self, resource: str | None = None, *, route: str | None = None) -> int:
        """HTTP requests handled, all or of one location/company and/or one route
        (``"GET /locations/{locationId}/tags"``); see :attr:`stats` for more."""
        return self.stats.requests(resource, route=route)

    def throttled_count(self, resource: str | None = None, *, route: str | None = None) -> int:
        """Requests the rate limiter refused with 429, all or of one resource and/or route."""
        return self.stats.throttled(resource, route=route)

    def faults_injected(self) -> dict[str, int]:
        """Faults injected so far by kind (of ``faults`` and any injector in ``middleware``)."""
        from ghlops.sandbox.middleware import FAULT_KINDS, FaultInjector

        totals = dict.fromkeys(FAULT_KINDS, 0)
        injectors = [m for m in (self.faults, *self.middleware) if isinstance(m, FaultInjector)]
        for injector in dict.fromkeys(injectors):
            for kind, count in injector.injected().items():
                totals[kind] += count
        return totals

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

        Raises:
            ConnectionFault: An injected fault drops the connection instead of answering (see
                :mod:`ghlops.sandbox.middleware.faults`).
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
        builtin = (self._limiter, self.faults, self._readings)
        chain = (*self.middleware, *(m for m in builtin if m is not None))

        def call(index: int, req: SandboxRequest) -> SandboxResponse:
            if index == len(chain):
                return self._dispatch(req)
            return chain[index](req, lambda next_req: call(index + 1, next_req))

        response = self.stats.observe(self.describer.describe(request), lambda: call(0, request))
        if self.latency > 0:
            response = replace(response, delay=response.delay + self.latency)
        return response

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
            raise invalid(op, errors)
        body = self._parse_body(op, request)
        if op.request_body is not None and isinstance(body, dict):
            errors = self.validator.validate_body(
                body, op.request_body, extra_properties=match.route.extra_body_properties
            )
            if errors:
                raise invalid(op, errors)
        elif op.request_body is not None and isinstance(body, list):
            errors = self.validator.validate_array_body(body, op.request_body)
            if errors:
                raise invalid(op, errors)
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
        token = bearer_token(request.header("authorization"))
        info = self.store.token_info(token) if token else None
        if token is None or info is None:
            raise unauthorized()
        if info.data.get("revoked"):
            raise SandboxHTTPError(
                401, {"statusCode": 401, "message": INVALID_JWT, "error": "Unauthorized"}
            )
        check_token_class(op, info)
        check_scopes(op, info)
        principal = Principal(
            token, info.location_id, info.company_id, info.user_type, kind=info.kind
        )
        # A location named in the path or query must be the token's own (an agency token's: one
        # of its company's). A location that does not exist cannot be, so it is answered alike.
        for location_id in (path_params.get("locationId"), query.get("locationId")):
            if location_id is not None and not can_access_location(
                self.store, principal, location_id
            ):
                raise forbidden()
        if principal.user_type == "Company":
            for company_id in (path_params.get("companyId"), query.get("companyId")):
                if company_id is not None and company_id != principal.company_id:
                    raise forbidden("The token does not have access to this company")
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
        if self.validator.takes_array(op.request_body):
            if not isinstance(value, list):
                raise bad_request("Request body must be a JSON array")
            return value
        if not isinstance(value, dict):
            raise bad_request("Request body must be a JSON object")
        return value


def invalid(op: Operation, messages: list[str]) -> SandboxHTTPError:
    """A request that fails validation: 422 (``UnprocessableDTO``) where the operation documents
    422, else 400 with the message list where it documents only 400 (calendars.json)."""
    if "422" not in op.responses and "400" in op.responses:
        return SandboxHTTPError(
            400, {"statusCode": 400, "message": messages, "error": "Bad Request"}
        )
    return unprocessable(messages)


def _owner_text(info: TokenInfo) -> str:
    if info.user_type == "Company":
        return f"company {info.company_id}"
    return f"location {info.location_id}"


def _generic_seeder(kind: str) -> Seeder:
    def seed(store: Store, location_id: str, fields: dict[str, Any]) -> str:
        object_id = str(fields.get("id") or firestore_id())
        store.insert(
            location_id, kind, object_id, {**fields, "id": object_id, "locationId": location_id}
        )
        return object_id

    return seed


def _projector(names: list[str]) -> Renderer:
    keep = tuple(names)

    def render(data: Mapping[str, Any]) -> dict[str, Any]:
        return {name: data[name] for name in keep if name in data}

    return render
