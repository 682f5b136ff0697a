"""Adapter for ``triggerLinks`` (apps/links.json, Version 2021-07-28).

GET /links/?locationId= answers every link of the location at once, ``{"links": [...]}`` (no
pagination in the spec); POST /links/ (``{locationId, name, redirectTo}``, all required) and
PUT /links/{linkId} (``{name, redirectTo}``, both required: a full replacement) answer 201
``{"link": {...}}``; DELETE /links/{linkId} answers 201 ``{"succeded": true}``. Ids are 20
alphanumerics; GHL derives the merge field ``{{trigger_link.<id>}}`` (``fieldKey``) from the id,
so it never changes and is not compared.

Identity: ``name`` (what users see in the UI). ``redirectTo`` is compared and updated in place;
a rename with ``renamedFrom`` updates the same link (keeping its id and so its merge field).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops.models.trigger_link import TriggerLink
from ghlops.resources.base import Ctx, DesiredItem, LiveItem
from ghlops.resources.keyed import NamedAdapter, live_of

PATH = "/links/"


class TriggerLinkAdapter(NamedAdapter):
    kind = "triggerLinks"
    singular = "trigger link"
    model = TriggerLink
    version = "2021-07-28"
    compare_fields = ("name", "redirectTo")

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields = {"name": raw["name"], "redirectTo": raw.get("redirectTo") or ""}
        return live_of(self, raw["id"], fields, raw)

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        body = ctx.api.request(
            "GET", PATH, version=self.version, params={"locationId": ctx.location_id}
        )
        return [self.live_item(raw) for raw in body["links"]]

    def _body(self, item: DesiredItem) -> dict[str, Any]:
        return {"name": item.fields["name"], "redirectTo": item.fields["redirectTo"]}

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        body = ctx.api.request(
            "POST",
            PATH,
            version=self.version,
            json={"locationId": ctx.location_id, **self._body(item)},
        )
        return str(body["link"]["id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        ctx.api.request("PUT", f"/links/{object_id}", version=self.version, json=self._body(item))

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request("DELETE", f"/links/{object_id}", version=self.version)
