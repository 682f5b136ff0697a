"""Safety checks on a whole plan, before anything is applied.

- ``protect`` (on a manifest item or in ``policy.protect``): a delete or replace of a protected
  object is refused. ``--force`` does not lift it; remove the protection first.
- Gates (``--allow``/``--deny`` actions): a plan holding other actions is refused, so a CI job
  can auto-apply creates and send the rest to a person. ``--force`` does not lift them.
- Thresholds, like octoDNS: per location, updates (and replaces) or deletes (and replaces) over a
  share of its live objects, once it has ``min_existing`` of them; per fleet, more than a share of
  the planned locations losing something. ``--force`` lifts these, and the reason is printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ghlops.plan.changes import Action, Change, LocationPlan, Plan
from ghlops.plan.policy import Thresholds

DESTRUCTIVE_ACTIONS = (Action.DELETE, Action.REPLACE)
# refusals that keep only their own location from being applied
PER_LOCATION_RULES = frozenset({"unreadable", "stale"})


@dataclass(frozen=True)
class Violation:
    where: str  # a location name, "agency" or "fleet"
    rule: str  # protect | gate | update-threshold | delete-threshold | fleet-threshold | ...
    message: str
    forceable: bool
    allow: str = ""  # the exact flag that would allow it; "" when no flag does
    location_id: str | None = None  # the location's (or agency's) id; None for the fleet

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    @property
    def blocks_all(self) -> bool:
        """Whether it stops the whole apply, not only its own location."""
        return self.rule not in PER_LOCATION_RULES

    @property
    def advice(self) -> str:
        """How to get past it, in words."""
        if self.allow:
            return f"use {self.allow} to proceed"
        return "plan again" if self.rule == "stale" else "no flag allows this"

    def to_data(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "location_id": self.location_id,
            "rule": self.rule,
            "message": self.message,
            "allow": self.allow or None,
        }

    @classmethod
    def from_data(cls, data: Any) -> Violation:
        return cls(
            str(data.get("where", "")),
            str(data.get("rule", "")),
            str(data.get("message", "")),
            forceable=data.get("allow") == "--force",
            allow=str(data.get("allow") or ""),
            location_id=data.get("location_id"),
        )


@dataclass(frozen=True)
class Verdict:
    """What stops a plan (``refused``) and what a flag let through (``allowed``)."""

    refused: tuple[Violation, ...] = ()
    allowed: tuple[Violation, ...] = ()  # each with the flag that allowed it in ``allow``

    def __bool__(self) -> bool:
        return bool(self.refused or self.allowed)

    def to_data(self) -> dict[str, Any]:
        return {
            "refusals": [v.to_data() for v in self.refused],
            "allowed": [v.to_data() for v in self.allowed],
        }

    @classmethod
    def from_data(cls, refused: Sequence[Any], allowed: Sequence[Any]) -> Verdict:
        return cls(
            tuple(Violation.from_data(v) for v in refused if isinstance(v, dict)),
            tuple(Violation.from_data(v) for v in allowed if isinstance(v, dict)),
        )


def loses_something(loc: LocationPlan) -> bool:
    return any(c.destructive for c in loc.changes)


def check_plan(
    plan: Plan,
    thresholds: Thresholds,
    *,
    allow: Iterable[Action] | None = None,
    deny: Iterable[Action] = (),
) -> list[Violation]:
    violations: list[Violation] = []
    denied = set(deny)
    allowed = set(allow) if allow is not None else set(Action)
    if Action.MANUAL not in denied:
        allowed.add(Action.MANUAL)  # never applied, so never gated unless denied explicitly
    allowed -= denied
    for loc in plan.all:
        violations += _protected(loc)
        violations += _gates(loc, allowed, None if allow is None else set(allow), denied)
        violations += _location_thresholds(loc, thresholds)
    violations += _fleet_threshold(plan, thresholds)
    return violations


def _protected(loc: LocationPlan) -> list[Violation]:
    return [
        Violation(
            loc.name,
            "protect",
            f"{c.kind} {c.key!r} is protected and would be {_past(c)}; "
            "remove 'protect' (or the policy.protect pattern) first if that is intended",
            forceable=False,
            location_id=loc.location_id,
        )
        for c in loc.changes
        if c.protected
    ]


def _ordered(actions: Iterable[Action]) -> str:
    chosen = set(actions)
    return ",".join(a.value for a in Action if a in chosen)


def gate_flags(held: Iterable[Action], allow: set[Action] | None, deny: set[Action]) -> str:
    """The --allow/--deny options that would let ``held`` actions through."""
    held = set(held)
    parts = []
    if held & deny:
        rest = deny - held
        parts.append(f"--deny {_ordered(rest)}" if rest else "no --deny")
    if allow is not None and held - allow:
        parts.append(f"--allow {_ordered(allow | held)}")
    return " and ".join(parts)


def _gates(
    loc: LocationPlan, allowed: set[Action], allow: set[Action] | None, deny: set[Action]
) -> list[Violation]:
    counts: dict[Action, int] = {}
    for change in loc.changes:
        if change.action not in allowed:
            counts[change.action] = counts.get(change.action, 0) + 1
    if not counts:
        return []
    held = ", ".join(f"{n} {a.value}" for a, n in counts.items())
    permitted = ",".join(a.value for a in Action if a in allowed and a is not Action.MANUAL)
    return [
        Violation(
            loc.name,
            "gate",
            f"the plan holds {held}, which this run does not allow (allowed: {permitted})",
            forceable=False,
            allow=gate_flags(counts, allow, deny),
            location_id=loc.location_id,
        )
    ]


def _location_thresholds(loc: LocationPlan, t: Thresholds) -> list[Violation]:
    if loc.existing < t.min_existing or loc.existing == 0:
        return []
    counts = loc.counts()
    updates = counts["update"] + counts["replace"]
    deletes = counts["delete"] + counts["replace"]
    out = []
    for rule, n, limit, what in (
        ("update-threshold", updates, t.update_percent, "update or replace"),
        ("delete-threshold", deletes, t.delete_percent, "delete or replace"),
    ):
        share = 100 * n / loc.existing
        if share > limit:
            out.append(
                Violation(
                    loc.name,
                    rule,
                    f"would {what} {n} of {loc.existing} objects ({share:.0f}% > {limit:g}%)",
                    forceable=True,
                    allow="--force",
                    location_id=loc.location_id,
                )
            )
    return out


def _fleet_threshold(plan: Plan, t: Thresholds) -> list[Violation]:
    total = len(plan.locations)
    if total < t.fleet_min_locations:
        return []
    losing = [loc.name for loc in plan.locations if loses_something(loc)]
    share = 100 * len(losing) / total
    if share <= t.fleet_losing_percent:
        return []
    names = ", ".join(losing[:10]) + (" …" if len(losing) > 10 else "")
    return [
        Violation(
            "fleet",
            "fleet-threshold",
            f"{len(losing)} of {total} locations would lose something "
            f"({share:.0f}% > {t.fleet_losing_percent:g}%): {names}",
            forceable=True,
            allow="--force",
        )
    ]


def _past(change: Change) -> str:
    return "deleted" if change.action is Action.DELETE else "replaced (deleted and re-created)"
