"""URL redirects of a sub-account's funnel/website domains (``apps/funnels.json``).

Wire shapes follow the spec: ``CreateRedirectParams`` / ``UpdateRedirectParams`` /
``RedirectResponseDTO``, single objects wrapped as ``{"data": {...}}``, the list as
``{"data": {"count": <matching total>, "data": [<page>]}}`` (the spec gives only an example of
this shape), delete as ``{"data": {"status": "ok"}}`` (the spec's example).

Decisions where the spec is silent:
- ``type`` is not settable through the API; new redirects get ``"Permanent"`` (the example).
- A second redirect for the same domain (any case) and path (any case, the ``pathLowercase``
  GHL keeps) is refused with 422: a domain's path can only redirect to one place.
- ``limit`` must be an integer of at least 1 and ``offset`` an integer of at least 0 (422).
- ``search`` keeps redirects whose ``<domain><path>`` contains it, ignoring case (its example
  is ``example.com/test``).
- The three read-only funnel/page operations of the spec are not emulated.
"""

from __future__ import annotations

from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import unprocessable
from ghlops.sandbox.ids import firestore_id
from ghlops.sandbox.routing import RouteTable
from ghlops.sandbox.store import Store

JSON = Any

routes = RouteTable("funnels")
routes.kind("redirects", schema="RedirectResponseDTO")

REDIRECT_NOT_FOUND = "Redirect not found"
DEFAULT_TYPE = "Permanent"


def _identity(domain: str, path: str) -> tuple[str, str]:
    return domain.lower(), path.lower()


def _redirect(
    location_id: str, domain: str, path: str, target: str, action: str, object_id: str
) -> dict[str, Any]:
    return {
        "id": object_id,
        "locationId": location_id,
        "domain": domain,
        "path": path,
        "pathLowercase": path.lower(),
        "type": DEFAULT_TYPE,
        "target": target,
        "action": action,
    }


def _taken(store: Store, location_id: str, domain: str, path: str) -> bool:
    wanted = _identity(domain, path)
    return any(
        _identity(other.data["domain"], other.data["path"]) == wanted
        for other in store.list(location_id, "redirects")
    )


def _bounded_int(ctx: RequestContext, name: str, minimum: int) -> int:
    value = float(ctx.query[name])  # the spec check already made sure it is a number
    if not value.is_integer():
        raise unprocessable([f"{name} must be an integer number"])
    if value < minimum:
        raise unprocessable([f"{name} must not be less than {minimum}"])
    return int(value)


@routes.get("/funnels/lookup/redirect/list")
def list_redirects(ctx: RequestContext) -> JSON:
    limit = _bounded_int(ctx, "limit", 1)
    offset = _bounded_int(ctx, "offset", 0)
    search = ctx.query.get("search", "").lower()
    found = [
        o.data
        for o in ctx.store.list(ctx.location_id, "redirects")
        if search in f"{o.data['domain']}{o.data['path']}".lower()
    ]
    page = found[offset : offset + limit]
    return {"data": {"count": len(found), "data": [ctx.render("redirects", r) for r in page]}}


@routes.post("/funnels/lookup/redirect")
def create_redirect(ctx: RequestContext) -> JSON:
    body = ctx.body
    ctx.check_location(body["locationId"])
    if _taken(ctx.store, body["locationId"], body["domain"], body["path"]):
        raise unprocessable([f"A redirect for {body['domain']}{body['path']} already exists"])
    redirect = _redirect(
        body["locationId"],
        body["domain"],
        body["path"],
        body["target"],
        body["action"],
        firestore_id(),
    )
    ctx.store.insert(body["locationId"], "redirects", redirect["id"], redirect)
    return {"data": ctx.render("redirects", redirect)}


@routes.patch("/funnels/lookup/redirect/{id}")
def update_redirect(ctx: RequestContext) -> JSON:
    # UpdateRedirectParams has only target and action (plus locationId): domain and path stay.
    ctx.check_location(ctx.body["locationId"])
    redirect = ctx.owned("redirects", ctx.path_params["id"], REDIRECT_NOT_FOUND).data
    redirect.update(target=ctx.body["target"], action=ctx.body["action"])
    ctx.store.update("redirects", redirect["id"], redirect)
    return {"data": ctx.render("redirects", redirect)}


@routes.delete("/funnels/lookup/redirect/{id}")
def delete_redirect(ctx: RequestContext) -> JSON:
    ctx.owned("redirects", ctx.path_params["id"], REDIRECT_NOT_FOUND)
    ctx.store.delete("redirects", ctx.path_params["id"])
    return {"data": {"status": "ok"}}


@routes.seeder("redirects")
def seed_redirect(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A redirect as made in the GHL UI: ``domain``, ``path`` and ``target`` required,
    ``action`` defaults to ``url``, ``type`` to ``Permanent``; ``id`` optional."""
    if _taken(store, location_id, fields["domain"], fields["path"]):
        raise ValueError(f"a redirect for {fields['domain']}{fields['path']} already exists")
    redirect = _redirect(
        location_id,
        fields["domain"],
        fields["path"],
        fields["target"],
        fields.get("action", "url"),
        str(fields.get("id") or firestore_id()),
    )
    redirect["type"] = fields.get("type", DEFAULT_TYPE)
    store.insert(location_id, "redirects", redirect["id"], redirect)
    return str(redirect["id"])
