"""docs/policy.md documents, per kind, what a policy pattern is matched against, with an example
pattern and an object it matches: every row is checked here against live objects made by the
kind's own adapter, so the table is what ghlops does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ghlops.plan.policy import Policy
from ghlops.resources import registry
from ghlops.resources.base import LiveItem
from ghlops.resources.calendar_notifications import CALENDAR
from ghlops.resources.custom_object_fields import OBJECT
from ghlops.resources.prices import PRODUCT
from ghlops.resources.shipping_rates import ZONE

DOC = Path(__file__).parents[2] / "docs" / "policy.md"
ROW = re.compile(r"^\| `(\w+)` \| [^|]+ \| `([^`]+)` \| (.+) \|$")
TICKED = re.compile(r"`([^`]+)`")


def rows() -> list[tuple[str, str, str, str | None]]:
    """(kind, pattern, name, parent name) of each row of the per-kind table."""
    found = []
    for line in DOC.read_text().splitlines():
        match = ROW.match(line)
        if match:
            kind, pattern, example = match.groups()
            names = TICKED.findall(example)
            found.append((kind, pattern, names[0], names[1] if len(names) > 1 else None))
    return found


def live(kind: str, name: str, parent: str | None = None) -> LiveItem:
    """A live object of ``kind`` called ``name`` (in a parent called ``parent``), as the kind's
    adapter maps it from an API answer."""
    adapter = registry.get(kind)
    raw: dict[str, Any] = {"id": "o1", "_id": "o1", "name": name}
    if kind == "customFields":
        raw.update(model="contact", dataType="TEXT", fieldKey="contact.x")
    elif kind == "customValues":
        raw.update(value="v")
    elif kind == "productCollections":
        raw.update(slug="a-slug")
    elif kind in ("calendarGroups", "calendars"):
        raw.update(slug="a-slug", description="")
    elif kind == "calendarResources":
        raw.update(resourceType="rooms", description="d", isActive=True, calendarIds=[])
    elif kind == "redirects":
        domain, _, path = name.partition("/")
        raw.update(domain=domain, path=f"/{path}", target="https://x.example", action="url")
    elif kind == "customMenuLinks":
        raw.update(title=name, url="https://x.example", icon={"name": "a", "fontFamily": "fas"})
    elif kind == "associations":
        raw.update(key=name, firstObjectKey="contact", secondObjectKey="contact")
    elif kind == "customObjects":
        raw.update(key=name, labels={"singular": name, "plural": name})
    elif kind in ("customObjectFolders", "customObjectFields"):
        raw.update(fieldKey=f"custom_objects.x.{name.lower().replace(' ', '_')}", dataType="TEXT")
        raw[OBJECT] = live("customObjects", parent or "?")
    elif kind == "calendarNotifications":
        kind_, receiver, channel = [*name.split("/"), "x", "x"][:3]
        raw.update(notificationType=kind_, receiverType=receiver, channel=channel)
        raw[CALENDAR] = live("calendars", parent or "?")
    elif kind == "coupons":
        raw.update(code=name, discountType="amount", discountValue=1, startDate="2026-01-01")
    elif kind == "prices":
        raw[PRODUCT] = live("products", parent or "?")
    elif kind == "shippingRates":
        raw[ZONE] = live("shippingZones", parent or "?")
    return adapter.live_item(raw)


def test_every_kind_has_a_row() -> None:
    assert sorted(kind for kind, *_ in rows()) == sorted(registry.kinds())


@pytest.mark.parametrize(("kind", "pattern", "name", "parent"), rows(), ids=lambda v: str(v))
def test_the_documented_pattern_matches_the_documented_object(
    kind: str, pattern: str, name: str, parent: str | None
) -> None:
    policy = Policy(ignore={kind: (pattern,)}, protect={kind: (pattern,)})
    item = live(kind, name, parent)
    assert policy.ignored_by(item.ident) == pattern
    assert policy.protects(item.ident)
    if not registry.get(kind).singleton:  # a singleton kind has no other object
        other = live(kind, "zz-unrelated/zz" if kind == "redirects" else "zz-unrelated", "zz-other")
        assert not policy.ignores(other.ident)
    assert not Policy(ignore={"tags" if kind != "tags" else "products": (pattern,)}).ignores(
        item.ident
    )  # a pattern applies to its own kind only


def test_nested_kinds_match_parent_slash_child_and_the_child_alone() -> None:
    price = live("prices", "Lifetime access", "Course")
    assert price.ident.glob_targets() == ("Course/Lifetime access", "Lifetime access")
    assert Policy(ignore={"prices": ("Lifetime*",)}).ignores(price.ident)
    assert not Policy(ignore={"prices": ("Other/*",)}).ignores(price.ident)
