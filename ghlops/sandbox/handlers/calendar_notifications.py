"""Calendar notifications (``apps/calendars.json``, Version 2021-04-15).

Wire shapes follow the spec: ``POST /calendars/{calendarId}/notifications`` takes an **array**
of ``CreateCalendarNotificationDTO`` (``receiverType``, ``channel``, ``notificationType``
required) and answers the created notifications as an array (200, as documented); the list is a
bare array of ``CalendarNotificationResponseDTO`` paged with ``limit`` (default 100) and ``skip``
(default 0), no total; ``PUT`` takes ``UpdateCalendarNotificationsDTO`` (every field optional: a
partial update) and ``PUT``/``DELETE`` answer ``{"message"}``. Ids are 24-hex (``_id``).

Behaviour the spec leaves open, as emulated here (the demanding reading, so ghlops is tested
against it):

* ``DELETE`` is a soft delete, as the update DTO's ``deleted`` ("soft delete") suggests: the
  notification stays, with ``deleted: true``. The list answers deleted notifications too unless
  asked ``deleted=false``; ``isActive`` filters the same way.
* A new notification is active and not deleted (the create DTO's defaults).
* ``selectedUsers`` must be users of the location or the keyword ``sub_account_admin``.
* Fields the request DTOs accept but the response lacks (``fromAddress``, ``fromName``,
  ``fromNumber``) are stored but never returned.
* Deleting a calendar deletes its notifications. A notification is reachable only under its own
  calendar; an unknown one answers 404 (the spec documents none).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import bad_request, not_found
from ghlops.sandbox.ids import object_id
from ghlops.sandbox.routing import RouteTable
from ghlops.sandbox.store import Store

JSON = Any
KIND = "calendarNotifications"
NOT_FOUND = "Notification not found"
CALENDAR_NOT_FOUND = "Calendar not found"
ADMIN = "sub_account_admin"
LIST_LIMIT = 100  # the spec's default

routes = RouteTable("calendars")
routes.kind(KIND, schema="CalendarNotificationResponseDTO")


def _calendar(ctx: RequestContext) -> str:
    calendar_id = ctx.path_params["calendarId"]
    ctx.owned("calendars", calendar_id, CALENDAR_NOT_FOUND)
    return calendar_id


def _check_users(store: Store, location_id: str, body: Mapping[str, Any]) -> None:
    users = {o.id for o in store.list(location_id, "users")}
    for user in body.get("selectedUsers") or ():
        if user != ADMIN and user not in users:
            raise bad_request(f"selectedUsers: {user} is not a user of this location")


def _new(store: Store, location_id: str, calendar_id: str, body: Mapping[str, Any]) -> JSON:
    _check_users(store, location_id, body)
    notification = {
        "isActive": True,
        **{k: v for k, v in body.items() if v is not None},
        "_id": str(body.get("_id") or object_id()),
        "calendarId": calendar_id,
        "deleted": False,
    }
    store.insert(location_id, KIND, notification["_id"], notification)
    return notification


def _flag(ctx: RequestContext, name: str) -> bool | None:
    raw = ctx.query.get(name)
    return None if raw is None or raw == "" else raw.lower() == "true"


@routes.get("/calendars/{calendarId}/notifications")
def list_notifications(ctx: RequestContext) -> JSON:
    calendar_id = _calendar(ctx)
    found = [
        o.data for o in ctx.store.list(ctx.location_id, KIND) if o.data["calendarId"] == calendar_id
    ]
    for name in ("isActive", "deleted"):
        wanted = _flag(ctx, name)
        if wanted is not None:
            found = [n for n in found if bool(n.get(name)) is wanted]
    skip = ctx.count_param("skip", 0)
    limit = ctx.count_param("limit", LIST_LIMIT) or LIST_LIMIT
    return [ctx.render(KIND, n) for n in found[skip : skip + limit]]


@routes.post("/calendars/{calendarId}/notifications")
def create_notifications(ctx: RequestContext) -> JSON:
    calendar_id = _calendar(ctx)
    for body in ctx.body:
        _check_users(ctx.store, ctx.location_id, body)
    made = [_new(ctx.store, ctx.location_id, calendar_id, body) for body in ctx.body]
    return [ctx.render(KIND, n) for n in made]


def _owned(ctx: RequestContext) -> dict[str, Any]:
    calendar_id = _calendar(ctx)
    data: dict[str, Any] = ctx.owned(KIND, ctx.path_params["notificationId"], NOT_FOUND).data
    if data["calendarId"] != calendar_id:
        raise not_found(NOT_FOUND)
    return data


@routes.get("/calendars/{calendarId}/notifications/{notificationId}")
def get_notification(ctx: RequestContext) -> JSON:
    return ctx.render(KIND, _owned(ctx))


@routes.put("/calendars/{calendarId}/notifications/{notificationId}")
def update_notification(ctx: RequestContext) -> JSON:
    notification = _owned(ctx)
    _check_users(ctx.store, ctx.location_id, ctx.body)
    notification.update({k: v for k, v in ctx.body.items() if v is not None})
    ctx.store.update(KIND, notification["_id"], notification)
    return {"message": "Notification updated successfully"}


@routes.delete("/calendars/{calendarId}/notifications/{notificationId}")
def delete_notification(ctx: RequestContext) -> JSON:
    notification = _owned(ctx)
    notification["deleted"] = True  # a soft delete (see the module docstring)
    ctx.store.update(KIND, notification["_id"], notification)
    return {"message": "Notification deleted successfully"}


def delete_calendar_notifications(store: Store, location_id: str, calendar_id: str) -> None:
    """Remove a deleted calendar's notifications."""
    for obj in store.list(location_id, KIND):
        if obj.data["calendarId"] == calendar_id:
            store.delete(KIND, obj.id)


@routes.seeder(KIND)
def seed_notification(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A notification as made in the GHL UI: ``calendarId`` plus the create DTO's fields (and
    ``deleted: true`` for one deleted already)."""
    fields = dict(fields)
    calendar_id = str(fields.pop("calendarId"))
    deleted = bool(fields.pop("deleted", False))
    notification = _new(store, location_id, calendar_id, fields)
    if deleted:
        notification["deleted"] = True
        store.update(KIND, notification["_id"], notification)
    return str(notification["_id"])
