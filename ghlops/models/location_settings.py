"""Manifest model for ``locationSettings`` (apps/locations.json ``PUT /locations/{locationId}``):
the location's own business details and settings, a singleton written with the agency token.

Every field is optional: only what the manifest sets is compared and written. Twilio and
Mailgun credentials, snapshots and prospect details (also in ``UpdateLocationDto``) are not
configuration ghlops manages: secrets and one-shot actions.
"""

from __future__ import annotations

from pydantic import Field

from ghlops.models.base import ResourceSpec


class LocationFlags(ResourceSpec):
    """The location's default settings (#SettingsSchema)."""

    allowDuplicateContact: bool | None = Field(default=None, description="Allow duplicate contacts")
    allowDuplicateOpportunity: bool | None = Field(
        default=None, description="Allow duplicate opportunities"
    )
    allowFacebookNameMerge: bool | None = Field(
        default=None, description="Merge Facebook names into contacts"
    )
    disableContactTimezone: bool | None = Field(
        default=None, description="Do not use contacts' own time zones"
    )


class SocialLinks(ResourceSpec):
    """The location's social media links (#SocialSchema)."""

    facebookUrl: str | None = Field(default=None, description="Facebook URL")
    googlePlus: str | None = Field(default=None, description="Google+ URL")
    linkedIn: str | None = Field(default=None, description="LinkedIn URL")
    foursquare: str | None = Field(default=None, description="Foursquare URL")
    twitter: str | None = Field(default=None, description="Twitter URL")
    yelp: str | None = Field(default=None, description="Yelp URL")
    instagram: str | None = Field(default=None, description="Instagram URL")
    youtube: str | None = Field(default=None, description="YouTube URL")
    pinterest: str | None = Field(default=None, description="Pinterest URL")
    blogRss: str | None = Field(default=None, description="Blog RSS URL")
    googlePlacesId: str | None = Field(default=None, description="Google Business Places ID")


class LocationSettings(ResourceSpec):
    """The location's business details and settings: one per location, declared as a mapping
    (``locationSettings: {name: ..., timezone: ...}``), only ever updated, written with the
    agency token (read with the location's); the fields set here are managed, the others keep
    their live values."""

    name: str | None = Field(default=None, min_length=1, description="The sub-account's name")
    phone: str | None = Field(default=None, description="The business phone number")
    address: str | None = Field(default=None, description="Street address")
    city: str | None = Field(default=None, description="City")
    state: str | None = Field(default=None, description="State, e.g. Illinois")
    country: str | None = Field(
        default=None, pattern=r"^[A-Z]{2}$", description="Country code, e.g. US"
    )
    postalCode: str | None = Field(default=None, description="Postal code (quote it: text)")
    website: str | None = Field(default=None, description="Website, e.g. https://example.com")
    timezone: str | None = Field(
        default=None, min_length=1, description="Time zone, e.g. America/Chicago"
    )
    settings: LocationFlags | None = Field(
        default=None, description="Default settings (only the flags set are managed)"
    )
    social: SocialLinks | None = Field(
        default=None, description="Social media links (only the links set are managed)"
    )
