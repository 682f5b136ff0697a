"""Shared pieces of adapters: kinds identified by their ``name``, and building a LiveItem from
an adapter's own key functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops.resources.base import Adapter, LiveItem


def live_of(
    adapter: Adapter,
    object_id: Any,
    fields: Mapping[str, Any],
    raw: Mapping[str, Any],
    key_fields: Mapping[str, Any] | None = None,
) -> LiveItem:
    """The LiveItem of a live object whose compared ``fields`` are mapped already; its key,
    match keys and identity come from the adapter (from ``key_fields`` when they differ from
    ``fields``)."""
    keyed = fields if key_fields is None else key_fields
    return LiveItem(
        adapter.kind,
        adapter.display_key(keyed),
        str(object_id),
        fields,
        adapter.match_keys(keyed),
        raw,
        identity=adapter.identify(keyed),
    )


class NamedAdapter(Adapter):
    """A kind whose natural key is its ``name`` (trigger links, shipping carriers, ...)."""

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"name:{fields['name']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["name"])
