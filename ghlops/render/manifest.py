"""A location's desired state as YAML, each item with the file and line it came from."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import yaml

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


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _comment(item: DesiredItem) -> str:
    text = f"# {item.source}" if item.source else "#"
    if item.overrides:
        text += f", overrides {item.overrides}"
    return text


def render_state(
    state: DesiredState,
    *,
    kinds: Sequence[str] | None = None,
    exclude: Collection[str] = (),
) -> str:
    """``state`` as a bundle file would hold it, after templates and overrides."""
    loc = state.location
    lines = [f"# location {loc.name} ({loc.id}): {', '.join(state.files) or 'no bundle files'}"]
    for kind, items in state.items.items():
        if (kinds is not None and kind not in kinds) or kind in exclude or not items:
            continue
        adapter = registry.ADAPTERS[kind]
        lines.append(f"{kind}:" + (f"  # of {adapter.parent_kind}" if adapter.parent_kind else ""))
        for item in items:
            lines.append(f"  {_comment(item)}")
            data = _item_data(item)
            if item.parent is not None:
                data = {"parent": item.parent, **data}
            body = _dump([data]).rstrip("\n").split("\n")
            lines += [f"  {line}" for line in body]
    removed = [
        (item, at)
        for item, at in state.removed
        if (kinds is None or item.kind in kinds) and item.kind not in exclude
    ]
    if removed:
        lines.append("# removed by absent: true")
        for item, at in removed:
            singular = registry.ADAPTERS[item.kind].singular
            lines.append(f"#   {singular} '{item.key}' ({item.source}), at {at}")
    return "\n".join(lines) + "\n"
