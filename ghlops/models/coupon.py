"""Manifest model for ``coupons`` (apps/payments.json ``/payments/coupon``).

Field names are the API's (``CreateCouponParams``), except ``products``: the products the coupon
applies to, by slug (or name), where the API takes ``productIds``. Dates may be written as YAML
timestamps or strings; they are kept as ``YYYY-MM-DDTHH:mm:ss.sssZ`` (UTC), the form GHL answers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from ghlops.models.base import ManagedSpec, ResourceSpec

WRITE_ONLY = (
    "Write-only in the spec: sent to GHL, compared only when GHL returns it (the spec's "
    "answers lack it). "
)


def iso_instant(value: Any) -> Any:
    """A date or date-time as ``YYYY-MM-DDTHH:mm:ss.sssZ`` in UTC: a YAML timestamp, an ISO
    string with a time zone, or a bare date (midnight UTC). Anything else is returned unchanged
    (for the string check to refuse it). Raises ValueError for a time without a time zone."""
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed: date = (
                datetime.fromisoformat(text)
                if "T" in text or " " in text
                else date.fromisoformat(text)
            )
        except ValueError:
            raise ValueError(
                f"{value!r} is not a date: write e.g. 2026-01-31T23:59:00Z or 2026-01-31"
            ) from None
        value = parsed
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(
                f"{value.isoformat()} has no time zone: add Z (UTC) or an offset like +02:00"
            )
        instant = value.astimezone(UTC)
        return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00.000Z"
    return value


Instant = Annotated[str, BeforeValidator(iso_instant)]


class FuturePayments(ResourceSpec):
    """How long a coupon keeps discounting a subscription's later payments
    (#ApplyToFuturePaymentsConfig)."""

    type: Literal["forever", "fixed"] = Field(
        description="forever: every later payment; fixed: for `duration` months"
    )
    duration: int | None = Field(
        default=None, ge=1, description="Months the discount lasts (fixed only)"
    )
    durationType: Literal["months"] | None = Field(
        default=None, description="Unit of duration; GHL knows only months (the default)"
    )

    @model_validator(mode="after")
    def _duration_matches_type(self) -> FuturePayments:
        if self.type == "fixed" and self.duration is None:
            raise ValueError("a fixed applyToFuturePaymentsConfig needs 'duration' (months)")
        if self.type == "forever" and (self.duration is not None or self.durationType):
            raise ValueError("a forever applyToFuturePaymentsConfig takes no duration")
        return self


class Coupon(ManagedSpec):
    """A coupon of the location's payments, matched by its ``code``."""

    name: str = Field(min_length=1, description="Coupon name, e.g. New Year Sale")
    code: str = Field(
        pattern=r"^\S+$",
        description="Redemption code, e.g. NEWYEAR10; the coupon's identity in the location",
    )
    discountType: Literal["percentage", "amount"] = Field(
        description="percentage (of the price) or amount (in the location's currency)"
    )
    discountValue: float = Field(gt=0, description="Percent (at most 100) or amount off")
    startDate: Instant = Field(
        description="When the coupon becomes usable: 2026-01-01T00:00:00Z, or a date (midnight UTC)"
    )
    endDate: Instant | None = Field(default=None, description="When the coupon expires")
    usageLimit: int | None = Field(
        default=None, ge=1, description=WRITE_ONLY + "How many times it can be used in all"
    )
    products: list[str] | None = Field(
        default=None,
        description=WRITE_ONLY + "Products it applies to, by slug (or name when the product has "
        "no slug): declared in `products` or made in GHL; order ignored. Not set: all products",
    )
    applyToFuturePayments: bool | None = Field(
        default=None, description="Also discount a subscription's later payments (GHL: true)"
    )
    applyToFuturePaymentsConfig: FuturePayments | None = Field(
        default=None, description="For how long later payments are discounted (GHL: forever)"
    )
    limitPerCustomer: bool | None = Field(
        default=None, description="Each customer may redeem it only once (GHL: false)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Coupon:
        if self.discountType == "percentage" and self.discountValue > 100:
            raise ValueError("a percentage discountValue is at most 100")
        if self.endDate is not None and self.endDate <= self.startDate:
            raise ValueError("endDate must be after startDate")
        return self
