"""Adapter for ``tags`` (apps/locations.json, Version 2021-07-28).

GET|POST /locations/{locationId}/tags, PUT|DELETE /locations/{locationId}/tags/{tagId}.
Wrappers: list ``{"tags": [...]}``, single ``{"tag": {...}}``. No pagination.
A tag's only field is its name, which is also its identity: without an explicit rename a changed
name is a create plus (with pruning) a delete.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops.models.tag import Tag
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem


class TagAdapter(Adapter):
    kind = "tags"
    singular = "tag"
    model = Tag
    version = "2021-07-28"
    compare_fields = ("name",)

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"name:{fields['name']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["name"])

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields = {"name": raw["name"]}
        return LiveItem(
            self.kind,
            self.display_key(fields),
            str(raw["id"]),
            fields,
            self.match_keys(fields),
            raw,
            identity=self.identify(fields),
        )

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        body = ctx.api.request("GET", f"/locations/{ctx.location_id}/tags", version=self.version)
        return [self.live_item(t) for t in body["tags"]]

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        body = ctx.api.request(
            "POST",
            f"/locations/{ctx.location_id}/tags",
            version=self.version,
            json={"name": item.fields["name"]},
        )
        return str(body["tag"]["id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        ctx.api.request(
            "PUT",
            f"/locations/{ctx.location_id}/tags/{object_id}",
            version=self.version,
            json={"name": item.fields["name"]},
        )

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request(
            "DELETE", f"/locations/{ctx.location_id}/tags/{object_id}", version=self.version
        )
