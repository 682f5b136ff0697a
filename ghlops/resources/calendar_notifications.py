"""Adapter for ``calendarNotifications``, nested in ``calendars`` (apps/calendars.json,
Version 2021-04-15).

GET /calendars/{calendarId}/notifications (a bare array, ``limit``/``skip``, no total: read until
an empty page, so two calls per calendar when it has fewer than 100; ``deleted=false`` is sent),
POST /calendars/{calendarId}/notifications (an array of one ``CreateCalendarNotificationDTO``;
the answer is an array of notifications), PUT /calendars/{calendarId}/notifications/{id} (every
field optional: a partial update of the declared fields), DELETE
/calendars/{calendarId}/notifications/{id}. Ids are ``_id``.

Identity: ``notificationType`` + ``receiverType`` + ``channel`` within the calendar; the key is
``"<calendar key>/<type>/<receiver>/<channel>"`` and the name ``<type>/<receiver>/<channel>``
(what policy globs match, with ``Calendar name/`` before it). Notifications are declared inside
their calendar (``notifications:``); the calendar adapter builds them as children, and the
planner matches them among the live notifications of the calendar their calendar matched. A
changed type, receiver or channel is another notification (there is no rename).

Compared (each only when declared): ``isActive``, ``templateId``, ``subject``, ``body``,
``beforeTime``/``afterTime`` (order ignored; whole-number offsets read as ints),
``additionalEmailIds``, ``additionalPhoneNumbers``, ``selectedUsers`` (order ignored).
``fromAddress``, ``fromName`` and ``fromNumber`` are write-only: the spec's answer lacks them.

Readings where the spec is silent, all handled: a notification the list answers with
``deleted: true`` (a soft delete; the update DTO documents ``deleted`` as one) does not exist for
ghlops; the create answer may hold more than the one created, so the new id is the one whose
type, receiver and channel match (the last such).

``selectedUsers``: emails are looked up among the location's users (one call, only when a
declared notification names a user by email; an unknown email fails the location's plan); live
user ids read back as emails, unless the manifest names that user by id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ghlops.errors import GhlopsError, SourcePos
from ghlops.models.calendar_notification import CalendarNotification
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem
from ghlops.resources.users import is_email, users_by_email

VERSION = "2021-04-15"
PAGE_SIZE = 100  # the spec's default limit
ADMIN = "sub_account_admin"

# Key live_items adds to a raw notification before live_item maps it: its live calendar.
CALENDAR = "_calendar"
# Key added with the email of each user id, where the users lookup knows it.
USER_NAMES = "_user_names"

_KEY_FIELDS = ("notificationType", "receiverType", "channel")
_LISTS = ("additionalEmailIds", "additionalPhoneNumbers", "selectedUsers")
_SCHEDULES = ("beforeTime", "afterTime")
_COMPARED = (
    "isActive",
    "templateId",
    "subject",
    "body",
    *_SCHEDULES,
    *_LISTS,
    "fromAddress",
    "fromName",
    "fromNumber",
)


def _tidy(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def schedules(value: Any) -> list[dict[str, Any]]:
    """Schedules as compared: whole numbers as ints, in a stable order."""
    found = [
        {"timeOffset": _tidy(s.get("timeOffset")), "unit": s.get("unit")}
        for s in value or ()
        if isinstance(s, Mapping)
    ]
    return sorted(found, key=lambda s: (str(s["unit"]), float(s["timeOffset"] or 0)))


def _user(entry: str) -> str:
    return entry.strip().lower() if is_email(entry) else entry


class CalendarNotificationAdapter(Adapter):
    kind = "calendarNotifications"
    singular = "calendar notification"
    model = CalendarNotification
    version = VERSION
    parent_kind = "calendars"
    compare_fields = _COMPARED
    write_only_fields = ("fromAddress", "fromName", "fromNumber")
    renames = False  # the identity is what it is about: nothing to rename
    export_defaults = {"isActive": True}

    # -- pure half -----------------------------------------------------------------------------

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"notification:{self.name_of(fields)}",)

    def name_of(self, fields: Mapping[str, Any]) -> str:
        return "/".join(str(fields[k]) for k in _KEY_FIELDS)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        """``fields`` carries ``_calendar`` (see :data:`CALENDAR`)."""
        return f"{fields[CALENDAR].key}/{self.name_of(fields)}"

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        for name in _SCHEDULES:
            if name in fields:
                fields[name] = schedules(fields[name])
        for name in _LISTS:
            if name in fields:
                values = (
                    [_user(str(v)) for v in fields[name]]
                    if name == "selectedUsers"
                    else [str(v) for v in fields[name]]
                )
                fields[name] = sorted(set(values))
        return fields

    def child_item(
        self,
        calendar: DesiredItem,
        fields: dict[str, Any],
        source: SourcePos | None = None,
        protect: bool = False,
    ) -> DesiredItem:
        """The desired item of one notification declared inside ``calendar``."""
        fields = self.normalise_desired(fields)
        return DesiredItem(
            kind=self.kind,
            key=self.display_key({**fields, CALENDAR: calendar}),
            fields=fields,
            match_keys=self.match_keys(fields),
            source=source,
            parent=calendar.key,
            protect=protect,
            identity=self.identify(fields, calendar.ident),
        )

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields: dict[str, Any] = {k: raw[k] for k in _KEY_FIELDS}
        fields["isActive"] = raw.get("isActive") is not False  # GHL's default: active
        for name in ("templateId", "subject", "body"):
            if raw.get(name) is not None:
                fields[name] = raw[name]
        for name in _SCHEDULES:
            if raw.get(name) is not None:
                fields[name] = schedules(raw[name])
        names: Mapping[str, str] = raw.get(USER_NAMES) or {}
        for name in _LISTS:
            if raw.get(name) is not None:
                values = [str(v) for v in raw[name]]
                if name == "selectedUsers":
                    values = [_user(names.get(v, v)) for v in values]
                fields[name] = sorted(set(values))
        calendar: LiveItem = raw[CALENDAR]
        return LiveItem(
            self.kind,
            self.display_key({**fields, CALENDAR: calendar}),
            str(raw["_id"]),
            fields,
            self.match_keys(fields),
            raw,
            parent=calendar.key,
            parent_id=calendar.id,
            identity=self.identify(fields, calendar.ident),
        )

    def write_only_reasons(self, item: DesiredItem, *, changed: bool) -> tuple[str, ...]:
        declared = [f for f in self.write_only_fields if f in item.fields]
        if not declared:
            return ()
        if changed:
            return (f"also sends write-only fields {', '.join(declared)}",)
        return (
            f"calendar notification {item.key!r}: write-only fields {', '.join(declared)} are "
            "not compared (GHL never returns them); they are sent with the next change to it",
        )

    # -- I/O half ------------------------------------------------------------------------------

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        raws: list[Mapping[str, Any]] = []
        for calendar in ctx.live.get(self.parent_kind or "", ()):
            found = ctx.api.paginate(
                f"/calendars/{calendar.id}/notifications",
                version=self.version,
                items="",
                params={"deleted": "false"},
                page_size=PAGE_SIZE,
                style="skip",
            )
            # the calendar asked about is authoritative (the answer does not name it)
            raws += [{**raw, "calendarId": calendar.id} for raw in found]
        return self.live_items(ctx, raws)

    def _emails(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> dict[str, str]:
        """The location's users, email -> id, when a declared notification names one by email
        (an unknown email fails the plan), or for an export when a live one selects users;
        else none."""
        declared = ctx.desired.get(self.kind, ())
        named = [
            (item, str(u))
            for item in declared
            for u in item.fields.get("selectedUsers", ())
            if is_email(str(u))
        ]
        exporting = ctx.resolve_live_refs and any(
            u != ADMIN for raw in raws for u in raw.get("selectedUsers") or ()
        )
        if not named and not exporting:
            return {}
        users = users_by_email(ctx)
        missing = [
            f"calendar notification {item.key!r}: selected user {email!r} is not a user of "
            f"location {ctx.location_id}"
            for item, email in named
            if email not in users
        ]
        if missing:
            raise GhlopsError("; ".join(missing))
        return users

    def live_items(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> list[LiveItem]:
        """Live notifications (not deleted), each under its live calendar (from ``ctx.live``, by
        ``calendarId``), selected users as emails where the manifest names them so."""
        calendars = {c.id: c for c in ctx.live.get(self.parent_kind or "", ())}
        by_id = {
            str(u)
            for item in ctx.desired.get(self.kind, ())
            for u in item.fields.get("selectedUsers", ())
            if not is_email(str(u))
        }
        emails = self._emails(ctx, raws)
        names = {uid: email for email, uid in emails.items() if uid not in by_id}
        items = []
        for raw in raws:
            if raw.get("deleted") is True:
                continue  # soft-deleted: gone for ghlops
            calendar = calendars.get(str(raw.get("calendarId")))
            if calendar is None:
                raise GhlopsError(
                    f"calendar notification {raw.get('_id')}: its calendar was not read"
                )
            items.append(self.live_item({**raw, CALENDAR: calendar, USER_NAMES: names}))
        return items

    def _calendar_id(self, ctx: Ctx, parent: str | None) -> str:
        if parent is None:
            raise GhlopsError("a calendar notification without its calendar")
        return ctx.id_of(self.parent_kind or "", parent)

    def _body(self, ctx: Ctx, item: DesiredItem) -> dict[str, Any]:
        body = dict(item.fields)
        if any(is_email(str(u)) for u in body.get("selectedUsers", ())):
            users = users_by_email(ctx)
            unknown = [u for u in body["selectedUsers"] if is_email(str(u)) and u not in users]
            if unknown:
                raise GhlopsError(
                    f"selected users {', '.join(unknown)} are not users of location "
                    f"{ctx.location_id}"
                )
            body["selectedUsers"] = [users.get(str(u), str(u)) for u in body["selectedUsers"]]
        return body

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        calendar_id = self._calendar_id(ctx, item.parent)
        answer = ctx.api.request(
            "POST",
            f"/calendars/{calendar_id}/notifications",
            version=self.version,
            json=[self._body(ctx, item)],
        )
        made = [
            n
            for n in answer
            if isinstance(n, Mapping) and all(n.get(k) == item.fields[k] for k in _KEY_FIELDS)
        ]
        if not made:
            raise GhlopsError("the answer holds no notification like the one created")
        return str(made[-1]["_id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        calendar_id = self._calendar_id(ctx, item.parent)
        ctx.api.request(
            "PUT",
            f"/calendars/{calendar_id}/notifications/{object_id}",
            version=self.version,
            json=self._body(ctx, item),
        )

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        calendar_id = self._calendar_id(ctx, parent)
        ctx.api.request(
            "DELETE", f"/calendars/{calendar_id}/notifications/{object_id}", version=self.version
        )


NOTIFICATIONS = CalendarNotificationAdapter()
