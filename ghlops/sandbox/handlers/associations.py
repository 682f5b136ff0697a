"""Associations between objects (``apps/associations.json``; the association operations, not
relations).

Wire shapes follow the spec: ``createAssociationReqDto`` (``locationId``, ``key``, both object
keys and labels required; 201), ``UpdateAssociationReqDto`` (both labels required), every answer
an association ``GetPostSuccessfulResponseDto`` (delete ``DeleteAssociationsResponseDTO``). Ids
are 20 alphanumerics (the spec's examples). ``Version: 2021-07-28``.

Behaviour the spec leaves open, as emulated here:

* The spec types labels and object keys as objects, its examples are strings: strings are
  accepted and answered (``extra_body_properties`` corrects the body schema).
* ``GET /associations/`` (typed as one association) answers a bare array of them, in creation
  order, after ``skip`` at most ``limit`` (both required); ``GET /associations/objectKey/{key}``
  answers the same array of those naming the object.
* Every location has GHL's ``SYSTEM_DEFINED`` contact-business association (listed first, fixed
  id); it cannot be updated or deleted (400).
* Object keys must be ``contact``, ``opportunity``, ``business`` or a custom object of the
  location (400 else); a key used twice in a location is 400.
* Unknown ids answer 404; PUT and DELETE name no location: the association must be the token's.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import bad_request, not_found
from ghlops.sandbox.handlers.custom_fields import object_of
from ghlops.sandbox.ids import firestore_id
from ghlops.sandbox.routing import RouteTable

JSON = Any
KIND = "associations"
STANDARD = ("contact", "opportunity", "business")
_TEXT = {"type": "string"}
TEXT_FIELDS = {
    "firstObjectLabel": _TEXT,
    "firstObjectKey": _TEXT,
    "secondObjectLabel": _TEXT,
    "secondObjectKey": _TEXT,
}

routes = RouteTable("associations")
routes.kind(KIND, schema="GetPostSuccessfulResponseDto")


def _system(location_id: str) -> dict[str, Any]:
    digest = hashlib.sha256(f"{location_id}/contact_business".encode()).hexdigest()
    alnum = "".join(c for c in digest if c.isalnum())[:20]
    return {
        "id": alnum,
        "locationId": location_id,
        "key": "contact_business",
        "firstObjectKey": "contact",
        "firstObjectLabel": "Contact",
        "secondObjectKey": "business",
        "secondObjectLabel": "Company",
        "associationType": "SYSTEM_DEFINED",
    }


def _all(ctx: RequestContext, location_id: str) -> list[dict[str, Any]]:
    stored = [ctx.render(KIND, o.data) for o in ctx.store.list(location_id, KIND)]
    return [_system(location_id), *stored]


def _owned(ctx: RequestContext) -> dict[str, Any]:
    data: dict[str, Any] = ctx.owned(
        KIND, ctx.path_params["associationId"], "Association not found"
    ).data
    return data


def _check_object(ctx: RequestContext, location_id: str, key: str) -> None:
    if key not in STANDARD and object_of(ctx.store, location_id, key) is None:
        raise bad_request(f"Object {key} not found")


@routes.get("/associations/")
def list_associations(ctx: RequestContext) -> JSON:
    skip = ctx.count_param("skip", 0)
    limit = ctx.count_param("limit", 0)
    found = _all(ctx, ctx.location_id)
    return found[skip : skip + limit] if limit else found[skip:]


@routes.get("/associations/objectKey/{objectKey}")
def by_object(ctx: RequestContext) -> JSON:
    key = ctx.path_params["objectKey"]
    return [
        a for a in _all(ctx, ctx.location_id) if key in (a["firstObjectKey"], a["secondObjectKey"])
    ]


@routes.get("/associations/key/{key_name}")
def by_key(ctx: RequestContext) -> JSON:
    for association in _all(ctx, ctx.location_id):
        if association["key"] == ctx.path_params["key_name"]:
            return association
    raise not_found("Association not found")


@routes.get("/associations/{associationId}")
def get_association(ctx: RequestContext) -> JSON:
    system = _system(ctx.location_id)
    if ctx.path_params["associationId"] == system["id"]:
        return system
    return ctx.render(KIND, _owned(ctx))


@routes.post("/associations/", extra_body_properties=TEXT_FIELDS)
def create_association(ctx: RequestContext) -> JSON:
    body = ctx.body
    location_id = body["locationId"]
    ctx.check_location(location_id)
    if any(a["key"] == body["key"] for a in _all(ctx, location_id)):
        raise bad_request(f"Association {body['key']} already exists")
    for side in ("firstObjectKey", "secondObjectKey"):
        _check_object(ctx, location_id, body[side])
    association = {
        "id": firestore_id(),
        "locationId": location_id,
        "key": body["key"],
        **{name: body[name] for name in TEXT_FIELDS},
        "associationType": "USER_DEFINED",
    }
    ctx.store.insert(location_id, KIND, association["id"], association)
    return ctx.render(KIND, association)


@routes.put("/associations/{associationId}", extra_body_properties=TEXT_FIELDS)
def update_association(ctx: RequestContext) -> JSON:
    if ctx.path_params["associationId"] == _system(ctx.location_id)["id"]:
        raise bad_request("SYSTEM_DEFINED associations cannot be changed")
    association = _owned(ctx)
    association.update(
        firstObjectLabel=ctx.body["firstObjectLabel"],
        secondObjectLabel=ctx.body["secondObjectLabel"],
    )
    ctx.store.update(KIND, association["id"], association)
    return ctx.render(KIND, association)


@routes.delete("/associations/{associationId}")
def delete_association(ctx: RequestContext) -> JSON:
    if ctx.path_params["associationId"] == _system(ctx.location_id)["id"]:
        raise bad_request("SYSTEM_DEFINED associations cannot be deleted")
    association = _owned(ctx)
    ctx.store.delete(KIND, association["id"])
    return {"deleted": True, "id": association["id"], "message": "Association deleted successfully"}
