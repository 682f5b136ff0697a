"""Custom menu links of an agency (``apps/custom-menus.json``, Version ``2021-07-28``).

Every operation is ``Agency-Access``: the sandbox admits agency tokens only (a PIT or an OAuth
token of user type ``Company``) and a menu link belongs to the token's company. Links are stored
as kind ``customMenus`` with the company id as the store's ``location_id``, so
``Sandbox.objects(company_id, "customMenus")`` lists them. Wire shapes follow
``CreateCustomMenuDTO`` / ``UpdateCustomMenuDTO`` / ``CustomMenuSchema`` and the response wrappers
``GetCustomMenusResponseDTO``, ``GetSingleCustomMenusSuccessfulResponseDTO``,
``UpdateCustomMenuLinkResponseDTO`` and ``DeleteCustomMenuSuccessfulResponseDTO``.

Decisions where the spec is silent:

- ids are UUIDs (the ``customMenuId`` examples); ``order`` is read-only (``order`` in a body is an
  unknown property, 422) and the server gives a new link ``max(order) + 1`` (1 for the first);
  deleting a link does not renumber the others. Lists are sorted by ``order``.
- ``GET /custom-menus/``: ``locationId`` keeps the links shown in that sub-account
  (``showOnLocation`` and either ``showToAllLocations`` or the id in ``locations``) and, as the
  spec says, makes ``showOnCompany`` ignored; ``showOnCompany=true|false`` keeps the links whose
  ``showOnCompany`` is that value; ``query`` matches titles case-insensitively (partial or full);
  ``totalLinks`` is the number of links matching the filters before ``skip``/``limit``.
- Every id in ``locations`` (create or update) must be a location of the token's company,
  else 403, as for any location the token may not act on. A ``locationId`` filter of another
  company is refused with 403 by the sandbox's auth step.
- ``allowCamera``/``allowMicrophone`` default to false and are stored as sent (the spec says they
  apply to iframe mode only; nothing is refused). ``PUT`` is partial; ``icon`` is merged.
- A link id of another company answers 404, like an unknown one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import forbidden, not_found
from ghlops.sandbox.ids import uuid_id
from ghlops.sandbox.routing import RouteTable
from ghlops.sandbox.store import Store

JSON = Any

KIND = "customMenus"

routes = RouteTable("custom-menus")
routes.kind(KIND, schema="CustomMenuSchema")

MENU_NOT_FOUND = "Custom menu not found"
DELETED_MESSAGE = "Custom menu successfully deleted"
DEFAULT_LIMIT = 20

# Updatable CustomMenuSchema fields besides icon and locations (UpdateCustomMenuDTO).
_SCALARS = (
    "title",
    "url",
    "showOnCompany",
    "showOnLocation",
    "showToAllLocations",
    "openMode",
    "userRole",
    "allowCamera",
    "allowMicrophone",
)


def _company(ctx: RequestContext) -> str:
    principal = ctx.principal
    if principal is None or principal.company_id is None:  # Agency-Access admits none such
        raise forbidden("The token does not belong to an agency")
    return principal.company_id


def _links(store: Store, company_id: str) -> list[dict[str, Any]]:
    """The company's links by ``order`` (creation order among equals)."""
    return sorted((o.data for o in store.list(company_id, KIND)), key=lambda m: m.get("order", 0))


def _next_order(store: Store, company_id: str) -> int:
    return max((int(m.get("order", 0)) for m in _links(store, company_id)), default=0) + 1


def _check_locations(ctx: RequestContext, locations: Iterable[str]) -> None:
    for location_id in locations:
        ctx.check_location(location_id)


def _visible_in(link: dict[str, Any], location_id: str) -> bool:
    return bool(link.get("showOnLocation")) and (
        bool(link.get("showToAllLocations")) or location_id in link.get("locations", [])
    )


def _owned(ctx: RequestContext) -> dict[str, Any]:
    obj = ctx.store.get(KIND, ctx.path_params["customMenuId"])
    if obj is None or obj.location_id != _company(ctx):
        raise not_found(MENU_NOT_FOUND)
    return obj.data


def _number(raw: str | None, default: int) -> int:
    # Already validated as a number >= the spec's minimum; fractions are truncated.
    return default if raw is None or raw == "" else int(float(raw))


@routes.get("/custom-menus/")
def list_custom_menus(ctx: RequestContext) -> JSON:
    links = _links(ctx.store, _company(ctx))
    location_id = ctx.query.get("locationId")
    if location_id:
        links = [m for m in links if _visible_in(m, location_id)]
    elif ctx.query.get("showOnCompany") in ("true", "false"):
        wanted = ctx.query["showOnCompany"] == "true"
        links = [m for m in links if bool(m.get("showOnCompany")) is wanted]
    text = (ctx.query.get("query") or "").lower()
    if text:
        links = [m for m in links if text in str(m.get("title", "")).lower()]
    skip = _number(ctx.query.get("skip"), 0)
    limit = _number(ctx.query.get("limit"), DEFAULT_LIMIT)
    return {
        "customMenus": [ctx.render(KIND, m) for m in links[skip : skip + limit]],
        "totalLinks": len(links),
    }


@routes.post("/custom-menus/")
def create_custom_menu(ctx: RequestContext) -> JSON:
    body = ctx.body
    company_id = _company(ctx)
    _check_locations(ctx, body["locations"])
    link: dict[str, Any] = {
        "id": uuid_id(),
        "icon": {"name": body["icon"]["name"], "fontFamily": body["icon"]["fontFamily"]},
        "title": body["title"],
        "url": body["url"],
        "order": _next_order(ctx.store, company_id),
        "showOnCompany": body["showOnCompany"],
        "showOnLocation": body["showOnLocation"],
        "showToAllLocations": body["showToAllLocations"],
        "locations": list(body["locations"]),
        "openMode": body["openMode"],
        "userRole": body["userRole"],
        "allowCamera": bool(body.get("allowCamera") or False),
        "allowMicrophone": bool(body.get("allowMicrophone") or False),
        "companyId": company_id,  # stored, never returned (not in CustomMenuSchema)
    }
    ctx.store.insert(company_id, KIND, link["id"], link)
    return {"customMenu": ctx.render(KIND, link)}


@routes.get("/custom-menus/{customMenuId}")
def get_custom_menu(ctx: RequestContext) -> JSON:
    return {"customMenu": ctx.render(KIND, _owned(ctx))}


@routes.put("/custom-menus/{customMenuId}")
def update_custom_menu(ctx: RequestContext) -> JSON:
    link = _owned(ctx)
    body = ctx.body
    for name in _SCALARS:
        if body.get(name) is not None:
            link[name] = body[name]
    if body.get("locations") is not None:
        _check_locations(ctx, body["locations"])
        link["locations"] = list(body["locations"])
    if body.get("icon") is not None:
        changes = {k: v for k, v in body["icon"].items() if v is not None}
        link["icon"] = {**link.get("icon", {}), **changes}
    ctx.store.update(KIND, link["id"], link)
    return {"success": True, "customMenu": ctx.render(KIND, link)}


@routes.delete("/custom-menus/{customMenuId}")
def delete_custom_menu(ctx: RequestContext) -> JSON:
    link = _owned(ctx)
    ctx.store.delete(KIND, link["id"])
    deleted_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "success": True,
        "message": DELETED_MESSAGE,
        "deletedMenuId": link["id"],
        "deletedAt": deleted_at,
    }


# Documented defaults (CreateCustomMenuDTO) and the sandbox's for fields without one.
_SEED_DEFAULTS: dict[str, Any] = {
    "icon": {"name": "link", "fontFamily": "fas"},
    "url": "https://example.com/",
    "showOnCompany": True,
    "showOnLocation": True,
    "showToAllLocations": True,
    "locations": [],
    "openMode": "iframe",
    "userRole": "all",
    "allowCamera": False,
    "allowMicrophone": False,
}


@routes.seeder(KIND)
def seed_custom_menu(store: Store, company_id: str, fields: dict[str, Any]) -> str:
    """A link as the agency UI makes it: a UUID, the next ``order``, the DTO's defaults."""
    link = {**_SEED_DEFAULTS, **fields}
    link["id"] = str(fields.get("id") or uuid_id())
    link.setdefault("title", f"Link {link['id'][:8]}")
    if fields.get("order") is None:
        link["order"] = _next_order(store, company_id)
    link["companyId"] = company_id
    store.insert(company_id, KIND, link["id"], link)
    return str(link["id"])
