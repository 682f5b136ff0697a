"""A sub-account's own record (``apps/locations.json``): ``GET`` and ``PUT /locations/{locationId}``.

Wire shapes follow the spec: ``GetLocationByIdSuccessfulResponseDto`` (``{"location":
#GetLocationByIdSchema}``) for the GET, ``UpdateLocationDto`` for the PUT body and
``CreateLocationSuccessfulResponseDto`` for its 200 answer. The GET admits a location token (its
own location) or an agency token (a location of its company); the PUT only an agency token
(``Agency-Access``: a location token is refused with GHL's 401 ``"Token's user type
mismatch!"``).

The record lives in the store's ``locations`` table (``Sandbox.provision_location`` creates it);
what a PUT sets is kept in the record's data and wins over the provisioned name.

Decisions where the spec is silent:
- ``companyId`` (required) must be the location's agency: another answers 400.
- Top-level fields sent replace the stored ones; ``settings`` and ``social`` merge key by key
  (a key not sent keeps its value). ``business`` mirrors the business fields (name, address,
  city, state, country, postal code, website, timezone), as the GET schema shows them twice.
- ``twilio``, ``mailgun``, ``snapshot`` and ``prospectInfo`` are validated and not stored
  (secrets and one-shot actions: nothing the GET returns).
- A new location's ``settings`` are the four flags of ``SettingsSchema``, all false.
"""

from __future__ import annotations

from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import bad_request, not_found
from ghlops.sandbox.routing import RouteTable

JSON = Any

routes = RouteTable("locations")

LOCATION_NOT_FOUND = "Location not found"
_BUSINESS = ("name", "address", "city", "state", "country", "postalCode", "website", "timezone")
_TOP = (*_BUSINESS, "phone", "email")
_MERGED = ("settings", "social")
_DEFAULT_SETTINGS = {
    "allowDuplicateContact": False,
    "allowDuplicateOpportunity": False,
    "allowFacebookNameMerge": False,
    "disableContactTimezone": False,
}


def _record(ctx: RequestContext) -> dict[str, Any]:
    location_id = ctx.path_params["locationId"]  # checked against the token before the handler
    record = ctx.store.location(location_id)
    if record is None:  # pragma: no cover - an unknown location is refused (403) before
        raise not_found(LOCATION_NOT_FOUND)
    return record


def _view(record: dict[str, Any]) -> dict[str, Any]:
    """The GET view of a stored record (GetLocationByIdSchema's fields)."""
    fields = record.get("fields") or {}
    view: dict[str, Any] = {"id": record["id"], "name": fields.get("name") or record["name"]}
    if record.get("companyId"):
        view["companyId"] = record["companyId"]
    view.update({k: fields[k] for k in _TOP if k != "name" and fields.get(k) is not None})
    view["business"] = {k: view[k] for k in _BUSINESS if k in view}
    view["settings"] = {**_DEFAULT_SETTINGS, **(fields.get("settings") or {})}
    view["social"] = dict(fields.get("social") or {})
    return view


@routes.get("/locations/{locationId}")
def get_location(ctx: RequestContext) -> JSON:
    return {"location": _view(_record(ctx))}


@routes.put("/locations/{locationId}")
def update_location(ctx: RequestContext) -> JSON:
    record = _record(ctx)
    if ctx.body["companyId"] != record.get("companyId"):
        raise bad_request("companyId is not the agency of this location")
    data = {k: v for k, v in record.items() if k not in ("id", "name", "companyId")}
    fields = dict(data.get("fields") or {})
    for name in _TOP:
        if ctx.body.get(name) is not None:
            fields[name] = ctx.body[name]
    for name in _MERGED:
        if ctx.body.get(name) is not None:
            fields[name] = {**(fields.get(name) or {}), **ctx.body[name]}
    data["fields"] = fields
    ctx.store.set_location_data(record["id"], data)
    view = _view({**record, "fields": fields})
    answer = {k: view[k] for k in ("id", "companyId", *_TOP) if k in view}
    return answer
