"""plan_singleton on its own: what a singleton kind's plan holds in every case (no live object
yet, unchanged, changed, unsendable), hooks included, exactly."""

from __future__ import annotations

from typing import Any, ClassVar

from ghlops.errors import SourcePos
from ghlops.plan.changes import Action
from ghlops.plan.planner import plan_singleton
from ghlops.resources.base import DesiredItem, LiveItem
from ghlops.resources.store_settings import StoreSettingsAdapter

KEY = "store settings"
MATCH = ("singleton:storeSettings",)
ORIGIN = {"name": "Shop", "country": "US", "city": "Springfield"}


class Hooked(StoreSettingsAdapter):
    """The store settings adapter with hooks that say what they were given."""

    blocked: ClassVar[tuple[str, ...]] = ()

    def update_reasons(self, desired: DesiredItem, live: LiveItem) -> tuple[str, ...]:
        return (f"update {desired.key} over {live.id or '(none)'}",)

    def write_only_reasons(self, item: DesiredItem, *, changed: bool) -> tuple[str, ...]:
        return (f"write-only of {item.key}, changed={changed!r}",)

    def unsendable_reasons(self, desired: DesiredItem, live: LiveItem) -> tuple[str, ...]:
        return self.blocked


def want(**fields: Any) -> DesiredItem:
    return DesiredItem("storeSettings", KEY, fields, MATCH, source=SourcePos("b.yaml", 3))


def live(location: str = "Loc1", **fields: Any) -> LiveItem:
    return LiveItem("storeSettings", KEY, location, fields, MATCH)


def test_undeclared_it_is_left_alone() -> None:
    plan = plan_singleton(Hooked(), [], [live(shippingOrigin=ORIGIN)])
    assert (plan.changes, plan.bindings, plan.matched, plan.notes, plan.warnings) == (
        [],
        {},
        {},
        [],
        [],
    )
    assert plan.untouched == {} and plan.unmanaged == [] and plan.deleted == {}


def test_without_a_live_object_the_update_starts_from_nothing() -> None:
    plan = plan_singleton(Hooked(), [want(shippingOrigin={"name": "Shop"})], [])
    assert plan.bindings == {"storeSettings/store settings": ""}
    empty = plan.matched[KEY]
    assert (empty.kind, empty.key, empty.id, dict(empty.fields), empty.match_keys) == (
        "storeSettings",
        KEY,
        "",
        {},
        MATCH,
    )
    [change] = plan.changes
    assert (change.action, change.kind, change.key, change.id) == (
        Action.UPDATE,
        "storeSettings",
        KEY,
        "",
    )
    assert change.before == {} and change.after == {"shippingOrigin": {"name": "Shop"}}
    assert change.reasons == (
        "update store settings over (none)",
        "write-only of store settings, changed=True",
    )
    assert change.source == SourcePos("b.yaml", 3)
    assert plan.notes == [] and plan.warnings == [] and plan.untouched == {}


def test_unchanged_it_is_matched_with_notes_and_no_change() -> None:
    have = live("Loc9", shippingOrigin={**ORIGIN, "zip": "62704"}, storeOrderNotification=None)
    plan = plan_singleton(Hooked(), [want(shippingOrigin={"name": "Shop"})], [have])
    assert plan.changes == []
    assert plan.matched == {KEY: have}
    assert plan.bindings == {"storeSettings/store settings": "Loc9"}
    assert plan.notes == ["write-only of store settings, changed=False"]
    assert plan.warnings == [] and plan.untouched == {}


def test_changed_only_the_declared_keys_are_compared_and_shown() -> None:
    have = live("Loc9", shippingOrigin={**ORIGIN, "zip": "62704"})
    plan = plan_singleton(Hooked(), [want(shippingOrigin={"name": "Pets"})], [have])
    assert plan.matched == {KEY: have}
    [change] = plan.changes
    assert change.id == "Loc9"
    assert change.before == {"shippingOrigin": {"name": "Shop"}}  # only what the manifest sets
    assert change.after == {"shippingOrigin": {"name": "Pets"}}
    assert [(d.field, d.before, d.after) for d in change.diffs] == [
        ("shippingOrigin", {"name": "Shop"}, {"name": "Pets"})
    ]
    assert change.reasons == (
        "update store settings over Loc9",
        "write-only of store settings, changed=True",
    )
    assert plan.notes == []


def test_an_update_that_cannot_be_sent_is_left_untouched_with_a_warning() -> None:
    class Blocked(Hooked):
        blocked = ("the API needs shippingOrigin.zip", "and shippingOrigin.street1")

    have = live("Loc9", shippingOrigin=ORIGIN)
    plan = plan_singleton(Blocked(), [want(shippingOrigin={"name": "Pets"})], [have])
    assert plan.changes == [] and plan.matched == {}
    assert plan.untouched == {KEY: "it cannot be sent"}
    assert plan.warnings == [
        "store settings not updated: the API needs shippingOrigin.zip",
        "store settings not updated: and shippingOrigin.street1",
    ]
    assert plan.bindings == {"storeSettings/store settings": "Loc9"}
