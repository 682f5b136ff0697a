"""What a plan needs to read: the kinds a location's manifests and policy manage, and no more.

A kind is read when the location declares items of it, when ``policy.prune`` names it, or when
a kind read needs it: references (``depends_on``: live ids become natural keys) and parents
(``parent_kind``: nested objects are listed per parent). Everything else is left unread, and the
plan says so (``LocationPlan.not_read``), so its "unmanaged" counts cover only what was read.

A nested kind is listed only under the live parents that a declared parent matches, unless the
parent kind is pruned (then a pruned parent's children are deleted with it, so all are read).
Pruning the nested kind alone changes nothing under the parents the manifests do not manage
(the planner plans children inside their managed parent only). Pure data: no I/O, so the engine, the tests and the benchmark share the same decision.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from ghlops.resources.base import Adapter, DesiredItem, LiveItem


@dataclass(frozen=True)
class ReadSet:
    """The adapters to read for one principal, in registry order, and the kinds left out."""

    adapters: tuple[Adapter, ...]
    not_read: tuple[str, ...]
    # nested kinds read under every live parent (the parent kind is pruned)
    all_parents: frozenset[str] = frozenset()

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(a.kind for a in self.adapters)


def read_set(
    adapters: Sequence[Adapter],
    desired: Mapping[str, Sequence[DesiredItem]],
    prune: Collection[str] = (),
) -> ReadSet:
    """The adapters among ``adapters`` a plan of ``desired`` under ``prune`` must read."""
    by_kind = {a.kind: a for a in adapters}
    # a singleton is never pruned: read only when declared
    wanted = {k for k in by_kind if desired.get(k) or (k in prune and not by_kind[k].singleton)}
    pending = list(wanted)
    while pending:  # what the wanted kinds need, transitively
        adapter = by_kind[pending.pop()]
        for need in (*adapter.depends_on, *((adapter.parent_kind,) if adapter.parent_kind else ())):
            if need in by_kind and need not in wanted:
                wanted.add(need)
                pending.append(need)
    chosen = tuple(a for a in adapters if a.kind in wanted)
    return ReadSet(
        chosen,
        tuple(a.kind for a in adapters if a.kind not in wanted),
        frozenset(a.kind for a in chosen if a.parent_kind is not None and a.parent_kind in prune),
    )


def managed_parents(
    parents: Sequence[LiveItem], declared: Sequence[DesiredItem], rename_field: str = "name"
) -> list[LiveItem]:
    """The live parents a declared parent may match (by any identity, or by ``renamedFrom``).

    Errs on the side of reading: a live object that two declared items could match, or that
    the planner will find ambiguous, is kept, so no nested object of a managed parent is missed.
    """
    keys = {key for item in declared for key in item.match_keys}
    old_names = {item.renamed_from for item in declared if item.renamed_from is not None}
    return [
        live
        for live in parents
        if keys.intersection(live.match_keys)
        or (old_names and (live.key in old_names or live.fields.get(rename_field) in old_names))
    ]
