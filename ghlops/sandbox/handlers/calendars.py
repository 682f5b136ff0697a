"""Calendar groups and calendars of a sub-account (``apps/calendars.json``, Version 2021-04-15).

Wire shapes follow the spec: ``GroupCreateDTO`` / ``GroupUpdateDTO`` / ``GroupStatusUpdateParams``
/ ``GroupDTO`` and ``CalendarCreateDTO`` / ``CalendarUpdateDTO`` / ``CalendarDTO``. The spec's
documented success statuses hold: group create answers 201, calendar create 200.

Behaviour the spec implies or leaves open, as emulated here:

* Group slugs are unique per location (the API offers ``validate-slug``): a taken slug is 400.
  A group is enabled unless created with ``isActive: false`` (GroupDTO documents no default).
* Deleting a group leaves its calendars in place, without a group.
* Calendar create applies every default ``#CalendarCreateDTO`` documents (:data:`CALENDAR_DEFAULTS`,
  ``teamMembers[].priority`` 0.5, ``notifications[].type`` "email", ``availabilities[].deleted``
  false). Calendar update is partial: only the properties sent change, and no defaults are
  applied (a default on an omitted property would silently reset it), except the per-member
  priority default inside a ``teamMembers`` list that is sent.
* ``groupId`` must be a group of the location and every ``teamMembers[].userId`` a user of it
  (seed them with the ``users`` seeder); the member counts the spec describes are enforced:
  round_robin, collective, class_booking and service_booking calendars need team members, a
  personal calendar exactly one, and at most one member may be primary. An empty ``groupId``
  in an update removes the calendar from its group.
* Calendar slugs are not made unique (the spec does not say they are).
* ``GET /calendars/?showDrafted=false`` leaves out inactive (draft) calendars.
* Deleting a calendar deletes its notifications (``calendar_notifications``).
"""

from __future__ import annotations

from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import bad_request
from ghlops.sandbox.handlers.calendar_notifications import delete_calendar_notifications
from ghlops.sandbox.ids import firestore_id
from ghlops.sandbox.routing import RouteTable

JSON = Any

routes = RouteTable("calendars")
routes.kind("calendarGroups", schema="GroupDTO")
routes.kind("calendars", schema="CalendarDTO")

SUCCESS = {"success": True}
GROUP_NOT_FOUND = "Group not found"
CALENDAR_NOT_FOUND = "Calendar not found"

# The `default`s of #CalendarCreateDTO (the same as #CalendarDTO's).
CALENDAR_DEFAULTS: dict[str, Any] = {
    "isActive": True,
    "eventType": "RoundRobin_OptimizeForAvailability",
    "widgetType": "classic",
    "eventTitle": "{{contact.name}}",
    "eventColor": "#039be5",
    "slotDuration": 30,
    "slotInterval": 30,
    "appoinmentPerSlot": 1,  # sic
    "enableRecurring": False,
    "autoConfirm": True,
    "googleInvitationEmails": False,
    "allowReschedule": True,
    "allowCancellation": True,
    "formSubmitType": "ThankYouMessage",
}
MEMBER_PRIORITY_DEFAULT = 0.5  # #TeamMember.priority
NEEDS_TEAM = ("round_robin", "collective", "class_booking", "service_booking")


# -- groups --------------------------------------------------------------------------------


def _groups(ctx: RequestContext) -> list[dict[str, Any]]:
    return [o.data for o in ctx.store.list(ctx.location_id, "calendarGroups")]


def _check_slug_free(ctx: RequestContext, slug: str, own_id: str | None = None) -> None:
    for group in _groups(ctx):
        if group["slug"] == slug and group["id"] != own_id:
            raise bad_request(f"Group slug {slug} is already in use")


@routes.get("/calendars/groups")
def list_groups(ctx: RequestContext) -> JSON:
    return {"groups": [ctx.render("calendarGroups", g) for g in _groups(ctx)]}


@routes.post("/calendars/groups")
def create_group(ctx: RequestContext) -> JSON:
    body = ctx.body
    ctx.check_location(body["locationId"])
    _check_slug_free(ctx, body["slug"])
    group = {
        "id": firestore_id(),
        "locationId": body["locationId"],
        "name": body["name"],
        "description": body["description"],
        "slug": body["slug"],
        "isActive": body.get("isActive") is not False,
    }
    ctx.store.insert(ctx.location_id, "calendarGroups", group["id"], group)
    return {"group": ctx.render("calendarGroups", group)}


@routes.post("/calendars/groups/validate-slug")
def validate_group_slug(ctx: RequestContext) -> JSON:
    ctx.check_location(ctx.body["locationId"])
    return {"available": all(g["slug"] != ctx.body["slug"] for g in _groups(ctx))}


@routes.put("/calendars/groups/{groupId}")
def update_group(ctx: RequestContext) -> JSON:
    # GroupUpdateDTO requires name, description and slug: a full replacement (isActive stays).
    group = ctx.owned("calendarGroups", ctx.path_params["groupId"], GROUP_NOT_FOUND).data
    _check_slug_free(ctx, ctx.body["slug"], group["id"])
    group.update(name=ctx.body["name"], description=ctx.body["description"], slug=ctx.body["slug"])
    ctx.store.update("calendarGroups", group["id"], group)
    return {"group": ctx.render("calendarGroups", group)}


@routes.put("/calendars/groups/{groupId}/status")
def set_group_status(ctx: RequestContext) -> JSON:
    group = ctx.owned("calendarGroups", ctx.path_params["groupId"], GROUP_NOT_FOUND).data
    group["isActive"] = ctx.body["isActive"]
    ctx.store.update("calendarGroups", group["id"], group)
    return SUCCESS


@routes.delete("/calendars/groups/{groupId}")
def delete_group(ctx: RequestContext) -> JSON:
    group_id = ctx.path_params["groupId"]
    ctx.owned("calendarGroups", group_id, GROUP_NOT_FOUND)
    for obj in ctx.store.list(ctx.location_id, "calendars"):
        if obj.data.get("groupId") == group_id:
            calendar = {k: v for k, v in obj.data.items() if k != "groupId"}
            ctx.store.update("calendars", obj.id, calendar)
    ctx.store.delete("calendarGroups", group_id)
    return SUCCESS


# -- calendars -----------------------------------------------------------------------------


def _check_group(ctx: RequestContext, group_id: str) -> None:
    obj = ctx.store.get("calendarGroups", group_id)
    if obj is None or obj.location_id != ctx.location_id:
        raise bad_request(f"Group {group_id} not found in this location")


def _team(ctx: RequestContext, members: list[dict[str, Any]], calendar_type: Any) -> list[Any]:
    """Members with the priority default, after checking users and the documented counts."""
    users = {
        o.id for o in ctx.store.list(ctx.location_id, "users") if o.data.get("deleted") is not True
    }
    for member in members:
        if member["userId"] not in users:
            raise bad_request(f"User {member['userId']} is not a user of this location")
    if calendar_type in NEEDS_TEAM and not members:
        raise bad_request(f"Team members are required for {calendar_type} calendars")
    if calendar_type == "personal" and len(members) != 1:
        raise bad_request("Personal calendar must have exactly one team member")
    if sum(1 for m in members if m.get("isPrimary") is True) > 1:
        raise bad_request("Only one team member can be primary")
    out = []
    for member in members:
        member = {k: v for k, v in member.items() if v is not None}
        member.setdefault("priority", MEMBER_PRIORITY_DEFAULT)
        out.append(member)
    return out


@routes.get("/calendars/")
def list_calendars(ctx: RequestContext) -> JSON:
    calendars = [o.data for o in ctx.store.list(ctx.location_id, "calendars")]
    if ctx.query.get("groupId"):
        calendars = [c for c in calendars if c.get("groupId") == ctx.query["groupId"]]
    if ctx.query.get("showDrafted", "true").lower() == "false":
        calendars = [c for c in calendars if c.get("isActive") is not False]
    return {"calendars": [ctx.render("calendars", c) for c in calendars]}


@routes.post("/calendars/")
def create_calendar(ctx: RequestContext) -> JSON:
    body = {k: v for k, v in ctx.body.items() if v is not None}
    ctx.check_location(body["locationId"])
    if body.get("groupId"):
        _check_group(ctx, body["groupId"])
    calendar_type = body.get("calendarType")
    if "teamMembers" in body or calendar_type in NEEDS_TEAM or calendar_type == "personal":
        body["teamMembers"] = _team(ctx, body.get("teamMembers") or [], calendar_type)
    if body.get("notifications"):
        body["notifications"] = [{"type": "email", **n} for n in body["notifications"]]
    if body.get("availabilities"):
        body["availabilities"] = [{"deleted": False, **a} for a in body["availabilities"]]
    calendar = {**CALENDAR_DEFAULTS, **body, "id": firestore_id()}
    ctx.store.insert(ctx.location_id, "calendars", calendar["id"], calendar)
    return {"calendar": ctx.render("calendars", calendar)}


@routes.get("/calendars/{calendarId}")
def get_calendar(ctx: RequestContext) -> JSON:
    calendar = ctx.owned("calendars", ctx.path_params["calendarId"], CALENDAR_NOT_FOUND).data
    return {"calendar": ctx.render("calendars", calendar)}


@routes.put("/calendars/{calendarId}")
def update_calendar(ctx: RequestContext) -> JSON:
    calendar = ctx.owned("calendars", ctx.path_params["calendarId"], CALENDAR_NOT_FOUND).data
    changes = {k: v for k, v in ctx.body.items() if v is not None}
    if "groupId" in changes:
        if changes["groupId"]:
            _check_group(ctx, changes["groupId"])
        else:
            calendar.pop("groupId", None)
            del changes["groupId"]
    if "teamMembers" in changes:
        changes["teamMembers"] = _team(ctx, changes["teamMembers"], calendar.get("calendarType"))
    calendar.update(changes)
    ctx.store.update("calendars", calendar["id"], calendar)
    return {"calendar": ctx.render("calendars", calendar)}


@routes.delete("/calendars/{calendarId}")
def delete_calendar(ctx: RequestContext) -> JSON:
    ctx.owned("calendars", ctx.path_params["calendarId"], CALENDAR_NOT_FOUND)
    ctx.store.delete("calendars", ctx.path_params["calendarId"])
    delete_calendar_notifications(ctx.store, ctx.location_id, ctx.path_params["calendarId"])
    return SUCCESS
