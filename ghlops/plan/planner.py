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

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ghlops.plan.changes import Action, Change, FieldDiff, LocationPlan, Unmanaged, frozen
from ghlops.plan.compare import diff_item, rename_hints, unknown_values
from ghlops.plan.fingerprint import desired_digest, live_digests
from ghlops.plan.policy import Policy
from ghlops.resources.base import Adapter, DesiredItem, LiveItem
from ghlops.resources.singleton import partial_view

_ACTION_ORDER = {
    Action.DELETE: 0,
    Action.REPLACE: 1,
    Action.UPDATE: 2,
    Action.CREATE: 3,
    Action.MANUAL: 4,
}


def _find_match(
    adapter: Adapter,
    want: DesiredItem,
    index: Mapping[str, list[LiveItem]],
    claimed: set[str],
    live: Sequence[LiveItem],
) -> tuple[LiveItem | None, list[LiveItem]]:
    """The live object a desired item matches, or the candidates when more than one does.

    Items are matched by their identity's natural keys, most specific first. With
    ``renamedFrom``, a desired item that matches nothing under its new name matches the live
    object that still has the old one and agrees on the kind's identity fields (a custom field's
    model), so the rename is an update of the same object.
    """
    for key in want.ident.keys:
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
            and (c.fields.get(adapter.rename_field) == old or c.key == old)
            and all(c.fields.get(f) == want.fields.get(f) for f in adapter.identity_fields)
        ]
        if len(candidates) > 1:
            return None, candidates
        if candidates:
            return candidates[0], []
    return None, []


@dataclass
class KindPlan:
    """One kind's changes (of one location, or of one parent's children), with what its nested
    kinds and the location's plan need to know."""

    changes: list[Change] = field(default_factory=list)
    unmanaged: list[LiveItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about items without a change
    bindings: dict[str, str] = field(default_factory=dict)  # "kind/key" -> live id
    # what happened to each desired item, by key: the live object it matched (kept or
    # replaced), created, or left untouched (with why), for the children of each
    matched: dict[str, LiveItem] = field(default_factory=dict)
    replaced: set[str] = field(default_factory=set)
    created: set[str] = field(default_factory=set)
    untouched: dict[str, str] = field(default_factory=dict)
    deleted: dict[str, LiveItem] = field(default_factory=dict)  # live objects deleted, by id
    hints: list[str] = field(default_factory=list)  # e.g. a create that looks like a rename

    def absorb(self, other: KindPlan) -> None:
        """Add the changes and findings of ``other`` (one parent's children) to this plan."""
        self.changes += other.changes
        self.unmanaged += other.unmanaged
        self.warnings += other.warnings
        self.notes += other.notes
        self.hints += other.hints
        self.bindings.update(other.bindings)
        self.deleted.update(other.deleted)


def _protected(policy: Policy, want: DesiredItem | None, live: LiveItem) -> bool:
    """A delete or replace of ``live`` is refused: the item says ``protect``, or a
    ``policy.protect`` pattern names the object (by its live or its declared name)."""
    if want is not None and (want.protect or policy.protects(want.ident)):
        return True
    return policy.protects(live.ident)


def plan_kind(
    adapter: Adapter,
    desired: Sequence[DesiredItem],
    live: Sequence[LiveItem],
    *,
    prune: bool,
    policy: Policy | None = None,
    parent_id: str | None = None,
) -> KindPlan:
    """Changes for one kind: of a location, or (``parent_id``) of one live parent's children."""
    if adapter.singleton:
        return plan_singleton(adapter, desired, live)
    result = KindPlan()
    policy = policy or Policy()
    ignored = {item.id: pattern for item in live if (pattern := policy.ignored_by(item.ident))}
    if ignored:
        names = [item.ident.label for item in live if item.id in ignored]
        result.notes.append(
            f"{len(names)} {adapter.kind} ignored by policy.ignore (never touched): "
            + ", ".join(repr(name) for name in names[:5])
            + (" …" if len(names) > 5 else "")
        )
    index: dict[str, list[LiveItem]] = {}
    for item in live:
        if item.id not in ignored:
            result.bindings[f"{adapter.kind}/{item.key}"] = item.id
        for key in item.ident.keys:
            index.setdefault(key, []).append(item)

    claimed: set[str] = set()
    untouchable: set[str] = set()

    def change(action: Action, want: DesiredItem | None, match: LiveItem | None, **kw: Any) -> None:
        key = want.key if want is not None else match.key if match is not None else "?"
        made = _change(adapter, action, key, match, want, parent_id=parent_id, **kw)
        if match is not None and action in (Action.DELETE, Action.REPLACE):
            made = replace(made, protected=_protected(policy, want, match))
        result.changes.append(made)

    for want in desired:
        label = want.key  # as its changes are shown
        match, ambiguous = _find_match(adapter, want, index, claimed, live)
        if ambiguous:
            ids = ", ".join(c.id for c in ambiguous)
            result.warnings.append(
                f"{adapter.singular} {label!r}: {len(ambiguous)} live objects match ({ids}); "
                "left untouched until the duplicates are resolved by hand"
            )
            untouchable.update(c.id for c in ambiguous)
            result.untouched[want.key] = f"{len(ambiguous)} live objects match it"
            continue
        if match is None:
            change(Action.CREATE, want, None)
            result.created.add(want.key)
            continue
        claimed.add(match.id)
        if match.id in ignored:
            result.warnings.append(
                f"{adapter.singular} {label!r} matches the live {adapter.singular} "
                f"{match.ident.label!r} ({match.id}), which policy.ignore "
                f"{ignored[match.id]!r} leaves to others: left untouched, not created again"
            )
            result.untouched[want.key] = "policy.ignore leaves its live object to others"
            continue
        result.bindings[f"{adapter.kind}/{want.key}"] = match.id
        result.matched[want.key] = match
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
                f"{adapter.singular} {label!r}: the live object ({match.id}) has {shown}, "
                "which ghlops does not know; it is left untouched (not replaced) until "
                "ghlops or the manifest is updated"
            )
            del result.matched[want.key]
            result.untouched[want.key] = "it is left untouched"
            continue
        if immutable:
            fields = ", ".join(immutable)
            result.replaced.add(want.key)
            change(
                Action.REPLACE,
                want,
                match,
                diffs=diffs,
                destructive=True,
                reasons=(
                    f"{fields} cannot change after creation: the {adapter.singular} "
                    f"is deleted and re-created, and the data stored in it is lost",
                ),
            )
        else:
            destroys = adapter.destructive_reasons(want, match)
            reasons = (
                destroys
                + adapter.update_reasons(want, match)
                + adapter.write_only_reasons(want, changed=True)
            )
            change(
                Action.UPDATE,
                want,
                match,
                diffs=diffs,
                destructive=bool(destroys),
                reasons=reasons,
            )

    for item in live:
        if item.id in claimed or item.id in untouchable or item.id in ignored:
            continue
        if prune:
            result.deleted[item.id] = item
            change(
                Action.DELETE,
                None,
                item,
                destructive=True,
                reasons=(
                    f"not in the manifests and policy.prune includes {adapter.kind}",
                    *adapter.delete_reasons(item),
                ),
            )
        else:
            result.unmanaged.append(item)
    if not adapter.writable:
        result.changes = [_as_manual(adapter, c, desired, live) for c in result.changes]
        result.deleted.clear()
        result.replaced.clear()
    elif not adapter.deletable:
        _deletes_by_hand(adapter, result, desired, live)
    if adapter.writable and result.created and result.unmanaged and adapter.renames:
        creates = [want for want in desired if want.key in result.created]
        result.hints += rename_hints(adapter, creates, result.unmanaged)
    return result


def plan_singleton(
    adapter: Adapter, desired: Sequence[DesiredItem], live: Sequence[LiveItem]
) -> KindPlan:
    """A singleton kind (one object per location, see ghlops.resources.singleton): at most an
    update of the fields the manifest sets (nested mappings: only the keys it sets). Nothing is
    created, deleted, pruned or counted unmanaged; undeclared, it is left alone."""
    result = KindPlan()
    if not desired:
        return result
    want = desired[0]
    have = live[0] if live else LiveItem(adapter.kind, want.key, "", {}, want.match_keys)
    result.bindings[f"{adapter.kind}/{want.key}"] = have.id
    view = replace(
        have, fields={k: partial_view(v, want.fields.get(k)) for k, v in have.fields.items()}
    )
    diffs = diff_item(adapter, want, view)
    if not diffs:
        result.matched[want.key] = have
        result.notes.extend(adapter.write_only_reasons(want, changed=False))
        return result
    unsendable = adapter.unsendable_reasons(want, have)
    if unsendable:
        result.warnings += [f"{adapter.singular} not updated: {why}" for why in unsendable]
        result.untouched[want.key] = "it cannot be sent"
        return result
    result.matched[want.key] = have
    result.changes.append(
        _change(
            adapter,
            Action.UPDATE,
            want.key,
            view,
            want,
            diffs=diffs,
            reasons=adapter.update_reasons(want, have)
            + adapter.write_only_reasons(want, changed=True),
        )
    )
    return result


def plan_children(
    adapter: Adapter,
    parents: KindPlan,
    desired: Sequence[DesiredItem],
    live: Sequence[LiveItem],
    *,
    prune: bool,
    policy: Policy | None = None,
    parent_singular: str = "parent",
) -> KindPlan:
    """A nested kind, planned inside the parents as the parent kind's plan left them.

    A kept parent's children are matched among the children of the live object it matched (so a
    renamed parent keeps its children); the children of a replaced parent follow the replace
    (deleted, then created under the new parent), those of a created parent are created, and
    those of a deleted parent are deleted first. The children of a live parent the manifests do
    not manage (unmanaged, ignored, ambiguous) are left alone, even with pruning on; the declared
    children of a parent left untouched are not planned, with a warning that says so.
    """
    result = KindPlan()
    policy = policy or Policy()
    wanted: dict[str, list[DesiredItem]] = {}
    for want in desired:
        wanted.setdefault(want.parent or "", []).append(want)
    under: dict[str, list[LiveItem]] = {}
    for item in live:
        under.setdefault(item.parent_id or "", []).append(item)

    def ignored(parent_id: str) -> str:
        """The ignored children of a live parent, as the plan names them ("" when none)."""
        names = [repr(c.ident.name) for c in under.get(parent_id, []) if policy.ignores(c.ident)]
        return ", ".join(names)

    def cascade(items: Sequence[LiveItem], why: str) -> None:
        for item in items:
            if policy.ignores(item.ident):
                continue  # never deleted by ghlops (its parent is kept or refused, see below)
            made = _change(
                adapter,
                Action.DELETE,
                item.key,
                item,
                None,
                parent_id=item.parent_id,
                destructive=True,
                reasons=(why, *adapter.delete_reasons(item)),
            )
            result.changes.append(replace(made, protected=_protected(policy, None, item)))
            result.deleted[item.id] = item

    def create(items: Sequence[DesiredItem]) -> None:
        for want in items:
            result.changes.append(_change(adapter, Action.CREATE, want.key, None, want))
            result.created.add(want.key)

    for key, match in parents.matched.items():
        children = wanted.get(key, [])
        if key in parents.replaced:
            names = ignored(match.id)
            if names:  # a replace would destroy them with the parent: refused
                why = (
                    f"its {adapter.kind} {names} are ignored by policy.ignore and would be "
                    "deleted with it"
                )
                parents.changes = [
                    replace(c, protected=True, reasons=(*c.reasons, why))
                    if c.id == match.id and c.action is Action.REPLACE
                    else c
                    for c in parents.changes
                ]
            cascade(
                under.get(match.id, []), f"its {parent_singular} {key!r} is deleted or replaced"
            )
            create(children)
            continue
        result.absorb(
            plan_kind(
                adapter,
                children,
                under.get(match.id, []),
                prune=prune,
                policy=policy,
                parent_id=match.id,
            )
        )
    for key in parents.created:
        create(wanted.get(key, []))
    for key, why in parents.untouched.items():
        children = wanted.get(key, [])
        if children:
            result.warnings.append(
                f"{len(children)} {adapter.kind} of {parent_singular} {key!r} are not planned: "
                f"{why}; the rest of the location is planned as usual"
            )
    for parent_id, parent in list(parents.deleted.items()):
        names = ignored(parent_id)
        if names:  # pruning the parent would delete them: the parent is left alone
            del parents.deleted[parent_id]
            parents.changes = [c for c in parents.changes if c.id != parent_id]
            parents.unmanaged.append(parent)
            result.warnings.append(
                f"{parent_singular} {parent.key!r} is not pruned: its {adapter.kind} {names} "
                "are ignored by policy.ignore, and deleting it would delete them"
            )
            continue
        cascade(
            under.get(parent_id, []), f"its {parent_singular} {parent.key!r} is deleted or replaced"
        )
    if not adapter.writable:  # the kept parents' children are manual already (plan_kind)
        result.changes = [
            c if c.action is Action.MANUAL else _as_manual(adapter, c, desired, live)
            for c in result.changes
        ]
    elif not adapter.deletable:
        _deletes_by_hand(adapter, result, desired, live)
    return result


def _change(
    adapter: Adapter,
    action: Action,
    key: str,
    live: LiveItem | None,
    want: DesiredItem | None,
    *,
    diffs: tuple[FieldDiff, ...] = (),
    destructive: bool = False,
    reasons: tuple[str, ...] = (),
    parent_id: str | None = None,
) -> Change:
    return Change(
        action,
        adapter.kind,
        key,
        live.id if live else None,
        frozen(live.fields) if live else None,
        frozen(want.fields) if want else None,
        diffs,
        destructive=destructive,
        reasons=reasons,
        source=want.source if want else None,
        parent=want.parent if want else (live.parent if live else None),
        parent_id=parent_id,
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


def _deletes_by_hand(
    adapter: Adapter, result: KindPlan, desired: Sequence[DesiredItem], live: Sequence[LiveItem]
) -> None:
    """A kind whose API has no delete (``Adapter.deletable = False``): its deletes (pruned
    objects) and replaces (a changed immutable field needs a delete first) become ``manual``
    changes with the UI steps of :meth:`Adapter.manual_steps`, never a call that fails. The
    object stays: a replaced one is kept as matched (its children are planned inside it as
    usual), a pruned one takes its children with it when a person deletes it (not cascaded)."""
    why = f"the API has no delete for {adapter.kind}"
    kept = []
    for change in result.changes:
        if change.action is Action.DELETE:
            reason = f"delete by hand: {why}"
        elif change.action is Action.REPLACE:
            fields = ", ".join(d.field for d in change.diffs if d.field in adapter.immutable_fields)
            reason = (
                f"{fields} cannot change through the API, and {why} to re-create it: change "
                "it by hand (or delete the object by hand and apply again to re-create it)"
            )
        else:
            kept.append(change)
            continue
        want = next((d for d in desired if d.key == change.key), None)
        have = next((item for item in live if item.id == change.id), None)
        steps = adapter.manual_steps(change.action.value, want, have)
        kept.append(
            replace(
                change,
                action=Action.MANUAL,
                destructive=False,
                protected=False,  # nothing is deleted by ghlops
                reasons=(reason, *steps),
            )
        )
    result.changes = kept
    result.deleted.clear()
    result.replaced.clear()


def _only_matched(kind_plan: KindPlan, singular: str) -> None:
    """A kind that is read but not planned (``--kind``): it keeps only what its matches tell
    the kinds that are planned. Its creates and replaces do not happen in this run, so their
    children are not planned (``untouched``, with why)."""
    why = f"its {singular} is not changed in this run (--kind/--exclude-kind)"
    for key in (*kind_plan.created, *kind_plan.replaced):
        kind_plan.untouched[key] = why
        kind_plan.matched.pop(key, None)
    kind_plan.created.clear()
    kind_plan.replaced.clear()
    kind_plan.changes.clear()
    kind_plan.unmanaged.clear()
    kind_plan.warnings.clear()
    kind_plan.notes.clear()
    kind_plan.hints.clear()


def _without_unplanned_refs(
    kind_plan: KindPlan,
    adapter: Adapter,
    desired: Sequence[DesiredItem],
    plans: Mapping[str, KindPlan],
    changing: frozenset[str],
) -> None:
    """Leave out the changes that refer to an item of a kind not planned in this run whose
    live object does not exist (a calendar in a group that is not created by ``--kind
    calendars``): the reference could not be sent."""
    by_key = {want.key: want for want in desired}
    kept = []
    for change in kind_plan.changes:
        want = by_key.get(change.key) if change.after is not None else None
        missing = [
            ref
            for ref in (want.refs if want else ())
            if ref.kind not in changing
            and ref.kind in plans
            and ref.key not in plans[ref.kind].matched
        ]
        if missing:
            ref = missing[0]
            kind_plan.warnings.append(
                f"{adapter.singular} {change.key!r} is not planned: its {ref.field} {ref.key!r} "
                f"({ref.kind}) does not exist yet and {ref.kind} are not changed in this run "
                "(--kind/--exclude-kind)"
            )
            continue
        kept.append(change)
    kind_plan.changes = kept


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
    planned: Collection[str] | None = None,
) -> LocationPlan:
    """Plan one location. ``adapters`` are in dependency order; only their kinds are planned, and
    a nested kind is planned inside its parent kind, which must be among them.

    ``planned`` (``--kind``/``--exclude-kind``): the kinds that may change; the other kinds of
    ``adapters`` are only matched, to place children in their parents and resolve references
    (never created, updated or deleted, and their unmanaged objects are not listed). A change
    that needs such a kind to change first (a price of a product not created yet, a calendar in
    a group not created yet) is left out, with a warning.

    ``policy`` (ignore, protect, prune) wins over ``prune`` when given.
    """
    if policy is not None:
        prune = policy.prune
    policy = policy or Policy()
    changing = frozenset(a.kind for a in adapters if planned is None or a.kind in planned)
    existing = sum(
        1
        for adapter in adapters
        if adapter.kind in changing and not adapter.singleton
        for item in live.get(adapter.kind, ())
        if not policy.ignores(item.ident)
    )
    changes: list[Change] = []
    unmanaged: dict[str, int] = {}
    named: list[Unmanaged] = []
    warnings: list[str] = []
    notes: list[str] = []
    hints: list[str] = []
    bindings: dict[str, str] = {}
    plans: dict[str, KindPlan] = {}
    singulars = {a.kind: a.singular for a in adapters}
    for adapter in adapters:
        parent = adapter.parent_kind
        pruned = adapter.kind in prune and adapter.kind in changing
        if parent is None:
            kind_plan = plan_kind(
                adapter,
                desired.get(adapter.kind, ()),
                live.get(adapter.kind, ()),
                prune=pruned,
                policy=policy,
            )
        elif parent in plans:
            kind_plan = plan_children(
                adapter,
                plans[parent],
                desired.get(adapter.kind, ()),
                live.get(adapter.kind, ()),
                prune=pruned,
                policy=policy,
                parent_singular=singulars[parent],
            )
        else:
            raise ValueError(f"{adapter.kind} is planned inside {parent}, which is not planned")
        plans[adapter.kind] = kind_plan
        if adapter.kind not in changing:
            bindings.update(kind_plan.bindings)
            _only_matched(kind_plan, adapter.singular)
            continue
        _without_unplanned_refs(kind_plan, adapter, desired.get(adapter.kind, ()), plans, changing)
    for adapter in adapters:  # children may change their parents' plans: collected after all
        kind_plan = plans[adapter.kind]
        if adapter.kind not in changing:
            continue
        kind_plan.changes.sort(key=lambda c: (_ACTION_ORDER[c.action], c.key))
        changes.extend(kind_plan.changes)
        if kind_plan.unmanaged:
            unmanaged[adapter.kind] = len(kind_plan.unmanaged)
            named += [
                Unmanaged(adapter.kind, item.key, item.ident.label, item.id)
                for item in kind_plan.unmanaged
            ]
        warnings.extend(kind_plan.warnings)
        notes.extend(kind_plan.notes)
        hints.extend(kind_plan.hints)
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
                    kind: [i for i in items if not policy.ignores(i.ident)]
                    for kind, items in live.items()
                }
            )
        )
        or {},
        desired_digest=desired_digest(desired),
        notes=tuple(notes),
        bindings=frozen(bindings) or {},
        unmanaged_objects=tuple(named),
        hints=tuple(hints),
    )
