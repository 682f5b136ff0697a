"""Users of a sub-account, read-only (``apps/users.json``, Version 2021-07-28).

Users are made in the GHL UI (or with an agency token), never with a location token, so the
sandbox only reads them; tests and ``ghlops sandbox seed`` store them with the ``users`` seeder.
Emulated: ``GET /users/?locationId=`` (deprecated in the spec in favour of search, but the one a
location token can use without knowing its agency's companyId; no pagination),
``GET /users/search`` (``skip``/``limit`` as strings, default 0/25, with ``count``) and
``GET /users/{userId}`` (the bare user, ``#UserSuccessfulResponseDto``). A sandbox user belongs to
exactly one location; deleted users (``deleted: true``) are not listed.
"""

from __future__ import annotations

from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import not_found
from ghlops.sandbox.ids import firestore_id
from ghlops.sandbox.routing import RouteTable
from ghlops.sandbox.store import Store

JSON = Any

routes = RouteTable("users")
routes.kind("users", schema="UserSchema")

USER_NOT_FOUND = "User not found"
SEARCH_DEFAULT_LIMIT = 25  # /users/search `limit` default ("25")


@routes.seeder("users")
def seed_user(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A user of ``location_id``, as made in the GHL UI.

    ``fields``: ``email`` (required, unique in the location, any case); optional ``id``,
    ``firstName``, ``lastName``, ``name`` (default: first and last name), ``phone``, ``role``
    (default ``"user"``), ``type`` (default ``"account"``), ``deleted`` (default false) and
    ``permissions``.

    Raises:
        ValueError: no email, an email the location already has, or an id already taken.
    """
    email = fields.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise ValueError("a user needs an email")
    for other in store.list(location_id, "users"):
        if str(other.data.get("email", "")).casefold() == email.casefold():
            raise ValueError(f"location {location_id} already has a user with email {email!r}")
    user_id = str(fields.get("id") or firestore_id())
    if store.get("users", user_id) is not None:
        raise ValueError(f"user id {user_id!r} is already taken")
    first = str(fields.get("firstName") or "")
    last = str(fields.get("lastName") or "")
    user: dict[str, Any] = {
        "id": user_id,
        "name": str(fields.get("name") or f"{first} {last}".strip() or email.split("@")[0]),
        "firstName": first,
        "lastName": last,
        "email": email,
        "phone": str(fields.get("phone") or ""),
        "extension": "",
        "roles": {
            "type": str(fields.get("type") or "account"),
            "role": str(fields.get("role") or "user"),
            "locationIds": [location_id],
            "restrictSubAccount": False,
        },
        "deleted": fields.get("deleted") is True,
    }
    if isinstance(fields.get("permissions"), dict):
        user["permissions"] = fields["permissions"]
    store.insert(location_id, "users", user_id, user)
    return user_id


def _users(ctx: RequestContext, location_id: str) -> list[dict[str, Any]]:
    return [
        o.data for o in ctx.store.list(location_id, "users") if o.data.get("deleted") is not True
    ]


@routes.get("/users/")
def list_users(ctx: RequestContext) -> JSON:
    return {"users": [ctx.render("users", u) for u in _users(ctx, ctx.location_id)]}


@routes.get("/users/search")
def search_users(ctx: RequestContext) -> JSON:
    location_id = ctx.location_id
    record = ctx.store.location(location_id) or {}
    company = record.get("companyId")
    users = _users(ctx, location_id) if not company or company == ctx.query["companyId"] else []
    text = ctx.query.get("query", "").casefold()
    if text:
        users = [
            u
            for u in users
            if any(text in str(u.get(k, "")).casefold() for k in ("name", "email", "phone"))
        ]
    if ctx.query.get("ids"):
        wanted = {i.strip() for i in ctx.query["ids"].split(",")}
        users = [u for u in users if u["id"] in wanted]
    if ctx.query.get("role"):
        users = [u for u in users if u["roles"].get("role") == ctx.query["role"]]
    if ctx.query.get("type"):
        users = [u for u in users if u["roles"].get("type") == ctx.query["type"]]
    sort = ctx.query.get("sort")
    reverse = ctx.query.get("sortDirection", "asc").lower() == "desc"
    if sort:
        users = sorted(users, key=lambda u: str(u.get(sort, "")), reverse=reverse)
    else:  # "Default is based on the first and last name"
        users = sorted(
            users,
            key=lambda u: (u["firstName"].casefold(), u["lastName"].casefold()),
            reverse=reverse,
        )
    skip = ctx.count_param("skip", 0)
    limit = ctx.count_param("limit", SEARCH_DEFAULT_LIMIT)
    page = users[skip : skip + limit]
    return {"users": [ctx.render("users", u) for u in page], "count": len(users)}


@routes.get("/users/{userId}")
def get_user(ctx: RequestContext) -> JSON:
    user = ctx.owned("users", ctx.path_params["userId"], USER_NOT_FOUND).data
    if user.get("deleted") is True:
        raise not_found(USER_NOT_FOUND)
    # #UserSuccessfulResponseDto is the bare user, without `deleted`
    return {k: v for k, v in ctx.render("users", user).items() if k != "deleted"}
