"""The location's users, for kinds that name users by email (calendar team members, the users a
calendar notification goes to): apps/users.json ``GET /users/?locationId=`` (not paginated)."""

from __future__ import annotations

from ghlops.resources.base import Ctx

USERS = "/users/"
USERS_VERSION = "2021-07-28"  # apps/users.json


def is_email(user: str) -> bool:
    """A user named by email (else by id, or a keyword)."""
    return "@" in user


def users_by_email(ctx: Ctx) -> dict[str, str]:
    """The location's users: lower-cased email -> user id (one call; deleted users left out)."""
    body = ctx.api.request(
        "GET", USERS, version=USERS_VERSION, params={"locationId": ctx.location_id}
    )
    users: dict[str, str] = {}
    for user in body["users"]:
        if user.get("email") and user.get("id") and not user.get("deleted"):
            users.setdefault(str(user["email"]).strip().lower(), str(user["id"]))
    return users
