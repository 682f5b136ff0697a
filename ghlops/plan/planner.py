"""The planner: desired items and live items in, immutable changes out. No I/O, no HTTP.

Rules:
- Items are matched by their adapter's identities, most specific first (custom field: fieldKey,
  then model + name). A desired item that matches two live objects is ambiguous: it is reported as
  a warning and neither object is touched (nor pruned), since a guess could destroy data.
- Only fields the manifest sets are compared (an omitted optional field is not managed), and
  write-only fields (sent, never returned) are not compared at all.
- A difference in an immutable field is a replace, which is destructive.
- A live object matched by no desired item is deleted only when pruning is on for its kind;
  otherwise it is counted as unmanaged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deepdiff import DeepDiff

from ghlops.plan.changes import Action, Change, FieldDiff, LocationPlan, frozen
from ghlops.resources.base import Adapter, DesiredItem, LiveItem

_ACTION_ORDER = {
    Action.DELETE: 0,
    Action.REPLACE: 1,
    Action.UPDATE: 2,
    Action.CREATE: 3,
    Action.MANUAL: 4,
}


def values_equal(desired: Any, live: Any) -> bool:
    """Equality as the API sees it: 1 == 1.0, None == missing; order of lists matters."""
    if desired is None or live is None:
        return desired is None and live is None
    return not DeepDiff(desired, live, ignore_numeric_type_changes=True)


def diff_item(adapter: Adapter, desired: DesiredItem, live: LiveItem) -> tuple[FieldDiff, ...]:
    diffs = []
    for name in adapter.compare_fields:
        if name not in desired.fields or name in adapter.write_only_fields:
            continue
        after = desired.fields[name]
        before = live.fields.get(name)
        if not values_equal(after, before):
            diffs.append(FieldDiff(name, before, after))
    return tuple(diffs)


def _find_match(
    want: DesiredItem, index: Mapping[str, list[LiveItem]], claimed: set[str]
) -> tuple[LiveItem | None, list[LiveItem]]:
    """The live object a desired item matches, or the candidates when more than one does."""
    for key in want.match_keys:
        candidates = [c for c in index.get(key, []) if c.id not in claimed]
        if len(candidates) > 1:
            return None, candidates
        if candidates:
            return candidates[0], []
    return None, []


def plan_kind(
    adapter: Adapter,
    desired: Sequence[DesiredItem],
    live: Sequence[LiveItem],
    *,
    prune: bool,
) -> tuple[list[Change], int, list[str]]:
    """Changes for one kind, the number of unmanaged live objects, and warnings."""
    index: dict[str, list[LiveItem]] = {}
    for item in live:
        for key in item.match_keys:
            index.setdefault(key, []).append(item)

    changes: list[Change] = []
    warnings: list[str] = []
    claimed: set[str] = set()
    untouchable: set[str] = set()

    for want in desired:
        match, ambiguous = _find_match(want, index, claimed)
        if ambiguous:
            ids = ", ".join(c.id for c in ambiguous)
            warnings.append(
                f"{adapter.singular} {want.key!r}: {len(ambiguous)} live objects match ({ids}); "
                "left untouched until the duplicates are resolved by hand"
            )
            untouchable.update(c.id for c in ambiguous)
            continue
        if match is None:
            changes.append(
                Change(
                    Action.CREATE,
                    adapter.kind,
                    want.key,
                    None,
                    None,
                    frozen(want.fields),
                    source=want.source,
                )
            )
            continue
        claimed.add(match.id)
        diffs = diff_item(adapter, want, match)
        if not diffs:
            continue
        immutable = [d.field for d in diffs if d.field in adapter.immutable_fields]
        if immutable:
            fields = ", ".join(immutable)
            changes.append(
                Change(
                    Action.REPLACE,
                    adapter.kind,
                    want.key,
                    match.id,
                    frozen(match.fields),
                    frozen(want.fields),
                    diffs,
                    destructive=True,
                    reasons=(
                        f"{fields} cannot change after creation: the {adapter.singular} "
                        f"is deleted and re-created, and the data stored in it is lost",
                    ),
                    source=want.source,
                )
            )
        else:
            changes.append(
                Change(
                    Action.UPDATE,
                    adapter.kind,
                    want.key,
                    match.id,
                    frozen(match.fields),
                    frozen(want.fields),
                    diffs,
                    source=want.source,
                )
            )

    unmanaged = 0
    for item in live:
        if item.id in claimed or item.id in untouchable:
            continue
        if prune:
            changes.append(
                Change(
                    Action.DELETE,
                    adapter.kind,
                    item.key,
                    item.id,
                    frozen(item.fields),
                    None,
                    destructive=True,
                    reasons=(f"not in the manifests and policy.prune includes {adapter.kind}",),
                )
            )
        else:
            unmanaged += 1
    return changes, unmanaged, warnings


def plan_location(
    name: str,
    location_id: str,
    adapters: Sequence[Adapter],
    desired: Mapping[str, Sequence[DesiredItem]],
    live: Mapping[str, Sequence[LiveItem]],
    *,
    prune: frozenset[str] = frozenset(),
    api_calls: int = 0,
) -> LocationPlan:
    """Plan one location. ``adapters`` are in dependency order; only their kinds are planned."""
    changes: list[Change] = []
    unmanaged: dict[str, int] = {}
    warnings: list[str] = []
    for adapter in adapters:
        kind_changes, kind_unmanaged, kind_warnings = plan_kind(
            adapter,
            desired.get(adapter.kind, ()),
            live.get(adapter.kind, ()),
            prune=adapter.kind in prune,
        )
        kind_changes.sort(key=lambda c: (_ACTION_ORDER[c.action], c.key))
        changes.extend(kind_changes)
        if kind_unmanaged:
            unmanaged[adapter.kind] = kind_unmanaged
        warnings.extend(kind_warnings)
    return LocationPlan(
        name,
        location_id,
        tuple(changes),
        frozen(unmanaged) or {},
        tuple(warnings),
        api_calls=api_calls,
    )
