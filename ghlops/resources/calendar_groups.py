"""Adapter for ``calendarGroups`` (apps/calendars.json, Version 2021-04-15).

GET /calendars/groups?locationId= (``{"groups": [...]}``, no pagination, no GET by id),
POST /calendars/groups (201, ``{"group": {...}}``), PUT|DELETE /calendars/groups/{groupId},
PUT /calendars/groups/{groupId}/status (``{"isActive": bool}``).

Matching: by ``slug``, which the API requires and keeps unique per location (it offers
``validate-slug``), so renaming a group is an update that keeps its id. The update body
(``#GroupUpdateDTO``) requires ``name``, ``description`` and ``slug`` (a full replacement) and has no
``isActive``: a desired ``isActive`` that the answer of the create or update call does not show is
set with a second call to the status endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops.models.calendar import CalendarGroup
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem

GROUPS = "/calendars/groups"


class CalendarGroupAdapter(Adapter):
    kind = "calendarGroups"
    singular = "calendar group"
    model = CalendarGroup
    version = "2021-04-15"
    compare_fields = ("name", "slug", "description", "isActive")
    export_defaults = {"isActive": True}  # a group the API shows without it is enabled

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"slug:{fields['slug']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["slug"])

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields = {
            "name": raw["name"],
            "slug": raw["slug"],
            "description": raw.get("description") or "",
            # GroupDTO documents no default; a group the API shows without it is enabled.
            "isActive": raw.get("isActive", True) is not False,
        }
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
            "GET", GROUPS, version=self.version, params={"locationId": ctx.location_id}
        )
        return [self.live_item(g) for g in body["groups"]]

    @staticmethod
    def _body(item: DesiredItem) -> dict[str, Any]:
        return {
            "name": item.fields["name"],
            "description": item.fields["description"],
            "slug": item.fields["slug"],
        }

    def _set_status(self, ctx: Ctx, group_id: str, item: DesiredItem, answer: Any) -> None:
        wanted = item.fields.get("isActive")
        if wanted is None:
            return
        group = answer.get("group") if isinstance(answer, Mapping) else None
        shown = group.get("isActive") if isinstance(group, Mapping) else None
        if shown is not wanted:
            ctx.api.request(
                "PUT",
                f"{GROUPS}/{group_id}/status",
                version=self.version,
                json={"isActive": wanted},
            )

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        body = {"locationId": ctx.location_id, **self._body(item)}
        if item.fields.get("isActive") is not None:
            body["isActive"] = item.fields["isActive"]
        answer = ctx.api.request("POST", GROUPS, version=self.version, json=body)
        group_id = str(answer["group"]["id"])
        self._set_status(ctx, group_id, item, answer)
        return group_id

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        answer = ctx.api.request(
            "PUT", f"{GROUPS}/{object_id}", version=self.version, json=self._body(item)
        )
        self._set_status(ctx, object_id, item, answer)

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request("DELETE", f"{GROUPS}/{object_id}", version=self.version)
