"""Singleton kinds: exactly one object per location (store settings, the location's settings).

The pattern, written once (see docs/adding-a-kind.md, "Singleton kinds"):

* **Bundle syntax**: a mapping under the kind, not a list (``storeSettings: {shippingOrigin:
  {...}}``). A later bundle's mapping merges over an earlier one field by field (nested
  mappings merge, lists are replaced), like any item declared twice.
* **Identity**: ``(kind, location)``: the one match key is the kind itself, and the name users
  see (in plans, policy globs, errors) is the adapter's ``singular`` ("store settings").
* **Planning** (:func:`ghlops.plan.planner.plan_kind`): only ever an ``update``. The object
  always exists (a location without settings yet has an empty one), so a plan never creates,
  deletes, prunes or counts it unmanaged; a location that declares nothing for the kind leaves
  it alone. Only the fields the manifest sets are compared, nested mappings included
  (``shippingOrigin: {city: Springfield}`` compares the city alone).
* **Writing**: the API's write takes the whole object (or parts of it that it replaces whole),
  so :meth:`SingletonAdapter.update` reads the live object again right before writing and sends
  the declared fields deep-merged over it: what the manifest does not set keeps its live value
  under every reading of the API (partial or full update). A field the API requires that
  neither the manifest nor the live object has makes the plan leave the item untouched, with a
  warning naming it (``required_paths``), instead of failing at apply.
* **Export**: the object is written back as the kind's mapping.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem
from ghlops.resources.keyed import live_of


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged over ``base``: mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    for name, value in over.items():
        before = merged.get(name)
        if isinstance(before, Mapping) and isinstance(value, Mapping):
            merged[name] = deep_merge(before, value)
        else:
            merged[name] = value
    return merged


def partial_view(live: Any, desired: Any) -> Any:
    """The part of ``live`` that ``desired`` sets: for mappings, only the keys ``desired``
    has (recursively); anything else whole. What a singleton's fields are compared with."""
    if isinstance(desired, Mapping) and isinstance(live, Mapping):
        return {k: partial_view(live.get(k), v) for k, v in desired.items() if k in live}
    return live


def missing_paths(
    data: Mapping[str, Any], required: Sequence[str], present: Mapping[str, Any]
) -> list[str]:
    """The dotted ``required`` paths absent from ``data`` (``a.b`` is required only when
    ``a`` is in ``present``: a nested object's own required fields apply when it is sent)."""
    missing = []
    for path in required:
        *parents, last = path.split(".")
        node: Any = data
        gate: Any = present
        sent = True
        for part in parents:
            node = node.get(part) if isinstance(node, Mapping) else None
            gate = gate.get(part) if isinstance(gate, Mapping) else None
            if gate is None:
                sent = False
                break
        if not sent:
            continue
        value = node.get(last) if isinstance(node, Mapping) else None
        if value is None or value == "":
            missing.append(path)
    return missing


class SingletonAdapter(Adapter):
    """Base of the singleton kinds. Subclasses set the usual class attributes (``kind``,
    ``singular`` — the name users see —, ``model``, ``version``, ``compare_fields``) and
    implement :meth:`read_one`, :meth:`live_fields` and :meth:`write`."""

    singleton = True
    renames = False
    # dotted paths the API's write requires (``shippingOrigin.zip``); checked on the body the
    # update would send (live values merged with the declared ones)
    required_paths: ClassVar[tuple[str, ...]] = ()

    # -- identity: (kind, location) ----------------------------------------------------------
    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"singleton:{self.kind}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return self.singular

    def name_of(self, fields: Mapping[str, Any]) -> str:
        return self.singular

    # -- reading ----------------------------------------------------------------------------
    @abstractmethod
    def read_one(self, ctx: Ctx) -> Mapping[str, Any] | None:
        """The live object as the API answers it, or None when the location has none yet."""

    @abstractmethod
    def live_fields(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The compared fields of the live object (request names), from its API answer."""

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        """The object; its id is the location's (``locationId``/``altId``/``id`` of ``raw``)
        as the identity is (kind, location)."""
        where = raw.get("locationId") or raw.get("altId") or raw.get("id") or ""
        return live_of(self, where, self.live_fields(raw), raw)

    def live_items(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> list[LiveItem]:
        return [replace(self.live_item(raw), id=ctx.location_id) for raw in raws[:1]] or [
            self.empty(ctx.location_id)
        ]

    def empty(self, location_id: str) -> LiveItem:
        """The object of a location that has none yet: no fields."""
        return live_of(self, location_id, {}, {})

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        raw = self.read_one(ctx)
        return self.live_items(ctx, [raw] if raw is not None else [])

    # -- writing ----------------------------------------------------------------------------
    def merged(self, live: Mapping[str, Any], item: DesiredItem) -> dict[str, Any]:
        """What the update sends: the declared fields deep-merged over the live ones."""
        return deep_merge(live, {k: v for k, v in item.fields.items() if k in self.compare_fields})

    def unsendable_reasons(self, desired: DesiredItem, live: LiveItem) -> tuple[str, ...]:
        merged = self.merged(live.fields, desired)
        missing = missing_paths(merged, self.required_paths, merged)
        if not missing:
            return ()
        return (
            f"the API requires {', '.join(missing)}, which neither the manifest nor the live "
            f"{self.singular} has: set {'it' if len(missing) == 1 else 'them'} in the manifest",
        )

    @abstractmethod
    def write(self, ctx: Ctx, fields: Mapping[str, Any], raw: Mapping[str, Any]) -> None:
        """Send the whole object (``fields``: live merged with declared, request names;
        ``raw``: the object as just read, empty when the location has none yet)."""

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        """Read the object again, merge the declared fields over it and write it."""
        raw = self.read_one(ctx) or {}
        self.write(ctx, self.merged(self.live_fields(raw) if raw else {}, item), raw)

    def create(self, ctx: Ctx, item: DesiredItem) -> str:  # pragma: no cover - never planned
        raise NotImplementedError(f"{self.kind} is a singleton: it is only ever updated")
