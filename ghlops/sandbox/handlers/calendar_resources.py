"""Calendar resources: rooms and equipments (``apps/calendars.json``, Version 2021-04-15).

Wire shapes follow the spec: ``CreateCalendarResourceDTO`` (every field required, including
``locationId``, ``description``, ``quantity``, ``outOfService``, ``capacity`` and
``calendarIds``), ``UpdateCalendarResourceDTO`` (every field optional; the only place
``isActive`` can be set), ``CalendarResourceByIdResponseDTO`` (list, create, get) and
``CalendarResourceResponseDTO`` (update; it lacks ``calendarIds``). Create answers 201, the rest
200. The list is a bare JSON array, paged with the required ``limit`` and ``skip`` (no total).

Behaviour the spec leaves open, as emulated here:

* The response schemas have no id property at all, yet get, update and delete need one: objects
  are answered with ``id`` (20 alphanumerics, like the calendars of the same API).
* A new resource is active (the create body has no ``isActive``; the response requires it).
* ``calendarIds`` must be calendars of the location; "one equipment can only be mapped with one
  service calendar" is enforced for equipments (more than one id is 400), rooms take many.
* ``resourceType`` of a stored object never changes: an object is reachable only under its type.
"""

from __future__ import annotations

from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import bad_request
from ghlops.sandbox.ids import firestore_id
from ghlops.sandbox.routing import RouteTable

JSON = Any
KIND = "calendarResources"
NOT_FOUND = "Calendar resource not found"
TYPES = ("equipments", "rooms")  # the path parameter's enum

routes = RouteTable("calendars")
routes.kind(KIND, schema="CalendarResourceByIdResponseDTO", extra_fields=("id",))


def _type(ctx: RequestContext) -> str:
    """The path's ``resourceType``, one of the spec's enum (400 otherwise)."""
    resource_type = ctx.path_params["resourceType"]
    if resource_type not in TYPES:
        raise bad_request(f"resourceType must be one of {', '.join(TYPES)}")
    return resource_type


def _check_calendars(ctx: RequestContext, resource_type: str, calendar_ids: list[str]) -> None:
    for calendar_id in calendar_ids:
        obj = ctx.store.get("calendars", calendar_id)
        if obj is None or obj.location_id != ctx.location_id:
            raise bad_request(f"Calendar {calendar_id} not found in this location")
    if resource_type == "equipments" and len(calendar_ids) > 1:
        raise bad_request("One equipment can only be mapped with one service calendar")


def _owned(ctx: RequestContext) -> dict[str, Any]:
    resource_type = _type(ctx)
    data: dict[str, Any] = ctx.owned(KIND, ctx.path_params["id"], NOT_FOUND).data
    if data["resourceType"] != resource_type:
        raise bad_request(f"{NOT_FOUND} among {resource_type}")
    return data


@routes.get("/calendars/resources/{resourceType}")
def list_resources(ctx: RequestContext) -> JSON:
    resource_type = _type(ctx)
    limit = ctx.count_param("limit", 0)
    skip = ctx.count_param("skip", 0)
    found = [
        ctx.render(KIND, o.data)
        for o in ctx.store.list(ctx.location_id, KIND)
        if o.data["resourceType"] == resource_type
    ]
    return found[skip : skip + limit] if limit else found[skip:]


@routes.post("/calendars/resources/{resourceType}")
def create_resource(ctx: RequestContext) -> JSON:
    body = ctx.body
    ctx.check_location(body["locationId"])
    resource_type = _type(ctx)
    _check_calendars(ctx, resource_type, body["calendarIds"])
    resource = {
        "id": firestore_id(),
        "resourceType": resource_type,
        "isActive": True,
        **{k: v for k, v in body.items() if v is not None},
    }
    ctx.store.insert(ctx.location_id, KIND, resource["id"], resource)
    return ctx.render(KIND, resource)


@routes.get("/calendars/resources/{resourceType}/{id}")
def get_resource(ctx: RequestContext) -> JSON:
    return ctx.render(KIND, _owned(ctx))


@routes.put("/calendars/resources/{resourceType}/{id}")
def update_resource(ctx: RequestContext) -> JSON:
    resource = _owned(ctx)
    changes = {k: v for k, v in ctx.body.items() if v is not None}
    if "locationId" in changes:
        ctx.check_location(changes.pop("locationId"))
    if "calendarIds" in changes:
        _check_calendars(ctx, resource["resourceType"], changes["calendarIds"])
    resource.update(changes)
    ctx.store.update(KIND, resource["id"], resource)
    view = ctx.render(KIND, resource)
    view.pop("calendarIds", None)  # CalendarResourceResponseDTO has none
    return view


@routes.delete("/calendars/resources/{resourceType}/{id}")
def delete_resource(ctx: RequestContext) -> JSON:
    _owned(ctx)
    ctx.store.delete(KIND, ctx.path_params["id"])
    return {"success": True}
