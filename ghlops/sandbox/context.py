"""What a handler receives: the validated request, its principal and the store."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ghlops.sandbox.errors import bad_request, forbidden, not_found
from ghlops.sandbox.spec import Operation
from ghlops.sandbox.store import Store, StoredObject

Renderer = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Reply:
    """A handler answer with an explicit status (normally the handler returns only the body and
    the sandbox sends the operation's documented 2xx status)."""

    status: int
    body: Any
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Principal:
    """Who a bearer token belongs to."""

    token: str
    location_id: str | None  # None for agency tokens
    company_id: str | None  # an agency token's company; a location token's location's company
    user_type: str  # "Location" or "Company" (agency), as in GHL's OAuth answers
    kind: str = "pit"  # "pit" (Private Integration Token) or "oauth" (OAuth access token)


def can_access_location(store: Store, principal: Principal, location_id: str) -> bool:
    """True when ``principal`` may act on ``location_id``: a location token on its own location,
    an agency token on an existing location of its company."""
    if principal.user_type == "Company":
        if principal.company_id is None:
            return False
        location = store.location(location_id)
        return location is not None and location["companyId"] == principal.company_id
    return principal.location_id == location_id


@dataclass
class RequestContext:
    """A request that passed routing, Version, auth and schema validation.

    Attributes:
        operation: The spec operation being served.
        path_params: Decoded path parameters by their spec names.
        query: Query parameters (first value of each).
        headers: Request headers, keys lower-cased.
        body: The parsed, validated body (``{}`` when the operation has none).
        principal: The token's owner (None for operations without security).
        store: The database; handler calls already run inside one transaction.
    """

    operation: Operation
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    principal: Principal | None
    store: Store
    renderers: Mapping[str, Renderer]

    @property
    def location_id(self) -> str:
        """The request's location: the ``locationId`` path or query parameter (both already
        checked against the token), else the token's own location.

        Raises:
            SandboxHTTPError: 400 when the request names no location and the token has none.
        """
        location_id = self.path_params.get("locationId") or self.query.get("locationId")
        if location_id is None and self.principal is not None:
            location_id = self.principal.location_id
        if not location_id:
            raise bad_request("locationId is required")
        return location_id

    def check_location(self, location_id: str) -> None:
        """Refuse a location named elsewhere (e.g. in a body) that the token may not act on
        (see :func:`can_access_location`).

        Raises:
            SandboxHTTPError: 403, as for a foreign ``locationId`` in the path.
        """
        if self.principal is None or not can_access_location(
            self.store, self.principal, location_id
        ):
            raise forbidden()

    def render(self, kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """The API view of a stored object: only the fields its spec schema declares."""
        return self.renderers[kind](data)

    def count_param(self, name: str, default: int) -> int:
        """A query parameter that GHL types as a number string (``skip``, ``limit``): 400 when
        it is not a whole number of at least 0."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad_request(f"{name} must be a number string") from None
        if value < 0:
            raise bad_request(f"{name} must not be negative")
        return value

    def owned(self, kind: str, object_id: str, missing: str) -> StoredObject:
        """The ``kind`` object ``object_id`` of this request's location.

        Raises:
            SandboxHTTPError: 404 with message ``missing`` when it does not exist there.
        """
        obj = self.store.get(kind, object_id)
        if obj is None or obj.location_id != self.location_id:
            raise not_found(missing)
        return obj
