"""OAuth 2.0 token endpoints (``apps/oauth.json``): refresh, agency-to-location exchange and the
locations an app is installed on.

Installations are not made through the API (there is no browser consent screen here): the test
helpers ``Sandbox.register_oauth_client`` and ``Sandbox.issue_refresh_token`` stand in for them.
Tokens do not expire in the sandbox (``expires_in`` is reported, never enforced), and scopes are
reported, never enforced. Decisions where the spec is silent:

- ``POST /oauth/token``: an unknown ``client_id`` or a wrong ``client_secret`` answers 401
  (``invalid_client`` in RFC 6749 terms); a refresh token that is unknown, already used (refresh
  tokens rotate on use, notes 0.5) or issued to another client answers 400 (``invalid_grant``).
  Both bodies use the spec's ``UnauthorizedDTO`` / ``BadRequestDTO`` shapes. Only the
  ``refresh_token`` grant is emulated (the others answer 400). ``user_type`` is ignored on refresh:
  the new token has the installation's user type. The old access token stays valid.
- ``POST /oauth/locationToken``: the spec's ``Agency-Access-Only`` admits agency OAuth tokens only
  (an agency PIT or any location token answers 401 before the handler, see ``Sandbox``). A
  ``companyId`` other than the token's, or a location that is not one of that company's, answers
  403 like any location the token may not act on. The new token has no refresh token (v2 answer).
- ``GET /oauth/installedLocations``: every location of the company counts as installed for the
  token's own app (an OAuth client ``<appId>-<suffix>``, as GHL's client ids look) and for no other
  ``appId``; ``count`` is the number of matching locations before ``skip``/``limit``.
"""

from __future__ import annotations

import hmac
from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import SandboxHTTPError, bad_request, forbidden
from ghlops.sandbox.ids import firestore_id, sandbox_token
from ghlops.sandbox.routing import RouteTable
from ghlops.sandbox.store import Store

JSON = Any

routes = RouteTable("oauth")

TOKEN_TYPE = "Bearer"
EXPIRES_IN = 86399  # seconds (the spec's example; notes 0.5: access tokens last a day)
# Reported in token answers when an installation names no scopes: those of the emulated areas.
DEFAULT_SCOPE = " ".join(
    (
        "locations.readonly",
        "locations/tags.readonly",
        "locations/tags.write",
        "locations/customFields.readonly",
        "locations/customFields.write",
        "locations/customValues.readonly",
        "locations/customValues.write",
        "custom-menu-link.readonly",
        "custom-menu-link.write",
        "oauth.readonly",
        "oauth.write",
    )
)
INVALID_GRANT = "Invalid grant: refresh token is invalid or was already used"


def invalid_client() -> SandboxHTTPError:
    """401 for an unknown client or a wrong secret (``UnauthorizedDTO`` shape)."""
    return SandboxHTTPError(
        401,
        {
            "statusCode": 401,
            "message": "Invalid client: client_id or client_secret is invalid",
            "error": "Unauthorized",
        },
    )


def app_id(client_id: str) -> str:
    """The marketplace app of an OAuth client: GHL client ids are ``<appId>-<suffix>``."""
    return client_id.split("-", 1)[0]


def new_refresh_token(
    store: Store, client_id: str, grant: dict[str, Any], *, scope: str | None = None
) -> str:
    """Register and return a new, unused refresh token of ``client_id``.

    Args:
        store: The database.
        client_id: The OAuth client.
        grant: The installation: ``userType``, ``companyId``, ``locationId`` (Location only) and,
            when refreshing, the ``userId`` and ``scope`` it already has.
        scope: The scopes of a new installation (default :data:`DEFAULT_SCOPE`).
    """
    data = {
        **grant,
        "userId": grant.get("userId") or firestore_id(),
        "scope": grant.get("scope") or scope or DEFAULT_SCOPE,
    }
    token = sandbox_token()
    store.add_refresh_token(token, client_id, data)
    return token


@routes.post("/oauth/token")
def get_access_token(ctx: RequestContext) -> JSON:
    body = ctx.body
    client_id = body["client_id"]
    secret = ctx.store.oauth_client_secret(client_id)
    if secret is None or not hmac.compare_digest(secret, body["client_secret"]):
        raise invalid_client()
    if body["grant_type"] != "refresh_token":
        raise bad_request(
            f"grant_type {body['grant_type']} is not emulated by the ghlops sandbox"
            " (only refresh_token is)"
        )
    presented = body.get("refresh_token")
    if not presented:
        raise bad_request("refresh_token is required for grant_type refresh_token")
    grant = ctx.store.refresh_grant(presented)
    if grant is None or grant.client_id != client_id or not ctx.store.use_refresh_token(presented):
        raise bad_request(INVALID_GRANT)
    data = grant.data
    refresh_token = new_refresh_token(ctx.store, client_id, data)
    access_token = sandbox_token()
    is_company = data["userType"] == "Company"
    ctx.store.add_token(
        access_token,
        location_id=None if is_company else data["locationId"],
        company_id=data.get("companyId"),
        user_type=data["userType"],
        kind="oauth",
        data={"client_id": client_id, "user_id": data["userId"], "scope": data["scope"]},
    )
    answer: dict[str, Any] = {
        "access_token": access_token,
        "token_type": TOKEN_TYPE,
        "expires_in": EXPIRES_IN,
        "refresh_token": refresh_token,
        "scope": data["scope"],
        "userType": data["userType"],
    }
    if not is_company:
        answer["locationId"] = data["locationId"]
    if data.get("companyId"):
        answer["companyId"] = data["companyId"]
    if is_company:
        # The installation approved every location, present and future (so the list is read
        # now: locations provisioned since the installation are approved as well).
        locations = ctx.store.locations_of_company(data["companyId"])
        answer["approvedLocations"] = [loc["id"] for loc in locations]
    answer["userId"] = data["userId"]
    if is_company:
        answer.update(isBulkInstallation=True, installToFutureLocations=True)
        answer["approveAllLocations"] = True
    return answer


def _oauth_data(ctx: RequestContext) -> dict[str, Any]:
    """``client_id``, ``user_id``, ``scope`` of the request's (OAuth) token."""
    assert ctx.principal is not None  # the operation requires auth
    info = ctx.store.token_info(ctx.principal.token)
    return dict(info.data) if info is not None else {}


@routes.post("/oauth/locationToken")
def get_location_access_token(ctx: RequestContext) -> JSON:
    principal = ctx.principal
    assert principal is not None  # Agency-Access-Only: an agency OAuth token got here
    if ctx.body["companyId"] != principal.company_id:
        raise forbidden("The token does not have access to this company")
    location_id = ctx.body["locationId"]
    ctx.check_location(location_id)
    data = _oauth_data(ctx)
    token = sandbox_token()
    ctx.store.add_token(
        token,
        location_id=location_id,
        company_id=principal.company_id,
        user_type="Location",
        kind="oauth",
        data=data,
    )
    answer: dict[str, Any] = {
        "access_token": token,
        "token_type": TOKEN_TYPE,
        "expires_in": EXPIRES_IN,
        "scope": data.get("scope") or DEFAULT_SCOPE,
        "locationId": location_id,
        "userId": data.get("user_id") or firestore_id(),
    }
    if data.get("client_id"):
        answer["appId"] = app_id(data["client_id"])
    return answer


@routes.get("/oauth/installedLocations")
def get_installed_locations(ctx: RequestContext) -> JSON:
    company_id = ctx.query["companyId"]  # checked against the token by the sandbox
    client_id = _oauth_data(ctx).get("client_id")
    installed = client_id is not None and app_id(client_id) == ctx.query["appId"]
    locations = ctx.store.locations_of_company(company_id)
    if ctx.query.get("locationId"):
        locations = [loc for loc in locations if loc["id"] == ctx.query["locationId"]]
    text = (ctx.query.get("query") or "").lower()
    if text:
        locations = [loc for loc in locations if text in (loc.get("name") or "").lower()]
    wanted = ctx.query.get("isInstalled")
    if wanted in ("true", "false") and (wanted == "true") is not installed:
        locations = []
    skip, limit = ctx.count_param("skip", 0), ctx.count_param("limit", 20)
    page = locations[skip : skip + limit]
    return {
        "locations": [
            {
                "_id": loc["id"],
                "name": loc.get("name") or "",
                "address": str(loc.get("address") or ""),
                "isInstalled": installed,
            }
            for loc in page
        ],
        "count": len(locations),
        "installToFutureLocations": True,
    }
