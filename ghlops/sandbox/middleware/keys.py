"""Who a request counts against: the app (client) and the resource (location or company).

GHL meters its API "for each Marketplace app (i.e., client) per resource (i.e., Location or
Company)" (notes 0.4). The sandbox stands the app in with the OAuth client of an OAuth access
token, or the bearer token itself for a Private Integration Token (each PIT is its own "app"),
and finds the resource in the request, in this order: the path's ``locationId``, the query's
``locationId`` or ``altId``, the path's or query's ``companyId``, a JSON body's ``locationId``
or ``altId``, and last the token's own location or company.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from ghlops.sandbox.auth import bearer_token

if TYPE_CHECKING:
    from ghlops.sandbox.app import SandboxRequest
    from ghlops.sandbox.routing import Router
    from ghlops.sandbox.store import Store, TokenInfo

UNKNOWN_ROUTE = "(unknown route)"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RequestKey:
    """What a request is metered and counted by.

    Attributes:
        app: The OAuth client id of an OAuth token, else the bearer token (registered or not),
            else None (no bearer token).
        resource: The location or company id the request is about, or None.
        route: ``"<METHOD> <spec path template>"``, e.g. ``"GET /locations/{locationId}/tags"``,
            or ``"<METHOD> (unknown route)"``.
    """

    app: str | None
    resource: str | None
    route: str


class RequestDescriber:
    """Computes :class:`RequestKey` s from the sandbox's router and token table (thread-safe).

    The last key computed on each thread is remembered for the same request object, so the
    stats and the rate limiter of one request look it up once.
    """

    def __init__(self, router: Router, store: Store) -> None:
        self._router = router
        self._store = store
        self._last = threading.local()

    def describe(self, request: SandboxRequest) -> RequestKey:
        """The key of ``request``."""
        last = self._last
        if getattr(last, "request", None) is request:
            key: RequestKey = last.key
            return key
        key = self._compute(request)
        last.request, last.key = request, key
        return key

    def _compute(self, request: SandboxRequest) -> RequestKey:
        match = self._router.match(request.method, request.path)
        route = f"{request.method} {match.operation.path if match else UNKNOWN_ROUTE}"
        params = match.path_params if match else {}
        query = dict(parse_qsl(request.query_string, keep_blank_values=True)[::-1])
        token = bearer_token(request.header("authorization"))
        info = self._token_info(token) if token else None
        app = token
        if info is not None and info.kind == "oauth" and info.data.get("client_id"):
            app = str(info.data["client_id"])
        candidates = (
            params.get("locationId"),
            query.get("locationId"),
            query.get("altId"),
            params.get("companyId"),
            query.get("companyId"),
        )
        resource = next((c for c in candidates if c), None)
        if resource is None and request.method in _BODY_METHODS:
            resource = _body_resource(request.body)
        if resource is None and info is not None:
            resource = info.location_id or info.company_id
        return RequestKey(app, resource, route)

    def _token_info(self, token: str) -> TokenInfo | None:
        try:
            return self._store.token_info(token)
        except Exception:  # a failing store is the pipeline's to answer (500), not ours
            return None


def _body_resource(body: bytes) -> str | None:
    if not body or not body.lstrip().startswith(b"{"):
        return None
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    for name in ("locationId", "altId"):
        value = data.get(name) if isinstance(data, dict) else None
        if isinstance(value, str) and value:
            return value
    return None
