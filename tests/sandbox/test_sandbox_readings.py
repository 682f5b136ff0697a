"""The sandbox's two readings of what the spec leaves open (``Sandbox(readings=...)``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ghlops.sandbox import Sandbox
from ghlops.sandbox.middleware.readings import PAGE_CAP, Readings
from tests.helpers.sandbox import BASE_URL, LOC, VERSION


@pytest.fixture
def alt() -> Iterator[tuple[Sandbox, httpx.Client]]:
    sb = Sandbox(raise_server_errors=True, readings=Readings.named("alternative"))
    token = sb.provision_location(LOC)
    with httpx.Client(
        transport=sb.transport(),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {token}", "Version": VERSION},
    ) as client:
        yield sb, client
    sb.close()


def test_readings_by_name() -> None:
    assert Readings.named("spec") == Readings() and Readings().is_default
    alternative = Readings.named("alternative")
    assert (alternative.page_cap, alternative.fields_default_model) == (PAGE_CAP, "contact")
    assert alternative.lists_lag and alternative.not_found_status == 400
    assert "pages capped at 20" in alternative.describe()
    with pytest.raises(ValueError, match="unknown readings 'loose'"):
        Readings.named("loose")


def test_pages_are_capped_whatever_the_limit(alt: tuple[Sandbox, httpx.Client]) -> None:
    sb, client = alt
    sb.seed({"locations": {LOC: {"products": [{"name": f"P{i}"} for i in range(45)]}}})
    for limit in (100, 0, None):
        params = {"locationId": LOC, "offset": 0, **({"limit": limit} if limit is not None else {})}
        body = client.get("/products/", params=params).json()
        assert len(body["products"]) == PAGE_CAP
        assert body["total"] == [{"total": 45}]
    small = client.get("/products/", params={"locationId": LOC, "limit": 5}).json()
    assert len(small["products"]) == 5


def test_custom_fields_without_model_are_contact_fields_only(
    alt: tuple[Sandbox, httpx.Client],
) -> None:
    _sb, client = alt
    for model in ("contact", "opportunity"):
        made = client.post(
            f"/locations/{LOC}/customFields",
            json={"name": f"{model} field", "dataType": "TEXT", "model": model},
        )
        assert made.status_code == 201, made.text
    url = f"/locations/{LOC}/customFields"
    assert client.get(url).status_code == 200  # first reads of each list: nothing to lag
    plain = client.get(url).json()["customFields"]
    assert [f["model"] for f in plain] == ["contact"]
    everything = client.get(url, params={"model": "all"}).json()["customFields"]
    assert sorted(f["model"] for f in everything) == ["contact", "opportunity"]


def test_spec_reading_lists_every_model_without_model() -> None:
    with Sandbox() as sb:
        token = sb.provision_location(LOC)
        sb.seed(
            {
                "locations": {
                    LOC: {
                        "customFields": [
                            {"name": "a", "model": "contact", "dataType": "TEXT"},
                            {"name": "b", "model": "opportunity", "dataType": "TEXT"},
                        ]
                    }
                }
            }
        )
        with httpx.Client(
            transport=sb.transport(),
            base_url=BASE_URL,
            headers={"Authorization": f"Bearer {token}", "Version": VERSION},
        ) as client:
            fields = client.get(f"/locations/{LOC}/customFields").json()["customFields"]
    assert len(fields) == 2


def test_a_list_lags_a_write_by_one_read(alt: tuple[Sandbox, httpx.Client]) -> None:
    _sb, client = alt
    url = f"/locations/{LOC}/tags"
    assert client.get(url).json() == {"tags": []}
    made = client.post(url, json={"name": "vip"})
    assert made.status_code == 200
    assert client.get(url).json() == {"tags": []}  # the first read after the write: stale
    assert [t["name"] for t in client.get(url).json()["tags"]] == ["vip"]  # then up to date
    tag_id = made.json()["tag"]["id"]
    assert client.delete(f"{url}/{tag_id}").status_code == 200
    assert [t["name"] for t in client.get(url).json()["tags"]] == ["vip"]
    assert client.get(url).json() == {"tags": []}


def test_not_found_is_400_but_an_unknown_route_stays_404(
    alt: tuple[Sandbox, httpx.Client],
) -> None:
    _sb, client = alt
    missing = client.get(f"/locations/{LOC}/tags/aaaaaaaaaaaaaaaaaaaa")
    assert missing.status_code == 400
    body = missing.json()
    trace = body.pop("traceId")
    assert body == {"statusCode": 400, "message": "Tag not found", "error": "Bad Request"}
    assert len(trace) == 36  # a traceId with every error, as GHL answers
    unknown = client.get("/no/such/route")
    assert unknown.status_code == 404 and "traceId" in unknown.json()
    assert "traceId" not in client.get(f"/locations/{LOC}/tags").json()


def test_readings_can_be_switched_off_again(alt: tuple[Sandbox, httpx.Client]) -> None:
    sb, client = alt
    sb.readings = None
    assert sb.readings.is_default
    assert client.get(f"/locations/{LOC}/tags/aaaaaaaaaaaaaaaaaaaa").status_code == 404
