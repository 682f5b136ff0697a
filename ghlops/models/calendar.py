"""Manifest models for ``calendarGroups`` and ``calendars`` (apps/calendars.json, 2021-04-15).

Field names are GHL's own (``#GroupCreateDTO``, ``#CalendarCreateDTO``), misspellings included
(``appoinmentPerSlot``). Two fields are ghlops' own, because manifests never hold ids:

* ``group``: the calendar group's ``slug`` (sent as ``groupId``);
* ``teamMembers[].user``: a user's email or id in the location (sent as ``userId``).

``notifications`` holds the calendar's notifications (``calendarNotifications``, managed through
the Calendar Notifications API), not the calendar body's deprecated ``notifications`` field.

Left out of the calendar model on purpose: ``meetingLocation`` and
``teamMembers[].meetingLocationType``/``meetingLocation`` (deprecated in the spec),
``availabilities`` (date-specific overrides whose update needs their server-side ids: operational
data, not configuration) and ``locationId`` (the location comes from ghlops.yaml).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ghlops.models.base import ManagedSpec, ResourceSpec
from ghlops.models.calendar_notification import CalendarNotification

CalendarType = Literal[
    "round_robin", "event", "class_booking", "collective", "service_booking", "personal"
]
EventType = Literal["RoundRobin_OptimizeForAvailability", "RoundRobin_OptimizeForEqualDistribution"]
MeetingLocationKind = Literal[
    "custom",
    "zoom_conference",
    "google_conference",
    "inbound_call",
    "outbound_call",
    "physical",
    "booker",
    "ms_teams_conference",
]
DurationUnit = Literal["mins", "hours"]


class CalendarGroup(ManagedSpec):
    """A calendar group, matched by its ``slug``. A group's calendars name it by that slug."""

    name: str = Field(min_length=1, description="Group name")
    slug: str = Field(
        min_length=1,
        description="Unique per location; the group's identity in ghlops (calendars refer to it)",
    )
    description: str = Field(
        min_length=1, description="Required (non-empty) by the API on create and update"
    )
    isActive: bool | None = Field(
        default=None,
        description="Enabled or disabled (set through PUT /calendars/groups/{id}/status)",
    )


class LocationConfiguration(ResourceSpec):
    """Where a meeting takes place (``#LocationConfiguration``)."""

    kind: MeetingLocationKind = Field(description="Type of meeting location")
    location: str | None = Field(
        default=None,
        description="Address, phone number or URL; not applicable to zoom/google/ms_teams kinds",
    )


class TeamMember(ResourceSpec):
    """A user of the location who takes bookings of this calendar (``#TeamMember``)."""

    user: str = Field(
        min_length=1,
        description="The user's email (looked up in the location's users) or user id",
    )
    priority: int | float = Field(
        default=0.5,
        description="Round-robin priority: 0 low, 0.5 medium, 1 high",
        json_schema_extra={"enum": [0, 0.5, 1]},
    )
    isPrimary: bool = Field(
        default=False,
        description="The primary member; required by collective calendars, at most one",
    )
    locationConfigurations: list[LocationConfiguration] | None = Field(
        default=None, description="This member's meeting locations"
    )

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, value: Any) -> Any:
        if isinstance(value, bool) or value not in (0, 0.5, 1):
            raise ValueError("priority must be 0, 0.5 or 1")
        return value


class Hour(ResourceSpec):
    openHour: int = Field(ge=0, le=23)
    openMinute: int = Field(ge=0, le=60)
    closeHour: int = Field(ge=0, le=23)
    closeMinute: int = Field(ge=0, le=60)


class OpenHour(ResourceSpec):
    """Weekly availability: the hours of some days of the week (0 = Sunday)."""

    daysOfTheWeek: list[int] = Field(description="Days 0-6 (0 = Sunday)")
    hours: list[Hour]

    @field_validator("daysOfTheWeek")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if any(day < 0 or day > 6 for day in value):
            raise ValueError("days of the week are 0 to 6")
        return value


class Recurring(ResourceSpec):
    freq: Literal["DAILY", "WEEKLY", "MONTHLY"] | None = None
    count: int | None = Field(default=None, ge=1, le=24, description="Number of recurrences")
    bookingOption: Literal["skip", "continue", "book_next"] | None = Field(
        default=None, description="What to do when a recurring slot is unavailable"
    )
    bookingOverlapDefaultStatus: Literal["confirmed", "new"] | None = None


class LookBusyConfig(ResourceSpec):
    enabled: bool = Field(description="Hide some free slots")
    LookBusyPercentage: int = Field(ge=0, le=100, description="Percentage of slots hidden")


class Calendar(ManagedSpec):
    """A calendar, matched by ``slug`` when it has one, else by ``name``.

    ``calendarType`` and ``slotBufferUnit`` cannot change after creation (the update body lacks
    them): changing either replaces the calendar, which loses its appointments' link to it.
    """

    name: str = Field(min_length=1, description="Calendar name")
    description: str | None = None
    slug: str | None = Field(
        default=None, min_length=1, description="Booking URL slug; the identity when given"
    )
    widgetSlug: str | None = Field(default=None, min_length=1)
    calendarType: CalendarType | None = Field(
        default=None, description="Cannot change after creation (a change replaces the calendar)"
    )
    group: str | None = Field(
        default=None,
        min_length=1,
        description="The slug of a calendar group declared in calendarGroups",
    )
    teamMembers: list[TeamMember] | None = Field(
        default=None,
        description="Required for round_robin, collective, class_booking and service_booking; "
        "personal calendars have exactly one",
    )
    eventType: EventType | None = Field(
        default=None, description="Round-robin strategy (API default: optimise for availability)"
    )
    widgetType: Literal["default", "classic"] | None = Field(
        default=None, description='"default" is the neo layout; API default "classic"'
    )
    eventTitle: str | None = Field(default=None, description='API default "{{contact.name}}"')
    eventColor: str | None = Field(default=None, description='API default "#039be5"')
    locationConfigurations: list[LocationConfiguration] | None = Field(
        default=None, description="Meeting locations (event calendars)"
    )
    slotDuration: int | None = Field(default=None, ge=1, description="Meeting length (default 30)")
    slotDurationUnit: DurationUnit | None = None
    slotInterval: int | None = Field(
        default=None, ge=1, description="Time between offered slots (default 30)"
    )
    slotIntervalUnit: DurationUnit | None = None
    slotBuffer: int | None = Field(default=None, ge=0, description="Time added after a meeting")
    slotBufferUnit: DurationUnit | None = Field(
        default=None, description="Cannot change after creation (not in the update body)"
    )
    preBuffer: int | None = Field(default=None, ge=0, description="Time added before a meeting")
    preBufferUnit: DurationUnit | None = None
    appoinmentPerSlot: int | None = Field(
        default=None, ge=1, description="(sic) Bookings per slot per user, or seats (default 1)"
    )
    appoinmentPerDay: int | None = Field(default=None, ge=0, description="(sic) Bookings per day")
    allowBookingAfter: int | None = Field(
        default=None, ge=0, description="Minimum scheduling notice"
    )
    allowBookingAfterUnit: Literal["hours", "days", "weeks", "months"] | None = None
    allowBookingFor: int | None = Field(
        default=None, ge=0, description="How far ahead bookings are allowed"
    )
    allowBookingForUnit: Literal["days", "weeks", "months"] | None = None
    openHours: list[OpenHour] | None = Field(default=None, description="Standard availability")
    availabilityType: Literal[0, 1] | None = Field(
        default=None, description="1: only custom availabilities; 0: only open hours"
    )
    enableRecurring: bool | None = Field(default=None, description="API default false")
    recurring: Recurring | None = None
    lookBusyConfig: LookBusyConfig | None = None
    formId: str | None = None
    formSubmitType: Literal["RedirectURL", "ThankYouMessage"] | None = Field(
        default=None, description='API default "ThankYouMessage"'
    )
    formSubmitRedirectURL: str | None = None
    formSubmitThanksMessage: str | None = None
    stickyContact: bool | None = None
    isLivePaymentMode: bool | None = None
    autoConfirm: bool | None = Field(default=None, description="API default true")
    shouldSendAlertEmailsToAssignedMember: bool | None = None
    alertEmail: str | None = None
    googleInvitationEmails: bool | None = Field(default=None, description="API default false")
    allowReschedule: bool | None = Field(default=None, description="API default true")
    allowCancellation: bool | None = Field(default=None, description="API default true")
    shouldAssignContactToTeamMember: bool | None = None
    shouldSkipAssigningContactForExisting: bool | None = None
    notes: str | None = None
    pixelId: str | None = None
    guestType: Literal["count_only", "collect_detail"] | None = None
    consentLabel: str | None = None
    calendarCoverImage: str | None = None
    isActive: bool | None = Field(default=None, description="Active, or draft (API default true)")
    notifications: list[CalendarNotification] | None = Field(
        default=None,
        description="The calendar's notifications, matched by notificationType + receiverType "
        "+ channel (managed through GHL's Calendar Notifications API)",
    )

    @model_validator(mode="after")
    def _unique_notifications(self) -> Calendar:
        seen: set[tuple[str, str, str]] = set()
        for notification in self.notifications or ():
            if notification.triple() in seen:
                raise ValueError(
                    "two notifications are {} to {} by {}".format(*notification.triple())
                )
            seen.add(notification.triple())
        return self

    @field_validator("availabilityType", mode="before")
    @classmethod
    def _no_booleans(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("availabilityType must be 0 or 1, not a boolean")
        return value
