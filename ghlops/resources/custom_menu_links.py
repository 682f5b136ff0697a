"""Adapter for ``customMenuLinks`` (apps/custom-menus.json, Version 2021-07-28, agency-level).

GET|POST /custom-menus/, GET|PUT|DELETE /custom-menus/{customMenuId}; wrappers
``{"customMenus": [...], "totalLinks"}`` and ``{"customMenu": {...}}``; skip/limit pagination.
Only an agency token (Agency-Access) may call these. A link is one agency object: the engine
gathers the links declared in every location's bundles into one desired item per title whose
``locations`` are exactly the declaring locations (see ghlops.manifest.agency), and this adapter
is planned once, under "agency". ``order`` is assigned by GHL and not managed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops.models.custom_menu_link import CustomMenuLink
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem

_FIELDS = (
    "title",
    "url",
    "icon",
    "openMode",
    "userRole",
    "showOnCompany",
    "showOnLocation",
    "showToAllLocations",
    "allowCamera",
    "allowMicrophone",
)
PAGE_SIZE = 100


class CustomMenuLinkAdapter(Adapter):
    kind = "customMenuLinks"
    singular = "custom menu link"
    model = CustomMenuLink
    version = "2021-07-28"
    scope = "agency"
    rename_field = "title"
    compare_fields = (*_FIELDS, "locations")
    export_defaults = {"allowCamera": False, "allowMicrophone": False}

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"title:{fields['title']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["title"])

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields: dict[str, Any] = {k: raw[k] for k in _FIELDS if raw.get(k) is not None}
        if isinstance(fields.get("icon"), Mapping):
            fields["icon"] = {
                k: v for k, v in fields["icon"].items() if k in ("name", "fontFamily")
            }
        fields["locations"] = sorted(raw.get("locations") or [])
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
        links = ctx.api.paginate(
            "/custom-menus/",
            version=self.version,
            items="customMenus",
            total="totalLinks",
            page_size=PAGE_SIZE,
            style="skip",
        )
        return [self.live_item(link) for link in links]

    def _body(self, item: DesiredItem) -> dict[str, Any]:
        body = {k: v for k, v in item.fields.items() if k in _FIELDS}
        body["locations"] = list(item.fields.get("locations", []))
        return body

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        body = ctx.api.request(
            "POST", "/custom-menus/", version=self.version, json=self._body(item)
        )
        return str(body["customMenu"]["id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        ctx.api.request(
            "PUT", f"/custom-menus/{object_id}", version=self.version, json=self._body(item)
        )

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request("DELETE", f"/custom-menus/{object_id}", version=self.version)
