"""The singleton pattern (ghlops/resources/singleton.py) with store settings: every reading of
"no settings yet", the merge the update sends, the bundle syntax and the JSON Schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ghlops.client.errors import ApiError
from ghlops.manifest.loader import _items
from ghlops.manifest.schema import bundle_schema
from ghlops.manifest.yamlload import Positions, YamlDocument
from ghlops.resources import registry
from ghlops.resources.base import Ctx
from ghlops.resources.singleton import deep_merge, missing_paths, partial_view
from ghlops.resources.store_settings import StoreSettingsAdapter

LOC = "ve9EPM428h8vShlRW1KT"
ORIGIN = {"name": "Pets", "country": "US", "city": "Springfield", "street1": "1 Main", "zip": "1"}


class FakeApi:
    """Answers GET with ``answer`` (a body, or an ApiError to raise); records POSTs."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.sent: list[tuple[str, str, Any]] = []

    def request(self, method: str, path: str, *, version: str | None, **kw: Any) -> Any:
        if method == "GET":
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer
        self.sent.append((method, path, kw.get("json")))
        return {"status": True, "data": {}}

    def paginate(self, path: str, **kw: Any) -> list[Any]:  # pragma: no cover - not used
        raise AssertionError("no list")


def adapter() -> StoreSettingsAdapter:
    found = registry.get("storeSettings")
    assert isinstance(found, StoreSettingsAdapter)
    return found


@pytest.mark.parametrize(
    "answer",
    [
        ApiError("GET", "/store/store-setting", 404, "Store setting not found"),
        ApiError("GET", "/store/store-setting", 400, "Store setting not found"),
        {"status": True},
        {"status": True, "data": None},
        {"status": True, "data": {}},
    ],
)
def test_every_reading_of_no_settings_yet_is_one_empty_object(answer: Any) -> None:
    [live] = adapter().list_live(Ctx(FakeApi(answer), LOC))
    assert live.fields == {} and live.id == LOC and live.key == "store settings"


@pytest.mark.parametrize(
    "error",
    [
        ApiError("GET", "/store/store-setting", 400, "altType must be one of location"),
        ApiError("GET", "/store/store-setting", 500, "Internal error"),
    ],
)
def test_other_errors_stop_the_read(error: ApiError) -> None:
    with pytest.raises(ApiError):
        adapter().list_live(Ctx(FakeApi(error), LOC))


def test_live_settings_are_read_with_country_and_zip_as_text() -> None:
    raw = {"_id": "x", "altId": LOC, "shippingOrigin": {**ORIGIN, "country": 840, "zip": 62701}}
    [live] = adapter().list_live(Ctx(FakeApi({"data": raw}), LOC))
    assert live.fields == {"shippingOrigin": {**ORIGIN, "country": "840", "zip": "62701"}}


def test_the_update_reads_again_and_sends_the_declared_fields_merged_over_live() -> None:
    live = {"shippingOrigin": ORIGIN, "storeOrderNotification": {"enabled": False, "subject": "s"}}
    api = FakeApi({"data": {**live, "_id": "x", "createdAt": "t"}})
    [item] = items({"storeSettings": {"shippingOrigin": {"city": "Shelbyville"}}})
    adapter().update(Ctx(api, LOC), LOC, item)
    assert api.sent == [
        (
            "POST",
            "/store/store-setting",
            {
                "altId": LOC,
                "altType": "location",
                "shippingOrigin": {**ORIGIN, "city": "Shelbyville"},
                "storeOrderNotification": {"enabled": False, "subject": "s"},
            },
        )
    ]


def items(bundle: Mapping[str, Any]) -> list[Any]:
    found, _, problems, _ = _items(YamlDocument(dict(bundle), Positions()), "b.yaml")
    assert not problems, [str(p) for p in problems]
    return found


def test_bundle_syntax_is_a_mapping_not_a_list() -> None:
    [item] = items({"storeSettings": {"shippingOrigin": {"city": "X"}}})
    assert item.key == "store settings" and item.fields == {"shippingOrigin": {"city": "X"}}
    _, _, problems, _ = _items(YamlDocument({"storeSettings": [{}]}, Positions()), "b.yaml")
    assert [p.message for p in problems] == [
        "storeSettings: expected a mapping of fields (one store settings per location), got a list"
    ]
    _, _, problems, _ = _items(
        YamlDocument({"storeSettings": {"shippingOrigin": {"country": "usa"}}}, Positions()),
        "b.yaml",
    )
    assert len(problems) == 1 and "shippingOrigin.country" in problems[0].message


def test_the_json_schema_says_mapping() -> None:
    prop = bundle_schema()["properties"]["storeSettings"]
    assert {"$ref": "#/$defs/StoreSettings"} in prop["anyOf"]
    assert "items" not in prop


def test_helpers() -> None:
    assert deep_merge({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": 3}, "l": [2]}) == {
        "a": {"b": 3, "c": 2},
        "l": [2],
    }
    assert partial_view({"b": 1, "c": 2}, {"b": 5, "z": 1}) == {"b": 1}
    assert partial_view([1, 2], [3]) == [1, 2]
    assert missing_paths({"a": {"x": 1}}, ("a", "a.y", "n.z"), {"a": {}}) == ["a.y"]
    assert missing_paths({}, ("a", "a.y"), {}) == ["a"]
