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
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from deepdiff import DeepDiff
from pydantic import TypeAdapter, ValidationError

from ghlops.models.base import ResourceSpec
from ghlops.plan.changes import Action, Change, FieldDiff, LocationPlan, frozen
from ghlops.plan.fingerprint import desired_digest, live_digests
from ghlops.plan.policy import Policy
from ghlops.resources.base import Adapter, DesiredItem, LiveItem

_ACTION_ORDER = {
    Action.DELETE: 0,
    Action.REPLACE: 1,
    Action.UPDATE: 2,
    Action.CREATE: 3,
    Action.MANUAL: 4,
}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def values_equal(desired: Any, live: Any) -> bool:
    """Equality as the API sees it: 1 == 1.0, None == missing; order of lists matters."""
    if desired is None or live is None:
        return desired is None and live is None
    if type(desired) is type(live) and desired == live:
        return True  # the common case, without DeepDiff's cost
    if _number(desired) and _number(live):
        return bool(desired == live)
    if isinstance(desired, str | bool | int | float) or isinstance(live, str | bool | int | float):
        return False  # scalars of different values or kinds
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
    want: DesiredItem,
    index: Mapping[str, list[LiveItem]],
    claimed: set[str],
    live: Sequence[LiveItem] = (),
    rename_field: str = "name",
) -> tuple[LiveItem | None, list[LiveItem]]:
    """The live object a desired item matches, or the candidates when more than one does.

    With ``renamedFrom``, a desired item that matches nothing under its new name matches the
    live object that still has the old one, so the rename is an update of the same object.
    """
    for key in want.match_keys:
        candidates = [c for c in index.get(key, []) if c.id not in claimed]
        if len(candidates) > 1:
            return None, candidates
        if candidates:
            return candidates[0], []
    if want.renamed_from is not None:
        old = want.renamed_from
        candidates = [
            c
            for c in live
            if c.id not in claimed
            and (c.key == old or c.fields.get(rename_field) == old)
            and c.parent == want.parent
        ]
        if len(candidates) > 1:
            return None, candidates
        if candidates:
            return candidates[0], []
    return None, []


@dataclass
class KindPlan:
    changes: list[Change] = field(default_factory=list)
    unmanaged: int = 0
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about items without a change
    bindings: dict[str, str] = field(default_factory=dict)  # "kind/key" -> live id
    gone: set[str] = field(default_factory=set)  # keys of live objects deleted or replaced


def plan_kind(
    adapter: Adapter,
    desired: Sequence[DesiredItem],
    live: Sequence[LiveItem],
    *,
    prune: bool,
    gone_parents: frozenset[str] = frozenset(),
    parent_singular: str = "parent",
    policy: Policy | None = None,
) -> KindPlan:
    """Changes for one kind, with what the next kinds need to know."""
    result = KindPlan()
    policy = policy or Policy()
    ignored = [item for item in live if policy.ignores(adapter.kind, item.key)]
    if ignored:
        live = [item for item in live if item not in ignored]
        result.notes.append(
            f"{len(ignored)} {adapter.kind} ignored by policy.ignore (never touched): "
            + ", ".join(repr(i.key) for i in ignored[:5])
            + (" …" if len(ignored) > 5 else "")
        )
    index: dict[str, list[LiveItem]] = {}
    for item in live:
        result.bindings[f"{adapter.kind}/{item.key}"] = item.id
        if item.parent is not None and item.parent in gone_parents:
            continue  # its parent goes: handled below, never matched
        for key in item.match_keys:
            index.setdefault(key, []).append(item)

    claimed: set[str] = set()
    untouchable: set[str] = set()
    for want in desired:
        match, ambiguous = _find_match(want, index, claimed, live, adapter.rename_field)
        if ambiguous:
            ids = ", ".join(c.id for c in ambiguous)
            result.warnings.append(
                f"{adapter.singular} {want.key!r}: {len(ambiguous)} live objects match ({ids}); "
                "left untouched until the duplicates are resolved by hand"
            )
            untouchable.update(c.id for c in ambiguous)
            continue
        if match is None:
            result.changes.append(_change(adapter, Action.CREATE, want.key, None, None, want))
            continue
        claimed.add(match.id)
        result.bindings[f"{adapter.kind}/{want.key}"] = match.id
        diffs = diff_item(adapter, want, match)
        if not diffs:
            result.notes.extend(adapter.write_only_reasons(want, changed=False))
            continue
        immutable = [d.field for d in diffs if d.field in adapter.immutable_fields]
        unknown = unknown_values(adapter, match, immutable)
        if unknown:
            # a value the API documents no such thing as: the API changed, or answered wrongly;
            # a replace on that basis would destroy the object's data
            shown = ", ".join(f"{f} {match.fields.get(f)!r}" for f in unknown)
            result.warnings.append(
                f"{adapter.singular} {want.key!r}: the live object ({match.id}) has {shown}, "
                "which ghlops does not know; it is left untouched (not replaced) until "
                "ghlops or the manifest is updated"
            )
            continue
        if immutable:
            fields = ", ".join(immutable)
            result.gone.add(want.key)
            result.changes.append(
                _change(
                    adapter,
                    Action.REPLACE,
                    want.key,
                    match,
                    diffs,
                    want,
                    destructive=True,
                    reasons=(
                        f"{fields} cannot change after creation: the {adapter.singular} "
                        f"is deleted and re-created, and the data stored in it is lost",
                    ),
                )
            )
        else:
            destroys = adapter.destructive_reasons(want, match)
            reasons = (
                destroys
                + adapter.update_reasons(want, match)
                + adapter.write_only_reasons(want, changed=True)
            )
            result.changes.append(
                _change(
                    adapter,
                    Action.UPDATE,
                    want.key,
                    match,
                    diffs,
                    want,
                    destructive=bool(destroys),
                    reasons=reasons,
                )
            )

    for item in live:
        if item.id in claimed or item.id in untouchable:
            continue
        if item.parent is not None and item.parent in gone_parents:
            result.gone.add(item.key)
            result.changes.append(
                _change(
                    adapter,
                    Action.DELETE,
                    item.key,
                    item,
                    (),
                    None,
                    destructive=True,
                    reasons=(
                        f"its {parent_singular} {item.parent!r} is deleted or replaced",
                        *adapter.delete_reasons(item),
                    ),
                )
            )
        elif prune:
            result.gone.add(item.key)
            result.changes.append(
                _change(
                    adapter,
                    Action.DELETE,
                    item.key,
                    item,
                    (),
                    None,
                    destructive=True,
                    reasons=(
                        f"not in the manifests and policy.prune includes {adapter.kind}",
                        *adapter.delete_reasons(item),
                    ),
                )
            )
        else:
            result.unmanaged += 1
    protected = {d.key for d in desired if d.protect}
    result.changes = [
        replace(c, protected=True)
        if c.action in (Action.DELETE, Action.REPLACE)
        and (c.key in protected or policy.protects(adapter.kind, c.key))
        else c
        for c in result.changes
    ]
    if not adapter.writable:
        result.changes = [_as_manual(adapter, c, desired, live) for c in result.changes]
        result.gone.clear()
    return result


@lru_cache(maxsize=256)
def _field_type(model: type[ResourceSpec], name: str) -> TypeAdapter[Any] | None:
    info = model.model_fields.get(name)
    if info is None or info.annotation is None:
        return None
    return TypeAdapter(info.annotation)


def unknown_values(adapter: Adapter, live: LiveItem, names: Sequence[str]) -> list[str]:
    """Fields among ``names`` whose live value the manifest model would reject (an enum value
    ghlops does not know, a wrong type)."""
    unknown = []
    for name in names:
        field_type = _field_type(adapter.model, name)
        if field_type is None or live.fields.get(name) is None:
            continue
        try:
            field_type.validate_python(live.fields.get(name))
        except ValidationError:
            unknown.append(name)
    return unknown


def _change(
    adapter: Adapter,
    action: Action,
    key: str,
    live: LiveItem | None,
    diffs: tuple[FieldDiff, ...] | None,
    want: DesiredItem | None,
    *,
    destructive: bool = False,
    reasons: tuple[str, ...] = (),
) -> Change:
    return Change(
        action,
        adapter.kind,
        key,
        live.id if live else None,
        frozen(live.fields) if live else None,
        frozen(want.fields) if want else None,
        diffs or (),
        destructive=destructive,
        reasons=reasons,
        source=want.source if want else None,
        parent=want.parent if want else (live.parent if live else None),
    )


def _as_manual(
    adapter: Adapter, change: Change, desired: Sequence[DesiredItem], live: Sequence[LiveItem]
) -> Change:
    """A change of a read-only kind: shown with the steps to take by hand, never applied."""
    want = next((d for d in desired if d.key == change.key), None)
    have = next((item for item in live if item.id == change.id), None) if change.id else None
    steps = adapter.manual_steps(change.action.value, want, have)
    return replace(
        change,
        action=Action.MANUAL,
        destructive=False,
        protected=False,  # nothing is deleted: a person does it, or not
        reasons=(f"{change.action.value} by hand: the API cannot write {adapter.kind}", *steps),
    )


def plan_location(
    name: str,
    location_id: str,
    adapters: Sequence[Adapter],
    desired: Mapping[str, Sequence[DesiredItem]],
    live: Mapping[str, Sequence[LiveItem]],
    *,
    prune: frozenset[str] = frozenset(),
    api_calls: int = 0,
    policy: Policy | None = None,
) -> LocationPlan:
    """Plan one location. ``adapters`` are in dependency order; only their kinds are planned.

    ``policy`` (ignore, protect, prune) wins over ``prune`` when given.
    """
    if policy is not None:
        prune = policy.prune
    existing = sum(
        1
        for adapter in adapters
        for item in live.get(adapter.kind, ())
        if policy is None or not policy.ignores(adapter.kind, item.key)
    )
    changes: list[Change] = []
    unmanaged: dict[str, int] = {}
    warnings: list[str] = []
    notes: list[str] = []
    bindings: dict[str, str] = {}
    gone: dict[str, frozenset[str]] = {}
    singulars = {a.kind: a.singular for a in adapters}
    for adapter in adapters:
        parent = adapter.parent_kind
        kind_plan = plan_kind(
            adapter,
            desired.get(adapter.kind, ()),
            live.get(adapter.kind, ()),
            prune=adapter.kind in prune,
            gone_parents=gone.get(parent, frozenset()) if parent else frozenset(),
            parent_singular=singulars.get(parent or "", "parent"),
            policy=policy,
        )
        gone[adapter.kind] = frozenset(kind_plan.gone)
        kind_plan.changes.sort(key=lambda c: (_ACTION_ORDER[c.action], c.key))
        changes.extend(kind_plan.changes)
        if kind_plan.unmanaged:
            unmanaged[adapter.kind] = kind_plan.unmanaged
        warnings.extend(kind_plan.warnings)
        notes.extend(kind_plan.notes)
        bindings.update(kind_plan.bindings)
    return LocationPlan(
        name,
        location_id,
        tuple(changes),
        frozen(unmanaged) or {},
        tuple(warnings),
        api_calls=api_calls,
        existing=existing,
        live_digests=frozen(
            live_digests(
                {
                    kind: [i for i in items if policy is None or not policy.ignores(kind, i.key)]
                    for kind, items in live.items()
                }
            )
        )
        or {},
        desired_digest=desired_digest(desired),
        notes=tuple(notes),
        bindings=frozen(bindings) or {},
    )
