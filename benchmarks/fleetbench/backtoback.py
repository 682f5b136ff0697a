"""Measurement 8: ``plan``, then ``apply``, then ``plan`` again, back to back as three processes
on a fleet with GHL's limits: 429 answers (target 0).

Each process has its own pacer; the apply starts while the plan's requests still count in the
server's window, so it must believe the server's ``X-RateLimit-Remaining`` from its first answer
on. The fleet starts empty; the manifests declare tags, custom fields and custom values.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks.fleetbench.common import GHL_LIMIT, child_env, ghlops_cmd, log, sandbox_server
from benchmarks.fleetbench.fleetgen import fleet_locations, write_files
from benchmarks.fleetbench.managed import bundle
from ghlops.sandbox import Sandbox


def back_to_back_bench(
    work: Path, locations: int, items: int, latency: float, parallelism: int
) -> dict[str, Any]:
    fleet = fleet_locations(locations, prefix="BackToBack")
    project_dir, db, empty = work / "b2b", work / "b2b.sqlite3", work / "b2b-empty"
    empty.mkdir()
    third = max(1, items // 3)
    write_files(project_dir, fleet, {"crm.yaml": bundle(items - 2 * third, third, third)})
    sb = Sandbox(db)
    for x in fleet:
        sb.provision_location(x.id, name=x.name, token=x.token)
    sb.close()
    tokens = {x.token_env: x.token for x in fleet}
    steps = [
        ("plan", ["plan", "-p", str(parallelism)]),
        ("apply", ["apply", "--auto-approve", "-p", str(parallelism)]),
        ("plan again", ["plan", "--detailed-exitcode", "-p", str(parallelism)]),
    ]
    seconds: dict[str, float] = {}
    exits: dict[str, int] = {}
    with sandbox_server(db, empty, latency, GHL_LIMIT) as server:
        for name, args in steps:
            log(f"back to back: {name} of {locations} locations")
            started = time.perf_counter()
            done = subprocess.run(
                ghlops_cmd("-C", str(project_dir), *args[:1], "--base-url", server.url, *args[1:]),
                capture_output=True,
                text=True,
                env=child_env(tokens),
                timeout=3600,
                check=False,
            )
            seconds[name] = time.perf_counter() - started
            exits[name] = done.returncode
            if done.returncode not in (0, 2):
                raise RuntimeError(
                    f"ghlops {name} exited {done.returncode}:\n{done.stderr[-3000:]}"
                )
        requests, throttled = server.stop()
    return {
        "locations": locations,
        "items_per_location": items,
        "latency_ms": latency * 1000,
        "rate_limit": f"{GHL_LIMIT[0]}/{GHL_LIMIT[1]:g}s",
        "parallelism": parallelism,
        "seconds": seconds,
        "exit_codes": exits,
        "converged": exits.get("plan again") == 0,
        "server_requests": requests,
        "throttled": throttled,
    }
