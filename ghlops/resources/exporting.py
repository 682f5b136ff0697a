"""From a live object's fields back to a manifest item, the way a person would write it.

``ghlops export`` asks each adapter for :meth:`~ghlops.resources.base.Adapter.export_item`; the
default is :func:`manifest_fields` over the kind's model, so a kind only overrides what its model
cannot say (references to resolve, values derived from others). The rules, for every kind:

* only the fields the model holds are kept (never ids, timestamps or response-only fields), in
  the model's order; ghlops' own settings (``protect``, ``renamedFrom``) are never exported;
* ``None`` is left out, and so is a value equal to the model field's default (``openMode:
  iframe``, a team member's ``priority: 0.5``) or to a documented API default the adapter lists in
  ``export_defaults`` (a calendar's ``slotInterval: 30``);
* an empty list, mapping or string in an optional field is left out (``collections: []``);
* nested models (team members, a price's ``recurring``) follow the same rules;
* whole floats become ints: the API returns numbers as floats, and an ``int`` field refuses
  ``30.0`` while a ``float`` field takes ``30``.

Leaving a field out never makes a plan differ: the planner only compares the fields an item sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined


def same_value(a: Any, b: Any) -> bool:
    """Equal as the planner sees it: numbers by value, but ``True`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def tidy_number(value: Any) -> Any:
    """``30.0`` -> ``30``; anything else unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation mentions (``list[TeamMember] | None`` -> TeamMember)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in get_args(annotation):
        found += models_in(arg)
    return found


def _empty(value: Any) -> bool:
    return value == "" or (isinstance(value, list | tuple | Mapping) and not value)


def _default(info: FieldInfo) -> Any:
    return None if info.default is PydanticUndefined else info.default


def _value(annotation: Any, value: Any) -> Any:
    if isinstance(value, Mapping):
        models = models_in(annotation)
        if models:
            return manifest_fields(models[0], value)
        return {k: _value(None, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_value(annotation, v) for v in value]
    return tidy_number(value)


def manifest_fields(
    model: type[BaseModel],
    fields: Mapping[str, Any],
    api_defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest form of ``fields`` (live fields, request names) for ``model``.

    Args:
        model: The kind's manifest model (or a nested model).
        fields: The live object's fields, references already as natural keys.
        api_defaults: Values the API documents as defaults for fields whose model default is
            ``None``; a field holding its API default is left out.

    Returns:
        A new dict in the model's field order, following the rules of the module docstring.
    """
    defaults = api_defaults or {}
    item: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name not in fields or info.exclude:
            continue
        value = _value(info.annotation, fields[name])
        if value is None:
            continue
        if not info.is_required():
            default = _default(info)
            if default is not None and same_value(value, default):
                continue
            if name in defaults and same_value(value, defaults[name]):
                continue
            if default is None and _empty(value):
                continue
        item[name] = value
    return item
