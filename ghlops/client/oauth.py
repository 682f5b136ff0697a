"""GHL's OAuth endpoints (apps/oauth.json): refreshing an agency token and exchanging it for a
location token. Form-encoded bodies, as the spec declares. Tokens are returned, never logged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ghlops.client.client import GhlClient
from ghlops.client.errors import InvalidResponseError

VERSION = "2021-07-28"  # /oauth/locationToken; /oauth/token declares none


@dataclass(frozen=True)
class Grant:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_in: int | None = None
    user_type: str | None = None


def refresh(client: GhlClient, client_id: str, client_secret: str, refresh_token: str) -> Grant:
    """POST /oauth/token with grant_type=refresh_token (``client`` carries no token)."""
    body = client.request(
        "POST",
        "/oauth/token",
        version=None,
        form={
            "client_id": client_id,
            "client_secret": client_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "user_type": "Company",
        },
    )
    return _grant("/oauth/token", body)


def location_token(agency: GhlClient, company_id: str, location_id: str) -> str:
    """POST /oauth/locationToken: an agency OAuth token buys a token for one of its locations."""
    body = agency.request(
        "POST",
        "/oauth/locationToken",
        version=VERSION,
        form={"companyId": company_id, "locationId": location_id},
    )
    return _grant("/oauth/locationToken", body).access_token


def _grant(path: str, body: Any) -> Grant:
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise InvalidResponseError("POST", path, 200, "no access_token in the answer")
    refresh_token = body.get("refresh_token")
    expires = body.get("expires_in")
    return Grant(
        body["access_token"],
        refresh_token if isinstance(refresh_token, str) else None,
        int(expires) if isinstance(expires, int | float) else None,
        str(body.get("userType")) if body.get("userType") else None,
    )
