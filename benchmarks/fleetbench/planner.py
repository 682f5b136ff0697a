"""Measurement 4: planner CPU per resource on synthetic in-memory resources."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any

from benchmarks.fleetbench.common import ROOT, child_env
from benchmarks.fleetbench.fleetgen import Items, make_mix, manifest
from ghlops.plan.planner import plan_location
from ghlops.resources import registry
from ghlops.resources.base import JSON, Ctx, DesiredItem, LiveItem


class NoApi:
    """The planner benchmark's Api: any call is a bug (the synthetic items need no lookups)."""

    def request(
        self,
        method: str,
        path: str,
        *,
        version: str | None,
        params: Mapping[str, Any] | None = None,
        json: JSON = None,
    ) -> JSON:
        raise AssertionError(f"unexpected API call {method} {path}")

    def paginate(
        self,
        path: str,
        *,
        version: str | None,
        items: str,
        params: Mapping[str, Any] | None = None,
        page_size: int = 100,
        style: str = "offset",
    ) -> list[JSON]:
        raise AssertionError(f"unexpected API call GET {path}")


def live_raws(items: Items) -> dict[str, list[dict[str, Any]]]:
    """The objects GHL's list endpoints return for these manifest items (no lookups)."""
    counter = iter(range(10**9))

    def new_id(hex24: bool = False) -> str:
        n = next(counter)
        return f"{n:024x}" if hex24 else f"Syn{n:017d}"

    raws: dict[str, list[dict[str, Any]]] = {kind: [] for kind in registry.kinds()}
    raws["tags"] = [{"id": new_id(), "name": t["name"]} for t in items["tags"]]
    raws["customFields"] = [
        {"id": new_id(), "fieldKey": f"{f['model']}.field_{i}", **f}
        for i, f in enumerate(items["customFields"])
    ]
    raws["customValues"] = [{"id": new_id(), **v} for v in items["customValues"]]
    groups = {g["slug"]: new_id() for g in items["calendarGroups"]}
    raws["calendarGroups"] = [
        {"id": groups[g["slug"]], "isActive": True, **g} for g in items["calendarGroups"]
    ]
    raws["calendars"] = [
        {
            "id": new_id(),
            "groupId": groups[c["group"]],
            **{k: v for k, v in c.items() if k != "group"},
        }
        for c in items["calendars"]
    ]
    raws["redirects"] = [
        {"id": new_id(), "pathLowercase": r["path"].lower(), **r} for r in items["redirects"]
    ]
    raws["pipelines"] = [
        {
            "id": new_id(),
            "name": p["name"],
            "stages": [
                {"id": new_id(), "name": s, "position": n} for n, s in enumerate(p["stages"])
            ],
        }
        for p in items.get("pipelines", [])
    ]
    for zone in items["shippingZones"]:
        zone_id = new_id(hex24=True)
        raws["shippingZones"].append(
            {"_id": zone_id, "name": zone["name"], "countries": zone["countries"]}
        )
        for rate in zone["rates"]:
            raws["shippingRates"].append(
                {
                    "_id": new_id(hex24=True),
                    "shippingZoneId": zone_id,
                    "conditionType": "none",
                    "minCondition": 0,
                    "maxCondition": 0,
                    "isCarrierRate": False,
                    **rate,
                }
            )
    for product in items["products"]:
        product_id = new_id(hex24=True)
        raws["products"].append(
            {"_id": product_id, **{k: v for k, v in product.items() if k != "prices"}}
        )
        for price in product["prices"]:
            raws["prices"].append({"_id": new_id(hex24=True), "product": product_id, **price})
    return raws


def synthetic_location(
    resources: int,
) -> tuple[dict[str, list[DesiredItem]], dict[str, list[LiveItem]]]:
    """One location of ``resources`` resources, desired and live, built through the adapters
    (manifest models -> ``desired_item``; API objects -> ``live_items``), live equal to desired."""
    m = make_mix(resources)
    items = manifest(m, "synthetic", lookups=False)
    desired: dict[str, list[DesiredItem]] = {kind: [] for kind in registry.kinds()}
    for kind, specs in items.items():
        adapter = registry.get(kind)
        for fields in specs:
            item = adapter.desired_item(adapter.model.model_validate(fields))
            desired[kind].append(item)
            for child in item.children:
                desired[child.kind].append(child)
    live: dict[str, list[LiveItem]] = {}
    ctx = Ctx(NoApi(), "synthetic", live=live, desired=desired)
    raws = live_raws(items)
    for adapter in location_adapters():
        live[adapter.kind] = adapter.live_items(ctx, raws[adapter.kind])
    return desired, live


def location_adapters() -> list[Any]:
    return [a for a in registry.ADAPTERS.values() if a.scope == "location"]


def planner_child(resources: int, budget: float) -> dict[str, Any]:
    """The planner benchmark proper; run in a fresh process so its peak RSS is its own."""
    adapters = location_adapters()
    rss_before = _maxrss_mb()
    build_started = time.perf_counter()
    desired, live = synthetic_location(resources)
    build_seconds = time.perf_counter() - build_started
    rss_items = _maxrss_mb()
    count = sum(len(v) for v in desired.values())
    cpu: list[float] = []
    changes = 0
    while len(cpu) < 3 and sum(cpu) < budget:  # best of 3, or of what fits in the budget
        started = time.process_time()
        plan = plan_location("synthetic", "synthetic", adapters, desired, live)
        cpu.append(time.process_time() - started)
        changes = len(plan.changes)
        del plan
    rss_after = _maxrss_mb()
    best = min(cpu)
    return {
        "resources": count,
        "changes": changes,
        "build_seconds": build_seconds,
        "cpu_seconds": cpu,
        "us_per_resource": best / count * 1e6,
        "peak_rss_mb": rss_after,
        "rss_mb_after_imports": rss_before,
        "rss_mb_items": rss_items - rss_before,
        "rss_mb_items_and_plan": rss_after - rss_before,
    }


def planner_bench(resources: int, budget: float) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "fleet.py"),
            "--planner-child",
            str(resources),
            "--planner-budget",
            str(budget),
        ],
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the planner benchmark failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _maxrss_mb() -> float:
    import resource  # POSIX only

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10
