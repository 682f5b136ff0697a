"""The applier: executes a location's planned changes in dependency order.

Order: deletes first, in reverse dependency order (children before parents); then, kind by kind
in dependency order, replaces (delete then create, so the new object can take the old one's
name and key), updates and creates. A location stops at its first failed call; what was done and
what was not attempted is reported. ``manual`` changes are never applied.

Creates are never sent twice blindly. When a create fails in a way that may hide its success (a
timeout or a reset after the request was sent, a 5xx, a 2xx answer that cannot be read: the
client marks those ``maybe_applied``), the applier lists that kind again and looks for the item
by its identities (for a nested kind: under the parent's id): one match is adopted as the
created object ("created (adopted after an ambiguous failure)"); two or more matches are left
alone and reported, since adopting a guess could bind the wrong object. Lists can lag writes (an
empty list right after a create proves nothing), so no match is trusted only when two reads in a
row, a short backoff apart (:func:`relist_delays`, bounded), agree: then the create did not
happen and it is sent again (``CREATE_SENDS`` sends at most). When the reads keep changing
without showing the item, the location stops and says so rather than send the create twice.
A write whose answer does not have the documented shape fails that change, never the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from ghlops.client.errors import ApiError
from ghlops.errors import GhlopsError
from ghlops.plan.changes import Action, Change, LocationPlan
from ghlops.resources.base import Adapter, Api, Ctx, DesiredItem, IdMap, LiveItem
from ghlops.resources.reading import SHAPE_ERRORS, read_kind


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
    adopted: bool = False  # created, found by reading again after an ambiguous failure


@dataclass(frozen=True)
class LocationResult:
    name: str
    location_id: str
    outcomes: tuple[Outcome, ...]
    error: str | None = None  # the location could not be applied at all (e.g. plan failed)
    interrupted: bool = False  # an interrupt stopped it before every change was started

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def failed(self) -> bool:
        return self.error is not None or self.count(Status.FAILED) > 0

    @property
    def changed_anything(self) -> bool:
        return self.count(Status.DONE) > 0


OnOutcome = Callable[[str, Outcome], None]
Stopped = Callable[[], bool]  # asked before each change: True once an interrupt came


@dataclass(frozen=True)
class Backoff:
    """The waits between reads of a kind after an ambiguous create (see the module docstring)."""

    delays: tuple[float, ...] = (1.0, 2.0)
    sleep: Callable[[float], None] = time.sleep


def relist_delays(base_delay: float) -> tuple[float, ...]:
    """The waits before the second and third read after an ambiguous create: twice and four
    times the client's retry base delay (1 s and 2 s by default)."""
    return (2 * base_delay, 4 * base_delay)


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


@dataclass(frozen=True)
class _Pinned:
    """An id map where one object (a change's parent) has the id the plan bound it to."""

    ids: IdMap
    kind: str
    key: str
    object_id: str

    def id_of(self, kind: str, key: str) -> str:
        if (kind, key) == (self.kind, self.key):
            return self.object_id
        return self.ids.id_of(kind, key)


def _for_change(ctx: Ctx, change: Change, adapter: Adapter) -> Ctx:
    """``ctx`` for one change: a child whose plan names its parent's live id is bound to that id
    (never to whichever object has the parent's name)."""
    if change.parent_id is None or adapter.parent_kind is None or change.parent is None:
        return ctx
    pinned = _Pinned(ctx.ids or Ids({}), adapter.parent_kind, change.parent, change.parent_id)
    return replace(ctx, ids=pinned)


def apply_location(
    plan: LocationPlan,
    api: Api,
    adapters: Mapping[str, Adapter],
    *,
    on_outcome: OnOutcome | None = None,
    explain: Callable[[GhlopsError], str] | None = None,
    backoff: Backoff | None = None,
    stopped: Stopped | None = None,
    agency: Api | None = None,
) -> LocationResult:
    """Make the plan's changes in order; stop at the first failure, or before the next change
    once ``stopped()`` says an interrupt came (the change in flight is finished first).
    ``agency``: the agency's API, for the changes of ``Adapter.agency_writes``."""
    outcomes: list[Outcome] = []
    failed = False
    interrupted = False
    ids = Ids(plan.bindings)
    ctx = Ctx(api, plan.location_id, ids=ids, agency=agency)
    backoff = backoff or Backoff()
    for change in execution_order(plan.changes, list(adapters)):
        if change.action is Action.MANUAL:
            outcome = Outcome(change, Status.MANUAL)
        elif failed or interrupted:
            outcome = Outcome(change, Status.NOT_ATTEMPTED)
        elif stopped is not None and stopped():
            interrupted = True
            outcome = Outcome(change, Status.NOT_ATTEMPTED)
        else:
            try:
                adapter = adapters[change.kind]
                new_id, adopted = _execute(
                    change, _for_change(ctx, change, adapter), adapter, adapters, backoff
                )
                if new_id:
                    ids.set(change.kind, change.key, new_id)
                outcome = Outcome(change, Status.DONE, new_id=new_id, adopted=adopted)
            except (GhlopsError, RecursionError) as exc:
                failed = True
                what = f"{change.action} {adapters[change.kind].singular} {change.key!r}"
                hint = explain(exc) if explain and isinstance(exc, GhlopsError) else ""
                if isinstance(exc, RecursionError):  # data nested too deeply: this change only
                    exc = GhlopsError("the data is nested too deeply to be handled")
                outcome = Outcome(change, Status.FAILED, error=f"{what}: {exc}{hint}")
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(plan.name, outcome)
    return LocationResult(plan.name, plan.location_id, tuple(outcomes), interrupted=interrupted)


def not_started(plan: LocationPlan, kinds: Sequence[str]) -> LocationResult:
    """The result of a location an interrupt stopped before its first change."""
    outcomes = tuple(
        Outcome(c, Status.MANUAL if c.action is Action.MANUAL else Status.NOT_ATTEMPTED)
        for c in execution_order(plan.changes, kinds)
    )
    return LocationResult(plan.name, plan.location_id, outcomes, interrupted=True)


class ShapeError(GhlopsError):
    """An answer to a write could not be read: it does not have the documented shape."""


def _execute(
    change: Change, ctx: Ctx, adapter: Adapter, adapters: Mapping[str, Adapter], backoff: Backoff
) -> tuple[str | None, bool]:
    """Make one change; return the object's id (creates, updates) and whether it was adopted."""
    item = None
    if change.after is not None:
        item = DesiredItem(
            change.kind, change.key, change.after, (), change.source, parent=change.parent
        )
    if change.action is Action.DELETE and change.id:
        _shaped(lambda: adapter.delete(ctx, change.id or "", change.key, change.parent))
        return None, False
    if change.action is Action.UPDATE and change.id and item:
        _shaped(lambda: adapter.update(ctx, change.id or "", item))
        return change.id, False
    if change.action is Action.REPLACE and change.id and item:
        _shaped(lambda: adapter.delete(ctx, change.id or "", change.key, change.parent))
        return _create(change, item, ctx, adapter, adapters, backoff)
    if change.action is Action.CREATE and item:
        return _create(change, item, ctx, adapter, adapters, backoff)
    raise GhlopsError(f"cannot execute {change.action} of {change.kind} {change.key!r}")


def _shaped(call: Callable[[], None]) -> None:
    try:
        call()
    except SHAPE_ERRORS as exc:
        raise ShapeError(
            f"the API's answer does not have the documented shape ({type(exc).__name__}: {exc})"
        ) from None


CREATE_SENDS = 3  # creates sent for one item at most, each after a read showed none took


def _create(
    change: Change,
    item: DesiredItem,
    ctx: Ctx,
    adapter: Adapter,
    adapters: Mapping[str, Adapter],
    backoff: Backoff,
) -> tuple[str, bool]:
    """Create ``item``; after an ambiguous failure, adopt what the create made or send it again.

    A create is sent again only after two reads of the kind in a row agreed that no earlier one
    made the object, and at most ``CREATE_SENDS`` times in all.
    """
    for sent in range(1, CREATE_SENDS + 1):
        outcome = _try_create(item, ctx, adapter)
        if isinstance(outcome, str):
            return outcome, False
        found = _find_created(change, ctx, adapter, adapters, outcome, backoff)
        if found is not None:
            return found, True
        if sent == CREATE_SENDS:
            raise GhlopsError(
                f"{outcome} (sent {sent} times; after each failure, reading {adapter.kind} "
                "again twice showed it had not been created)"
            )
    raise AssertionError("unreachable")  # pragma: no cover


def _try_create(item: DesiredItem, ctx: Ctx, adapter: Adapter) -> str | GhlopsError:
    """The new id, or the error of a create that may have happened; other errors are raised."""
    try:
        return adapter.create(ctx, item)
    except ApiError as exc:
        if exc.maybe_applied:
            return exc
        raise
    except SHAPE_ERRORS as exc:
        # a 2xx answer without the new id: the object was most likely created
        return ShapeError(
            f"the API's answer to the create does not have the documented shape "
            f"({type(exc).__name__}: {exc})"
        )


def _find_created(
    change: Change,
    ctx: Ctx,
    adapter: Adapter,
    adapters: Mapping[str, Adapter],
    failure: GhlopsError,
    backoff: Backoff,
) -> str | None:
    """The id of the one live object matching the item; None when two reads in a row agree that
    there is none (a list read right after a write may not show it yet).

    Raises:
        GhlopsError: the kind could not be read again, several live objects match, or the reads
            kept changing without showing it (the location stops: it is not created twice).
    """
    previous: set[str] | None = None
    waited = 0.0
    for delay in (0.0, *backoff.delays):
        if delay > 0:
            backoff.sleep(delay)
            waited += delay
        try:
            live = _relist(change, ctx, adapter, adapters)
        except (GhlopsError, *SHAPE_ERRORS) as exc:
            raise GhlopsError(
                f"{failure}; could not tell whether it was created, as listing "
                f"{adapter.kind} again failed too ({exc}); plan again to see"
            ) from None
        found = _matching(change, adapter, live)
        if len(found) > 1:
            listed = ", ".join(sorted(m.id for m in found))
            raise GhlopsError(
                f"{failure}; {len(found)} live objects now match it ({listed}), so none was "
                "adopted and it was not created again; resolve the duplicates by hand"
            )
        if found:
            return found[0].id
        seen = {i.id for i in live}
        if seen == previous:
            return None  # two reads in a row agree: the create did not happen
        previous = seen
    raise GhlopsError(
        f"{failure}; could not tell whether it was created: {adapter.kind} was read "
        f"{len(backoff.delays) + 1} times over {waited:g} s and changed between reads without "
        "showing it (lists can lag writes), so it was not sent again; plan again to see"
    )


def _needed(adapter: Adapter, adapters: Mapping[str, Adapter]) -> list[Adapter]:
    """The kinds ``adapter`` needs read first (parent, references), in registry order."""
    wanted: set[str] = set()
    todo = [adapter]
    while todo:
        current = todo.pop()
        for kind in (*current.depends_on, *((current.parent_kind,) if current.parent_kind else ())):
            if kind in adapters and kind not in wanted:
                wanted.add(kind)
                todo.append(adapters[kind])
    return [a for k, a in adapters.items() if k in wanted]


def _relist(
    change: Change, ctx: Ctx, adapter: Adapter, adapters: Mapping[str, Adapter]
) -> list[LiveItem]:
    """The kind's live objects, read again; for a nested kind, those of the item's parent."""
    live: dict[str, list[LiveItem]] = {}
    fresh = Ctx(ctx.api, ctx.location_id, live=live, ids=ctx.ids, agency=ctx.agency)
    for need in _needed(adapter, adapters):
        live[need.kind] = read_kind(need, fresh)
    if adapter.parent_kind:
        if change.parent is None:
            raise GhlopsError(f"{adapter.singular} {change.key!r} has no parent")
        parent_id = change.parent_id or ctx.id_of(adapter.parent_kind, change.parent)
        live[adapter.parent_kind] = [
            p for p in live.get(adapter.parent_kind, []) if p.id == parent_id
        ]
    return read_kind(adapter, fresh)


def _matching(change: Change, adapter: Adapter, live: list[LiveItem]) -> list[LiveItem]:
    """Live objects that are the change's item, by its identity's natural keys (a nested kind's
    are its own, within the parent ``_relist`` read them under)."""
    try:
        keys = set(adapter.match_keys(change.after or {}))
    except SHAPE_ERRORS:
        keys = set()
    return [i for i in live if keys & set(i.ident.keys) or i.key == change.key]
