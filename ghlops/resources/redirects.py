"""Adapter for ``redirects`` (apps/funnels.json, Version 2021-07-28).

POST /funnels/lookup/redirect (200 ``{"data": {...}}``), PATCH|DELETE
/funnels/lookup/redirect/{id} (DELETE needs ``?locationId=``; answers ``{"data": {"status":
"ok"}}``), GET /funnels/lookup/redirect/list?locationId=&limit=&offset= (limit and offset are
required) answering ``{"data": {"count": N, "data": [...]}}``: every page is read.

Identity: ``domain`` + path compared case-insensitively, the key GHL itself keeps (it stores
``pathLowercase`` next to ``path``). Domains are host names, case-insensitive by nature: they are
lower-cased on both sides. The natural key shown is ``<domain><lower-case path>``, e.g.
``www.acme-dental.com/old-offer``.

Updates: the PATCH body takes only ``target`` and ``action`` (both required), so ``domain`` and
``path`` cannot change in place. A different domain or path is a different key, so it never
matches: it plans a create (and, with pruning, a delete of the old redirect). The one way to
match while ``path`` differs is a change of letter case only (``/Old-Offer`` vs ``/old-offer``):
the same redirect to GHL, but its stored path must change, so that is a replace.

``action``: GHL's enum is lower case (``funnel|website|url|all``; the spec's example ``"URL"``
contradicts it). Manifests must use lower case; live values are lower-cased before comparing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops.models.redirect import Redirect
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem

LIST_PATH = "/funnels/lookup/redirect/list"
PAGE_SIZE = 100


class RedirectAdapter(Adapter):
    kind = "redirects"
    singular = "redirect"
    model = Redirect
    version = "2021-07-28"
    compare_fields = ("domain", "path", "target", "action")
    # Not in the PATCH body. A matched redirect's domain never differs (lower-cased on both
    # sides) and its path can differ only in letter case.
    immutable_fields = ("domain", "path")
    renames = False  # no name: a redirect is its domain and path

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (self.display_key(fields),)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        path = fields.get("pathLowercase") or str(fields["path"]).lower()
        return f"{str(fields['domain']).lower()}{path}"

    def name_of(self, fields: Mapping[str, Any]) -> str:
        """A redirect has no name: users see it as its key, ``<domain><lower-case path>``."""
        return self.display_key(fields)

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        fields["domain"] = fields["domain"].lower()
        return fields

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields: dict[str, Any] = {
            "domain": str(raw["domain"]).lower(),
            "path": raw["path"],
            "target": raw["target"],
            "action": str(raw["action"]).lower(),
        }
        key_fields = {**fields, "pathLowercase": raw.get("pathLowercase")}
        return LiveItem(
            self.kind,
            self.display_key(key_fields),
            str(raw["id"]),
            fields,
            self.match_keys(key_fields),
            raw,
            identity=self.identify(key_fields),
        )

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        found = ctx.api.paginate(
            LIST_PATH,
            version=self.version,
            items="data.data",
            total="data.count",
            params={"locationId": ctx.location_id},
            page_size=PAGE_SIZE,
        )
        return [self.live_item(r) for r in found]

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        f = item.fields
        body = ctx.api.request(
            "POST",
            "/funnels/lookup/redirect",
            version=self.version,
            json={
                "locationId": ctx.location_id,
                "domain": f["domain"],
                "path": f["path"],
                "target": f["target"],
                "action": f["action"],
            },
        )
        return str(body["data"]["id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        ctx.api.request(
            "PATCH",
            f"/funnels/lookup/redirect/{object_id}",
            version=self.version,
            json={
                "target": item.fields["target"],
                "action": item.fields["action"],
                "locationId": ctx.location_id,
            },
        )

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request(
            "DELETE",
            f"/funnels/lookup/redirect/{object_id}",
            version=self.version,
            params={"locationId": ctx.location_id},
        )
