"""Exporting locations: their live objects as manifest items, per bundle kind.

Reading (:func:`read_fleet`) is the only I/O: every selected kind of every selected location, plus
what adapters look up for their export (users' emails, ...), and the agency's custom menu links
when they are selected. The rest is pure: each live object becomes a manifest item through its
adapter's ``export_item``; nested objects (prices, shipping rates) go inside their parent's item;
items are sorted by natural key, checked against the kind's model, and secret-looking values are
replaced by :class:`~ghlops.export.values.Masked` unless secrets are shown.

Custom menu links are agency objects: a location's export holds the links shown in it (named in
their ``locations``, or shown to all locations).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ghlops.client import GhlClient
from ghlops.engine import Session, read_live
from ghlops.errors import GhlopsError
from ghlops.export.values import Masked
from ghlops.manifest.project import LocationConfig
from ghlops.plan.policy import Policy
from ghlops.resources import registry
from ghlops.resources.base import Adapter, Ctx, ExportCtx, ExportSkip, LiveItem
from ghlops.resources.exporting import models_in
from ghlops.secrets import looks_secret, mask, mask_secrets, secret_label, secret_name
from ghlops.settings import DEFAULT_PARALLELISM


@dataclass(frozen=True)
class ExportedItem:
    """One manifest item: its natural key (as plans show it) and its fields, children inside."""

    kind: str
    key: str
    fields: dict[str, Any]


@dataclass
class LocationExport:
    """What one location's bundle holds, by bundle kind (items sorted by key)."""

    location: LocationConfig
    items: dict[str, list[ExportedItem]]
    notes: list[str] = field(default_factory=list)
    masked: list[str] = field(default_factory=list)  # "<kind> '<key>': <field path>"


@dataclass(frozen=True)
class LiveState:
    """What was read for one location (or the agency): live objects and export lookups."""

    live: Mapping[str, Sequence[LiveItem]]
    exports: Mapping[str, ExportCtx]


@dataclass
class FleetExport:
    """Every exported location, and what concerns them all (the agency's links)."""

    locations: list[LocationExport]
    notes: list[str] = field(default_factory=list)

    @property
    def has_agency_items(self) -> bool:
        # agency objects, and location objects GHL changes only with the agency's token
        agency = {
            a.kind for a in registry.ADAPTERS.values() if a.scope == "agency" or a.agency_writes
        }
        return any(loc.items.get(kind) for loc in self.locations for kind in agency)


# -- reading ------------------------------------------------------------------------------------


def read_state(client: GhlClient, principal_id: str, adapters: Sequence[Adapter]) -> LiveState:
    """Read the adapters' kinds for one principal, then what their exports look up."""
    live = read_live(client, principal_id, adapters)
    ctx = Ctx(client, principal_id, live=live)
    exports: dict[str, ExportCtx] = {}
    for adapter in adapters:
        export = ExportCtx()
        adapter.export_lookups(ctx, live.get(adapter.kind, ()), export)
        exports[adapter.kind] = export
    return LiveState(live, exports)


def read_fleet(
    session: Session, locations: Sequence[LocationConfig]
) -> tuple[dict[str, LiveState], LiveState | None, list[str]]:
    """Live state of each location (by name) and of the agency (None when not read), and notes.

    Raises:
        GhlopsError: a location or the agency could not be read (all failures, one per line).
    """

    def one(location: LocationConfig) -> tuple[str, LiveState | str]:
        try:
            with session.location_client(location) as client:
                return location.name, read_state(client, location.id, session.adapters)
        except GhlopsError as exc:
            hint = session.target.explainer(location.token_env, location_id=location.id)(exc)
            return location.name, f"location {location.name}: {exc}{hint}"

    workers = min(DEFAULT_PARALLELISM, max(1, len(locations)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, locations))
    failures = [r for _, r in results if isinstance(r, str)]
    states = {name: r for name, r in results if isinstance(r, LiveState)}

    agency: LiveState | None = None
    notes: list[str] = []
    project = session.project
    if session.agency_adapters:
        kinds = ", ".join(a.kind for a in session.agency_adapters)
        if project.agency is None:
            notes.append(
                f"{kinds} not exported: they are agency objects, read with an agency token, "
                "and ghlops.yaml has no agency section"
            )
        else:
            try:
                with session.agency_client() as client:
                    agency = read_state(client, project.agency.company_id, session.agency_adapters)
            except GhlopsError as exc:
                hint = session.target.explainer(project.agency.token_env, agency=True)(exc)
                failures.append(
                    f"agency: {exc}{hint} (or leave {kinds} out: --exclude-kind {kinds})"
                )
    if failures:
        raise GhlopsError("cannot read live state:\n  " + "\n  ".join(failures))
    return states, agency, notes


# -- live objects to manifest items --------------------------------------------------------------


def _sort_key(key: str) -> tuple[str, str]:
    return (key.casefold(), key)


def _children_field(parent: Adapter, child: Adapter) -> str:
    for name, info in parent.model.model_fields.items():
        if child.model in models_in(info.annotation):
            return name
    raise RuntimeError(f"{parent.kind}: no field of its model holds {child.kind}")


def _not_ignored(
    adapter: Adapter, items: Sequence[LiveItem], policy: Policy, notes: list[str]
) -> list[LiveItem]:
    """The items that ``policy.ignore`` does not leave to others."""
    kept = [live for live in items if not policy.ignores(live.ident)]
    if len(kept) < len(items):
        notes.append(
            f"{len(items) - len(kept)} {adapter.kind} not exported: policy.ignore leaves them "
            "to others"
        )
    return kept


def _export_one(
    adapter: Adapter, live: LiveItem, export: ExportCtx, notes: list[str]
) -> dict[str, Any] | None:
    try:
        return adapter.export_item(live, export)
    except ExportSkip as exc:
        notes.append(f"{adapter.singular} {live.key!r} not exported: {exc}")
        return None


def _kind_items(
    adapter: Adapter, state: LiveState, notes: list[str], policy: Policy
) -> list[tuple[LiveItem, ExportedItem]]:
    """One bundle kind's items (children inside), sorted by key, once per key."""
    export = state.exports.get(adapter.kind, ExportCtx())
    children = [c for c in registry.children_of(adapter.kind) if c.kind in state.live]
    found: dict[str, tuple[LiveItem, ExportedItem]] = {}
    doubles: dict[str, int] = {}
    for live in _not_ignored(adapter, state.live.get(adapter.kind, ()), policy, notes):
        fields = _export_one(adapter, live, export, notes)
        if fields is None:
            continue
        for child in children:
            nested = _nested(child, live, state, notes, policy)
            if nested:
                fields[_children_field(adapter, child)] = nested
        try:
            adapter.model.model_validate(fields)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'item'}: {e['msg']}" for e in exc.errors()
            )
            notes.append(
                f"{adapter.singular} {live.key!r} not exported: its live values do not fit the "
                f"manifest format ({problems})"
            )
            continue
        key = adapter.display_key(fields)
        if key in found:
            doubles[key] = doubles.get(key, 1) + 1
            continue
        found[key] = (live, ExportedItem(adapter.kind, key, fields))
    notes += [
        f"{n} {adapter.kind} have the key {key!r} (ambiguous: plans touch none of them); "
        "exported once"
        for key, n in doubles.items()
    ]
    return [found[k] for k in sorted(found, key=_sort_key)]


def _nested(
    child: Adapter, parent: LiveItem, state: LiveState, notes: list[str], policy: Policy
) -> list[dict[str, Any]]:
    export = state.exports.get(child.kind, ExportCtx())
    found: dict[str, dict[str, Any]] = {}
    mine = [live for live in state.live.get(child.kind, ()) if live.parent_id == parent.id]
    for live in _not_ignored(child, mine, policy, notes):
        fields = _export_one(child, live, export, notes)
        if fields is None:
            continue
        if live.key in found:
            notes.append(f"{child.singular} {live.key!r}: named twice; exported once")
            continue
        found[live.key] = fields
    return [found[k] for k in sorted(found, key=_sort_key)]


def _masked(
    value: Any,
    name: str,
    inherited: bool,
    path: str,
    found: dict[str, Any],
    plain: Collection[str] = (),
) -> Any:
    """``value`` with secret-looking values masked (the rules of ghlops.secrets.mask_secrets,
    ``plain`` included); ``found`` collects the masked values by path."""
    at = re.sub(r"\[\d+\]", "", path)
    if isinstance(value, Mapping):
        inner = inherited or (bool(name) and secret_name(name) and at not in plain)
        named = secret_label(value)
        return {
            k: _masked(
                v,
                k,
                inner or (named and k == "value"),
                f"{path}.{k}" if path else k,
                found,
                plain,
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            _masked(v, name, inherited, f"{path}[{i}]", found, plain) for i, v in enumerate(value)
        ]
    if value is None or isinstance(value, bool) or value == "":
        return value
    if at in plain and not inherited:
        masked = mask_secrets(value, name, plain=plain, at=at)
        if masked != value:
            found[path] = value
            return Masked.of(value)
        return value
    if inherited or looks_secret(name, value):
        found[path] = value
        return Masked.of(value)
    return value


def mask_item(item: ExportedItem) -> tuple[ExportedItem, list[str]]:
    """The item with secret-looking values masked, and the paths of the masked fields. A key
    holding a masked value is masked too, since reports show keys."""
    found: dict[str, Any] = {}
    adapter = registry.ADAPTERS.get(item.kind)
    fields = _masked(item.fields, "", False, "", found, adapter.plain_fields if adapter else ())
    key = item.key
    if any(str(value) in key for value in found.values()):
        key = mask(key)
    return ExportedItem(item.kind, key, fields), list(found)


def principal_items(
    adapters: Sequence[Adapter], state: LiveState, notes: list[str], policy: Policy
) -> dict[str, list[tuple[LiveItem, ExportedItem]]]:
    """Every bundle kind's items for one location (or the agency), in registry order."""
    return {
        a.kind: _kind_items(a, state, notes, policy)
        for a in adapters
        if a.parent_kind is None and a.kind in state.live
    }


def shown_in(live: LiveItem, location_id: str) -> bool:
    """Whether an agency custom menu link is shown in a location."""
    if live.fields.get("showToAllLocations") and live.fields.get("showOnLocation", True):
        return True
    return location_id in (live.fields.get("locations") or ())


def export_fleet(
    session: Session,
    locations: Sequence[LocationConfig],
    states: Mapping[str, LiveState],
    agency: LiveState | None,
    *,
    show_secrets: bool = False,
) -> FleetExport:
    """The manifest items of each location (pure, from what :func:`read_fleet` read)."""
    fleet = FleetExport([])
    policy = session.project.policy
    agency_items: dict[str, list[tuple[LiveItem, ExportedItem]]] = {}
    if agency is not None:
        agency_items = principal_items(session.agency_adapters, agency, fleet.notes, policy)
    exported_ids = {loc.id for loc in locations}
    for kind, pairs in agency_items.items():
        singular = registry.get(kind).singular
        for live, _item in pairs:
            if not any(shown_in(live, loc.id) for loc in locations):
                continue
            others = sorted(set(live.fields.get("locations") or ()) - exported_ids)
            if others and not live.fields.get("showToAllLocations"):
                fleet.notes.append(
                    f"{singular} {live.key!r} is also shown in {len(others)} location(s) not "
                    f"exported here ({', '.join(others)}): ghlops shows a link in exactly the "
                    "locations that declare it, so a plan of these bundles alone would take it "
                    "out of them; export those locations too"
                )

    for location in locations:
        state = states[location.name]
        out = LocationExport(location, {})
        pairs_by_kind = principal_items(session.adapters, state, out.notes, policy)
        for kind, pairs in agency_items.items():
            pairs_by_kind[kind] = [(lv, it) for lv, it in pairs if shown_in(lv, location.id)]
        for kind, pairs in pairs_by_kind.items():
            items = []
            for _live, item in pairs:
                if not show_secrets:
                    item, paths = mask_item(item)
                    out.masked += [f"{kind} {item.key!r}: {p}" for p in paths]
                items.append(item)
            if items:
                out.items[kind] = items
        for kind, export in state.exports.items():
            out.notes += [f"{kind}: {note}" for note in export.notes]
        fleet.locations.append(out)
    if agency is not None:
        for kind, export in agency.exports.items():
            fleet.notes += [f"{kind}: {note}" for note in export.notes]
    return fleet
