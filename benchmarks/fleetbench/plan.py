"""Measurements 1 and 2: API calls and wall time of a no-change fleet plan."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.fleetbench.common import child_env, ghlops_cmd
from benchmarks.fleetbench.fleetgen import Location


def fleet_plan(
    project_dir: Path, url: str, locations: Sequence[Location], parallelism: int
) -> tuple[float, float, dict[str, Any]]:
    """``ghlops plan --json`` of the whole fleet: (wall seconds, CPU seconds of the ghlops
    process, the JSON plan)."""
    tokens = {x.token_env: x.token for x in locations}
    cmd = ghlops_cmd(
        "-C", str(project_dir), "plan", "--base-url", url, "--json", "-p", str(parallelism)
    )
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=child_env(tokens), timeout=3600, check=False
    )
    elapsed = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    if done.returncode != 0:
        raise RuntimeError(
            f"ghlops plan exited {done.returncode}:\n{done.stderr[-3000:]}{done.stdout[-3000:]}"
        )
    plan: dict[str, Any] = json.loads(done.stdout)
    return elapsed, cpu, plan


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes."""
    import resource  # POSIX only

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
