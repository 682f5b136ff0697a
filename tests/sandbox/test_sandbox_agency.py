"""Agency principals: ``provision_agency``, companies owning locations, each operation's security
schemes (Location vs Agency, PIT vs OAuth) and custom menu links (``apps/custom-menus.json``);
every answer spec-checked."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ghlops.sandbox import Sandbox
from ghlops.sandbox.auth import AUTH_CLASS_NOT_ALLOWED, USER_TYPE_MISMATCH, admitted_tokens
from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.routing import Route, Router
from ghlops.sandbox.spec import default_library
from tests.helpers.sandbox import LOC, OTHER_LOC, make_client
from tests.helpers.spec_check import check_response

COMPANY = "tDtDnQdgm2LXpyiqYvZ6"
OTHER_COMPANY = "Xq1wErTy2uIoPaSdFgH3"
THIRD_LOC = "gfWreTIHL8pDbggBb7af"  # a location of COMPANY besides LOC
MENUS = "/custom-menus/"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
FORBIDDEN = {
    "statusCode": 403,
    "message": "The token does not have access to this location",
    "error": "Forbidden",
}
MISMATCH = {"statusCode": 401, "message": USER_TYPE_MISMATCH, "error": "Unauthorized"}
AUTH_CLASS = {"statusCode": 401, "message": AUTH_CLASS_NOT_ALLOWED, "error": "Unauthorized"}
MENU_FIELDS = {
    "id",
    "icon",
    "title",
    "url",
    "order",
    "showOnCompany",
    "showOnLocation",
    "showToAllLocations",
    "locations",
    "openMode",
    "userRole",
    "allowCamera",
    "allowMicrophone",
}


def menu_body(title: str = "Dashboard", **overrides: Any) -> dict[str, Any]:
    """A valid CreateCustomMenuDTO."""
    body: dict[str, Any] = {
        "title": title,
        "url": "https://custom-menus.com/",
        "icon": {"name": "yin-yang", "fontFamily": "fas"},
        "showOnCompany": True,
        "showOnLocation": True,
        "showToAllLocations": True,
        "openMode": "iframe",
        "locations": [],
        "userRole": "all",
    }
    body.update(overrides)
    return body


@pytest.fixture
def agency_token(sb: Sandbox) -> str:
    token = sb.provision_agency(COMPANY)
    sb.provision_location(LOC, name="Main", company_id=COMPANY)
    sb.provision_location(THIRD_LOC, name="Third", company_id=COMPANY)
    sb.provision_location(OTHER_LOC, name="Elsewhere", company_id=OTHER_COMPANY)
    return token


@pytest.fixture
def agency(sb: Sandbox, agency_token: str) -> Iterator[httpx.Client]:
    with make_client(sb.transport(), token=agency_token) as c:
        yield c


def create(client: httpx.Client, title: str = "Dashboard", **overrides: Any) -> dict[str, Any]:
    response = client.post(MENUS, json=menu_body(title, **overrides))
    assert response.status_code == 201, response.text
    menu: dict[str, Any] = response.json()["customMenu"]
    return menu


# -- provisioning -------------------------------------------------------------------------


def test_provision_agency_is_idempotent(sb: Sandbox) -> None:
    token = sb.provision_agency(COMPANY)
    assert token.startswith("sbx-") and len(token) == 36
    assert sb.provision_agency(COMPANY) == token
    assert sb.store.company_exists(COMPANY)
    info = sb.store.token_info(token)
    assert info is not None
    assert (info.location_id, info.company_id, info.user_type, info.kind) == (
        None,
        COMPANY,
        "Company",
        "pit",
    )
    assert sb.location_for_token(token) is None


def test_provision_agency_with_explicit_tokens(sb: Sandbox) -> None:
    assert sb.provision_agency(COMPANY, token="agency-a") == "agency-a"
    assert sb.provision_agency(COMPANY, token="agency-a") == "agency-a"
    assert sb.provision_agency(COMPANY, token="agency-b") == "agency-b"
    assert sb.provision_agency(COMPANY) == "agency-a"  # the first one comes back
    with pytest.raises(ValueError, match=COMPANY):
        sb.provision_agency(OTHER_COMPANY, token="agency-a")
    assert not sb.store.company_exists(OTHER_COMPANY)  # the failed call left nothing behind
    sb.provision_location(LOC, token="loc-a")
    with pytest.raises(ValueError, match=LOC):
        sb.provision_agency(OTHER_COMPANY, token="loc-a")
    with pytest.raises(ValueError, match=COMPANY):
        sb.provision_location(LOC, token="agency-a")


def test_provision_location_with_company(sb: Sandbox) -> None:
    token = sb.provision_location(LOC, company_id=COMPANY)
    assert sb.store.location(LOC) == {
        "id": LOC,
        "name": f"Sandbox location {LOC}",
        "companyId": COMPANY,
    }
    assert sb.store.company_exists(COMPANY)
    assert sb.provision_location(LOC, company_id=COMPANY) == token
    assert sb.provision_location(LOC) == token  # omitting the company keeps it
    assert sb.store.location(LOC)["companyId"] == COMPANY  # type: ignore[index]
    with pytest.raises(ValueError, match="already belongs to company"):
        sb.provision_location(LOC, company_id=OTHER_COMPANY)
    assert sb.store.token_owner(token) == (LOC, COMPANY, "Location")


def test_a_location_joins_a_company_later(sb: Sandbox) -> None:
    token = sb.provision_location(LOC)
    assert sb.store.token_owner(token) == (LOC, None, "Location")
    assert sb.provision_location(LOC, company_id=COMPANY) == token
    assert sb.store.token_owner(token) == (LOC, COMPANY, "Location")
    assert [loc["id"] for loc in sb.store.locations_of_company(COMPANY)] == [LOC]


# -- security schemes ---------------------------------------------------------------------


def _op(spec: str, method: str, path: str) -> Any:
    ops = {(op.method, op.path): op for op in default_library().operations(spec)}
    return ops[(method, path)]


LOCATION_ANY = {("Location", "pit"), ("Location", "oauth")}
AGENCY_ANY = {("Company", "pit"), ("Company", "oauth")}


@pytest.mark.parametrize(
    ("spec", "method", "path", "admitted"),
    [
        ("locations", "GET", "/locations/{locationId}/tags", LOCATION_ANY),  # bearer
        ("funnels", "POST", "/funnels/lookup/redirect", LOCATION_ANY),  # Location-Access
        ("products", "GET", "/products/", LOCATION_ANY | AGENCY_ANY),  # Location OR Agency
        ("custom-menus", "GET", "/custom-menus/", AGENCY_ANY),  # Agency-Access
        ("oauth", "POST", "/oauth/locationToken", {("Company", "oauth")}),  # Agency-Access-Only
        # No security, but an Authorization header: treated as Location-Access.
        ("store", "POST", "/store/shipping-zone/shipping-rates", LOCATION_ANY),
    ],
)
def test_admitted_tokens_follow_the_spec(
    spec: str, method: str, path: str, admitted: set[tuple[str, str]]
) -> None:
    assert admitted_tokens(_op(spec, method, path)) == admitted


def test_location_token_on_agency_operation_is_401(sb: Sandbox, agency_token: str) -> None:
    location_token = sb.provision_location(LOC)
    with make_client(sb.transport(), token=location_token) as client:
        for response in (
            client.get(MENUS),
            client.post(MENUS, json=menu_body()),
            client.get(f"{MENUS}62e589c1-c456-47e1-a9a7-cb8900014311"),
        ):
            assert response.status_code == 401
            assert response.json() == MISMATCH
    assert sb.objects(COMPANY, "customMenus") == []


def test_agency_token_on_location_only_operation_is_401(sb: Sandbox, agency: httpx.Client) -> None:
    for response in (
        agency.get(f"/locations/{LOC}/tags"),  # a location of its own company
        agency.post(f"/locations/{LOC}/customValues", json={"name": "a", "value": "b"}),
    ):
        assert response.status_code == 401
        assert response.json() == MISMATCH
    assert sb.objects(LOC, "customValues") == []


def test_unknown_token_on_agency_operation_is_plain_401(sb: Sandbox, agency_token: str) -> None:
    with make_client(sb.transport(), token="nope") as client:
        response = client.get(MENUS)
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid token: access token is invalid"


@pytest.fixture
def products_calls(sb: Sandbox) -> list[RequestContext]:
    """Give the sandbox a stub for ``GET /products/`` (Location-Access OR Agency-Access) and
    record the requests it serves."""
    calls: list[RequestContext] = []

    def list_products(ctx: RequestContext) -> dict[str, Any]:
        calls.append(ctx)
        return {"products": [], "total": []}

    key = ("products", "GET", "/products/")
    kept = [r for r in sb.router.routes if (r.spec, r.method, r.path) != key]
    sb.router = Router(sb.library.all_operations(), [*kept, Route(*key, list_products)])
    return calls


def test_either_scheme_admits_both_token_types(
    sb: Sandbox, agency: httpx.Client, products_calls: list[RequestContext]
) -> None:
    response = agency.get("/products/", params={"locationId": LOC})
    assert response.status_code == 200
    principal = products_calls[-1].principal
    assert principal is not None
    assert (principal.user_type, principal.company_id, principal.location_id) == (
        "Company",
        COMPANY,
        None,
    )
    assert products_calls[-1].location_id == LOC
    products_calls[-1].check_location(THIRD_LOC)  # another location of its company: allowed
    location_token = sb.provision_location(LOC)
    with make_client(sb.transport(), token=location_token) as client:
        assert client.get("/products/", params={"locationId": LOC}).status_code == 200
    assert products_calls[-1].principal is not None
    assert products_calls[-1].principal.user_type == "Location"


def test_agency_token_on_a_location_of_another_company_is_403(
    agency: httpx.Client, products_calls: list[RequestContext]
) -> None:
    for location_id in (OTHER_LOC, "doesNotExist00000000"):
        response = agency.get("/products/", params={"locationId": location_id})
        assert response.status_code == 403
        assert response.json() == FORBIDDEN
    assert products_calls == []


def test_agency_check_location_refuses_other_companies(
    agency: httpx.Client, products_calls: list[RequestContext]
) -> None:
    agency.get("/products/", params={"locationId": LOC})
    ctx = products_calls[-1]
    for location_id in (OTHER_LOC, "doesNotExist00000000"):
        with pytest.raises(Exception) as raised:
            ctx.check_location(location_id)
        assert getattr(raised.value, "status", None) == 403


def test_agency_token_without_location_is_validated(
    agency: httpx.Client, products_calls: list[RequestContext]
) -> None:
    response = agency.get("/products/")
    assert response.status_code == 422
    assert response.json()["message"] == ["locationId should not be empty"]


# -- custom menus: CRUD -------------------------------------------------------------------


def test_create_answers_201_with_wrapper(sb: Sandbox, agency: httpx.Client) -> None:
    response = agency.post(
        MENUS, json=menu_body(openMode="new_tab", showToAllLocations=False, locations=[LOC])
    )
    assert response.status_code == 201
    menu = response.json()["customMenu"]
    assert set(menu) == MENU_FIELDS
    assert UUID.fullmatch(menu["id"])
    assert menu == {
        "id": menu["id"],
        "icon": {"name": "yin-yang", "fontFamily": "fas"},
        "title": "Dashboard",
        "url": "https://custom-menus.com/",
        "order": 1,
        "showOnCompany": True,
        "showOnLocation": True,
        "showToAllLocations": False,
        "locations": [LOC],
        "openMode": "new_tab",
        "userRole": "all",
        "allowCamera": False,
        "allowMicrophone": False,
    }
    assert sb.objects(COMPANY, "customMenus") == [menu]


def test_order_is_assigned_by_the_server(agency: httpx.Client) -> None:
    orders = [create(agency, f"m{n}")["order"] for n in range(3)]
    assert orders == [1, 2, 3]
    response = agency.post(MENUS, json=menu_body(order=9))
    assert response.status_code == 422
    assert response.json()["message"] == ["property order should not exist"]
    response = agency.put(f"{MENUS}{create(agency)['id']}", json={"order": 1})
    assert response.status_code == 422


def test_create_validates_required_fields(sb: Sandbox, agency: httpx.Client) -> None:
    response = agency.post(MENUS, json={"title": "x"})
    assert response.status_code == 422
    messages = response.json()["message"]
    for name in ("url", "icon", "showOnCompany", "showOnLocation", "showToAllLocations"):
        assert f"{name} should not be empty" in messages
    for name in ("openMode", "locations", "userRole"):
        assert f"{name} should not be empty" in messages
    response = agency.post(MENUS, json=menu_body(icon={"name": "x"}, openMode="popup"))
    assert response.status_code == 422
    assert "icon.fontFamily should not be empty" in response.json()["message"]
    assert any(m.startswith("openMode must be one of") for m in response.json()["message"])
    assert sb.objects(COMPANY, "customMenus") == []


def test_locations_must_be_the_companys(sb: Sandbox, agency: httpx.Client) -> None:
    for locations in ([OTHER_LOC], [LOC, "doesNotExist00000000"]):
        response = agency.post(MENUS, json=menu_body(showToAllLocations=False, locations=locations))
        assert response.status_code == 403
        assert response.json() == FORBIDDEN
    menu = create(agency, showToAllLocations=False, locations=[LOC, THIRD_LOC])
    response = agency.put(f"{MENUS}{menu['id']}", json={"locations": [OTHER_LOC]})
    assert response.status_code == 403
    assert sb.objects(COMPANY, "customMenus") == [menu]


def test_get_by_id(agency: httpx.Client) -> None:
    menu = create(agency)
    response = agency.get(f"{MENUS}{menu['id']}")
    assert response.status_code == 200
    assert response.json() == {"customMenu": menu}


def test_update_is_partial_and_merges_icon(sb: Sandbox, agency: httpx.Client) -> None:
    menu = create(agency)
    response = agency.put(
        f"{MENUS}{menu['id']}",
        json={"title": "Reports", "icon": {"fontFamily": "far"}, "userRole": "admin"},
    )
    assert response.status_code == 200
    updated = {
        **menu,
        "title": "Reports",
        "icon": {"name": "yin-yang", "fontFamily": "far"},
        "userRole": "admin",
    }
    assert response.json() == {"success": True, "customMenu": updated}
    assert sb.objects(COMPANY, "customMenus") == [updated]
    response = agency.put(f"{MENUS}{menu['id']}", json={})
    assert response.json() == {"success": True, "customMenu": updated}


def test_delete_answers_the_spec_wrapper(sb: Sandbox, agency: httpx.Client) -> None:
    gone = create(agency, "gone")
    keep = create(agency, "keep")
    response = agency.delete(f"{MENUS}{gone['id']}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "message", "deletedMenuId", "deletedAt"}
    assert body["success"] is True and body["deletedMenuId"] == gone["id"]
    assert isinstance(body["message"], str) and body["message"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["deletedAt"])
    assert sb.objects(COMPANY, "customMenus") == [keep]
    for response in (
        agency.get(f"{MENUS}{gone['id']}"),
        agency.put(f"{MENUS}{gone['id']}", json={"title": "x"}),
        agency.delete(f"{MENUS}{gone['id']}"),
    ):
        assert response.status_code == 404
    # The others are not renumbered; a new link goes after the last one.
    assert keep["order"] == 2 and create(agency, "next")["order"] == 3


def test_links_of_another_company_are_invisible(sb: Sandbox, agency: httpx.Client) -> None:
    other_token = sb.provision_agency(OTHER_COMPANY)
    with make_client(sb.transport(), token=other_token) as other:
        theirs = create(other, "theirs")
        assert create(other, "second")["order"] == 2
    mine = create(agency, "mine")
    assert mine["order"] == 1  # order counts per company
    assert agency.get(MENUS).json() == {"customMenus": [mine], "totalLinks": 1}
    for response in (
        agency.get(f"{MENUS}{theirs['id']}"),
        agency.put(f"{MENUS}{theirs['id']}", json={"title": "x"}),
        agency.delete(f"{MENUS}{theirs['id']}"),
    ):
        assert response.status_code == 404
    assert [m["title"] for m in sb.objects(OTHER_COMPANY, "customMenus")] == ["theirs", "second"]


# -- custom menus: list, pagination and filters -------------------------------------------


def test_list_is_empty_at_first(agency: httpx.Client) -> None:
    response = agency.get(MENUS)
    assert response.status_code == 200
    assert response.json() == {"customMenus": [], "totalLinks": 0}


def test_pagination_over_several_pages(agency: httpx.Client) -> None:
    ids = [create(agency, f"Link {n:02d}")["id"] for n in range(25)]
    first = agency.get(MENUS).json()  # default limit 20
    assert [m["id"] for m in first["customMenus"]] == ids[:20]
    assert first["totalLinks"] == 25
    second = agency.get(MENUS, params={"skip": 20}).json()
    assert [m["id"] for m in second["customMenus"]] == ids[20:]
    assert second["totalLinks"] == 25
    seen: list[str] = []
    skip = 0
    while True:
        page = agency.get(MENUS, params={"skip": skip, "limit": 7}).json()
        seen += [m["id"] for m in page["customMenus"]]
        skip += 7
        if skip >= page["totalLinks"]:
            break
    assert seen == ids
    assert agency.get(MENUS, params={"skip": 30}).json() == {"customMenus": [], "totalLinks": 25}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 0}, "limit must not be less than 1"),
        ({"skip": -1}, "skip must not be less than 0"),
        ({"limit": "ten"}, "limit must be a number conforming to the specified constraints"),
        ({"showOnCompany": "yes"}, "showOnCompany must be a boolean value"),
    ],
)
def test_list_query_is_validated(
    agency: httpx.Client, params: dict[str, Any], message: str
) -> None:
    response = agency.get(MENUS, params=params)
    assert response.status_code == 422
    assert response.json()["message"] == [message]


def test_location_filter_keeps_links_shown_in_that_location(agency: httpx.Client) -> None:
    everywhere = create(agency, "everywhere")
    only_loc = create(agency, "only loc", showToAllLocations=False, locations=[LOC])
    only_third = create(agency, "only third", showToAllLocations=False, locations=[THIRD_LOC])
    create(agency, "agency only", showOnLocation=False)
    listed = agency.get(MENUS, params={"locationId": LOC}).json()
    assert listed == {"customMenus": [everywhere, only_loc], "totalLinks": 2}
    listed = agency.get(MENUS, params={"locationId": THIRD_LOC, "showOnCompany": "false"}).json()
    assert listed == {"customMenus": [everywhere, only_third], "totalLinks": 2}  # ignored


def test_location_filter_of_another_company_is_403(agency: httpx.Client) -> None:
    response = agency.get(MENUS, params={"locationId": OTHER_LOC})
    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_show_on_company_and_query_filters(agency: httpx.Client) -> None:
    agency_link = create(agency, "Agency Reports", showOnLocation=False)
    both = create(agency, "Sub-account reports")
    location_only = create(agency, "Help desk", showOnCompany=False)
    listed = agency.get(MENUS, params={"showOnCompany": "true"}).json()
    assert listed == {"customMenus": [agency_link, both], "totalLinks": 2}
    listed = agency.get(MENUS, params={"showOnCompany": "false"}).json()
    assert listed == {"customMenus": [location_only], "totalLinks": 1}
    listed = agency.get(MENUS, params={"query": "REPORTS"}).json()
    assert listed == {"customMenus": [agency_link, both], "totalLinks": 2}
    listed = agency.get(MENUS, params={"query": "desk", "limit": 1}).json()
    assert listed == {"customMenus": [location_only], "totalLinks": 1}
    assert agency.get(MENUS, params={"query": "nothing"}).json()["totalLinks"] == 0


# -- seed and persistence -----------------------------------------------------------------


def test_seed_custom_menus_for_a_company(sb: Sandbox, agency: httpx.Client) -> None:
    created = sb.seed({"companies": {COMPANY: {"customMenus": [{"title": "UI made"}, {}]}}})
    first, second = created[f"{COMPANY}/customMenus"]
    assert UUID.fullmatch(first)
    listed = agency.get(MENUS).json()
    assert [m["id"] for m in listed["customMenus"]] == [first, second]
    assert [m["order"] for m in listed["customMenus"]] == [1, 2]
    assert listed["customMenus"][0]["title"] == "UI made"
    assert create(agency)["order"] == 3
    with pytest.raises(ValueError, match="company"):
        sb.seed({"companies": {COMPANY: {"customMenus": "x"}}})


def test_agency_state_survives_reopen(tmp_path: Path) -> None:
    db = tmp_path / "agency.db"
    sb = Sandbox(db)
    token = sb.provision_agency(COMPANY)
    sb.provision_location(LOC, company_id=COMPANY)
    with make_client(sb.transport(), token=token) as client:
        menu = create(client)
    sb.close()
    reopened = Sandbox(db)
    try:
        assert reopened.provision_agency(COMPANY) == token
        with make_client(reopened.transport(), token=token) as client:
            assert client.get(MENUS, params={"locationId": LOC}).json() == {
                "customMenus": [menu],
                "totalLinks": 1,
            }
    finally:
        reopened.close()


def test_schema_version_1_file_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "v1.db"
    conn = sqlite3.connect(db)
    conn.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '1');
        CREATE TABLE locations (id TEXT PRIMARY KEY, name TEXT, company_id TEXT,
                                data TEXT NOT NULL DEFAULT '{}');
        CREATE TABLE tokens (token TEXT PRIMARY KEY, location_id TEXT, company_id TEXT,
                             user_type TEXT NOT NULL DEFAULT 'Location');
        INSERT INTO locations (id, name) VALUES ('LocFromVersion1xxxxx', 'Old');
        INSERT INTO tokens (token, location_id) VALUES ('old-token', 'LocFromVersion1xxxxx');
        """
    )
    conn.commit()
    conn.close()
    sb = Sandbox(db)
    try:
        info = sb.store.token_info("old-token")
        assert info is not None and (info.kind, info.user_type) == ("pit", "Location")
        assert sb.provision_location("LocFromVersion1xxxxx") == "old-token"
        with make_client(sb.transport(), token="old-token") as client:
            assert client.get("/locations/LocFromVersion1xxxxx/tags").status_code == 200
    finally:
        sb.close()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT value FROM meta").fetchone() == ("2",)
    finally:
        conn.close()


def test_error_answers_match_the_spec_shapes() -> None:
    # 401 bodies of a wrong token class are UnauthorizedDTO; the checker knows 403/404 shapes.
    check_response("GET", MENUS, 401, MISMATCH)
    check_response("GET", MENUS, 401, AUTH_CLASS)
    check_response("GET", MENUS, 403, FORBIDDEN)
    check_response("GET", f"{MENUS}x", 404, {"statusCode": 404, "message": "Custom menu not found"})
