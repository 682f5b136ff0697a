"""The applier: executes a location's planned changes in dependency order.

Order: deletes first, in reverse dependency order (children before parents); then, kind by kind
in dependency order, replaces (delete then create, so the new object can take the old one's
name and key), updates and creates. A location stops at its first failed call; what was done and
what was not attempted is reported. ``manual`` changes are never applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ghlops.errors import GhlopsError
from ghlops.plan.changes import Action, Change, LocationPlan
from ghlops.resources.base import Adapter, Api, Ctx, DesiredItem


class Status(StrEnum):
    DONE = "done"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"
    MANUAL = "manual"  # shown in the plan, left to a human


@dataclass(frozen=True)
class Outcome:
    change: Change
    status: Status
    error: str | None = None
    new_id: str | None = None


@dataclass(frozen=True)
class LocationResult:
    name: str
    location_id: str
    outcomes: tuple[Outcome, ...]
    error: str | None = None  # the location could not be applied at all (e.g. plan failed)

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def failed(self) -> bool:
        return self.error is not None or self.count(Status.FAILED) > 0

    @property
    def changed_anything(self) -> bool:
        return self.count(Status.DONE) > 0


OnOutcome = Callable[[str, Outcome], None]


def execution_order(changes: Sequence[Change], kinds: Sequence[str]) -> list[Change]:
    """Changes in the order they must be made; ``kinds`` is the dependency (create) order."""
    rank = {kind: i for i, kind in enumerate(kinds)}
    deletes = [c for c in changes if c.action is Action.DELETE]
    deletes.sort(key=lambda c: -rank.get(c.kind, 0))
    phase = {Action.REPLACE: 0, Action.UPDATE: 1, Action.CREATE: 2, Action.MANUAL: 3}
    rest = [c for c in changes if c.action is not Action.DELETE]
    rest.sort(key=lambda c: (rank.get(c.kind, 0), phase[c.action]))
    return deletes + rest


class Ids:
    """Ids by kind and natural key: the plan's bindings plus what this apply creates."""

    def __init__(self, bindings: Mapping[str, str]) -> None:
        self._ids = dict(bindings)

    def id_of(self, kind: str, key: str) -> str:
        try:
            return self._ids[f"{kind}/{key}"]
        except KeyError:
            raise GhlopsError(f"no id known for {kind} {key!r}") from None

    def set(self, kind: str, key: str, object_id: str) -> None:
        self._ids[f"{kind}/{key}"] = object_id


def apply_location(
    plan: LocationPlan,
    api: Api,
    adapters: Mapping[str, Adapter],
    *,
    on_outcome: OnOutcome | None = None,
    explain: Callable[[GhlopsError], str] | None = None,
) -> LocationResult:
    outcomes: list[Outcome] = []
    failed = False
    ids = Ids(plan.bindings)
    ctx = Ctx(api, plan.location_id, ids=ids)
    for change in execution_order(plan.changes, list(adapters)):
        if change.action is Action.MANUAL:
            outcome = Outcome(change, Status.MANUAL)
        elif failed:
            outcome = Outcome(change, Status.NOT_ATTEMPTED)
        else:
            try:
                new_id = _execute(change, ctx, adapters[change.kind])
                if new_id:
                    ids.set(change.kind, change.key, new_id)
                outcome = Outcome(change, Status.DONE, new_id=new_id)
            except GhlopsError as exc:
                failed = True
                what = f"{change.action} {adapters[change.kind].singular} {change.key!r}"
                hint = explain(exc) if explain else ""
                outcome = Outcome(change, Status.FAILED, error=f"{what}: {exc}{hint}")
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(plan.name, outcome)
    return LocationResult(plan.name, plan.location_id, tuple(outcomes))


def _execute(change: Change, ctx: Ctx, adapter: Adapter) -> str | None:
    item = None
    if change.after is not None:
        item = DesiredItem(
            change.kind, change.key, change.after, (), change.source, parent=change.parent
        )
    if change.action is Action.DELETE and change.id:
        adapter.delete(ctx, change.id, change.key, change.parent)
        return None
    if change.action is Action.UPDATE and change.id and item:
        adapter.update(ctx, change.id, item)
        return change.id
    if change.action is Action.REPLACE and change.id and item:
        adapter.delete(ctx, change.id, change.key, change.parent)
        return adapter.create(ctx, item)
    if change.action is Action.CREATE and item:
        return adapter.create(ctx, item)
    raise GhlopsError(f"cannot execute {change.action} of {change.kind} {change.key!r}")
