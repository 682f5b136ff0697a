"""Manifest model for ``calendarNotifications``, nested in calendars as ``notifications:``
(apps/calendars.json ``/calendars/{calendarId}/notifications``, ``CreateCalendarNotificationDTO``).

A notification is identified within its calendar by what it is about, whom it goes to and how:
``notificationType`` + ``receiverType`` + ``channel``. ``selectedUsers`` names users by email (or
id, or GHL's keyword ``sub_account_admin``), never by ids that differ per location.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ghlops.models.base import ResourceSpec

NotificationType = Literal[
    "booked", "confirmation", "cancellation", "reminder", "followup", "reschedule"
]
ReceiverType = Literal["contact", "guest", "assignedUser", "emails", "phoneNumbers", "business"]
Channel = Literal["email", "inApp", "sms", "whatsapp"]
WRITE_ONLY = "Write-only: sent to GHL, never read back, so never compared. "


class NotificationSchedule(ResourceSpec):
    """When a reminder or follow-up goes out, relative to the appointment (#SchedulesDTO)."""

    timeOffset: float = Field(ge=0, description="How many units before or after, e.g. 24")
    unit: str = Field(min_length=1, description="The unit of timeOffset, e.g. hours or days")


class CalendarNotification(ResourceSpec):
    """One notification of a calendar, matched within it by notificationType + receiverType +
    channel (at most one of each in a calendar)."""

    notificationType: NotificationType = Field(
        description="booked, confirmation, cancellation, reminder, followup or reschedule"
    )
    receiverType: ReceiverType = Field(
        description="Who receives it: contact, guest, assignedUser, emails, phoneNumbers or "
        "business"
    )
    channel: Channel = Field(description="email, inApp, sms or whatsapp")
    isActive: bool | None = Field(default=None, description="Whether it is sent (GHL: true)")
    templateId: str | None = Field(default=None, description="Email template id")
    subject: str | None = Field(default=None, description="Email subject")
    body: str | None = Field(default=None, description="Message body")
    beforeTime: list[NotificationSchedule] | None = Field(
        default=None, description="Reminders: when before the appointment (order ignored)"
    )
    afterTime: list[NotificationSchedule] | None = Field(
        default=None, description="Follow-ups: when after the appointment (order ignored)"
    )
    additionalEmailIds: list[str] | None = Field(
        default=None, description="More email addresses that receive it (order ignored)"
    )
    additionalPhoneNumbers: list[str] | None = Field(
        default=None, description="More phone numbers that receive it (order ignored)"
    )
    selectedUsers: list[str] | None = Field(
        default=None,
        description="Users who receive in-app and business emails: user emails (or ids), or "
        "sub_account_admin (order ignored)",
    )
    fromAddress: str | None = Field(default=None, description=WRITE_ONLY + "Email sender")
    fromName: str | None = Field(default=None, description=WRITE_ONLY + "Sender name")
    fromNumber: str | None = Field(default=None, description=WRITE_ONLY + "SMS sender number")
    protect: bool = Field(
        default=False,
        exclude=True,
        description="ghlops: refuse any plan that would delete or replace this notification",
    )

    def triple(self) -> tuple[str, str, str]:
        """What identifies it within its calendar."""
        return (self.notificationType, self.receiverType, self.channel)
