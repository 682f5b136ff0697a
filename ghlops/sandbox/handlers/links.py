"""Trigger links of a sub-account (``apps/links.json``).

Wire shapes follow the spec: ``LinksDto`` (create: ``locationId``, ``name``, ``redirectTo``
required), ``LinkUpdateDto`` (update: ``name`` and ``redirectTo`` required, so a PUT replaces
both), answers ``{"link": LinkSchema}`` (create and update answer **201**, as documented), the
list ``{"links": [...]}`` (no pagination), delete ``{"succeded": true}`` (sic) with 201. Ids are
20 alphanumerics; ``fieldKey`` is the merge field ``{{trigger_link.<id>}}`` (the spec's example).

Decisions where the spec is silent:
- Names need not be unique (the GHL UI allows two links with one name); ghlops must cope.
- PUT and DELETE name no location: the link must belong to the token's location (404 else).
- ``GET /links/search`` keeps links whose name contains ``query`` (ignoring case), in creation
  order, after ``skip`` (default 0) at most ``limit`` (default 20, the spec's) of them.
- Unknown ids answer 404 (the spec documents none).
"""

from __future__ import annotations

from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.ids import firestore_id
from ghlops.sandbox.routing import RouteTable
from ghlops.sandbox.store import Store

JSON = Any

routes = RouteTable("links")
routes.kind("triggerLinks", schema="LinkSchema")

LINK_NOT_FOUND = "Link not found"
SEARCH_LIMIT = 20  # the spec's default for /links/search


def _link(location_id: str, name: str, redirect_to: str, link_id: str) -> dict[str, Any]:
    return {
        "id": link_id,
        "name": name,
        "redirectTo": redirect_to,
        "fieldKey": f"{{{{trigger_link.{link_id}}}}}",
        "locationId": location_id,
    }


@routes.get("/links/")
def list_links(ctx: RequestContext) -> JSON:
    links = ctx.store.list(ctx.location_id, "triggerLinks")
    return {"links": [ctx.render("triggerLinks", o.data) for o in links]}


@routes.get("/links/search")
def search_links(ctx: RequestContext) -> JSON:
    query = ctx.query.get("query", "").lower()
    skip = ctx.count_param("skip", 0)
    limit = ctx.count_param("limit", SEARCH_LIMIT)
    found = [
        o.data
        for o in ctx.store.list(ctx.location_id, "triggerLinks")
        if query in str(o.data["name"]).lower()
    ]
    return {"links": [ctx.render("triggerLinks", d) for d in found[skip : skip + limit]]}


@routes.get("/links/id/{linkId}")
def get_link(ctx: RequestContext) -> JSON:
    link = ctx.owned("triggerLinks", ctx.path_params["linkId"], LINK_NOT_FOUND).data
    return {"link": ctx.render("triggerLinks", link)}


@routes.post("/links/")
def create_link(ctx: RequestContext) -> JSON:
    body = ctx.body
    ctx.check_location(body["locationId"])
    link = _link(body["locationId"], body["name"], body["redirectTo"], firestore_id())
    ctx.store.insert(body["locationId"], "triggerLinks", link["id"], link)
    return {"link": ctx.render("triggerLinks", link)}


@routes.put("/links/{linkId}")
def update_link(ctx: RequestContext) -> JSON:
    link = ctx.owned("triggerLinks", ctx.path_params["linkId"], LINK_NOT_FOUND).data
    link.update(name=ctx.body["name"], redirectTo=ctx.body["redirectTo"])
    ctx.store.update("triggerLinks", link["id"], link)
    return {"link": ctx.render("triggerLinks", link)}


@routes.delete("/links/{linkId}")
def delete_link(ctx: RequestContext) -> JSON:
    ctx.owned("triggerLinks", ctx.path_params["linkId"], LINK_NOT_FOUND)
    ctx.store.delete("triggerLinks", ctx.path_params["linkId"])
    return {"succeded": True}


@routes.seeder("triggerLinks")
def seed_link(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A trigger link as made in the GHL UI: ``name`` and ``redirectTo``; ``id`` optional."""
    link = _link(
        location_id,
        str(fields["name"]),
        str(fields.get("redirectTo", "")),
        str(fields.get("id") or firestore_id()),
    )
    store.insert(location_id, "triggerLinks", link["id"], link)
    return str(link["id"])
