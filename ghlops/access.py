"""What each kind's calls need from a token (scopes, token class), and the one-line fix for each
way GHL refuses a token.

Scopes come from the spec's ``security`` entries of the calls each adapter makes (API notes 0.2;
``tests/unit/test_access.py`` checks this table against the vendored spec). GHL tells the causes
of a 401/403 apart only by the message (:class:`~ghlops.client.errors.AuthCause`); each cause
has its own fix, which names the token's variable and, for a missing scope, the scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ghlops.client.errors import ApiError, AuthCause


@dataclass(frozen=True)
class KindAccess:
    """The scopes one kind needs: ``read`` to plan it, ``write`` to apply it. ``extra_read``
    are read only when the manifests need them (users for calendar team members, collections
    for product references)."""

    read: tuple[str, ...]
    write: tuple[str, ...]
    extra_read: tuple[str, ...] = ()


ACCESS: dict[str, KindAccess] = {
    "tags": KindAccess(("locations/tags.readonly",), ("locations/tags.write",)),
    "customFields": KindAccess(
        ("locations/customFields.readonly",), ("locations/customFields.write",)
    ),
    "customValues": KindAccess(
        ("locations/customValues.readonly",), ("locations/customValues.write",)
    ),
    "calendarGroups": KindAccess(("calendars/groups.readonly",), ("calendars/groups.write",)),
    "calendars": KindAccess(("calendars.readonly",), ("calendars.write",), ("users.readonly",)),
    "calendarNotifications": KindAccess(
        ("calendars/events.readonly",), ("calendars/events.write",), ("users.readonly",)
    ),
    "calendarResources": KindAccess(
        ("calendars/resources.readonly",), ("calendars/resources.write",)
    ),
    # writes are opt-in (policy.pipelines: write); GHL's post-snapshot docs name these scopes
    "pipelines": KindAccess(("opportunities.readonly",), ("pipelines.create", "pipelines.write")),
    "products": KindAccess(
        ("products.readonly",), ("products.write",), ("products/collection.readonly",)
    ),
    "prices": KindAccess(("products/prices.readonly",), ("products/prices.write",)),
    "coupons": KindAccess(
        ("payments/coupons.readonly",), ("payments/coupons.write",), ("products.readonly",)
    ),
    "productCollections": KindAccess(
        ("products/collection.readonly",), ("products/collection.write",)
    ),
    "redirects": KindAccess(("funnels/redirect.readonly",), ("funnels/redirect.write",)),
    "triggerLinks": KindAccess(("links.readonly",), ("links.write",)),
    # apps/store.json declares Location-Access with an empty scope list: no scope is documented
    "shippingCarriers": KindAccess((), ()),
    "shippingZones": KindAccess((), ()),
    "shippingRates": KindAccess((), ()),
    "storeSettings": KindAccess((), ()),
    # read with the location's token; PUT /locations/{id} takes only an agency token
    "locationSettings": KindAccess(("locations.readonly",), ("locations.write",)),
    "customMenuLinks": KindAccess(("custom-menu-link.readonly",), ("custom-menu-link.write",)),
    # creating an object takes the agency's token (POST /objects/ is Agency-Access)
    "customObjects": KindAccess(("objects/schema.readonly",), ("objects/schema.write",)),
    # the Custom Fields V2 API declares the location custom-field scopes
    "customObjectFolders": KindAccess(
        ("locations/customFields.readonly",), ("locations/customFields.write",)
    ),
    "customObjectFields": KindAccess(
        ("locations/customFields.readonly",), ("locations/customFields.write",)
    ),
    "associations": KindAccess(("associations.readonly",), ("associations.write",)),
}

# path -> the scope family of its calls (".readonly" for GET, ".write" otherwise)
_FAMILIES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), family)
    for pattern, family in (
        (r"^/locations/[^/]+/tags(/|$)", "locations/tags"),
        (r"^/locations/[^/]+/customFields(/|$)", "locations/customFields"),
        (r"^/locations/[^/]+/customValues(/|$)", "locations/customValues"),
        (r"^/calendars/groups(/|$)", "calendars/groups"),
        (r"^/calendars/resources(/|$)", "calendars/resources"),
        (r"^/calendars/[^/]+/notifications(/|$)", "calendars/events"),
        (r"^/calendars(/|$)", "calendars"),
        (r"^/users(/|$)", "users"),
        (r"^/products/collections(/|$)", "products/collection"),
        (r"^/products/[^/]+/price(/|$)", "products/prices"),
        (r"^/products(/|$)", "products"),
        (r"^/funnels/lookup/redirect(/|$)", "funnels/redirect"),
        (r"^/links(/|$)", "links"),
        (r"^/payments/coupon(/|$)", "payments/coupons"),
        (r"^/custom-menus(/|$)", "custom-menu-link"),
        (r"^/objects(/|$)", "objects/schema"),
        (r"^/associations/relations(/|$)", "associations/relation"),
        (r"^/associations(/|$)", "associations"),
        (r"^/custom-fields(/|$)", "locations/customFields"),
        (r"^/locations/[^/]+/?$", "locations"),
    )
)


def scope_for(method: str, path: str) -> str | None:
    """The scope a call needs (``GET /locations/x/tags`` → ``locations/tags.readonly``), or None
    when the spec names none (store) or the path is not one ghlops calls."""
    if path.startswith("/opportunities/pipelines"):
        if method == "GET":
            return "opportunities.readonly"
        return "pipelines.create" if method == "POST" else "pipelines.write"
    for pattern, family in _FAMILIES:
        if pattern.search(path):
            return f"{family}.readonly" if method == "GET" else f"{family}.write"
    return None


def fix_for(
    error: ApiError,
    *,
    token_env: str | None,
    agency: bool = False,
    location_id: str | None = None,
) -> str | None:
    """The one-line fix for a refused token (401/403), or None for other errors.

    Args:
        error: The failed call.
        token_env: The variable the token came from (None: obtained through agency OAuth).
        agency: The call was made with the agency's token (else a location's).
        location_id: The location the call was for.
    """
    cause = error.auth_cause
    if cause is None:
        return None
    where = f"${token_env}" if token_env else "the token ghlops got through agency.oauth"
    whose = "the agency's" if agency else f"location {location_id}'s" if location_id else "its"
    if cause is AuthCause.SCOPE:
        scope = scope_for(error.method, error.path)
        what = f"the scope {scope}" if scope else "the scope this call needs"
        return (
            f"add {what} to the token in {where} (Private Integration or app scopes), "
            "then use the new token"
        )
    if cause is AuthCause.USER_TYPE:
        if agency:
            return (
                f"{where} holds a sub-account token; agency calls need an agency token (an "
                "agency Private Integration token)"
            )
        return (
            f"{where} holds an agency token; sub-account calls need {whose} own token (a "
            "sub-account Private Integration token)"
        )
    if cause is AuthCause.AUTH_CLASS:
        return (
            f"this call does not take the class of token in {where} (e.g. a company OAuth "
            "token): use a Private Integration token of the right account, or set "
            "agency.oauth so ghlops exchanges it for location tokens"
        )
    if cause is AuthCause.LOCATION:
        return f"the token in {where} is not for this location: put {whose} token in {where}"
    if cause is AuthCause.INVALID:
        return (
            f"the token in {where} is revoked, expired or not a GHL token: create a new one "
            f"(Settings > Private Integrations) and put it in {where}"
        )
    return f"the token in {where} may not make this call: check what it was granted"
