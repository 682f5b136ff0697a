#!/usr/bin/env python3
"""Fleet benchmark of ghlops (issues 4 and 16): the entry point.

Each measurement is a module of ``benchmarks/fleetbench`` (the generated fleet is
``fleetgen``; the sandbox server and constants are ``common``; the table is ``report``); this
script parses the options, runs them side by side and writes the figures.

Run it with the interpreter that has ghlops' dependencies (``pip install -e .``; the script puts
its own checkout first on the path, so it benchmarks the code next to it)::

    python benchmarks/fleet.py            # 500 locations x 60 resources, 50 ms latency (~3.5 min)
    python benchmarks/fleet.py --quick    # 20 locations x 30 resources, 10 ms latency (~35 s)
    python benchmarks/fleet.py --issue16  # only measurements 7 and 8 (15 min at load 20)

It prints a table (each target met or MISSED) with notes, and writes every figure as JSON
(``--out``, default ``benchmarks/results.json``). Everything runs on loopback (127.0.0.1) and
stops by itself; temporary files are removed unless ``--keep``. Exit status 1 when a figure is
meaningless (the fleet did not plan "no changes", counts disagree), not when a target is missed.

What is measured:

1. **API calls of a no-change plan.** A fleet is generated: a project folder (``ghlops.yaml``
   with N locations, each with its own ``tokenEnv``) whose bundle declares ~R resources of every
   location-level kind (tags, custom fields and values, calendar groups, calendars with a team
   member, redirects, read-only pipelines, shipping zones with rates, products with prices) and
   the objects the API cannot create are seeded (users, a shipping carrier, a product
   collection, the pipelines). The first location is applied in-process to an embedded sandbox;
   its stored objects are then copied to every other location (new ids, the location's own
   names), so the live state already equals the manifests and no time goes into applying them.
   ``ghlops sandbox serve`` then serves that database with GHL's limits (100 per 10 s, 200,000 a
   day) and the given latency, and ``ghlops plan --json`` plans the whole fleet. Each
   location's ``api_calls`` is compared with the minimum computed from the generated fleet: one
   list call per kind, per parent for nested kinds (rates per zone, prices per product) and per
   lookup the manifests need (users, carriers, collections), plus extra pages of paginated
   lists. Target: ratio 1.00. (Custom menu links are agency-level, planned once per agency, and
   not part of the fleet.)
2. **Fleet plan wall time** (the whole ``ghlops plan`` process: start-up, loading and rendering
   the project, reading, planning) against the floor ``total calls x latency / parallelism``.
   Target: <= 1.5x. 429 answers during the plan come from the server's own count (printed when
   it stops). Target: 0. The notes add what one call really took on one connection (a probe
   against a location outside the project) and the CPU time of the ghlops process.
3. **Apply of C creates in one location** (default 300) against the rate-limit floor
   ``calls / limit x window`` on an in-thread sandbox whose time axis is scaled down 10x
   (100 per 1 s, latency / 10) to keep it short; plan and apply run through ``ghlops.engine``
   exactly as ``ghlops apply`` does. Target: <= 1.15x with zero 429s.
4. **Planner CPU per resource**: ``plan_location`` on 100,000 synthetic resources built through
   the adapters (a no-change plan), best of 3 (fewer when one takes longer than
   ``--planner-budget``), in a process of its own whose peak RSS is reported too. Target:
   <= 20 us per resource.
5. **Start-up**: ``ghlops --help`` and ``ghlops -C ghlops/examples/dental validate``, best of 5.
   Target: <= 0.3 s for ``--help``.
6. **Naive baseline**: the same fleet read location after location with plain httpx, listing
   each kind and then GETting every object by id where the API has a GET-by-id. It runs on a
   sample of the locations (``--baseline-locations``, 0 = all) and is extrapolated linearly to
   the fleet (it is strictly sequential, so its time is proportional to the locations read);
   the speed-up is that time over ghlops' fleet plan time.
7. **Managed kinds only** (``fleetbench/managed.py``): a no-change plan of ``--managed-locations``
   (1,000) locations that manage 3 kinds and each hold ``--unmanaged-products`` (100) unmanaged
   products with a price: calls per location (target exactly 3), CPU per location (<= 5 ms),
   locations per second (>= 100), once per ``--sweep`` parallelism; next to the previous
   release's approach (a client per location, every kind) on a sample, and the ratio.
8. **Back to back** (``fleetbench/backtoback.py``): ``plan``, ``apply``, ``plan`` as three
   processes on ``--b2b-locations`` (50) empty locations with GHL's limits: 429s (target 0).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a fresh clone without installing the package
    sys.path.insert(0, str(ROOT))


from benchmarks.fleetbench.apply import apply_bench  # noqa: E402
from benchmarks.fleetbench.backtoback import back_to_back_bench  # noqa: E402
from benchmarks.fleetbench.baseline import naive_baseline  # noqa: E402
from benchmarks.fleetbench.common import (  # noqa: E402
    GHL_DAILY,
    GHL_LIMIT,
    log,
    sandbox_server,
)
from benchmarks.fleetbench.fleetgen import (  # noqa: E402
    PROBE,
    build_fleet,
    fleet_locations,
    make_mix,
    minimum_calls,
    probe,
)
from benchmarks.fleetbench.managed import managed_bench  # noqa: E402
from benchmarks.fleetbench.plan import fleet_plan  # noqa: E402
from benchmarks.fleetbench.planner import planner_bench, planner_child  # noqa: E402
from benchmarks.fleetbench.report import (  # noqa: E402
    issue16_report,
    machine,
    notes,
    render_table,
    table_rows,
)
from benchmarks.fleetbench.startup import startup_bench  # noqa: E402
from ghlops.settings import DEFAULT_PARALLELISM  # noqa: E402

FULL = {
    "locations": 500,
    "resources": 60,
    "latency": "50ms",
    "baseline_locations": 10,
    "planner_resources": 100_000,
    "apply_creates": 300,
    "repeats": 5,
    "planner_budget": 20.0,
    "managed_locations": 1000,
    "unmanaged_products": 100,
    "sweep": "8,32,64",
    "previous_locations": 16,
    "b2b_locations": 50,
    "b2b_items": 120,
}
QUICK = {
    "locations": 20,
    "resources": 30,
    "latency": "10ms",
    "baseline_locations": 5,
    "planner_resources": 5_000,
    "apply_creates": 100,
    "repeats": 3,
    "planner_budget": 3.0,
    "managed_locations": 100,
    "unmanaged_products": 20,
    "sweep": "8,32",
    "previous_locations": 8,
    "b2b_locations": 10,
    "b2b_items": 30,
}
APPLY_WINDOW = 1.0  # seconds: GHL's 10 s window scaled down 10x (latency too)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark ghlops on a generated fleet against the sandbox (loopback only).",
    )
    parser.add_argument("--quick", action="store_true", help="a small run: " + str(QUICK))
    parser.add_argument(
        "--issue16",
        action="store_true",
        help="only the fleet-speed measurements of issue 16 (7 and 8: the managed-kinds plan "
        "for each --sweep parallelism next to the previous release's approach, and plan/apply/"
        "plan back to back); 15 min at load 20 on 2 cores, ~5 min idle (estimate)",
    )
    parser.add_argument(
        "--locations", type=int, help=f"locations in the fleet ({FULL['locations']})"
    )
    parser.add_argument(
        "--resources", type=int, help=f"resources per location ({FULL['resources']})"
    )
    parser.add_argument("--latency", help=f"sandbox latency per answer ({FULL['latency']})")
    parser.add_argument(
        "--parallelism",
        type=int,
        default=DEFAULT_PARALLELISM,
        help=f"ghlops plan -p ({DEFAULT_PARALLELISM})",
    )
    parser.add_argument(
        "--baseline-locations",
        type=int,
        help=f"locations the naive baseline reads, extrapolated to the fleet; 0 = all "
        f"({FULL['baseline_locations']})",
    )
    parser.add_argument(
        "--planner-resources",
        type=int,
        help=f"resources of the planner benchmark ({FULL['planner_resources']})",
    )
    parser.add_argument(
        "--apply-creates",
        type=int,
        help=f"creates of the apply benchmark ({FULL['apply_creates']})",
    )
    parser.add_argument("--repeats", type=int, help="start-up runs, best of (5)")
    parser.add_argument(
        "--planner-budget",
        type=float,
        help="seconds of planner CPU for its best-of-3 (stops early past it) (20)",
    )
    parser.add_argument(
        "--managed-locations",
        type=int,
        help=f"locations of the managed-kinds plan ({FULL['managed_locations']})",
    )
    parser.add_argument(
        "--unmanaged-products",
        type=int,
        help=f"unmanaged products (one price each) per managed-kinds location "
        f"({FULL['unmanaged_products']})",
    )
    parser.add_argument(
        "--sweep", help=f"parallelisms of the managed-kinds plan, comma-separated ({FULL['sweep']})"
    )
    parser.add_argument(
        "--previous-locations",
        type=int,
        help=f"locations the previous release's approach plans, extrapolated "
        f"({FULL['previous_locations']})",
    )
    parser.add_argument(
        "--b2b-locations", type=int, help=f"locations of plan/apply/plan ({FULL['b2b_locations']})"
    )
    parser.add_argument(
        "--b2b-items", type=int, help=f"items per location of plan/apply/plan ({FULL['b2b_items']})"
    )
    parser.add_argument("--planner-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results.json", help="the JSON file"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary fleet folder")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.locations < 1 or args.parallelism < 1:
        parser.error("--locations and --parallelism must be at least 1")
    try:
        args.sweep = [int(p) for p in str(args.sweep).split(",")]
    except ValueError:
        parser.error(f"--sweep: {args.sweep!r} is not a comma-separated list of numbers")
    if min(args.sweep) < 1 or args.managed_locations < 1 or args.b2b_locations < 1:
        parser.error("--sweep, --managed-locations and --b2b-locations must be at least 1")
    for option, value in (
        ("--resources", args.resources),
        ("--apply-creates", args.apply_creates),
        ("--planner-resources", args.planner_resources),
    ):
        try:
            make_mix(value, pipelines=option != "--apply-creates")
        except ValueError as exc:
            parser.error(f"{option}: {exc}")
    return args


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from ghlops.sandbox.middleware import parse_duration

    latency = parse_duration(args.latency)
    host = machine()  # the load average before the run
    m = make_mix(args.resources)
    locations = fleet_locations(args.locations)
    fleet_dir, db, empty = work / "fleet", work / "fleet.sqlite3", work / "empty"
    empty.mkdir()
    config = {
        "locations": args.locations,
        "resources_per_location": m.total,
        "resources_by_kind": m.counts(),
        "latency_ms": latency * 1000,
        "rate_limit": f"{GHL_LIMIT[0]}/{GHL_LIMIT[1]:g}s",
        "daily_limit": GHL_DAILY,
        "parallelism": args.parallelism,
        "quick": args.quick,
    }

    log(f"building a fleet of {args.locations} locations x {m.total} resources")
    setup_seconds = build_fleet(db, fleet_dir, locations, m)
    log(f"fleet ready in {setup_seconds:.1f} s; starting ghlops sandbox serve")

    sample_size = args.baseline_locations or args.locations
    sample = locations[: min(sample_size, args.locations)]
    probe_calls = 21
    with sandbox_server(db, empty, latency, GHL_LIMIT) as server:
        per_call = probe(server.url, PROBE, probe_calls - 1)
        log(
            f"sandbox at {server.url}: {per_call * 1000:.1f} ms per call (latency "
            f"{latency * 1000:g} ms); ghlops plan of the fleet (-p {args.parallelism})"
        )
        plan_seconds, plan_cpu, plan = fleet_plan(
            fleet_dir, server.url, locations, args.parallelism
        )
        log(f"plan took {plan_seconds:.1f} s; naive baseline on {len(sample)} location(s)")
        baseline = naive_baseline(server.url, sample)
        log(f"baseline took {baseline['seconds']:.1f} s")
        server_requests, server_throttled = server.stop()

    minimum = minimum_calls(m)
    per_min = sum(minimum.values())
    calls = [int(loc["api_calls"]) for loc in plan["locations"]]
    total_calls = sum(calls)
    floor = total_calls * latency / args.parallelism
    floor_effective = total_calls * per_call / args.parallelism
    throttled = None if server_throttled is None else server_throttled - baseline["throttled"]
    plan_result = {
        "seconds": plan_seconds,
        "cpu_seconds": plan_cpu,
        "total_calls": total_calls,
        "calls_per_location_mean": total_calls / len(calls),
        "calls_per_location_min": min(calls),
        "calls_per_location_max": max(calls),
        "minimum_per_location": per_min,
        "minimum_by_kind": minimum,
        "calls_ratio": total_calls / (per_min * len(calls)),
        "calls_ratio_max": max(calls) / per_min,
        "floor_seconds": floor,
        "wall_ratio": plan_seconds / floor if floor else None,
        "seconds_per_call_probed": per_call,
        "floor_effective_seconds": floor_effective,
        "wall_ratio_effective": plan_seconds / floor_effective,
        "probe_calls": probe_calls,
        "throttled": throttled,
        "server_requests": server_requests,
        "locations_planned": plan["summary"]["locations"],
        "locations_with_changes": plan["summary"]["locations_with_changes"],
        "locations_failed": plan["summary"]["locations_failed"],
        "summary": plan["summary"],
    }
    fleet_baseline = baseline["seconds"] / len(sample) * args.locations
    baseline_result = {
        **baseline,
        "objects_expected": m.total * len(sample),
        "calls_per_location": baseline["calls"] / len(sample),
        "extrapolated": len(sample) < args.locations,
        "fleet_seconds": fleet_baseline,
        "speedup": fleet_baseline / plan_seconds,
    }

    window_scale = APPLY_WINDOW / GHL_LIMIT[1]
    log(
        f"apply of {args.apply_creates} creates at {GHL_LIMIT[0]}/{APPLY_WINDOW:g}s, "
        f"latency {latency * window_scale * 1000:g} ms"
    )
    apply_result = apply_bench(
        work, args.apply_creates, GHL_LIMIT[0], APPLY_WINDOW, latency * window_scale
    )
    log(f"planner on {args.planner_resources:,} resources")
    planner = planner_bench(args.planner_resources, args.planner_budget)
    log("start-up times")
    startup = startup_bench(args.repeats, fleet_dir)
    managed = managed_bench(
        work,
        args.managed_locations,
        args.unmanaged_products,
        latency,
        args.sweep,
        args.previous_locations,
    )
    log(f"plan, apply, plan back to back on {args.b2b_locations} locations")
    b2b = back_to_back_bench(work, args.b2b_locations, args.b2b_items, latency, max(args.sweep))

    results: dict[str, Any] = {
        "format_version": 1,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {**host, "load_average_after": machine()["load_average"]},
        "config": config,
        "setup_seconds": setup_seconds,
        "plan": plan_result,
        "apply": apply_result,
        "planner": planner,
        "startup": startup,
        "baseline": baseline_result,
        "managed": managed,
        "back_to_back": b2b,
    }
    results["table"] = table_rows(results)
    results["targets_met"] = all(r["met"] for r in results["table"] if r["met"] is not None)
    problems = sanity_problems(results)
    results["problems"] = problems
    return results


def run_issue16(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Measurements 7 and 8 only (``--issue16``)."""
    from ghlops.sandbox.middleware import parse_duration

    latency = parse_duration(args.latency)
    host = machine()  # the load average before the run
    started = time.perf_counter()
    managed = managed_bench(
        work,
        args.managed_locations,
        args.unmanaged_products,
        latency,
        args.sweep,
        args.previous_locations,
    )
    b2b_parallelism = max(args.sweep)
    log(f"plan, apply, plan back to back on {args.b2b_locations} locations, -p {b2b_parallelism}")
    b2b = back_to_back_bench(work, args.b2b_locations, args.b2b_items, latency, b2b_parallelism)
    results: dict[str, Any] = {
        "format_version": 1,
        "kind": "issue16",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {**host, "load_average_after": machine()["load_average"]},
        "default_parallelism": DEFAULT_PARALLELISM,
        "seconds": time.perf_counter() - started,
        "managed": managed,
        "back_to_back": b2b,
    }
    results["problems"] = issue16_problems(results)
    return results


def issue16_problems(r: Mapping[str, Any]) -> list[str]:
    problems = []
    for run in r["managed"]["runs"]:
        if run["locations_with_changes"] or run["locations_failed"]:
            problems.append(
                f"the managed-kinds plan (-p {run['parallelism']}) is not a no-change plan: "
                f"{run['locations_with_changes']} with changes, {run['locations_failed']} failed"
            )
        calls = run["calls_per_location_mean"] * r["managed"]["locations"]
        if run["server_requests"] is not None and run["server_requests"] != round(calls):
            problems.append(
                f"-p {run['parallelism']}: the server counted {run['server_requests']} requests, "
                f"the plan reported {round(calls)}"
            )
    if not r["back_to_back"]["converged"]:
        problems.append("plan, apply, plan back to back: the last plan still has changes")
    return problems


def sanity_problems(r: Mapping[str, Any]) -> list[str]:
    """What makes the figures meaningless (rather than merely slow)."""
    p, a, b, pl = r["plan"], r["apply"], r["baseline"], r["planner"]
    problems = []
    if p["locations_with_changes"] or p["locations_failed"]:
        problems.append(
            f"the fleet plan is not a no-change plan: {p['locations_with_changes']} location(s) "
            f"with changes, {p['locations_failed']} failed"
        )
    expected = p["total_calls"] + b["calls"] + p["probe_calls"]
    if p["server_requests"] is not None and p["server_requests"] != expected:
        problems.append(
            f"the server counted {p['server_requests']} requests; the plan reported "
            f"{p['total_calls']}, the baseline made {b['calls']} and the probe {p['probe_calls']}"
        )
    if b["objects_read"] != b["objects_expected"]:
        problems.append(
            f"the baseline read {b['objects_read']} objects, expected {b['objects_expected']}"
        )
    if a["creates_done"] != a["creates_planned"] or a["failed"]:
        problems.append(f"the apply did {a['creates_done']} of {a['creates_planned']} creates")
    if pl["changes"]:
        problems.append(f"the synthetic planner location is not unchanged ({pl['changes']})")
    for run in r["managed"]["runs"]:
        if run["locations_with_changes"] or run["locations_failed"]:
            problems.append(
                f"the managed-kinds plan (-p {run['parallelism']}) is not a no-change plan: "
                f"{run['locations_with_changes']} with changes, {run['locations_failed']} failed"
            )
    if not r["back_to_back"]["converged"]:
        problems.append("plan, apply, plan back to back: the last plan still has changes")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.planner_child:
        print(json.dumps(planner_child(args.planner_child, args.planner_budget)))
        return 0
    measure = run_issue16 if args.issue16 else run
    if args.keep:
        work = Path(tempfile.mkdtemp(prefix="ghlops-bench-"))
        log(f"working in {work} (kept)")
        results = measure(args, work)
    else:
        with tempfile.TemporaryDirectory(prefix="ghlops-bench-") as tmp:
            results = measure(args, Path(tmp))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    if args.issue16:
        print()
        for line in issue16_report(results):
            print(line)
        print(f"Written to {args.out}")
        return 1 if results["problems"] else 0
    mach = results["machine"]
    print()
    print(
        f"ghlops fleet benchmark: {mach['machine']}, {mach['cpu_model']} ({mach['cpus']} CPUs), "
        f"Python {mach['python']}"
    )
    cfg = results["config"]
    print(
        f"fleet: {cfg['locations']} locations x {cfg['resources_per_location']} resources, "
        f"latency {cfg['latency_ms']:g} ms, limits {cfg['rate_limit']} and {cfg['daily_limit']}/day"
    )
    print()
    print(render_table(results))
    print()
    for line in notes(results):
        print(f"- {line}")
    print()
    for problem in results["problems"]:
        print(f"PROBLEM: {problem}")
    print(f"Written to {args.out}")
    return 1 if results["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
