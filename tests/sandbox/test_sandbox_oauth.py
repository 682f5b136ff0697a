"""OAuth (``apps/oauth.json``): refresh-token rotation at ``POST /oauth/token``, the agency to
location exchange at ``POST /oauth/locationToken`` and ``GET /oauth/installedLocations``; every
answer spec-checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ghlops.sandbox import Sandbox
from ghlops.sandbox.auth import AUTH_CLASS_NOT_ALLOWED, USER_TYPE_MISMATCH
from ghlops.sandbox.handlers.oauth import DEFAULT_SCOPE
from tests.helpers.sandbox import LOC, OTHER_LOC, make_client

COMPANY = "tDtDnQdgm2LXpyiqYvZ6"
OTHER_COMPANY = "Xq1wErTy2uIoPaSdFgH3"
THIRD_LOC = "gfWreTIHL8pDbggBb7af"
APP_ID = "6578278e879ad2646715ba9c"
CLIENT_ID = f"{APP_ID}-lq4sb5tt"
CLIENT_SECRET = "s3cr3t-value"
FORBIDDEN_LOCATION = {
    "statusCode": 403,
    "message": "The token does not have access to this location",
    "error": "Forbidden",
}
AUTH_CLASS = {"statusCode": 401, "message": AUTH_CLASS_NOT_ALLOWED, "error": "Unauthorized"}
MISMATCH = {"statusCode": 401, "message": USER_TYPE_MISMATCH, "error": "Unauthorized"}


@pytest.fixture
def installed(sb: Sandbox) -> str:
    """An agency with two locations (and a foreign one elsewhere) that installed the app;
    returns the installation's refresh token."""
    sb.provision_location(LOC, name="Main", company_id=COMPANY)
    sb.provision_location(THIRD_LOC, name="Third", company_id=COMPANY)
    sb.provision_location(OTHER_LOC, name="Elsewhere", company_id=OTHER_COMPANY)
    sb.register_oauth_client(CLIENT_ID, CLIENT_SECRET)
    return sb.issue_refresh_token(CLIENT_ID, COMPANY)


@pytest.fixture
def anonymous(sb: Sandbox) -> Iterator[httpx.Client]:
    """No Authorization and no Version header: ``POST /oauth/token`` declares neither."""
    with make_client(sb.transport(), token=None, version=None) as c:
        yield c


def refresh(client: httpx.Client, refresh_token: str, **overrides: str) -> httpx.Response:
    form = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        **overrides,
    }
    return client.post("/oauth/token", data=form)


def agency_access_token(client: httpx.Client, refresh_token: str) -> str:
    response = refresh(client, refresh_token)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


# -- POST /oauth/token --------------------------------------------------------------------


def test_refresh_answers_a_company_token(
    sb: Sandbox, anonymous: httpx.Client, installed: str
) -> None:
    response = refresh(anonymous, installed)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "access_token": body["access_token"],
        "token_type": "Bearer",
        "expires_in": 86399,
        "refresh_token": body["refresh_token"],
        "scope": DEFAULT_SCOPE,
        "userType": "Company",
        "companyId": COMPANY,
        "approvedLocations": [LOC, THIRD_LOC],
        "userId": body["userId"],
        "isBulkInstallation": True,
        "installToFutureLocations": True,
        "approveAllLocations": True,
    }
    assert body["access_token"] != installed and body["refresh_token"] != installed
    assert len(body["userId"]) == 20
    info = sb.store.token_info(body["access_token"])
    assert info is not None
    assert (info.user_type, info.kind, info.company_id, info.location_id) == (
        "Company",
        "oauth",
        COMPANY,
        None,
    )


def test_refreshed_token_is_an_agency_token(
    sb: Sandbox, anonymous: httpx.Client, installed: str
) -> None:
    token = agency_access_token(anonymous, installed)
    with make_client(sb.transport(), token=token) as client:
        response = client.post(
            "/custom-menus/",
            json={
                "title": "Docs",
                "url": "https://docs.example.com/",
                "icon": {"name": "book", "fontFamily": "fas"},
                "showOnCompany": True,
                "showOnLocation": False,
                "showToAllLocations": True,
                "openMode": "new_tab",
                "locations": [],
                "userRole": "all",
            },
        )
        assert response.status_code == 201
        # An agency OAuth token on a sub-account operation: refused for its class.
        response = client.get(f"/locations/{LOC}/tags")
        assert response.status_code == 401
        assert response.json() == AUTH_CLASS
    assert [m["title"] for m in sb.objects(COMPANY, "customMenus")] == ["Docs"]


def test_refresh_tokens_rotate_on_use(sb: Sandbox, anonymous: httpx.Client, installed: str) -> None:
    first = refresh(anonymous, installed).json()
    second = refresh(anonymous, first["refresh_token"]).json()
    third = refresh(anonymous, second["refresh_token"]).json()
    tokens = {installed, first["refresh_token"], second["refresh_token"], third["refresh_token"]}
    assert len(tokens) == 4
    assert len({first["access_token"], second["access_token"], third["access_token"]}) == 3
    assert first["userId"] == second["userId"] == third["userId"]  # the same installation
    # Access tokens stay valid until they expire (expiry is not modelled).
    for body in (first, second, third):
        with make_client(sb.transport(), token=body["access_token"]) as client:
            assert client.get("/custom-menus/").status_code == 200


@pytest.mark.parametrize("used", [0, 1])
def test_a_used_refresh_token_is_refused(
    anonymous: httpx.Client, installed: str, used: int
) -> None:
    chain = [installed]
    for _ in range(2):
        chain.append(refresh(anonymous, chain[-1]).json()["refresh_token"])
    response = refresh(anonymous, chain[used])
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"statusCode", "message"} and body["statusCode"] == 400
    assert "refresh token" in body["message"]
    assert refresh(anonymous, chain[-1]).status_code == 200  # the newest one still works


def test_unknown_refresh_token_is_400(anonymous: httpx.Client, installed: str) -> None:
    response = refresh(anonymous, "never-issued")
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400


def test_refresh_token_of_another_client_is_400(
    sb: Sandbox, anonymous: httpx.Client, installed: str
) -> None:
    sb.register_oauth_client("other-app-id-x", "other-secret")
    response = refresh(
        anonymous, installed, client_id="other-app-id-x", client_secret="other-secret"
    )
    assert response.status_code == 400
    assert refresh(anonymous, installed).status_code == 200  # it was not consumed


@pytest.mark.parametrize(
    "overrides",
    [{"client_id": "unknown-client"}, {"client_secret": "wrong"}],
)
def test_unknown_client_or_wrong_secret_is_401(
    anonymous: httpx.Client, installed: str, overrides: dict[str, str]
) -> None:
    response = refresh(anonymous, installed, **overrides)
    assert response.status_code == 401
    body = response.json()
    assert body["statusCode"] == 401 and body["error"] == "Unauthorized"
    assert "client" in body["message"]
    assert refresh(anonymous, installed).status_code == 200  # it was not consumed


def test_other_grant_types_are_not_emulated(anonymous: httpx.Client, installed: str) -> None:
    response = refresh(anonymous, installed, grant_type="authorization_code", code="abc")
    assert response.status_code == 400
    assert "not emulated" in response.json()["message"]
    response = anonymous.post(
        "/oauth/token",
        data={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "grant_type": "refresh_token",
        },
    )
    assert response.status_code == 400
    assert response.json()["message"] == "refresh_token is required for grant_type refresh_token"


def test_token_request_is_validated(anonymous: httpx.Client, installed: str) -> None:
    response = anonymous.post("/oauth/token", data={"client_id": CLIENT_ID, "grant_type": "x"})
    assert response.status_code == 422
    messages = response.json()["message"]
    assert "client_secret should not be empty" in messages
    assert any(m.startswith("grant_type must be one of the following values") for m in messages)


def test_location_installation_answers_a_location_token(
    sb: Sandbox, anonymous: httpx.Client, installed: str
) -> None:
    refresh_token = sb.issue_refresh_token(CLIENT_ID, location_id=LOC, scope="locations/tags.write")
    body = refresh(anonymous, refresh_token).json()
    assert body["userType"] == "Location"
    assert body["locationId"] == LOC and body["companyId"] == COMPANY
    assert body["scope"] == "locations/tags.write"
    assert "approvedLocations" not in body and "installToFutureLocations" not in body
    with make_client(sb.transport(), token=body["access_token"]) as client:
        assert client.post(f"/locations/{LOC}/tags", json={"name": "vip"}).status_code == 200
        assert client.get(f"/locations/{THIRD_LOC}/tags").status_code == 403
        response = client.get("/custom-menus/")
        assert response.status_code == 401
        assert response.json() == AUTH_CLASS


def test_approved_locations_include_later_locations(
    sb: Sandbox, anonymous: httpx.Client, installed: str
) -> None:
    sb.provision_location("NewLocation000000001", company_id=COMPANY)
    body = refresh(anonymous, installed).json()
    assert body["approvedLocations"] == [LOC, THIRD_LOC, "NewLocation000000001"]


def test_issue_refresh_token_refuses_bad_arguments(sb: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown OAuth client"):
        sb.issue_refresh_token("nobody", COMPANY)
    sb.register_oauth_client(CLIENT_ID, CLIENT_SECRET)
    with pytest.raises(ValueError, match="company_id or a location_id"):
        sb.issue_refresh_token(CLIENT_ID)
    with pytest.raises(ValueError, match="unknown location"):
        sb.issue_refresh_token(CLIENT_ID, location_id="missing")
    sb.provision_location(LOC, company_id=COMPANY)
    with pytest.raises(ValueError, match="is not of company"):
        sb.issue_refresh_token(CLIENT_ID, OTHER_COMPANY, location_id=LOC)
    assert sb.issue_refresh_token(CLIENT_ID, OTHER_COMPANY)  # a new company is created
    assert sb.store.company_exists(OTHER_COMPANY)


def test_register_oauth_client_replaces_the_secret(
    sb: Sandbox, anonymous: httpx.Client, installed: str
) -> None:
    sb.register_oauth_client(CLIENT_ID, "rotated")
    assert refresh(anonymous, installed).status_code == 401
    assert refresh(anonymous, installed, client_secret="rotated").status_code == 200


# -- POST /oauth/locationToken ------------------------------------------------------------


@pytest.fixture
def agency_oauth(sb: Sandbox, anonymous: httpx.Client, installed: str) -> Iterator[httpx.Client]:
    with make_client(sb.transport(), token=agency_access_token(anonymous, installed)) as c:
        yield c


def location_token(client: httpx.Client, **form: str) -> httpx.Response:
    return client.post(
        "/oauth/locationToken", data={"companyId": COMPANY, "locationId": LOC, **form}
    )


def test_location_token_for_a_location_of_the_company(
    sb: Sandbox, agency_oauth: httpx.Client
) -> None:
    response = location_token(agency_oauth)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "access_token": body["access_token"],
        "token_type": "Bearer",
        "expires_in": 86399,
        "scope": DEFAULT_SCOPE,
        "locationId": LOC,
        "userId": body["userId"],
        "appId": APP_ID,
    }
    assert "refresh_token" not in body
    info = sb.store.token_info(body["access_token"])
    assert info is not None
    assert (info.user_type, info.kind, info.location_id, info.company_id) == (
        "Location",
        "oauth",
        LOC,
        COMPANY,
    )
    with make_client(sb.transport(), token=body["access_token"]) as client:
        assert client.post(f"/locations/{LOC}/tags", json={"name": "vip"}).status_code == 200
        response = client.get(f"/locations/{THIRD_LOC}/tags")
        assert response.status_code == 403
        assert response.json() == FORBIDDEN_LOCATION
    assert [t["name"] for t in sb.objects(LOC, "tags")] == ["vip"]
    # Each exchange is a new token; the location's own PIT stays its provisioned token.
    assert location_token(agency_oauth).json()["access_token"] != body["access_token"]
    assert sb.provision_location(LOC) == sb.store.tokens_of_location(LOC, kind="pit")[0]


def test_location_token_for_another_companys_location_is_403(
    sb: Sandbox, agency_oauth: httpx.Client
) -> None:
    for location_id in (OTHER_LOC, "doesNotExist00000000"):
        response = location_token(agency_oauth, locationId=location_id)
        assert response.status_code == 403
        assert response.json() == FORBIDDEN_LOCATION
    response = location_token(agency_oauth, companyId=OTHER_COMPANY, locationId=OTHER_LOC)
    assert response.status_code == 403
    assert response.json()["message"] == "The token does not have access to this company"
    assert sb.store.tokens_of_location(OTHER_LOC, kind="oauth") == []


def test_location_token_refuses_an_agency_pit(sb: Sandbox, installed: str) -> None:
    pit = sb.provision_agency(COMPANY)
    with make_client(sb.transport(), token=pit) as client:
        response = location_token(client)
        assert response.status_code == 401
        assert response.json() == AUTH_CLASS
        assert client.get("/custom-menus/").status_code == 200  # Agency-Access admits the PIT
    assert sb.store.tokens_of_location(LOC, kind="oauth") == []


def test_location_token_refuses_location_tokens(sb: Sandbox, agency_oauth: httpx.Client) -> None:
    location_pit = sb.provision_location(LOC)
    with make_client(sb.transport(), token=location_pit) as client:
        response = location_token(client)
        assert response.status_code == 401
        assert response.json() == MISMATCH
    location_oauth = location_token(agency_oauth).json()["access_token"]
    with make_client(sb.transport(), token=location_oauth) as client:
        response = location_token(client)
        assert response.status_code == 401
        assert response.json() == AUTH_CLASS


def test_location_token_needs_version_and_fields(sb: Sandbox, agency_oauth: httpx.Client) -> None:
    response = agency_oauth.post(
        "/oauth/locationToken",
        data={"companyId": COMPANY, "locationId": LOC},
        headers={"Version": ""},
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Version header was not found"
    response = agency_oauth.post("/oauth/locationToken", data={"companyId": COMPANY})
    assert response.status_code == 422
    assert response.json()["message"] == [
        "locationId should not be empty",
        "locationId must be a string",
    ]


def test_location_token_without_token_is_401(sb: Sandbox, installed: str) -> None:
    with make_client(sb.transport(), token=None) as client:
        response = location_token(client)
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid token: access token is invalid"


# -- GET /oauth/installedLocations --------------------------------------------------------


def installed_locations(client: httpx.Client, **params: Any) -> httpx.Response:
    return client.get(
        "/oauth/installedLocations", params={"companyId": COMPANY, "appId": APP_ID, **params}
    )


def test_installed_locations(agency_oauth: httpx.Client) -> None:
    response = installed_locations(agency_oauth)
    assert response.status_code == 200
    assert response.json() == {
        "locations": [
            {"_id": LOC, "name": "Main", "address": "", "isInstalled": True},
            {"_id": THIRD_LOC, "name": "Third", "address": "", "isInstalled": True},
        ],
        "count": 2,
        "installToFutureLocations": True,
    }


def test_installed_locations_pages_and_filters(agency_oauth: httpx.Client) -> None:
    page = installed_locations(agency_oauth, skip="1", limit="1").json()
    assert [loc["_id"] for loc in page["locations"]] == [THIRD_LOC]
    assert page["count"] == 2
    assert [
        loc["_id"] for loc in installed_locations(agency_oauth, query="MAI").json()["locations"]
    ] == [LOC]
    assert installed_locations(agency_oauth, locationId=THIRD_LOC).json()["count"] == 1
    assert installed_locations(agency_oauth, isInstalled="false").json()["count"] == 0
    other_app = installed_locations(agency_oauth, appId="someOtherApp").json()
    assert [loc["isInstalled"] for loc in other_app["locations"]] == [False, False]
    response = installed_locations(agency_oauth, skip="many")
    assert response.status_code == 400


def test_installed_locations_of_another_company_is_403(
    sb: Sandbox, agency_oauth: httpx.Client
) -> None:
    response = installed_locations(agency_oauth, companyId=OTHER_COMPANY)
    assert response.status_code == 403
    assert response.json()["message"] == "The token does not have access to this company"
    with make_client(sb.transport(), token=sb.provision_agency(COMPANY)) as pit:
        response = installed_locations(pit)
        assert response.status_code == 401
        assert response.json() == AUTH_CLASS
