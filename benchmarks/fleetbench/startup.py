"""Measurement 5: start-up of ghlops --help and validate."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.fleetbench.common import ROOT, child_env, ghlops_cmd


def best_of(cmd: Sequence[str], repeats: int, cwd: Path | None = None) -> float:
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=child_env(), capture_output=True, check=True, timeout=120)
        best = min(best, time.perf_counter() - started)
    return best


def import_breakdown(module: str, count: int = 6) -> dict[str, Any]:
    """Where the import time of ``module`` goes (``python -X importtime``): its direct imports
    and the third-party packages it pulls in, by cumulative milliseconds."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=child_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rows = []
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)", line)
        if found:
            depth = len(found.group(3)) // 2
            rows.append((found.group(4), depth, int(found.group(2)) / 1000))
    total = next((ms for name, depth, ms in rows if name == module and depth == 0), None)
    subtree: list[tuple[str, int, float]] = []
    pending: list[tuple[str, int, float]] = []
    for row in rows:  # post-order: a module's imports are listed just before it
        if row[1] == 0:
            if row[0] == module:
                subtree = pending
            pending = []
        else:
            pending.append(row)
    direct = [(name, ms) for name, depth, ms in subtree if depth == 1]
    skip = set(sys.stdlib_module_names) | {"ghlops"}
    third: dict[str, float] = {}
    for name, _depth, ms in subtree:
        top = name.split(".")[0]
        if name == top and top not in skip and not top.startswith("_") and ms >= 1:
            third[top] = max(third.get(top, 0.0), ms)

    def biggest(pairs: Sequence[tuple[str, float]]) -> list[dict[str, Any]]:
        ranked = sorted(pairs, key=lambda pair: -pair[1])[:count]
        return [{"module": name, "cumulative_ms": round(ms, 1)} for name, ms in ranked]

    return {
        "module": module,
        "total_ms": total,
        "direct": biggest(direct),
        "third_party": biggest(list(third.items())),
    }


def startup_bench(repeats: int, fleet_dir: Path) -> dict[str, Any]:
    dental = ROOT / "ghlops" / "examples" / "dental"
    fleet_started = time.perf_counter()
    subprocess.run(
        ghlops_cmd("-C", str(fleet_dir), "validate"),
        env=child_env(),
        capture_output=True,
        check=True,
        timeout=600,
    )
    fleet_validate = time.perf_counter() - fleet_started
    return {
        "python_bare_seconds": best_of([sys.executable, "-c", "pass"], repeats),
        "help_seconds": best_of(ghlops_cmd("--help"), repeats),
        "validate_seconds": best_of(ghlops_cmd("-C", str(dental), "validate"), repeats),
        "validate_project": "ghlops/examples/dental",
        "fleet_validate_seconds": fleet_validate,
        "repeats": repeats,
        "imports": import_breakdown("ghlops.cli.main"),
    }
