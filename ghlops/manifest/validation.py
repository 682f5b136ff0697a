"""Turning pydantic validation errors into one-line problems that point at the user's line."""

from __future__ import annotations

import inspect
import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ghlops.errors import Problem, SourcePos, closest, did_you_mean
from ghlops.manifest.yamlload import Positions, YamlPath, describe_type

_MAX_REPR = 60

# pydantic messages reworded for people writing YAML
_MESSAGES = {
    "model_type": "Input should be a mapping",
    "model_attributes_type": "Input should be a mapping",
    "dict_type": "Input should be a mapping",
    "list_type": "Input should be a list",
    "missing": "Field required",
}


def format_loc(loc: Sequence[object], prefix: str = "") -> str:
    """``("items", 0, "name")`` -> ``items[0].name`` (after ``prefix``)."""
    text = prefix
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def short_repr(value: object) -> str:
    if isinstance(value, dict | list):
        return describe_type(value)
    text = repr(value)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


def _data_path(data: Any, loc: Sequence[object]) -> tuple[YamlPath, list[object]]:
    """Follow ``loc`` into ``data``; return the path found and the loc with foreign parts dropped.

    pydantic inserts parts that are not in the data (union member tags); they are skipped. The
    last part is always kept for display (it names a missing or unknown key).
    """
    path: list[object] = []
    shown: list[object] = []
    current = data
    for index, part in enumerate(loc):
        in_dict = isinstance(current, dict) and part in current
        in_list = (
            isinstance(current, list)
            and isinstance(part, int)
            and not isinstance(part, bool)
            and 0 <= part < len(current)
        )
        if in_dict or in_list:
            current = current[part]
            path.append(part)
            shown.append(part)
        elif index == len(loc) - 1:
            shown.append(part)
    return tuple(path), shown


def _candidates(tp: Any) -> list[Any]:
    """The types a value annotated ``tp`` may have (unwrapping Optional, unions, Annotated)."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _candidates(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        return [c for arg in get_args(tp) for c in _candidates(arg)]
    return [tp]


def known_fields(model: type[BaseModel], loc: Sequence[object]) -> list[str] | None:
    """Field names of the model found at ``loc`` inside ``model``, when it can be told."""
    current: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        for tp in (c for t in current for c in _candidates(t)):
            origin = get_origin(tp)
            if inspect.isclass(tp) and issubclass(tp, BaseModel):
                if isinstance(part, str) and part in tp.model_fields:
                    following.append(tp.model_fields[part].annotation)
            elif origin in (list, tuple, set, frozenset) and isinstance(part, int):
                following.extend(get_args(tp)[:1])
            elif origin is dict and len(get_args(tp)) == 2:
                following.append(get_args(tp)[1])
        current = following
    for tp in (c for t in current for c in _candidates(t)):
        if inspect.isclass(tp) and issubclass(tp, BaseModel):
            # the item's own (API) fields first, ghlops' settings (protect, …) last
            own = [n for n, f in tp.model_fields.items() if not f.exclude]
            return own + [n for n, f in tp.model_fields.items() if f.exclude]
    return None


def validation_problems(
    exc: ValidationError,
    *,
    model: type[BaseModel],
    data: Any,
    file: str,
    positions: Positions,
    base: YamlPath = (),
    label: str = "",
    noun: str = "field",
) -> list[Problem]:
    """One problem per pydantic error.

    ``data`` is what was validated, found at ``base`` in the document whose ``positions`` are
    given; ``label`` prefixes the shown path (e.g. ``customFields[0]``). Each problem points at the
    line of the offending key when it exists, else at the nearest enclosing value.
    """
    problems: list[Problem] = []
    errors = exc.errors(include_url=False)
    # a misspelt field name ('dataTyp') is one mistake: its "did you mean 'dataType'?" says it
    # all, so the "dataType: Field required" it causes is not reported as well
    misspelt: set[tuple[object, ...]] = set()
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "extra_forbidden" and loc and isinstance(loc[-1], str):
            match = closest(loc[-1], known_fields(model, loc[:-1]) or [])
            if match:
                misspelt.add((*loc[:-1], match))
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "missing" and loc in misspelt:
            continue
        path, shown = _data_path(data, loc)
        where = format_loc(shown, label)
        kind = error.get("type", "")
        if kind == "extra_forbidden":
            fields = known_fields(model, loc[:-1])
            known = f" (known: {', '.join(fields)})" if fields else ""
            hint = did_you_mean(loc[-1], fields) if fields and isinstance(loc[-1], str) else ""
            message = f"unknown {noun}{known}{hint}"
        else:
            message = _MESSAGES.get(kind, str(error.get("msg", "invalid value")))
            got = error.get("input")
            # ghlops's own errors show the input only for a text value they do not quote already
            custom_skip = kind.startswith("ghlops_") and (
                not isinstance(got, str) or short_repr(got) in message
            )
            # a validator's complaint about a whole item or list already says what is wrong
            custom_skip |= kind == "value_error" and isinstance(got, dict | list)
            if kind != "missing" and "input" in error and not custom_skip:
                message += f" (got {short_repr(got)})"
                if kind == "string_type" and isinstance(got, bool | int | float):
                    message += "; quote the value to make it text"
        message = " ".join(message.split())
        line = positions.nearest_line((*base, *path))
        problems.append(Problem(SourcePos(file, line), f"{where}: {message}" if where else message))
    return problems
