"""Measurement 3: an apply of C creates in one location against the rate-limit floor."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.fleetbench.common import GHL_DAILY
from benchmarks.fleetbench.fleetgen import (
    PROBE,
    fleet_locations,
    make_mix,
    probe,
    seed_data,
    write_project,
)
from ghlops.apply.applier import Status
from ghlops.engine import Session, Target
from ghlops.manifest.loader import load_location
from ghlops.manifest.project import load_project
from ghlops.sandbox import RateLimit, Sandbox, make_server


def apply_bench(
    work: Path, creates: int, limit: int, window: float, latency: float
) -> dict[str, Any]:
    """Plan and apply ``creates`` creates in one empty location through an in-thread sandbox
    that enforces ``limit`` requests per ``window`` seconds."""
    m = make_mix(creates, pipelines=False)
    loc = fleet_locations(1, prefix="Apply")[0]
    project_dir = work / "apply"
    write_project(project_dir, [loc], m)
    sb = Sandbox(None, rate_limit=RateLimit(limit, window, daily_limit=GHL_DAILY), latency=latency)
    for x in (loc, PROBE):
        sb.provision_location(x.id, name=x.name, token=x.token)
    sb.seed({"locations": {loc.id: seed_data(m)}})
    server = make_server(sb, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        per_call = probe(url, PROBE)
        project = load_project(project_dir)
        state = load_location(project, project.locations[0])
        target = Target(url, lambda _loc: loc.token, lambda _agency: "", describe=url)
        session = Session(project, target, parallelism=1)
        started = time.perf_counter()
        plan = session.plan([state])
        results = session.apply(plan)
        elapsed = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    calls = sb.request_count(loc.id)
    throttled = sb.throttled_count(loc.id)
    sb.close()
    done = sum(r.count(Status.DONE) for r in results)
    floor = calls / limit * window
    effective = max(floor, calls * per_call)
    return {
        "creates_planned": plan.counts()["create"],
        "creates_done": done,
        "failed": [r.error or r.name for r in results if r.failed],
        "calls": calls,
        "throttled": throttled,
        "seconds": elapsed,
        "limit": limit,
        "window_seconds": window,
        "latency_ms": latency * 1000,
        "floor_seconds": floor,
        "latency_floor_seconds": calls * latency,
        "seconds_per_call_probed": per_call,
        "floor_effective_seconds": effective,
        "ratio": elapsed / floor,
        "ratio_effective": elapsed / effective,
    }
