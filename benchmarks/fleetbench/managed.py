"""Measurement 7: a no-change plan of a large fleet that manages 3 kinds, where every location also
holds unmanaged products with prices, next to the previous release's approach.

The fleet: N locations whose bundle declares tags, custom fields and custom values (templated per
location), and whose live state matches it; each location also holds P products with one price
each that no manifest names. ``ghlops plan --json`` plans it over HTTP against ``ghlops sandbox
serve`` (GHL's limits, the given latency), once per parallelism of the sweep: API calls per
location (target: exactly 1 per declared kind), wall time, CPU seconds of the ghlops process per
location (target <= 5 ms) and locations per second (target >= 100).

Each run plans through the run's one shared connection pool (one SSL context, keep-alive
connections for every location). Each run, and the baseline, gets a sandbox server of its own,
whose count of requests and 429 answers is reported with it.

The baseline is the previous release's approach, in this process: one client (and SSL context,
and connections) per location, every kind read, lookups for every live reference, products'
prices under every product, 8 locations at a time. It runs on a sample of the fleet and is
extrapolated linearly (its locations are independent and it keeps 8 in flight).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.fleetbench.common import (
    GHL_DAILY,
    GHL_LIMIT,
    child_env,
    ghlops_cmd,
    log,
    sandbox_server,
)
from benchmarks.fleetbench.fleetgen import (
    LOC,
    Location,
    fill_fleet,
    fleet_locations,
    write_files,
)
from benchmarks.fleetbench.plan import _children_cpu
from ghlops.client import GhlClient
from ghlops.client.ratelimit import RateLimiter
from ghlops.engine import read_live, selected_adapters
from ghlops.manifest.loader import load_all
from ghlops.manifest.project import load_project
from ghlops.plan.planner import plan_location
from ghlops.sandbox import Sandbox

KINDS = ("tags", "customFields", "customValues")
PREVIOUS_PARALLELISM = 8  # the previous release's default --parallelism


def bundle(tags: int = 10, fields: int = 5, values: int = 5) -> dict[str, Any]:
    return {
        "tags": [{"name": f"{LOC}-patient"}] + [{"name": f"tag-{i}"} for i in range(1, tags)],
        "customFields": [
            {"name": f"Field {i}", "model": "contact", "dataType": "TEXT"} for i in range(fields)
        ],
        "customValues": [
            {"name": f"Value {i}", "value": f"https://{LOC}.bench.example/{i}"}
            for i in range(values)
        ],
    }


def build(db: Path, project_dir: Path, locations: list[Location], products: int) -> float:
    """The project and a sandbox database where every location matches it and holds
    ``products`` unmanaged products with one price each. Returns seconds spent."""
    started = time.perf_counter()
    write_files(project_dir, locations, {"crm.yaml": bundle()})

    def unmanaged_products(sb: Sandbox, first: Location) -> None:
        made = {
            "products": [
                {"name": f"Unmanaged {i}", "productType": "SERVICE"} for i in range(products)
            ]
        }
        ids = sb.seed({"locations": {first.id: made}}).get(f"{first.id}/products", [])
        prices = [{"product": pid, "name": "Standard", "amount": 10} for pid in ids]
        sb.seed({"locations": {first.id: {"prices": prices}}})

    fill_fleet(db, project_dir, locations, unmanaged_products)
    return time.perf_counter() - started


def ghlops_plan(
    project_dir: Path, url: str, locations: list[Location], parallelism: int
) -> dict[str, Any]:
    """``ghlops plan --json -p P``: wall and CPU seconds, calls per location."""
    import json
    import subprocess

    tokens = {x.token_env: x.token for x in locations}
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        ghlops_cmd(
            "-C", str(project_dir), "plan", "--base-url", url, "--json", "-p", str(parallelism)
        ),
        capture_output=True,
        text=True,
        env=child_env(tokens),
        timeout=3600,
        check=False,
    )
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    if done.returncode != 0:
        raise RuntimeError(f"ghlops plan exited {done.returncode}:\n{done.stderr[-3000:]}")
    plan = json.loads(done.stdout)
    calls = [int(loc["api_calls"]) for loc in plan["locations"]]
    n = len(locations)
    return {
        "parallelism": parallelism,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "cpu_ms_per_location": cpu / n * 1000,
        "locations_per_second": n / seconds,
        "calls_per_location_min": min(calls),
        "calls_per_location_max": max(calls),
        "calls_per_location_mean": sum(calls) / n,
        "locations_with_changes": plan["summary"]["locations_with_changes"],
        "locations_failed": plan["summary"]["locations_failed"],
        "unmanaged": plan["summary"]["unmanaged"],
        "not_read": plan["locations"][0]["not_read"],
    }


def previous_release(project_dir: Path, url: str, sample: list[Location]) -> dict[str, Any]:
    """The previous release's plan of ``sample``: a client per location, every kind."""
    project = load_project(project_dir)
    by_id = {x.id: x for x in sample}
    states = load_all(project, [loc for loc in project.locations if loc.id in by_id])
    adapters = selected_adapters()
    calls: list[int] = []

    def one(state: Any) -> None:
        loc = by_id[state.location.id]
        with GhlClient(loc.token, base_url=url, limiter=RateLimiter()) as client:
            live = read_live(client, loc.id, adapters, state.items)  # everything, as before
            plan_location(loc.name, loc.id, adapters, state.items, live, policy=project.policy)
            calls.append(client.calls)

    cpu = time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(PREVIOUS_PARALLELISM) as pool:
        list(pool.map(one, states))
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    return {
        "locations": len(sample),
        "parallelism": PREVIOUS_PARALLELISM,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "cpu_ms_per_location": cpu / len(sample) * 1000,
        "calls_per_location_mean": sum(calls) / len(calls),
        "locations_per_second": len(sample) / seconds,
    }


def managed_bench(
    work: Path,
    locations: int,
    products: int,
    latency: float,
    sweep: list[int],
    baseline_locations: int,
) -> dict[str, Any]:
    fleet = fleet_locations(locations, prefix="Managed")
    project_dir, db, empty = work / "managed", work / "managed.sqlite3", work / "managed-empty"
    empty.mkdir()
    log(f"managed: building {locations} locations x 3 kinds + {products} unmanaged products")
    setup = build(db, project_dir, fleet, products)
    log(f"managed: ready in {setup:.1f} s")
    sample = fleet[: max(1, min(baseline_locations, locations))]
    runs = []
    for parallelism in sweep:  # a server each: its own count of requests and 429s
        with sandbox_server(db, empty, latency, GHL_LIMIT) as server:
            log(f"managed: ghlops plan of {locations} locations, -p {parallelism}")
            run = ghlops_plan(project_dir, server.url, fleet, parallelism)
            run["server_requests"], run["throttled"] = server.stop()
        runs.append(run)
        log(
            f"managed: {run['seconds']:.1f} s, {run['locations_per_second']:.0f} locations/s, "
            f"{run['cpu_ms_per_location']:.1f} ms CPU per location, {run['throttled']} x 429"
        )
    with sandbox_server(db, empty, latency, GHL_LIMIT) as server:
        log(f"managed: the previous release's approach on {len(sample)} location(s)")
        previous = previous_release(project_dir, server.url, sample)
        previous["server_requests"], previous["throttled"] = server.stop()
    requests = sum(r["server_requests"] or 0 for r in runs) + (previous["server_requests"] or 0)
    throttled = sum(r["throttled"] or 0 for r in runs) + (previous["throttled"] or 0)
    best = max(runs, key=lambda r: r["locations_per_second"])
    previous_fleet = previous["seconds"] / len(sample) * locations
    return {
        "locations": locations,
        "unmanaged_products": products,
        "kinds": list(KINDS),
        "latency_ms": latency * 1000,
        "rate_limit": f"{GHL_LIMIT[0]}/{GHL_LIMIT[1]:g}s",
        "daily_limit": GHL_DAILY,
        "setup_seconds": setup,
        "runs": runs,
        "best": best,
        "previous": {
            **previous,
            "extrapolated": len(sample) < locations,
            "fleet_seconds": previous_fleet,
            "speedup": previous_fleet / best["seconds"],
        },
        "server_requests": requests,
        "throttled": throttled,
    }
