"""Immutable change objects: what the planner decides and every renderer and the applier read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from ghlops.errors import SourcePos

FORMAT_VERSION = "1"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"  # delete + create: the object's id and the data attached to it are lost
    DELETE = "delete"
    MANUAL = "manual"  # a difference ghlops cannot apply through the API; shown, never applied


ACTION_SYMBOLS = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.MANUAL: "!",
}


def frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if mapping is None else MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class FieldDiff:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    action: Action
    kind: str
    key: str
    id: str | None  # the live object's id; None for a create
    before: Mapping[str, Any] | None  # live fields (None for a create)
    after: Mapping[str, Any] | None  # desired fields (None for a delete)
    diffs: tuple[FieldDiff, ...] = ()
    destructive: bool = False
    reasons: tuple[str, ...] = ()  # why it is destructive or manual, in words
    source: SourcePos | None = None
    parent: str | None = None  # natural key of the parent, for nested kinds
    protected: bool = False  # a delete or replace of a protected object: refused
    # the live id of the parent, for nested kinds whose parent exists (None: the parent is
    # created or replaced by the same apply, which binds the new id)
    parent_id: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "kind": self.kind,
            "key": self.key,
            "id": self.id,
            "before": None if self.before is None else dict(self.before),
            "after": None if self.after is None else dict(self.after),
            "diffs": [{"field": d.field, "before": d.before, "after": d.after} for d in self.diffs],
            "destructive": self.destructive,
            "reasons": list(self.reasons),
            "source": str(self.source) if self.source else None,
            "parent": self.parent,
            "parent_id": self.parent_id,
            "protected": self.protected,
        }


@dataclass(frozen=True)
class Unmanaged:
    """A live object no item declares and no pruning deletes: left alone, named in the plan."""

    kind: str
    key: str
    name: str  # what users see: the name, ``Parent name/child name`` for nested kinds
    id: str

    def to_data(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "name": self.name, "id": self.id}


@dataclass(frozen=True)
class LocationPlan:
    """The plan of one location, or why it could not be planned."""

    name: str
    location_id: str
    changes: tuple[Change, ...] = ()
    unmanaged: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    warnings: tuple[str, ...] = ()
    error: str | None = None  # set when live state could not be read: no changes are planned
    api_calls: int = 0
    # "kind/key" -> id of every live object (by live and by desired key): how the applier
    # resolves references and parents to ids
    bindings: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    existing: int = 0  # live objects of the planned kinds (for the safety thresholds)
    live_digests: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    desired_digest: str = ""
    # facts about items without a change, e.g. write-only fields that could not be compared
    notes: tuple[str, ...] = ()
    unmanaged_objects: tuple[Unmanaged, ...] = ()  # by name (``unmanaged`` counts them)
    hints: tuple[str, ...] = ()  # suggestions, e.g. a create that looks like a rename
    # kinds not read for this plan: nothing declares them and policy.prune does not name them
    not_read: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        counts = {a.value: 0 for a in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def to_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.location_id,
            "error": self.error,
            "changes": [c.to_data() for c in self.changes],
            "unmanaged": dict(self.unmanaged),
            "unmanaged_objects": [u.to_data() for u in self.unmanaged_objects],
            "hints": list(self.hints),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "summary": self.counts(),
            "api_calls": self.api_calls,
            "not_read": list(self.not_read),
        }


@dataclass(frozen=True)
class Plan:
    locations: tuple[LocationPlan, ...]
    agency: LocationPlan | None = None  # agency-level objects (custom menu links), planned once

    @property
    def all(self) -> tuple[LocationPlan, ...]:
        """Location plans, then the agency plan if there is one."""
        return self.locations + ((self.agency,) if self.agency else ())

    def counts(self) -> dict[str, int]:
        total = {a.value: 0 for a in Action}
        for loc in self.all:
            for action, n in loc.counts().items():
                total[action] += n
        return total

    @property
    def has_changes(self) -> bool:
        return any(loc.has_changes for loc in self.all)

    @property
    def failed(self) -> tuple[LocationPlan, ...]:
        return tuple(loc for loc in self.all if loc.error)

    def to_data(self) -> dict[str, Any]:
        summary: dict[str, int] = self.counts()
        summary["unmanaged"] = sum(sum(loc.unmanaged.values()) for loc in self.all)
        summary["locations"] = len(self.locations)
        summary["locations_with_changes"] = sum(1 for loc in self.locations if loc.has_changes)
        summary["locations_failed"] = len(self.failed)
        return {
            "format_version": FORMAT_VERSION,
            "locations": [loc.to_data() for loc in self.locations],
            "agency": self.agency.to_data() if self.agency else None,
            "summary": summary,
        }
