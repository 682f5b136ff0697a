"""The report: machine description, the table of targets, the notes."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or None
    return {
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "cpu_model": model,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def verdict(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "MISSED")


def render_table(results: Mapping[str, Any]) -> str:
    head = ("measure", "value", "target", "")
    rows = [head] + [
        (r["measure"], r["value"], r["target"], verdict(r["met"])) for r in results["table"]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def table_rows(r: Mapping[str, Any]) -> list[dict[str, Any]]:
    p, a, pl, s, b = r["plan"], r["apply"], r["planner"], r["startup"], r["baseline"]
    cfg = r["config"]
    throttled = p["throttled"]
    baseline_how = f"extrapolated from {b['locations']}" if b["extrapolated"] else "measured"
    return [
        {
            "measure": "API calls per location, no-change plan",
            "value": f"{p['calls_per_location_mean']:.2f} / minimum {p['minimum_per_location']}"
            f" = {p['calls_ratio']:.2f}",
            "target": "1.00",
            "met": p["calls_ratio_max"] <= 1.0 + 1e-9,
        },
        {
            "measure": f"Fleet plan wall time, {cfg['locations']} locations, -p {cfg['parallelism']}",
            "value": f"{p['seconds']:.1f} s / floor {p['floor_seconds']:.1f} s"
            f" = {ratio(p['wall_ratio'])}",
            "target": "<= 1.5",
            "met": None if p["wall_ratio"] is None else p["wall_ratio"] <= 1.5,
        },
        {
            "measure": "429 answers during the fleet plan",
            "value": "unknown" if throttled is None else str(throttled),
            "target": "0",
            "met": None if throttled is None else throttled == 0,
        },
        {
            "measure": f"Apply, {a['creates_planned']} creates in one location",
            "value": f"{a['seconds']:.2f} s / floor {a['floor_seconds']:.2f} s"
            f" = {a['ratio']:.2f}; {a['throttled']} x 429",
            "target": "<= 1.15, no 429",
            "met": a["ratio"] <= 1.15 and a["throttled"] == 0 and not a["failed"],
        },
        {
            "measure": f"Planner CPU per resource, {pl['resources']:,} resources",
            "value": f"{pl['us_per_resource']:.1f} us; peak RSS {pl['peak_rss_mb']:.0f} MB",
            "target": "<= 20 us",
            "met": pl["us_per_resource"] <= 20,
        },
        {
            "measure": f"ghlops --help start-up, best of {s['repeats']}",
            "value": f"{s['help_seconds']:.3f} s",
            "target": "<= 0.3 s",
            "met": s["help_seconds"] <= 0.3,
        },
        {
            "measure": f"ghlops validate start-up ({s['validate_project']})",
            "value": f"{s['validate_seconds']:.3f} s",
            "target": "-",
            "met": None,
        },
        *managed_rows(r),
        {
            "measure": f"plan, apply, plan back to back, {r['back_to_back']['locations']} locations",
            "value": f"{r['back_to_back']['throttled']} x 429",
            "target": "0",
            "met": None
            if r["back_to_back"]["throttled"] is None
            else r["back_to_back"]["throttled"] == 0,
        },
        {
            "measure": f"Naive baseline, the same fleet ({baseline_how})",
            "value": f"{b['fleet_seconds']:.0f} s = {b['speedup']:.1f} x ghlops' time",
            "target": "-",
            "met": None,
        },
    ]


def notes(r: Mapping[str, Any]) -> list[str]:
    """The details behind the table."""
    p, a, pl, s, b, cfg = (
        r["plan"],
        r["apply"],
        r["planner"],
        r["startup"],
        r["baseline"],
        r["config"],
    )
    imports = s["imports"]
    heavy = ", ".join(f"{i['module']} {i['cumulative_ms']:.0f}" for i in imports["third_party"][:4])
    return [
        f"plan floor: {p['total_calls']} calls x {cfg['latency_ms']:g} ms / {cfg['parallelism']};"
        f" a call took {p['seconds_per_call_probed'] * 1000:.1f} ms on one connection (probe),"
        f" so {p['floor_effective_seconds']:.1f} s at that pace (ratio"
        f" {p['wall_ratio_effective']:.2f}); the ghlops process used {p['cpu_seconds']:.1f} s CPU;"
        f" loading the fleet alone (ghlops validate) takes {s['fleet_validate_seconds']:.1f} s",
        f"apply floor: {a['calls']} calls / {a['limit']} per {a['window_seconds']:g} s (latency"
        f" {a['latency_ms']:g} ms); a call took {a['seconds_per_call_probed'] * 1000:.1f} ms, so"
        f" {a['floor_effective_seconds']:.2f} s at that pace one call after another (ratio"
        f" {a['ratio_effective']:.2f})",
        f"planner: best of {len(pl['cpu_seconds'])} run(s), {pl['build_seconds']:.1f} s to build"
        f" the items; {pl['rss_mb_items_and_plan']:.0f} MB RSS over the imports",
        f"start-up: bare python {s['python_bare_seconds']:.3f} s; import ghlops.cli.main"
        f" {imports['total_ms']:.0f} ms (heaviest packages, ms: {heavy})",
        "managed-kinds sweep: "
        + "; ".join(
            f"-p {x['parallelism']}: {x['seconds']:.1f} s, {x['locations_per_second']:.0f}/s,"
            f" {x['cpu_ms_per_location']:.1f} ms CPU per location"
            for x in r["managed"]["runs"]
        )
        + f"; not read: {', '.join(r['managed']['best']['not_read'])};"
        f" 429s: {r['managed']['throttled']}",
        "back to back: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in r["back_to_back"]["seconds"].items())
        + f"; {r['back_to_back']['server_requests']} requests",
        f"baseline: {b['calls_per_location']:.1f} calls per location (ghlops:"
        f" {p['calls_per_location_mean']:.1f}), {b['seconds'] / b['locations']:.2f} s per location,"
        f" {b['throttled']} x 429",
    ]


def managed_rows(r: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The managed-kinds plan: the best run of the sweep, and the previous release's approach."""
    m = r["managed"]
    best, prev = m["best"], m["previous"]
    kinds = len(m["kinds"])
    how = f"extrapolated from {prev['locations']}" if prev["extrapolated"] else "measured"
    return [
        {
            "measure": f"Calls per location, {m['locations']:,} locations managing {kinds} kinds",
            "value": f"{best['calls_per_location_min']}-{best['calls_per_location_max']}"
            f" (previous release: {prev['calls_per_location_mean']:.1f})",
            "target": f"{kinds}",
            "met": best["calls_per_location_min"] == best["calls_per_location_max"] == kinds,
        },
        {
            "measure": f"CPU per location, same plan, -p {best['parallelism']}",
            "value": f"{best['cpu_ms_per_location']:.1f} ms"
            f" (previous release: {prev['cpu_ms_per_location']:.1f} ms)",
            "target": "<= 5 ms",
            "met": best["cpu_ms_per_location"] <= 5,
        },
        {
            "measure": f"Locations per second, same plan, -p {best['parallelism']}",
            "value": f"{best['locations_per_second']:.0f} ({best['seconds']:.1f} s; previous"
            f" release {prev['fleet_seconds']:.0f} s, {how}: {prev['speedup']:.1f}x)",
            "target": ">= 100",
            "met": best["locations_per_second"] >= 100,
        },
    ]


def issue16_report(r: Mapping[str, Any]) -> list[str]:
    """``--issue16``: the managed-kinds plan for each parallelism, the previous release's
    approach and the ratio, plan/apply/plan back to back; each with its 429s."""
    m, b2b, mach = r["managed"], r["back_to_back"], r["machine"]
    prev = m["previous"]
    load = ", ".join(f"{x:.1f}" for x in mach["load_average"] or [])
    after = ", ".join(f"{x:.1f}" for x in mach["load_average_after"] or [])
    head = ("-p", "wall", "locations/s", "CPU/location", "calls/location", "429s", "speed-up")
    rows = [head]
    for x in m["runs"]:
        calls = f"{x['calls_per_location_min']}"
        if x["calls_per_location_max"] != x["calls_per_location_min"]:
            calls += f"-{x['calls_per_location_max']}"
        rows.append(
            (
                str(x["parallelism"]),
                f"{x['seconds']:.1f} s",
                f"{x['locations_per_second']:.1f}",
                f"{x['cpu_ms_per_location']:.1f} ms",
                calls,
                "?" if x["throttled"] is None else str(x["throttled"]),
                f"{prev['fleet_seconds'] / x['seconds']:.1f}x",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    table = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    table.insert(1, "  ".join("-" * w for w in widths))
    how = f"extrapolated from {prev['locations']}" if prev["extrapolated"] else "measured"
    best = m["best"]
    return [
        f"ghlops issue-16 fleet benchmark, {r['when']}: {mach['machine']}, {mach['cpu_model']} "
        f"({mach['cpus']} CPUs), Python {mach['python']}",
        f"load average before: {load}; after: {after}; the benchmark took {r['seconds']:.0f} s",
        "",
        f"No-change plan of {m['locations']:,} locations managing {len(m['kinds'])} kinds"
        f" ({', '.join(m['kinds'])}), each also holding {m['unmanaged_products']} unmanaged"
        f" products with a price; sandbox latency {m['latency_ms']:g} ms, limits {m['rate_limit']}"
        f" per location; one ghlops process per row, all locations through its one connection"
        f" pool; CPU of that process per location; speed-up: the previous release's time for the"
        f" fleet over this row's (targets: calls = {len(m['kinds'])}, CPU <= 5 ms, >= 100"
        f" locations/s, 0 x 429):",
        "",
        *table,
        "",
        f"previous release's approach (a client per location, every kind read, -p"
        f" {prev['parallelism']}): {prev['calls_per_location_mean']:.0f} calls/location,"
        f" {prev['cpu_ms_per_location']:.0f} ms CPU/location, {prev['locations_per_second']:.2f}"
        f" locations/s, {prev['throttled']} x 429; the fleet in {prev['fleet_seconds']:.0f} s"
        f" ({how}): {prev['fleet_seconds'] / best['seconds']:.1f}x the best run's time"
        f" (-p {best['parallelism']})",
        f"plan, apply, plan back to back ({b2b['locations']} locations x"
        f" {b2b['items_per_location']} items, -p {b2b['parallelism']}): {b2b['throttled']} x 429"
        f" in {b2b['server_requests']} requests; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in b2b["seconds"].items())
        + ("; converged" if b2b["converged"] else "; NOT converged"),
        f"default --parallelism: {r['default_parallelism']}",
    ]
