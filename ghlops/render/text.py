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
from dataclasses import replace
from typing import Any

from ghlops.escape import terminal as t
from ghlops.plan.changes import ACTION_SYMBOLS, Action, Change, LocationPlan, Plan
from ghlops.render.masking import masked_plan
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
    """A value as JSON, safe for a terminal (C1 controls and the like escaped too)."""
    return t(json.dumps(value, ensure_ascii=False, default=str))


def singular(kind: str) -> str:
    adapter = registry.ADAPTERS.get(kind)
    return adapter.singular if adapter else kind


def change_name(kind: str, key: str) -> str:
    """``shipping carrier "FedEx"``; a singleton kind's one object by its name alone
    (``store settings``), as its key is that name."""
    adapter = registry.ADAPTERS.get(kind)
    if adapter is not None and adapter.singleton:
        return adapter.singular
    return f"{singular(kind)} {fmt_value(key)}"


def render_change(change: Change, *, color: bool = False) -> list[str]:
    symbol = ACTION_SYMBOLS[change.action]
    head = f"{symbol} {change_name(change.kind, change.key)}"
    if change.id:
        head += f" (id {t(change.id)})"
    if change.destructive:
        head += "  " + _paint("DESTRUCTIVE", "1;31", color)
    lines = ["  " + _paint(head, _COLORS[change.action], color)]
    if change.action is Action.CREATE and change.after is not None:
        lines += _fields({k: v for k, v in change.after.items() if v != change.key})
    elif change.action in (Action.UPDATE, Action.REPLACE, Action.MANUAL):
        for d in change.diffs:
            lines.append(f"      {t(d.field)}: {fmt_value(d.before)} → {fmt_value(d.after)}")
    for reason in change.reasons:
        lines.append(f"      # {t(reason)}")
    return lines


def _fields(fields: Mapping[str, Any]) -> list[str]:
    return [f"      {t(name)}: {fmt_value(value)}" for name, value in fields.items()]


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


UNMANAGED_NAMES = 20  # unmanaged objects named per location, then counted


def render_location(loc: LocationPlan, *, color: bool = False, agency: bool = False) -> list[str]:
    where = t(loc.location_id)
    title = f"Agency {where}" if agency else f"Location {t(loc.name)} ({where})"
    lines = [_paint(title, "1", color)]
    if loc.error:
        lines.append("  " + _paint(f"FAILED: {t(loc.error)}", "31", color))
        return lines
    for warning in loc.warnings:
        lines.append("  " + _paint(f"warning: {t(warning)}", "33", color))
    if not loc.changes:
        lines.append("  no changes")
    for change in loc.changes:
        lines += render_change(change, color=color)
    for note in loc.notes:
        lines.append(f"  note: {t(note)}")
    for hint in loc.hints:
        lines.append(f"  hint: {t(hint)}")
    for obj in loc.unmanaged_objects[:UNMANAGED_NAMES]:
        lines.append(
            f"  ? {singular(obj.kind)} {fmt_value(obj.name)} (unmanaged: prune would delete it)"
        )
    if len(loc.unmanaged_objects) > UNMANAGED_NAMES:
        more = len(loc.unmanaged_objects) - UNMANAGED_NAMES
        lines.append(f"  ? … and {more} more (--json lists every unmanaged object)")
    if loc.unmanaged:
        detail = ", ".join(f"{k} {n}" for k, n in loc.unmanaged.items())
        total = sum(loc.unmanaged.values())
        lines.append(
            f"  unmanaged: {total} ({detail}) — live only, left alone (policy.prune deletes them)"
        )
    return lines


GROUP_MIN = 3  # an identical change in at least this many locations is listed once
GROUP_NAMES = 10  # a group names this many locations, then counts the rest


def change_signature(change: Change) -> str:
    """Identical changes in different locations have the same signature (ids aside).

    An update (and a replace, a manual change) is identified by what it changes, its field
    diffs, which is all the text shows of it: two locations whose objects differ in other fields
    make the same change when the same fields go from the same values to the same values.
    """
    data = change.to_data()
    for name in ("id", "source"):
        data.pop(name, None)
    if change.action is not Action.DELETE:
        data.pop("before", None)  # live values beyond the diffs may differ
    if change.action in (Action.UPDATE, Action.REPLACE, Action.MANUAL):
        data.pop("after", None)  # so may desired values the update does not change
    return json.dumps(data, sort_keys=True, default=str)


def grouped_changes(plan: Plan) -> dict[str, list[tuple[LocationPlan, Change]]]:
    """Signature -> (location, change) for changes made identically in GROUP_MIN+ locations."""
    seen: dict[str, list[tuple[LocationPlan, Change]]] = {}
    for loc in plan.locations:
        for change in loc.changes:
            seen.setdefault(change_signature(change), []).append((loc, change))
    return {sig: where for sig, where in seen.items() if len(where) >= GROUP_MIN}


def name_list(names: list[str], most: int = GROUP_NAMES) -> str:
    """``a, b, c`` — every name up to ``most``, then how many more."""
    shown = ", ".join(names[:most])
    return shown + (f", … and {len(names) - most} more" if len(names) > most else "")


def summary_table(plan: Plan, shown: list[LocationPlan]) -> list[str]:
    """One row per location shown with changes, a failure or warnings, when there are 2+."""
    rows = [loc for loc in shown if loc.changes or loc.error or loc.warnings]
    if len(rows) < 2:
        return []
    width = max(len("location"), *(len(t(loc.name)) for loc in rows))
    head = f"  {'location':<{width}}  {'+':>4} {'~':>4} {'-/+':>4} {'-':>4} {'!':>4}  {'calls':>5}  status"
    lines = [head, "  " + "-" * (len(head) - 2)]
    for loc in rows:
        c = loc.counts()
        status = "FAILED" if loc.error else ("warnings" if loc.warnings else "changes")
        lines.append(
            f"  {t(loc.name):<{width}}  {c['create']:>4} {c['update']:>4} {c['replace']:>4} "
            f"{c['delete']:>4} {c['manual']:>4}  {loc.api_calls:>5}  {status}"
        )
    return lines


def rollup_line(plan: Plan) -> str:
    locations = plan.locations
    changed = sum(1 for loc in locations if loc.has_changes)
    failed = sum(1 for loc in locations if loc.error)
    unchanged = len(locations) - changed - failed
    c = plan.counts()
    text = (
        f"{len(locations)} location(s): {unchanged} unchanged, {changed} with changes: "
        f"+{c['create']} ~{c['update']} -/+{c['replace']} -{c['delete']}"
    )
    if c["manual"]:
        text += f" !{c['manual']}"
    if failed:
        text += f", {failed} failed"
    return text


def _locations(count: int) -> str:
    return f"{count} location{'s' if count != 1 else ''}"


def render_plan(
    plan: Plan, *, color: bool = False, expand: bool = False, show_secrets: bool = False
) -> str:
    """The plan as text.

    Unless ``expand``: a change made identically in GROUP_MIN or more locations is listed once,
    naming the locations (up to GROUP_NAMES, then a count); locations left with nothing of their
    own to show are counted on one line, and unchanged locations on another. Secret-looking
    values are masked unless ``show_secrets``; text from the API or the manifests is escaped
    (:func:`ghlops.escape.terminal`), with or without colours.
    """
    plan = masked_plan(plan, show_secrets=show_secrets)
    lines: list[str] = []
    groups = {} if expand else grouped_changes(plan)
    grouped_ids = {id(change) for where in groups.values() for _, change in where}
    if groups:
        lines.append(_paint("Changes made identically in several locations", "1", color))
        for where in groups.values():
            change = where[0][1]
            first, *rest = render_change(replace(change, id=None), color=color)
            where_names = [t(loc.name) for loc, _ in where]
            lines.append(f"{first} — {_locations(len(where_names))} ({name_list(where_names)})")
            lines += rest
        lines.append("  (--expand lists them under each location)")
        lines.append("")
    only_grouped = 0
    unchanged = 0
    quiet_unmanaged: dict[str, int] = {}  # live-only objects of the locations not shown
    shown: list[LocationPlan] = []
    fleet = len(plan.locations) > 1 and not expand
    for loc in plan.locations:
        own = [c for c in loc.changes if id(c) not in grouped_ids]
        quiet = not (own or loc.error or loc.warnings or loc.notes or loc.hints)
        if fleet and quiet:
            if loc.changes:
                only_grouped += 1
            else:
                unchanged += 1
            for kind, count in loc.unmanaged.items():
                quiet_unmanaged[kind] = quiet_unmanaged.get(kind, 0) + count
            continue
        shown.append(loc)
        lines += render_location(replace(loc, changes=tuple(own)), color=color)
        if len(own) < len(loc.changes):
            lines.append(f"  … and {len(loc.changes) - len(own)} change(s) listed above")
        lines.append("")
    if only_grouped:
        lines.append(f"{_locations(only_grouped)} with only the changes listed above")
    if unchanged:
        lines.append(f"{_locations(unchanged)} unchanged")
    if quiet_unmanaged:
        detail = ", ".join(f"{k} {n}" for k, n in quiet_unmanaged.items())
        lines.append(
            f"  unmanaged in them: {sum(quiet_unmanaged.values())} ({detail}) — live only, "
            "left alone (policy.prune deletes them)"
        )
    if only_grouped or unchanged:
        lines.append("")
    if plan.agency:
        lines += render_location(plan.agency, color=color, agency=True)
        lines.append("")
        shown.append(plan.agency)
    table = summary_table(plan, shown)
    if table:
        lines += table
        lines.append("")
    counts = plan.counts()
    unmanaged = sum(sum(loc.unmanaged.values()) for loc in plan.all)
    calls = sum(loc.api_calls for loc in plan.all)
    if plan.failed:
        failed = ", ".join(t(loc.name) for loc in plan.failed)
        lines.append(
            _paint(f"Failed to plan {len(plan.failed)} location(s): {failed}", "31", color)
        )
    if len(plan.locations) > 1:
        lines.append(rollup_line(plan))
    if calls:
        per = calls / max(1, len(plan.all))
        lines.append(f"API calls: {calls} ({per:.1f} per principal)")
    lines += not_read_lines(plan)
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


def not_read_lines(plan: Plan) -> list[str]:
    """Which kinds the plan did not read (nothing declares them, policy.prune does not name
    them): so "unmanaged" counts say nothing about them."""
    planned = [loc for loc in plan.all if not loc.error]
    if not planned:
        return []
    everywhere = set.intersection(*(set(loc.not_read) for loc in planned))
    somewhere = set().union(*(loc.not_read for loc in planned)) - everywhere
    order = {kind: i for loc in planned for i, kind in enumerate(loc.not_read)}
    lines = []
    if everywhere:
        lines.append(
            "Not read (no manifest declares them and policy.prune does not name them): "
            + ", ".join(sorted(everywhere, key=order.__getitem__))
        )
    if somewhere:
        lines.append(
            "Not read in some locations: " + ", ".join(sorted(somewhere, key=order.__getitem__))
        )
    return lines


def _unmanaged_note(unmanaged: int) -> str:
    return f" (unmanaged: {unmanaged})" if unmanaged else ""
