"""How a later bundle entry's item changes the one an earlier entry declared for the location.

* **Override**: an item with the key of an earlier one merges over it field by field (nested
  mappings merge, lists are replaced whole) and ghlops' own settings (``protect``,
  ``renamedFrom``) stay unless set again. The merged fields are validated again as a complete
  item; a problem names the overriding item's place and the earlier one's.
* **Partial override**: an item that leaves out required fields (``{name: Pet, placeholder: x}``
  without ``dataType``) is complete only together with an earlier item: it overrides the earlier
  item whose key it names, the left-out fields filled from that item. Named like a complete item
  (a custom field without ``model`` is a contact field). Without such an earlier item it is
  invalid, with the message it would have on its own.
* **Removal**: ``absent: true`` removes the earlier item of that key from the location's desired
  state. Naming an item no earlier entry declares is an error (``did you mean``); removing a
  ``protect: true`` item needs ``protect: false`` beside ``absent: true``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from ghlops.errors import Problem, SourcePos, closest
from ghlops.manifest.validation import validation_problems
from ghlops.manifest.yamlload import Positions
from ghlops.models.base import ManagedSpec
from ghlops.resources import registry
from ghlops.resources.base import Adapter, DesiredItem

ABSENT = "absent"


@dataclass(frozen=True)
class Pending:
    """An item that needs an earlier one: a partial override, or a removal (``absent: true``).

    ``key`` is known when the fields given name the item on their own; ``missing`` are the
    required fields left out; ``problems`` are what the item alone is reported with when no
    earlier item completes it.
    """

    kind: str
    fields: Mapping[str, Any]  # as given, without 'absent'
    source: SourcePos
    absent: bool
    key: str | None = None
    missing: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    templated: bool = False  # from a templated file: its problems may depend on the location


def only_missing(exc: ValidationError) -> tuple[str, ...] | None:
    """The top-level fields ``exc`` says are missing, when that is all it says; else None."""
    names: list[str] = []
    for error in exc.errors(include_url=False):
        loc = error.get("loc", ())
        if error.get("type") != "missing" or len(loc) != 1 or not isinstance(loc[0], str):
            return None
        names.append(loc[0])
    return tuple(names)


def desired(adapter: Adapter, spec: Any, pos: SourcePos, raw: Mapping[str, Any]) -> DesiredItem:
    """The desired item of a validated spec, with ghlops' settings and the fields as given."""
    item = adapter.desired_item(spec, pos)
    if isinstance(spec, ManagedSpec):
        item = replace(item, protect=spec.protect, renamed_from=spec.renamedFrom)
    return replace(item, raw=raw)


def merged_fields(earlier: Mapping[str, Any], later: Mapping[str, Any]) -> dict[str, Any]:
    """``later`` over ``earlier`` field by field; mappings merge the same way, lists (a product's
    prices, a calendar's team members) and other values are replaced whole."""
    merged = dict(earlier)
    for name, value in later.items():
        before = merged.get(name)
        if isinstance(before, Mapping) and isinstance(value, Mapping):
            merged[name] = merged_fields(before, value)
        else:
            merged[name] = value
    return merged


def override(
    earlier: DesiredItem, fields: Mapping[str, Any], pos: SourcePos, key: str
) -> tuple[DesiredItem | None, list[Problem]]:
    """The item declared at ``pos`` with ``fields`` merged over ``earlier``: what the location
    gets, or None and the problems of the merged item (naming both places)."""
    adapter = registry.ADAPTERS[earlier.kind]
    merged = merged_fields(earlier.raw or {}, fields)
    label = f"{adapter.singular} '{key}' (merged over {earlier.source})"
    try:
        spec = adapter.model.model_validate(merged)
        item = desired(adapter, spec, pos, merged)
    except ValidationError as exc:
        problems = validation_problems(
            exc, model=adapter.model, data=merged, file=pos.file, positions=Positions(), label=label
        )
        return None, [replace(p, pos=pos) for p in problems]
    except (KeyError, TypeError, ValueError) as exc:
        return None, [Problem(pos, f"{label}: invalid {adapter.singular}: {exc}")]
    return replace(item, overrides=earlier.source), []


def _key_with(adapter: Adapter, pending: Pending, earlier: DesiredItem) -> str | None:
    """The key ``pending`` has once its left-out fields come from ``earlier`` (only those: a
    field with a default keeps it, as it would in a complete item)."""
    source = earlier.raw or {}
    if any(name not in source for name in pending.missing):
        return None
    filled = {**{name: source[name] for name in pending.missing}, **pending.fields}
    try:
        return adapter.desired_item(adapter.model.model_validate(filled)).key
    except (ValidationError, KeyError, TypeError, ValueError):
        return None


def target(pending: Pending, earlier: Mapping[str, DesiredItem]) -> DesiredItem | None:
    """The earlier item ``pending`` names, if any."""
    if pending.key is not None:
        return earlier.get(pending.key)
    adapter = registry.ADAPTERS[pending.kind]
    for item in earlier.values():
        if _key_with(adapter, pending, item) == item.key:
            return item
    return None


def _name_of(pending: Pending) -> str:
    if pending.key is not None:
        return pending.key
    name = pending.fields.get("name")
    return str(name) if name is not None else "?"


def _suggestion(name: str, earlier: Mapping[str, DesiredItem]) -> str:
    """``; did you mean 'contact:Pet'?`` for the earlier item closest by key or by name."""
    by_name: dict[str, str] = {}
    for key, item in earlier.items():
        by_name.setdefault(key, key)
        other = (item.raw or {}).get("name")
        if isinstance(other, str):
            by_name.setdefault(other, key)
    close = closest(name, list(by_name))
    return f"; did you mean '{by_name[close]}'?" if close else ""


def unmatched(
    pending: Pending, earlier: Mapping[str, DesiredItem], beside: SourcePos | None = None
) -> list[Problem]:
    """The problems of ``pending`` when no earlier item of its key exists (``beside``: where the
    same bundle entry declares that key)."""
    singular = registry.ADAPTERS[pending.kind].singular
    name = _name_of(pending)
    if not pending.absent and (not earlier or "name" not in pending.fields):
        return list(pending.problems)  # nothing it could override: the item's own problems
    if pending.absent and beside is not None:
        return [
            Problem(
                pending.source,
                f"{singular} '{name}' is marked absent: true in the bundle that declares it (at "
                f"{beside}); absent: true removes an item of an earlier bundle: delete the "
                "declaration instead",
            )
        ]
    if not pending.absent:
        hint = (
            f" (an item may leave out required fields only to override an earlier bundle's "
            f"{singular}, and this location has none named '{name}'"
            f"{_suggestion(name, earlier)})"
        )
        return [replace(p, message=p.message + hint) for p in pending.problems]
    return [
        Problem(
            pending.source,
            f"{singular} '{name}' is marked absent: true, but no earlier bundle of this location "
            f"declares it{_suggestion(name, earlier)}",
        )
    ]


def removal_problems(pending: Pending, item: DesiredItem) -> list[Problem]:
    """A protected item is removed only when the removal also says ``protect: false``."""
    if item.protect and pending.fields.get("protect") is not False:
        singular = registry.ADAPTERS[item.kind].singular
        return [
            Problem(
                pending.source,
                f"{singular} '{item.key}' is protected (protect: true at {item.source}); "
                "to remove it anyway, set protect: false beside absent: true",
            )
        ]
    return []


__all__ = [
    "ABSENT",
    "Pending",
    "desired",
    "merged_fields",
    "only_missing",
    "override",
    "removal_problems",
    "target",
    "unmatched",
]
