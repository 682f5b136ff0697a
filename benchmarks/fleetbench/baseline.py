"""Measurement 6: the naive baseline, plain httpx reading every object by id."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from benchmarks.fleetbench.common import PAGE_SIZE, V_CALENDARS, V_LOCATIONS
from benchmarks.fleetbench.fleetgen import Location


class NaiveReader:
    """Reads locations one after another with plain httpx: every list, then every object by id
    where the API has a GET-by-id. Waits out 429s (Retry-After) and counts them."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=60)
        self.calls = 0
        self.throttled = 0

    def close(self) -> None:
        self.http.close()

    def get(
        self, token: str, path: str, version: str, params: Mapping[str, Any] | None = None
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Version": version}
        while True:
            self.calls += 1
            response = self.http.get(path, params=dict(params or {}), headers=headers)
            if response.status_code == 429:
                self.throttled += 1
                time.sleep(float(response.headers.get("Retry-After") or 1))
                continue
            response.raise_for_status()
            return response.json()

    def pages(
        self,
        token: str,
        path: str,
        version: str,
        params: Mapping[str, Any],
        items: Callable[[Any], list[Any]],
    ) -> list[Any]:
        found: list[Any] = []
        while True:
            body = self.get(
                token, path, version, {**params, "limit": PAGE_SIZE, "offset": len(found)}
            )
            page = items(body)
            found += page
            if len(page) < PAGE_SIZE:
                return found

    def read_location(self, loc: Location) -> int:
        """Every object of the location; returns how many managed objects it read."""
        tok, lid = loc.token, loc.id
        store = {"altId": lid, "altType": "location"}
        read = 0
        for kind, key in (("tags", "tags"), ("customFields", "customFields")):
            for obj in self.get(tok, f"/locations/{lid}/{kind}", V_LOCATIONS)[key]:
                self.get(tok, f"/locations/{lid}/{kind}/{obj['id']}", V_LOCATIONS)
                read += 1
        for obj in self.get(tok, f"/locations/{lid}/customValues", V_LOCATIONS)["customValues"]:
            self.get(tok, f"/locations/{lid}/customValues/{obj['id']}", V_LOCATIONS)
            read += 1
        at = {"locationId": lid}
        read += len(self.get(tok, "/calendars/groups", V_CALENDARS, at)["groups"])
        for obj in self.get(tok, "/calendars/", V_CALENDARS, at)["calendars"]:
            self.get(tok, f"/calendars/{obj['id']}", V_CALENDARS)
            read += 1
        self.get(tok, "/users/", V_LOCATIONS, at)
        redirect_path = "/funnels/lookup/redirect/list"
        read += len(self.pages(tok, redirect_path, V_LOCATIONS, at, lambda b: b["data"]["data"]))
        read += len(self.get(tok, "/opportunities/pipelines", V_LOCATIONS, at)["pipelines"])
        zone_path = "/store/shipping-zone"
        for zone in self.pages(tok, zone_path, V_LOCATIONS, store, lambda b: b["data"]):
            self.get(tok, f"{zone_path}/{zone['_id']}", V_LOCATIONS, store)
            rate_path = f"{zone_path}/{zone['_id']}/shipping-rate"
            for rate in self.pages(tok, rate_path, V_LOCATIONS, store, lambda b: b["data"]):
                self.get(tok, f"{rate_path}/{rate['_id']}", V_LOCATIONS, store)
                read += 1
            read += 1
        self.get(tok, "/store/shipping-carrier", V_LOCATIONS, store)
        for product in self.pages(tok, "/products/", V_LOCATIONS, at, lambda b: b["products"]):
            self.get(tok, f"/products/{product['_id']}", V_LOCATIONS, at)
            price_path = f"/products/{product['_id']}/price"
            for price in self.pages(tok, price_path, V_LOCATIONS, at, lambda b: b["prices"]):
                self.get(tok, f"{price_path}/{price['_id']}", V_LOCATIONS, at)
                read += 1
            read += 1
        collections = {"altId": lid, "altType": "location"}
        self.pages(tok, "/products/collections", V_LOCATIONS, collections, lambda b: b["data"])
        return read


def naive_baseline(url: str, sample: Sequence[Location]) -> dict[str, Any]:
    reader = NaiveReader(url)
    objects = 0
    started = time.perf_counter()
    try:
        for loc in sample:
            objects += reader.read_location(loc)
    finally:
        reader.close()
    elapsed = time.perf_counter() - started
    return {
        "locations": len(sample),
        "seconds": elapsed,
        "calls": reader.calls,
        "throttled": reader.throttled,
        "objects_read": objects,
    }
