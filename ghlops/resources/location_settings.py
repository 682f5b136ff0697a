"""Adapter for ``locationSettings`` (apps/locations.json ``/locations/{locationId}``), a
singleton written with the agency token.

GET /locations/{locationId} (Version 2021-07-28; a location token may read its own location)
answers ``{"location": #GetLocationByIdSchema}``: the business fields at the top level, again
under ``business``, and ``settings`` and ``social`` objects. PUT /locations/{locationId}
(``UpdateLocationDto``, ``companyId`` required) is ``Agency-Access`` only: a sub-account token
is refused, so the applier gives these changes the agency's API (``ctx.agency``), and a plan
that would update them without usable agency credentials is refused (``engine``).

Read: the top-level fields; where one is missing, its twin under ``business`` (the spec shows
both without saying which the PUT sets). Compared: only the fields the manifest sets, inside
``settings`` and ``social`` too. The PUT sends ``companyId`` (the location's, from the GET)
and every managed field the location has, the declared ones merged over the live ones, so it
converges whether the API applies a PUT partially or whole, and whether it merges or replaces
``settings`` and ``social``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops.errors import GhlopsError
from ghlops.models.location_settings import LocationSettings
from ghlops.resources.base import Ctx
from ghlops.resources.singleton import SingletonAdapter

VERSION = "2021-07-28"
_TOP = ("name", "phone", "address", "city", "state", "country", "postalCode", "website", "timezone")
_BUSINESS = ("name", "address", "city", "state", "country", "postalCode", "website", "timezone")
_FLAGS = (
    "allowDuplicateContact",
    "allowDuplicateOpportunity",
    "allowFacebookNameMerge",
    "disableContactTimezone",
)
_SOCIAL = (
    "facebookUrl",
    "googlePlus",
    "linkedIn",
    "foursquare",
    "twitter",
    "yelp",
    "instagram",
    "youtube",
    "pinterest",
    "blogRss",
    "googlePlacesId",
)


def _path(ctx: Ctx) -> str:
    return f"/locations/{ctx.location_id}"


class LocationSettingsAdapter(SingletonAdapter):
    kind = "locationSettings"
    singular = "location settings"
    model = LocationSettings
    version = VERSION
    agency_writes = ("update",)  # PUT /locations/{id} admits Agency-Access only
    compare_fields = (*_TOP, "settings", "social")

    def read_one(self, ctx: Ctx) -> Mapping[str, Any] | None:
        body = ctx.api.request("GET", _path(ctx), version=self.version)
        location = body.get("location") if isinstance(body, Mapping) else None
        if not isinstance(location, Mapping):
            raise TypeError(f"GET {_path(ctx)} answered no 'location' object")
        return location

    def live_fields(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        found = raw.get("business")
        business: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        fields: dict[str, Any] = {}
        for name in _TOP:
            value = raw.get(name)
            if value is None and name in _BUSINESS:
                value = business.get(name)
            if value is not None:
                fields[name] = value
        for name, known in (("settings", _FLAGS), ("social", _SOCIAL)):
            value = raw.get(name)
            if isinstance(value, Mapping):
                fields[name] = {k: value[k] for k in known if value.get(k) is not None}
        return fields

    def write(self, ctx: Ctx, fields: Mapping[str, Any], raw: Mapping[str, Any]) -> None:
        if ctx.agency is None:
            raise GhlopsError(
                f"{self.singular} are written with the agency token (PUT /locations/{{id}} "
                "takes no sub-account token), and this run has none"
            )
        company = raw.get("companyId")
        if not company:
            raise GhlopsError(
                f"GET {_path(ctx)} did not say which agency the location belongs to "
                "(companyId), which the update needs"
            )
        body = {"companyId": company, **{k: fields[k] for k in self.compare_fields if k in fields}}
        ctx.agency.request("PUT", _path(ctx), version=self.version, json=body)
