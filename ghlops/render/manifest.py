"""A location's desired state as YAML, each item with the file and line it came from."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import yaml

from ghlops.errors import SourcePos
from ghlops.manifest.loader import DesiredState
from ghlops.resources import registry
from ghlops.resources.base import DesiredItem


def _item_data(item: DesiredItem) -> dict[str, Any]:
    data = dict(item.fields)
    if item.protect:
        data["protect"] = True
    if item.renamed_from:
        data["renamedFrom"] = item.renamed_from
    return data


def _plain(value: Any) -> Any:
    """Mappings and sequences of any type (frozen ones, lists of options) as dicts and lists,
    which YAML can write."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    return value


def _dump(data: Any) -> str:
    return yaml.safe_dump(_plain(data), sort_keys=False, allow_unicode=True, width=100)


def _group(state: DesiredState, pos: SourcePos | None) -> str:
    """`` (group dental)`` when ``pos`` is in a file a location group's bundle brought."""
    origin = state.origins.get(pos.file, "") if pos is not None else ""
    return f" ({origin})" if origin.startswith("group ") else ""


def _comment(state: DesiredState, item: DesiredItem) -> str:
    text = f"# {item.source}{_group(state, item.source)}" if item.source else "#"
    if item.overrides:
        text += f", overrides {item.overrides}{_group(state, item.overrides)}"
    return text


def render_state(
    state: DesiredState,
    *,
    kinds: Sequence[str] | None = None,
    exclude: Collection[str] = (),
) -> str:
    """``state`` as a bundle file would hold it, after templates and overrides."""
    loc = state.location
    files = [f"{file}{_group(state, SourcePos(file))}" for file in state.files]
    lines = [f"# location {loc.name} ({loc.id}): {', '.join(files) or 'no bundle files'}"]
    for kind, items in state.items.items():
        if (kinds is not None and kind not in kinds) or kind in exclude or not items:
            continue
        adapter = registry.ADAPTERS[kind]
        lines.append(f"{kind}:" + (f"  # of {adapter.parent_kind}" if adapter.parent_kind else ""))
        for item in items:
            lines.append(f"  {_comment(state, item)}")
            data = _item_data(item)
            if item.parent is not None:
                data = {"parent": item.parent, **data}
            # a singleton kind holds its one item's fields as a mapping, as bundles declare it
            body = _dump(data if adapter.singleton else [data]).rstrip("\n").split("\n")
            lines += [f"  {line}" for line in body]
    removed = [
        (item, at)
        for item, at in state.removed
        if (kinds is None or item.kind in kinds) and item.kind not in exclude
    ]
    if removed:
        lines.append("# removed by absent: true")
        for item, at in removed:
            adapter = registry.ADAPTERS[item.kind]
            # a singleton is named by its kind alone (its key is the kind's name)
            name = adapter.singular if adapter.singleton else f"{adapter.singular} '{item.key}'"
            lines.append(
                f"#   {name} ({item.source}{_group(state, item.source)}), "
                f"at {at}{_group(state, at)}"
            )
    return "\n".join(lines) + "\n"
