"""Smoke test of ``benchmarks/fleet.py``: a tiny run goes end to end and reports every figure.

Not a timed test: the wall-time targets depend on the machine, so they are not asserted here; only
what must hold anywhere is (a no-change plan at exactly the minimum number of API calls, no 429s,
every create made, sane positive figures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "fleet.py"
LOCATIONS = 6
BASELINE_LOCATIONS = 2
PLANNER_RESOURCES = 1000
APPLY_CREATES = 40
MANAGED_LOCATIONS = 4


def run_quick(out: Path, cwd: Path) -> dict[str, Any]:
    args = [
        "--quick",
        "--locations",
        str(LOCATIONS),
        "--resources",
        "20",
        "--baseline-locations",
        str(BASELINE_LOCATIONS),
        "--planner-resources",
        str(PLANNER_RESOURCES),
        "--apply-creates",
        str(APPLY_CREATES),
        "--repeats",
        "1",
        "--managed-locations",
        str(MANAGED_LOCATIONS),
        "--unmanaged-products",
        "3",
        "--sweep",
        "4",
        "--previous-locations",
        "2",
        "--b2b-locations",
        "2",
        "--b2b-items",
        "9",
        "--out",
        str(out),
    ]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=cwd,  # the script finds the repository from its own path
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard on a loaded machine, not a speed check
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "measure" in done.stdout  # the table
    results: dict[str, Any] = json.loads(out.read_text())
    return results


def test_quick_benchmark_reports_every_figure(tmp_path: Path) -> None:
    r = run_quick(tmp_path / "results.json", tmp_path)

    assert r["problems"] == []
    assert r["config"]["locations"] == LOCATIONS
    assert r["config"]["resources_per_location"] == 20
    assert {"machine", "cpu_model", "cpus", "python"} <= set(r["machine"])

    plan = r["plan"]
    assert plan["locations_planned"] == LOCATIONS
    assert plan["locations_with_changes"] == 0
    assert plan["locations_failed"] == 0
    assert plan["minimum_per_location"] == sum(plan["minimum_by_kind"].values())
    assert plan["calls_ratio"] == 1.0
    assert plan["calls_ratio_max"] == 1.0
    assert plan["total_calls"] == LOCATIONS * plan["minimum_per_location"]
    assert plan["throttled"] == 0
    assert plan["seconds"] > 0
    assert plan["floor_seconds"] > 0
    assert plan["wall_ratio"] > 0
    assert plan["seconds_per_call_probed"] > 0

    apply = r["apply"]
    assert apply["creates_planned"] == apply["creates_done"] == APPLY_CREATES
    assert apply["failed"] == []
    assert apply["throttled"] == 0
    assert apply["calls"] >= APPLY_CREATES
    assert apply["floor_seconds"] == apply["calls"] / apply["limit"] * apply["window_seconds"]
    assert apply["ratio"] > 0

    planner = r["planner"]
    assert planner["resources"] == PLANNER_RESOURCES
    assert planner["changes"] == 0
    assert planner["us_per_resource"] > 0
    assert planner["peak_rss_mb"] > 0

    startup = r["startup"]
    assert startup["help_seconds"] > 0
    assert startup["validate_seconds"] > 0
    assert startup["imports"]["total_ms"] > 0

    baseline = r["baseline"]
    assert baseline["locations"] == BASELINE_LOCATIONS
    assert baseline["extrapolated"] is True
    assert baseline["objects_read"] == baseline["objects_expected"]
    assert baseline["calls_per_location"] > plan["minimum_per_location"]  # one GET per object
    assert baseline["throttled"] == 0
    assert baseline["speedup"] > 0

    managed = r["managed"]
    assert managed["locations"] == MANAGED_LOCATIONS
    run = managed["runs"][0]
    assert run["calls_per_location_min"] == run["calls_per_location_max"] == 3  # 3 kinds
    assert run["locations_with_changes"] == run["locations_failed"] == 0
    assert run["unmanaged"] == 0  # the products are never read, so never counted
    assert "products" in run["not_read"] and "prices" in run["not_read"]
    assert managed["previous"]["calls_per_location_mean"] > 3 + 3  # every kind, every price
    assert managed["throttled"] == 0

    b2b = r["back_to_back"]
    assert b2b["converged"] is True
    assert b2b["exit_codes"] == {"plan": 0, "apply": 0, "plan again": 0}
    assert b2b["throttled"] == 0

    assert len(r["table"]) == 12
    assert all(row["met"] in (True, False, None) for row in r["table"])


def test_the_issue16_mode_measures_the_fleet_plan_per_parallelism(tmp_path: Path) -> None:
    """``--issue16`` (what the lead runs on an idle machine): the managed-kinds plan per
    parallelism through the shared pool, each run's own server count of requests and 429s, the
    previous release's approach, plan/apply/plan back to back; the printed table."""
    out = tmp_path / "issue16.json"
    args = ["--issue16", "--latency", "10ms", "--managed-locations", "3"]
    args += ["--unmanaged-products", "2", "--sweep", "1,3", "--previous-locations", "1"]
    args += ["--b2b-locations", "2", "--b2b-items", "6", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard on a loaded machine, not a speed check
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    r: dict[str, Any] = json.loads(out.read_text())
    assert r["problems"] == []
    managed = r["managed"]
    assert [run["parallelism"] for run in managed["runs"]] == [1, 3]
    for run in managed["runs"]:
        assert run["calls_per_location_min"] == run["calls_per_location_max"] == 3
        assert run["server_requests"] == 3 * 3  # the server saw exactly the plan's calls
        assert run["throttled"] == 0
        assert run["cpu_ms_per_location"] > 0 and run["locations_per_second"] > 0
    assert managed["previous"]["calls_per_location_mean"] > 3 + 2  # every kind, every price
    assert managed["previous"]["throttled"] == 0
    assert r["back_to_back"]["converged"] is True and r["back_to_back"]["throttled"] == 0
    assert r["machine"]["load_average"] and r["machine"]["load_average_after"]
    lines = done.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("-p "))
    columns = ["-p", "wall", "locations/s", "CPU/location", "calls/location", "429s", "speed-up"]
    assert lines[head].split() == columns
    assert [lines[head + 2].split()[0], lines[head + 3].split()[0]] == ["1", "3"]
    assert "previous release's approach" in done.stdout and "back to back" in done.stdout
