"""The sandbox's spec machinery: route table vs. spec, ``$ref`` resolution, the request
validator, id formats, and the test-side checker itself (so it cannot pass vacuously)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from ghlops.sandbox import ids
from ghlops.sandbox.handlers import all_kinds, all_routes
from ghlops.sandbox.routing import Route, Router, RouteTable
from ghlops.sandbox.spec import SchemaAt, SpecLibrary, default_library
from ghlops.sandbox.validation import Validator
from tests.helpers.spec_check import check_response, documents

LOCATION_ROUTES = {
    ("GET", "/locations/{locationId}/tags"),
    ("POST", "/locations/{locationId}/tags"),
    ("GET", "/locations/{locationId}/tags/{tagId}"),
    ("PUT", "/locations/{locationId}/tags/{tagId}"),
    ("DELETE", "/locations/{locationId}/tags/{tagId}"),
    ("GET", "/locations/{locationId}/customFields"),
    ("POST", "/locations/{locationId}/customFields"),
    ("GET", "/locations/{locationId}/customFields/{id}"),
    ("PUT", "/locations/{locationId}/customFields/{id}"),
    ("DELETE", "/locations/{locationId}/customFields/{id}"),
    ("GET", "/locations/{locationId}/customValues"),
    ("POST", "/locations/{locationId}/customValues"),
    ("GET", "/locations/{locationId}/customValues/{id}"),
    ("PUT", "/locations/{locationId}/customValues/{id}"),
    ("DELETE", "/locations/{locationId}/customValues/{id}"),
    ("GET", "/locations/{locationId}"),  # the location's own record (sub_accounts.py)
    ("PUT", "/locations/{locationId}"),
}


@pytest.fixture(scope="module")
def library() -> SpecLibrary:
    return default_library()


def test_route_table_covers_the_three_kinds(library: SpecLibrary) -> None:
    assert {(r.method, r.path) for r in all_routes() if r.spec == "locations"} == LOCATION_ROUTES
    assert {k.name for k in all_kinds()} >= {"tags", "customFields", "customValues"}


def test_every_route_is_a_spec_operation(library: SpecLibrary) -> None:
    spec_ops = {(op.spec, op.method, op.path) for op in library.all_operations()}
    for route in all_routes():
        assert (route.spec, route.method, route.path) in spec_ops


def test_operations_read_from_spec(library: SpecLibrary) -> None:
    ops = {(op.method, op.path): op for op in library.operations("locations")}
    create_tag = ops[("POST", "/locations/{locationId}/tags")]
    assert create_tag.operation_id == "create-tag"
    assert create_tag.success_status == 200
    assert create_tag.version_values == ("2021-07-28",)
    assert create_tag.requires_auth
    assert ops[("POST", "/locations/{locationId}/customFields")].success_status == 201
    calendars = library.operations("calendars")
    assert {op.version_values for op in calendars} == {("2021-04-15",)}
    store_ops = library.operations("store")
    assert all(op.version_values is None and op.requires_auth for op in store_ops)
    token_op = next(op for op in library.operations("oauth") if op.path == "/oauth/token")
    assert token_op.version_values is None and not token_op.requires_auth
    assert token_op.request_content_type == "application/x-www-form-urlencoded"


def test_refs_into_common_schemas_resolve(library: SpecLibrary) -> None:
    ops = {(op.method, op.path): op for op in library.operations("locations")}
    schema = ops[("GET", "/locations/{locationId}/tags")].response_schema(422)
    assert schema is not None
    assert schema.doc == "common/common-schemas.json"
    assert schema.schema["properties"]["message"]["type"] == "array"


def test_every_spec_operation_parses(library: SpecLibrary) -> None:
    ops = library.all_operations()
    expected = sum(
        1
        for rel, doc in documents().items()
        if rel.startswith("apps/")
        for item in doc["paths"].values()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    )
    assert len(ops) == expected
    assert {op.spec for op in ops} == set(library.spec_names())


def test_router_rejects_routes_missing_from_spec(library: SpecLibrary) -> None:
    table = RouteTable("locations")
    table.get("/locations/{locationId}/labels")(lambda ctx: {})
    with pytest.raises(ValueError, match=r"not in apps/locations\.json"):
        Router(library.all_operations(), table.routes)


def test_router_rejects_duplicate_handlers(library: SpecLibrary) -> None:
    route = Route("locations", "GET", "/locations/{locationId}/tags", lambda ctx: {})
    with pytest.raises(ValueError, match="two handlers"):
        Router(library.all_operations(), [route, route])


def test_router_prefers_literals(library: SpecLibrary) -> None:
    router = Router(library.all_operations(), all_routes())
    match = router.match("GET", "/locations/search")
    assert match is not None and match.operation.operation_id == "search-locations"
    match = router.match("GET", "/locations/abc")
    assert match is not None and match.path_params == {"locationId": "abc"}
    match = router.match("GET", "/locations/L/tags/T")
    assert match is not None and match.route is not None
    assert match.path_params == {"locationId": "L", "tagId": "T"}
    assert router.match("GET", "/locations//tags") is None
    assert router.match("PATCH", "/locations/L/tags") is None


# -- validator ------------------------------------------------------------------------------


def _validate(value: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    library = default_library()
    return Validator(library).validate_body(value, SchemaAt(schema, "apps/locations.json"))


def test_validator_all_of_merges_properties() -> None:
    schema = {
        "allOf": [
            {"$ref": "#/components/schemas/tagBody"},
            {"type": "object", "properties": {"extra": {"type": "number"}}},
        ]
    }
    assert _validate({"name": "a", "extra": 1}, schema) == []
    assert _validate({"extra": True}, schema) == [
        "name should not be empty",
        "name must be a string",
        "extra must be a number conforming to the specified constraints",
    ]


def test_validator_nullable_and_additional_properties() -> None:
    schema = {
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"type": "string", "nullable": True}, "m": {"type": "object"}},
    }
    assert _validate({"a": None, "m": {"anything": 1}}, schema) == []
    free = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": True}
    assert _validate({"b": 1}, free) == []


def test_validator_bounds() -> None:
    schema = {
        "type": "object",
        "properties": {
            "s": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[a-z]+$"},
            "n": {"type": "integer", "minimum": 1, "maximum": 5},
            "l": {"type": "array", "items": {"type": "string"}, "maxItems": 1},
        },
    }
    assert _validate({"s": "abc", "n": 5, "l": ["x"]}, schema) == []
    assert _validate({"s": "A", "n": 9, "l": ["x", "y"]}, schema) == [
        "s must be longer than or equal to 2 characters",
        "s must match /^[a-z]+$/ regular expression",
        "n must not be greater than 5",
        "l must contain no more than 1 elements",
    ]
    assert _validate({"n": 1.5}, schema) == ["n must be an integer number"]


def test_validator_any_of() -> None:
    schema = {
        "type": "object",
        "properties": {"v": {"anyOf": [{"type": "string"}, {"type": "number"}]}},
    }
    assert _validate({"v": "x"}, schema) == []
    assert _validate({"v": 2}, schema) == []
    assert _validate({"v": True}, schema) == ["v must be a string"]


# -- ids ------------------------------------------------------------------------------------


def test_id_formats() -> None:
    assert re.fullmatch(r"[A-Za-z0-9]{20}", ids.firestore_id())
    assert re.fullmatch(r"[0-9a-f]{24}", ids.object_id())
    assert ids.object_id() != ids.object_id()
    assert re.fullmatch(r"[0-9a-f-]{36}", ids.uuid_id())
    assert re.fullmatch(r"sbx-[A-Za-z0-9_-]{32}", ids.sandbox_token())
    assert len({ids.firestore_id() for _ in range(1000)}) == 1000


# -- the test-side checker ------------------------------------------------------------------


def test_checker_reads_the_vendored_specs() -> None:
    assert "apps/locations.json" in documents()
    assert "common/common-schemas.json" in documents()


def test_checker_rejects_wrong_shapes() -> None:
    tag = {"name": "a", "locationId": "L", "id": "I"}
    check_response("POST", "/locations/L/tags", 200, {"tag": tag})
    with pytest.raises(AssertionError, match="not in the spec"):
        check_response("POST", "/locations/L/tags", 201, {"tag": tag})  # create-tag is 200
    with pytest.raises(AssertionError):
        check_response("POST", "/locations/L/tags", 200, {"tag": {**tag, "name": 5}})
    with pytest.raises(AssertionError, match="undocumented fields"):
        check_response("POST", "/locations/L/tags", 200, {"tag": {**tag, "color": "red"}})
    with pytest.raises(AssertionError, match="undocumented fields"):
        check_response(
            "GET", "/locations/L/customFields", 200, {"customFields": [{"acceptedFormat": []}]}
        )
    with pytest.raises(AssertionError):
        check_response("GET", "/locations/L/tags", 422, {"statusCode": 422, "message": "x"})
    with pytest.raises(AssertionError):
        check_response("GET", "/locations/L/tags", 401, {"statusCode": "401"})
    with pytest.raises(AssertionError):
        check_response("GET", "/nowhere", 404, {"statusCode": 404, "message": "x", "extra": 1})
