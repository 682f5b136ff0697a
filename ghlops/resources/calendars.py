"""Adapter for ``calendars`` (apps/calendars.json, Version 2021-04-15).

GET /calendars/?locationId= (``{"calendars": [...]}``, no pagination; ``showDrafted`` defaults to
true, so inactive "draft" calendars are listed too), POST /calendars/ (200, not 201,
``{"calendar": {...}}``), PUT|DELETE /calendars/{calendarId}. The update body
(``#CalendarUpdateDTO``) has no required field: updates send only what the manifest sets. It lacks
``calendarType`` and ``slotBufferUnit``, so those are immutable (a change is a replace).

Matching: by ``slug`` when the manifest gives one, else by ``name``; a manifest slug also adopts a
live calendar of the same name that has no slug yet (and gives it the slug).

References, never ids, in manifests:

* ``group`` is a calendar group's slug. The loader checks the group is declared; live calendars map
  ``groupId`` back to the slug through the groups read just before (``ctx.live``); apply sends
  ``ctx.id_of("calendarGroups", slug)``, which knows groups created earlier in the same apply.
* ``teamMembers[].user`` is a user's email or id. Users cannot be managed with a location token,
  so they are looked up: when any calendar of the location names a member by email, reading the
  calendars also reads the location's users once (GET /users/?locationId=, apps/users.json,
  Version 2021-07-28; deprecated in favour of /users/search, which needs the agency's companyId
  that a location token does not know). An email that is not a user of the location fails that
  location's plan, naming the calendar, the email and the location. Live members are shown by
  email, except users the calendar's manifest names by id; so both sides compare in the form the
  manifest used. Emails compare case-insensitively (lower-cased). Apply looks the users up again
  (one call per calendar written with emails) to send their ids.

Live objects get the defaults ``#CalendarDTO`` documents for fields they omit
(:data:`LIVE_DEFAULTS`), so a manifest that spells out a default never diffs against an API that
leaves it out; a member's ``priority`` defaults to 0.5 and ``isPrimary`` to false on both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ghlops.errors import GhlopsError, SourcePos
from ghlops.models.base import ResourceSpec
from ghlops.models.calendar import Calendar
from ghlops.resources.base import Adapter, Ctx, DesiredItem, ExportCtx, LiveItem, Ref
from ghlops.resources.calendar_notifications import NOTIFICATIONS
from ghlops.resources.users import is_email, users_by_email

CALENDARS = "/calendars/"
GROUPS = "/calendars/groups"

# Defaults documented in #CalendarDTO (the create DTO documents the same ones).
LIVE_DEFAULTS: dict[str, Any] = {
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

# Manifest fields that map one to one to request and response fields.
_PLAIN_FIELDS = tuple(
    name for name in Calendar.model_fields if name not in ("group", "teamMembers", "notifications")
)
_CREATE_ONLY = ("calendarType", "slotBufferUnit")  # not in #CalendarUpdateDTO


def _tidy(value: Any) -> Any:
    """Whole floats (``30.0``) as ints, recursively: the API's numbers are JSON numbers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _tidy(v) for k, v in value.items()}
    return value


def _location_configurations(raw: Any) -> list[dict[str, Any]]:
    """Request-shaped meeting locations: ``kind`` and ``location`` (``meetingId`` is response
    only); an empty location is the same as none."""
    out = []
    for conf in raw or []:
        item = {"kind": conf["kind"]}
        if conf.get("location"):
            item["location"] = conf["location"]
        out.append(item)
    return out


def _members(fields: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(fields.get("teamMembers") or [])


class CalendarAdapter(Adapter):
    kind = "calendars"
    singular = "calendar"
    model = Calendar
    version = "2021-04-15"
    depends_on = ("calendarGroups",)
    compare_fields = (*_PLAIN_FIELDS, "group", "teamMembers")
    immutable_fields = _CREATE_ONLY
    export_defaults = LIVE_DEFAULTS

    # -- pure half -------------------------------------------------------------------------
    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        name = fields["name"]
        if fields.get("slug"):
            # "unslugged:" lets a manifest slug adopt a same-named live calendar without a slug
            return (f"slug:{fields['slug']}", f"unslugged:{name}")
        return (f"name:{name}",)

    def _live_match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        name = fields["name"]
        if fields.get("slug"):
            return (f"slug:{fields['slug']}", f"name:{name}")
        return (f"name:{name}", f"unslugged:{name}")

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields.get("slug") or fields["name"])

    def desired_item(self, spec: ResourceSpec, source: SourcePos | None = None) -> DesiredItem:
        """The calendar (its group a reference), its notifications as children."""
        assert isinstance(spec, Calendar)
        item = super().desired_item(spec.model_copy(update={"notifications": None}), source)
        if item.fields.get("group"):
            ref = Ref(field="group", kind="calendarGroups", key=str(item.fields["group"]))
            item = replace(item, refs=(ref,))
        declared = spec.notifications or ()
        dumped = spec.model_dump(exclude_none=True).get("notifications", ())
        children = tuple(
            NOTIFICATIONS.child_item(item, fields, source, notification.protect)
            for fields, notification in zip(dumped, declared, strict=True)
        )
        return replace(item, children=children) if children else item

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        if "locationConfigurations" in fields:
            fields["locationConfigurations"] = _location_configurations(
                fields["locationConfigurations"]
            )
        if "teamMembers" in fields:
            members = []
            for member in fields["teamMembers"]:
                member = dict(member)
                if is_email(member["user"]):
                    member["user"] = member["user"].strip().lower()
                confs = _location_configurations(member.pop("locationConfigurations", None))
                if confs:
                    member["locationConfigurations"] = confs
                members.append(member)
            fields["teamMembers"] = members
        return fields

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        """Without context: ``group`` is the raw groupId, members are user ids."""
        return self._live(raw, {}, lambda user_id: user_id)

    def _live(
        self,
        raw: Mapping[str, Any],
        group_slugs: Mapping[str, str],
        user_form: Callable[[str], str],
    ) -> LiveItem:
        fields: dict[str, Any] = {}
        for name in _PLAIN_FIELDS:
            if raw.get(name) is not None:
                fields[name] = _tidy(raw[name])
        for name, default in LIVE_DEFAULTS.items():
            fields.setdefault(name, default)
        if "locationConfigurations" in fields:
            fields["locationConfigurations"] = _location_configurations(
                fields["locationConfigurations"]
            )
        group_id = raw.get("groupId")
        if group_id:
            fields["group"] = group_slugs.get(str(group_id), str(group_id))
        if raw.get("teamMembers") is not None:
            fields["teamMembers"] = [self._live_member(m, user_form) for m in raw["teamMembers"]]
        return LiveItem(
            self.kind,
            self.display_key(fields),
            str(raw["id"]),
            fields,
            self._live_match_keys(fields),
            raw,
            identity=self.identify(fields, keys=self._live_match_keys(fields)),
        )

    @staticmethod
    def _live_member(raw: Mapping[str, Any], user_form: Callable[[str], str]) -> dict[str, Any]:
        priority = raw.get("priority")
        member: dict[str, Any] = {
            "user": user_form(str(raw["userId"])),
            "priority": MEMBER_PRIORITY_DEFAULT if priority is None else _tidy(priority),
            "isPrimary": raw.get("isPrimary") is True,
        }
        confs = _location_configurations(raw.get("locationConfigurations"))
        if confs:
            member["locationConfigurations"] = confs
        return member

    # -- I/O half --------------------------------------------------------------------------
    def users_by_email(self, ctx: Ctx) -> dict[str, str]:
        """The location's users: lower-cased email -> user id (one call)."""
        return users_by_email(ctx)

    def _group_slugs(self, ctx: Ctx) -> dict[str, str]:
        groups = ctx.live.get("calendarGroups")
        if groups is not None:
            return {g.id: g.key for g in groups}
        # calendarGroups was not read in this run: read the groups just for the slugs
        body = ctx.api.request(
            "GET", GROUPS, version=self.version, params={"locationId": ctx.location_id}
        )
        return {str(g["id"]): str(g["slug"]) for g in body["groups"]}

    def _missing_users(
        self, ctx: Ctx, items: Sequence[DesiredItem], users: Mapping[str, str]
    ) -> list[str]:
        missing = []
        for item in items:
            for member in _members(item.fields):
                email = str(member["user"])
                if is_email(email) and email not in users:
                    where = f" ({item.source})" if item.source else ""
                    missing.append(
                        f"calendar {item.key!r}{where}: team member {email!r} is not a user of "
                        f"location {ctx.location_id}"
                    )
        return missing

    def live_items(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> list[LiveItem]:
        """Calendars with group slugs and members in the manifest's form (see the module doc).

        Raises:
            GhlopsError: a manifest names a team member by an email that is not a user of the
                location.
        """
        desired = ctx.desired.get(self.kind, ())
        uses_emails = any(is_email(str(m["user"])) for d in desired for m in _members(d.fields))
        emails: dict[str, str] = {}
        if uses_emails:
            emails = self.users_by_email(ctx)
            missing = self._missing_users(ctx, desired, emails)
            if missing:
                raise GhlopsError("; ".join(missing))
        email_of = {user_id: email for email, user_id in emails.items()}
        by_key: dict[str, DesiredItem] = {}
        for item in desired:
            for key in item.match_keys:
                by_key.setdefault(key, item)

        group_slugs = self._group_slugs(ctx)
        items = []
        for raw in raws:
            keys = self._live_match_keys({"name": raw["name"], "slug": raw.get("slug")})
            want = next((by_key[k] for k in keys if k in by_key), None)
            by_id = {str(m["user"]) for m in _members(want.fields)} if want else set()

            def user_form(user_id: str, by_id: set[str] = by_id) -> str:
                if user_id in by_id:  # the manifest names this member by id
                    return user_id
                return email_of.get(user_id, user_id)

            items.append(self._live(raw, group_slugs, user_form))
        return items

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        body = ctx.api.request(
            "GET", CALENDARS, version=self.version, params={"locationId": ctx.location_id}
        )
        return self.live_items(ctx, body["calendars"])

    def _request_body(self, ctx: Ctx, item: DesiredItem, *, create: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"locationId": ctx.location_id} if create else {}
        users: dict[str, str] | None = None
        for name, value in item.fields.items():
            if name == "group":
                body["groupId"] = ctx.id_of("calendarGroups", str(value))
            elif name == "teamMembers":
                if users is None and any(is_email(str(m["user"])) for m in value):
                    users = self.users_by_email(ctx)
                    missing = self._missing_users(ctx, [item], users)
                    if missing:
                        raise GhlopsError("; ".join(missing))
                body["teamMembers"] = [
                    {
                        "userId": (users or {}).get(str(m["user"]), str(m["user"])),
                        **{k: v for k, v in m.items() if k != "user"},
                    }
                    for m in value
                ]
            elif create or name not in _CREATE_ONLY:
                body[name] = value
        return body

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        answer = ctx.api.request(
            "POST", CALENDARS, version=self.version, json=self._request_body(ctx, item, create=True)
        )
        return str(answer["calendar"]["id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        ctx.api.request(
            "PUT",
            f"{CALENDARS}{object_id}",
            version=self.version,
            json=self._request_body(ctx, item, create=False),
        )

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request("DELETE", f"{CALENDARS}{object_id}", version=self.version)

    # -- export ----------------------------------------------------------------------------
    def export_lookups(self, ctx: Ctx, items: Sequence[LiveItem], export: ExportCtx) -> None:
        """The group slugs read, and the users' emails by id when a calendar has members (one
        call; when it fails, members stay named by id and the report says why)."""
        export.lookups["groups"] = {g.key for g in ctx.live.get("calendarGroups", ())}
        if not any(item.fields.get("teamMembers") for item in items):
            return
        try:
            users = self.users_by_email(ctx)
        except GhlopsError as exc:
            export.notes.append(f"team members are named by user id: reading users failed ({exc})")
            users = {}
        export.lookups["emails"] = {user_id: email for email, user_id in users.items()}

    def export_item(self, live: LiveItem, export: ExportCtx) -> dict[str, Any]:
        """Members by email where the users API knows them (by id otherwise); a group that is no
        longer a live group of the location is left out, with a note."""
        item = super().export_item(live, export)
        group = item.get("group")
        if group is not None and group not in export.lookups.get("groups", ()):
            del item["group"]
            export.notes.append(
                f"calendar {live.key!r}: its group {group} is not a calendar group of the "
                "location; left out"
            )
        emails: Mapping[str, str] = export.lookups.get("emails", {})
        for member in item.get("teamMembers", ()):
            member["user"] = emails.get(member["user"], member["user"])
        return item
