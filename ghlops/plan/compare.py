"""Comparing desired and live values as the API sees them, for the planner. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from deepdiff import DeepDiff
from pydantic import TypeAdapter, ValidationError

from ghlops.models.base import ResourceSpec
from ghlops.plan.changes import FieldDiff
from ghlops.resources.base import Adapter, DesiredItem, LiveItem


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
        if name not in desired.fields:
            continue
        if name in adapter.write_only_fields and name not in live.fields:
            continue  # GHL did not return it: nothing to compare (a live value is compared)
        after = desired.fields[name]
        before = live.fields.get(name)
        if not values_equal(after, before):
            diffs.append(FieldDiff(name, before, after))
    return tuple(diffs)


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


def rename_hints(
    adapter: Adapter, creates: Sequence[DesiredItem], unmanaged: Sequence[LiveItem]
) -> list[str]:
    """Creates that look like a rename of an unmanaged object of the same kind: the same
    declared fields but the name (and the same identity fields), one to one."""

    def alike(want: DesiredItem, have: LiveItem) -> bool:
        return all(
            values_equal(want.fields[name], have.fields.get(name))
            for name in (*adapter.compare_fields, *adapter.identity_fields)
            if name in want.fields
            and name != adapter.rename_field
            and name not in adapter.write_only_fields
        )

    pairs = [(want, have) for want in creates for have in unmanaged if alike(want, have)]
    hints = []
    for want, have in pairs:
        if (
            sum(1 for w, _ in pairs if w is want) == 1
            and sum(1 for _, h in pairs if h is have) == 1
        ):
            old = have.fields.get(adapter.rename_field, have.key)
            hints.append(
                f"{adapter.singular} {fmt(want.key)} looks like a rename of the unmanaged "
                f"{adapter.singular} {fmt(have.ident.label)}: add renamedFrom: {fmt(old)} to keep "
                "the object (and its id) instead of creating a new one"
            )
    return hints


def fmt(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
