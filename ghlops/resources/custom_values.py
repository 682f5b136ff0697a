"""Adapter for ``customValues`` (apps/locations.json, Version 2021-07-28).

GET|POST /locations/{locationId}/customValues, PUT|DELETE …/customValues/{id}.
Wrappers: list ``{"customValues": [...]}``, single ``{"customValue": {...}}``. No pagination.
Natural key: ``name``. Both create and update take the whole body ``{name, value}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops.models.custom_value import CustomValue
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem


class CustomValueAdapter(Adapter):
    kind = "customValues"
    singular = "custom value"
    model = CustomValue
    version = "2021-07-28"
    compare_fields = ("name", "value")

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"name:{fields['name']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["name"])

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields = {"name": raw["name"], "value": raw.get("value") or ""}
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
        body = ctx.api.request(
            "GET", f"/locations/{ctx.location_id}/customValues", version=self.version
        )
        return [self.live_item(v) for v in body["customValues"]]

    def _body(self, item: DesiredItem) -> dict[str, Any]:
        return {"name": item.fields["name"], "value": item.fields["value"]}

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        body = ctx.api.request(
            "POST",
            f"/locations/{ctx.location_id}/customValues",
            version=self.version,
            json=self._body(item),
        )
        return str(body["customValue"]["id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        ctx.api.request(
            "PUT",
            f"/locations/{ctx.location_id}/customValues/{object_id}",
            version=self.version,
            json=self._body(item),
        )

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request(
            "DELETE", f"/locations/{ctx.location_id}/customValues/{object_id}", version=self.version
        )
