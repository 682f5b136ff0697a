"""Planner rules for nested kinds (parent/child cascades) and read-only kinds (manual changes),
with two small adapters defined here so the rules are tested apart from any real kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ghlops.models.base import ResourceSpec
from ghlops.plan.changes import Action
from ghlops.plan.planner import plan_location
from ghlops.resources.base import Adapter, Ctx, DesiredItem, Identity, LiveItem


class Box(ResourceSpec):
    name: str
    size: int = 1


class BoxAdapter(Adapter):
    kind = "boxes"
    singular = "box"
    model = Box
    version = None
    compare_fields: ClassVar[tuple[str, ...]] = ("name", "size")
    immutable_fields: ClassVar[tuple[str, ...]] = ("size",)

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"name:{fields.get('parent', '')}/{fields['name']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["name"])

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields = {"name": raw["name"], "size": raw["size"]}
        return LiveItem(self.kind, fields["name"], raw["id"], fields, self.match_keys(fields))

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        raise AssertionError("no I/O in planner tests")


class ItemAdapter(BoxAdapter):
    kind = "items"
    singular = "item"
    parent_kind = "boxes"

    def child(
        self, parent: str, name: str, size: int = 1, item_id: str | None = None, under: str = ""
    ) -> Any:
        """A desired child of box ``parent``, or (``item_id``) a live one of box id ``under``."""
        fields = {"name": name, "size": size}
        match = (f"name:{name}",)
        key = f"{parent}/{name}"
        ident = Identity(self.kind, match, name, Identity("boxes", (f"name:{parent}",), parent))
        if item_id:
            return LiveItem(
                self.kind,
                key,
                item_id,
                fields,
                match,
                parent=parent,
                parent_id=under,
                identity=ident,
            )
        return DesiredItem(self.kind, key, fields, match, parent=parent, identity=ident)


class Pipes(BoxAdapter):
    kind = "pipes"
    singular = "pipe"
    writable = False

    def manual_steps(
        self, action: str, desired: DesiredItem | None, live: LiveItem | None
    ) -> tuple[str, ...]:
        return (f"open Settings → Pipes and {action} {desired.key if desired else '?'}",)


boxes, items, pipes = BoxAdapter(), ItemAdapter(), Pipes()


def box(name: str, size: int = 1, box_id: str | None = None) -> Any:
    fields = {"name": name, "size": size}
    if box_id:
        return LiveItem("boxes", name, box_id, fields, boxes.match_keys(fields))
    return DesiredItem("boxes", name, fields, boxes.match_keys(fields))


def test_children_of_a_deleted_parent_are_deleted_first_and_flagged() -> None:
    live = {
        "boxes": [box("a", box_id="B1"), box("old", box_id="B2")],
        "items": [
            items.child("old", "x", item_id="I1", under="B2"),
            items.child("a", "y", item_id="I2", under="B1"),
        ],
    }
    desired = {"boxes": [box("a")], "items": [items.child("a", "y")]}
    plan = plan_location("l", "L" * 20, [boxes, items], desired, live, prune=frozenset({"boxes"}))
    got = [(c.action, c.kind, c.key, c.destructive) for c in plan.changes]
    assert got == [
        (Action.DELETE, "boxes", "old", True),
        (Action.DELETE, "items", "old/x", True),
    ]
    assert "its box 'old' is deleted or replaced" in plan.changes[1].reasons[0]
    assert plan.changes[1].parent == "old"
    assert plan.bindings["boxes/a"] == "B1" and plan.bindings["items/a/y"] == "I2"


def test_children_of_a_replaced_parent_are_recreated() -> None:
    live = {"boxes": [box("a", 1, "B1")], "items": [items.child("a", "y", 1, "I1", "B1")]}
    desired = {"boxes": [box("a", 2)], "items": [items.child("a", "y")]}
    plan = plan_location("l", "L" * 20, [boxes, items], desired, live)
    got = [(c.action, c.key) for c in plan.changes]
    assert got == [(Action.REPLACE, "a"), (Action.DELETE, "a/y"), (Action.CREATE, "a/y")]


def test_unmanaged_children_are_counted_not_deleted() -> None:
    live = {"boxes": [box("a", box_id="B1")], "items": [items.child("a", "z", 1, "I9", "B1")]}
    desired = {"boxes": [box("a")], "items": []}
    plan = plan_location("l", "L" * 20, [boxes, items], desired, live)
    assert plan.changes == ()
    assert dict(plan.unmanaged) == {"items": 1}


def test_read_only_kinds_give_manual_changes_with_steps() -> None:
    live = {"pipes": [box("p1", 1, "P1"), box("p2", 1, "P2")]}
    desired = {
        "pipes": [
            DesiredItem("pipes", "p1", {"name": "p1", "size": 3}, pipes.match_keys({"name": "p1"})),
            DesiredItem("pipes", "p3", {"name": "p3", "size": 1}, pipes.match_keys({"name": "p3"})),
        ]
    }
    plan = plan_location("l", "L" * 20, [pipes], desired, live)
    assert [(c.action, c.key) for c in plan.changes] == [
        (Action.MANUAL, "p1"),
        (Action.MANUAL, "p3"),
    ]
    assert not any(c.destructive for c in plan.changes)
    assert plan.changes[1].reasons == (
        "create by hand: the API cannot write pipes",
        "open Settings → Pipes and create p3",
    )
    assert plan.counts()["manual"] == 2 and plan.has_changes
    assert dict(plan.unmanaged) == {"pipes": 1}


def test_a_parent_with_ignored_children_is_never_deleted_with_them() -> None:
    from ghlops.plan.policy import Policy

    live = {
        "boxes": [box("old", 1, "B1"), box("a", 1, "B2")],
        "items": [
            items.child("old", "keep-me", 1, "I1", "B1"),
            items.child("a", "keep-x", 1, "I2", "B2"),
        ],
    }
    desired = {"boxes": [box("a", 2)], "items": []}
    policy = Policy(prune=frozenset({"boxes"}), ignore={"items": ("keep-*",)})
    plan = plan_location("l", "L" * 20, [boxes, items], desired, live, policy=policy)
    # the pruned box is left alone (deleting it would delete an ignored item); the replaced
    # one is refused (protected), and the ignored items are never deleted themselves
    assert [(c.action, c.key, c.protected) for c in plan.changes] == [(Action.REPLACE, "a", True)]
    assert "would be deleted with it" in plan.changes[0].reasons[-1]
    assert any("box 'old' is not pruned: its items 'keep-me'" in w for w in plan.warnings)
    assert [u.key for u in plan.unmanaged_objects] == ["old"]
