"""Terraform-style text output of a plan.

Location downtown (ve9EPM428h8vShlRW1KT)
  + tag "vip"
  ~ custom value "Booking URL" (id rWQ709Pb62syqGLceg1x)
      value: "https://old" → "https://new"

Plan: 1 to create, 1 to update, 0 to replace, 0 to delete.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ghlops.plan.changes import ACTION_SYMBOLS, Action, Change, LocationPlan, Plan
from ghlops.resources import registry

_COLORS = {
    Action.CREATE: "32",  # green
    Action.UPDATE: "33",  # yellow
    Action.REPLACE: "35",  # magenta
    Action.DELETE: "31",  # red
    Action.MANUAL: "36",  # cyan
}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def fmt_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def singular(kind: str) -> str:
    adapter = registry.ADAPTERS.get(kind)
    return adapter.singular if adapter else kind


def render_change(change: Change, *, color: bool = False) -> list[str]:
    symbol = ACTION_SYMBOLS[change.action]
    head = f"{symbol} {singular(change.kind)} {fmt_value(change.key)}"
    if change.id:
        head += f" (id {change.id})"
    if change.destructive:
        head += "  " + _paint("DESTRUCTIVE", "1;31", color)
    lines = ["  " + _paint(head, _COLORS[change.action], color)]
    if change.action is Action.CREATE and change.after is not None:
        lines += _fields({k: v for k, v in change.after.items() if v != change.key})
    elif change.action in (Action.UPDATE, Action.REPLACE, Action.MANUAL):
        for d in change.diffs:
            lines.append(f"      {d.field}: {fmt_value(d.before)} → {fmt_value(d.after)}")
    for reason in change.reasons:
        lines.append(f"      # {reason}")
    return lines


def _fields(fields: Mapping[str, Any]) -> list[str]:
    return [f"      {name}: {fmt_value(value)}" for name, value in fields.items()]


def summary_line(counts: Mapping[str, int]) -> str:
    parts = [
        f"{counts.get('create', 0)} to create",
        f"{counts.get('update', 0)} to update",
        f"{counts.get('replace', 0)} to replace",
        f"{counts.get('delete', 0)} to delete",
    ]
    if counts.get("manual"):
        parts.append(f"{counts['manual']} manual")
    return "Plan: " + ", ".join(parts) + "."


def render_location(loc: LocationPlan, *, color: bool = False, agency: bool = False) -> list[str]:
    title = f"Agency {loc.location_id}" if agency else f"Location {loc.name} ({loc.location_id})"
    lines = [_paint(title, "1", color)]
    if loc.error:
        lines.append("  " + _paint(f"FAILED: {loc.error}", "31", color))
        return lines
    for warning in loc.warnings:
        lines.append("  " + _paint(f"warning: {warning}", "33", color))
    if not loc.changes:
        lines.append("  no changes")
    for change in loc.changes:
        lines += render_change(change, color=color)
    for note in loc.notes:
        lines.append(f"  note: {note}")
    if loc.unmanaged:
        detail = ", ".join(f"{k} {n}" for k, n in loc.unmanaged.items())
        total = sum(loc.unmanaged.values())
        lines.append(
            f"  unmanaged: {total} ({detail}) — live only, left alone (policy.prune deletes them)"
        )
    return lines


def render_plan(plan: Plan, *, color: bool = False) -> str:
    lines: list[str] = []
    for loc in plan.locations:
        lines += render_location(loc, color=color)
        lines.append("")
    if plan.agency:
        lines += render_location(plan.agency, color=color, agency=True)
        lines.append("")
    counts = plan.counts()
    unmanaged = sum(sum(loc.unmanaged.values()) for loc in plan.all)
    if plan.failed:
        names = ", ".join(loc.name for loc in plan.failed)
        lines.append(_paint(f"Failed to plan {len(plan.failed)} location(s): {names}", "31", color))
    if not plan.has_changes and not plan.failed:
        lines.append(
            _paint("No changes.", "32", color)
            + " Live state matches the manifests."
            + _unmanaged_note(unmanaged)
        )
    else:
        changed = sum(1 for loc in plan.locations if loc.has_changes)
        lines.append(
            summary_line(counts)
            + f" ({changed} of {len(plan.locations)} location(s) with changes"
            + (f", unmanaged: {unmanaged}" if unmanaged else "")
            + ")"
        )
    return "\n".join(lines) + "\n"


def _unmanaged_note(unmanaged: int) -> str:
    return f" (unmanaged: {unmanaged})" if unmanaged else ""
