"""Cross-cutting behaviour: Version header, bearer auth, location access, body parsing and
validation shapes, unknown routes, middleware hooks, provisioning; every answer spec-checked."""

from __future__ import annotations

import httpx
import pytest

from ghlops.sandbox import Sandbox, SandboxRequest, SandboxResponse, json_response
from tests.helpers.sandbox import BASE_URL, LOC, OTHER_LOC, make_client
from tests.helpers.spec_check import check_response

TAGS = f"/locations/{LOC}/tags"
UNAUTHORIZED = {
    "statusCode": 401,
    "message": "Invalid token: access token is invalid",
    "error": "Unauthorized",
}
FORBIDDEN = {
    "statusCode": 403,
    "message": "The token does not have access to this location",
    "error": "Forbidden",
}


# -- Version ------------------------------------------------------------------------------


def test_missing_version_is_400(sb: Sandbox, token: str) -> None:
    with make_client(sb.transport(), token=token, version=None) as client:
        response = client.get(TAGS)
    assert response.status_code == 400
    assert response.json() == {"statusCode": 400, "message": "Version header was not found"}


@pytest.mark.parametrize("version", ["2021-04-15", "v3", "2021-07-29"])
def test_wrong_version_is_400(sb: Sandbox, token: str, version: str) -> None:
    with make_client(sb.transport(), token=token, version=version) as client:
        response = client.post(TAGS, json={"name": "x"})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"statusCode", "message"}
    assert "Version" in body["message"] and version in body["message"]
    assert sb.objects(LOC, "tags") == []


def test_sdk_default_version_is_accepted(sb: Sandbox, token: str) -> None:
    with make_client(sb.transport(), token=token, version="2023-02-21") as client:
        assert client.post(TAGS, json={"name": "x"}).status_code == 200


def test_version_header_name_is_case_insensitive(sb: Sandbox, token: str) -> None:
    response = sb.handle(
        "GET", TAGS, {"version": "2021-07-28", "authorization": f"bearer {token}"}, b""
    )
    assert response.status == 200
    assert response.json() == {"tags": []}


# -- auth ---------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Bearer ", "Basic abc", "token"])
def test_missing_or_unknown_token_is_401(
    sb: Sandbox, token: str, authorization: str | None
) -> None:
    headers = {"Version": "2021-07-28"}
    if authorization is not None:
        headers["Authorization"] = authorization
    with make_client(sb.transport(), token=None) as client:
        response = client.get(TAGS, headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_token_of_another_location_is_403(sb: Sandbox, client: httpx.Client) -> None:
    sb.provision_location(OTHER_LOC)
    response = client.get(f"/locations/{OTHER_LOC}/tags")
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    response = client.post(f"/locations/{OTHER_LOC}/customValues", json={"name": "a", "value": "b"})
    assert response.status_code == 403
    assert sb.objects(OTHER_LOC, "customValues") == []


def test_nonexistent_location_is_403(client: httpx.Client) -> None:
    response = client.get("/locations/doesNotExist00000000/customFields")
    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_auth_is_checked_before_validation(sb: Sandbox) -> None:
    with make_client(sb.transport(), token="unknown") as client:
        response = client.post(TAGS, json={})
    assert response.status_code == 401


# -- bodies -------------------------------------------------------------------------------


def test_invalid_json_is_400(client: httpx.Client, sb: Sandbox) -> None:
    response = client.post(TAGS, content=b'{"name": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400 and isinstance(body["message"], str)
    assert sb.objects(LOC, "tags") == []


def test_non_object_json_is_400(client: httpx.Client) -> None:
    response = client.post(TAGS, json=["name"])
    assert response.status_code == 400


def test_empty_body_is_validated_as_empty_object(client: httpx.Client) -> None:
    response = client.post(TAGS)
    assert response.status_code == 422
    assert response.json()["message"] == ["name should not be empty", "name must be a string"]


def test_null_optional_property_is_allowed(client: httpx.Client) -> None:
    response = client.post(
        f"/locations/{LOC}/customFields",
        json={"name": "x", "dataType": "TEXT", "placeholder": None},
    )
    assert response.status_code == 201
    assert "placeholder" not in response.json()["customField"]


def test_every_answer_is_json(client: httpx.Client) -> None:
    for response in (
        client.get(TAGS),
        client.post(TAGS, json={}),
        client.get("/nowhere"),
    ):
        assert response.headers["content-type"] == "application/json"


# -- routes -------------------------------------------------------------------------------


def test_unknown_route_is_nest_style_404(client: httpx.Client) -> None:
    response = client.get("/x")
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "message": "Cannot GET /x"}


def test_wrong_method_on_known_path_is_404(client: httpx.Client) -> None:
    response = client.patch(TAGS, json={"name": "x"})
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "message": f"Cannot PATCH {TAGS}"}


def test_spec_route_without_handler_says_not_emulated(client: httpx.Client) -> None:
    response = client.get(f"/locations/{LOC}/timezones")
    assert response.status_code == 404
    assert "not emulated by the ghlops sandbox" in response.json()["message"]
    assert response.json()["message"].startswith(f"Cannot GET /locations/{LOC}/timezones")


def test_literal_segment_beats_parameter(client: httpx.Client) -> None:
    # /customFields/upload is its own (unemulated) operation, not a custom field id "upload".
    response = client.post(f"/locations/{LOC}/customFields/upload")
    assert response.status_code == 404
    assert "not emulated" in response.json()["message"]


def test_trailing_slash_is_ignored(client: httpx.Client) -> None:
    client.post(TAGS, json={"name": "a"})
    assert len(client.get(TAGS + "/").json()["tags"]) == 1


def test_percent_encoded_path_segments_are_decoded(client: httpx.Client) -> None:
    client.post(f"/locations/{LOC}/customFields", json={"name": "Pin", "dataType": "TEXT"})
    response = client.get(f"/locations/{LOC}/customFields/contact%2Epin")
    assert response.status_code == 200
    assert response.json()["customField"]["fieldKey"] == "contact.pin"


# -- provisioning and helpers -------------------------------------------------------------


def test_provision_location_is_idempotent(sb: Sandbox) -> None:
    token = sb.provision_location("LocA")
    assert token.startswith("sbx-") and len(token) == 36
    assert sb.provision_location("LocA") == token
    assert sb.provision_location("LocA", name="Renamed") == token
    assert sb.location_for_token(token) == "LocA"
    assert sb.store.location("LocA") == {"id": "LocA", "name": "Renamed", "companyId": None}


def test_provision_location_with_explicit_tokens(sb: Sandbox) -> None:
    assert sb.provision_location("LocA", token="tok-a") == "tok-a"
    assert sb.provision_location("LocA", token="tok-a") == "tok-a"
    assert sb.provision_location("LocA", token="tok-a2") == "tok-a2"  # a second token
    assert sb.provision_location("LocA") == "tok-a"
    with pytest.raises(ValueError, match="LocA"):
        sb.provision_location("LocB", token="tok-a")
    assert not sb.store.location_exists("LocB")  # the failed call left nothing behind
    for tok in ("tok-a", "tok-a2"):
        with make_client(sb.transport(), token=tok) as client:
            assert client.get("/locations/LocA/tags").status_code == 200


def test_objects_rejects_unknown_kind(sb: Sandbox) -> None:
    with pytest.raises(ValueError, match="notAKind"):
        sb.objects(LOC, "notAKind")


def test_objects_of_empty_location(sb: Sandbox) -> None:
    assert sb.objects("nobody", "tags") == []


def test_handle_directly(sb: Sandbox, token: str) -> None:
    response = sb.handle(
        "POST",
        TAGS,
        {"Authorization": f"Bearer {token}", "Version": "2021-07-28"},
        b'{"name": "direct"}',
    )
    assert isinstance(response, SandboxResponse)
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    check_response("POST", TAGS, response.status, response.json())


def test_handle_accepts_an_absolute_url(sb: Sandbox, token: str) -> None:
    response = sb.handle(
        "GET",
        f"{BASE_URL}{TAGS}?x=1",
        {"Authorization": f"Bearer {token}", "Version": "2021-07-28"},
        b"",
    )
    assert response.status == 200
    assert response.json() == {"tags": []}


def test_async_transport(sb: Sandbox, token: str) -> None:
    import asyncio

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=sb.async_transport(),
            base_url=BASE_URL,
            headers={"Authorization": f"Bearer {token}", "Version": "2021-07-28"},
        ) as client:
            return await client.post(TAGS, json={"name": "async"})

    response = asyncio.run(run())
    assert response.status_code == 200
    assert response.json()["tag"]["name"] == "async"


def test_unexpected_handler_errors_become_500(token: str, sb: Sandbox) -> None:
    sb.raise_server_errors = False
    sb.store.close()  # every store access now fails
    response = sb.handle(
        "GET", TAGS, {"Authorization": f"Bearer {token}", "Version": "2021-07-28"}, b""
    )
    assert response.status == 500
    assert response.json() == {"statusCode": 500, "message": "Internal server error"}


# -- middleware hook ----------------------------------------------------------------------


def test_middleware_wraps_every_request(sb: Sandbox, client: httpx.Client) -> None:
    seen: list[tuple[str, str, str | None]] = []

    def record(request: SandboxRequest, call_next):  # type: ignore[no-untyped-def]
        bearer = (request.header("Authorization") or "").removeprefix("Bearer ")
        seen.append((request.method, request.path, sb.location_for_token(bearer)))
        response = call_next(request)
        return SandboxResponse(
            response.status, {**response.headers, "X-RateLimit-Remaining": "99"}, response.body
        )

    sb.middleware.append(record)
    response = client.get(TAGS, params={"a": "1"})
    assert response.status_code == 200
    assert response.headers["x-ratelimit-remaining"] == "99"
    assert seen == [("GET", TAGS, LOC)]


def test_middleware_can_short_circuit(sb: Sandbox, token: str) -> None:
    def limited(request: SandboxRequest, call_next):  # type: ignore[no-untyped-def]
        return json_response(429, {"statusCode": 429, "message": "Too Many Requests"})

    sb.middleware.append(limited)
    response = sb.handle("POST", TAGS, {"Authorization": f"Bearer {token}"}, b'{"name":"x"}')
    assert response.status == 429
    assert sb.objects(LOC, "tags") == []


def test_middleware_order_is_outermost_first(sb: Sandbox, token: str) -> None:
    order: list[str] = []

    def outer(request: SandboxRequest, call_next):  # type: ignore[no-untyped-def]
        order.append("outer")
        return call_next(request)

    def inner(request: SandboxRequest, call_next):  # type: ignore[no-untyped-def]
        order.append("inner")
        return call_next(request)

    sandbox = Sandbox(middleware=[outer, inner])
    try:
        sandbox.handle("GET", "/x", {}, b"")
    finally:
        sandbox.close()
    assert order == ["outer", "inner"]


def test_seed_stores_objects_and_provisions_locations() -> None:
    from ghlops.sandbox import Sandbox

    with Sandbox() as sb:
        created = sb.seed({"locations": {"SeedLoc0000000000001": {"tags": [{"name": "ui-made"}]}}})
        [tag_id] = created["SeedLoc0000000000001/tags"]
        assert len(tag_id) == 20
        assert sb.objects("SeedLoc0000000000001", "tags") == [
            {"name": "ui-made", "id": tag_id, "locationId": "SeedLoc0000000000001"}
        ]
        for bad in (
            {},
            {"locations": []},
            {"locations": {"x": {"nope": []}}},
            {"locations": {"x": {"tags": ["str"]}}},
        ):
            try:
                sb.seed(bad)
            except ValueError as exc:
                assert str(exc)
            else:
                raise AssertionError(f"accepted {bad}")
