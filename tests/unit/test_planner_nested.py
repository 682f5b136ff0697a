"""Planner rules for nested kinds (parent/child cascades) and read-only kinds (manual changes),
with two small adapters defined here so the rules are tested apart from any real kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

from ghlops.models.base import ResourceSpec
from ghlops.plan.changes import Action
from ghlops.plan.planner import KindPlan, plan_children, plan_kind, plan_location
from ghlops.plan.policy import Policy
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


# -- the rules of plan_children, one by one (exact texts, ids and flags) ----------------------


class Bits(ItemAdapter):
    """A kind nested in items (boxes → items → bits), whose deletes say what they destroy."""

    kind = "bits"
    singular = "bit"
    parent_kind = "items"

    def delete_reasons(self, live: LiveItem) -> tuple[str, ...]:
        return (f"{live.key} ({live.id}) holds data",)


class Stages(ItemAdapter):
    """A read-only nested kind: its changes are manual, with steps naming item and object."""

    kind = "stages"
    singular = "stage"
    writable = False

    def manual_steps(
        self, action: str, desired: DesiredItem | None, live: LiveItem | None
    ) -> tuple[str, ...]:
        return (f"{action} {desired.key if desired else '-'} on {live.id if live else '-'}",)


bits, stages = Bits(), Stages()


def plan_of(
    live: Mapping[str, Any],
    desired: Mapping[str, Any],
    kinds: list[Adapter] | None = None,
    policy: Policy | None = None,
) -> Any:
    return plan_location(
        "l", "L" * 20, kinds or [boxes, items], desired, live, policy=policy or Policy()
    )


def changes(plan: Any) -> list[tuple[str, str, str, str | None, bool]]:
    return [(c.action.value, c.kind, c.key, c.parent_id, c.protected) for c in plan.changes]


def test_children_of_kept_parents_are_planned_under_the_parents_live_id() -> None:
    live = {
        "boxes": [box("a", box_id="B1"), box("b", box_id="B2")],
        "items": [
            items.child("a", "x", 1, "I1", "B1"),
            items.child("b", "x", 1, "I2", "B2"),
            items.child("b", "gone", 1, "I3", "B2"),
        ],
    }
    desired = {
        "boxes": [box("a"), box("b")],
        "items": [items.child("a", "x", 1), items.child("b", "x", 3)],
    }
    plan = plan_of(live, desired, policy=Policy(prune=frozenset({"items"})))
    assert changes(plan) == [
        ("delete", "items", "b/gone", "B2", False),
        ("replace", "items", "b/x", "B2", False),
    ]
    assert plan.bindings["items/a/x"] == "I1" and plan.bindings["items/b/x"] == "I2"


def test_children_findings_of_every_parent_are_kept() -> None:
    """Unmanaged children, warnings, notes and rename hints of two parents: none is lost."""
    live = {
        "boxes": [box("a", box_id="B1"), box("b", box_id="B2")],
        "items": [
            items.child("a", "old", 5, "I1", "B1"),
            items.child("b", "old", 5, "I2", "B2"),
            items.child("a", "dup", 1, "I3", "B1"),
            items.child("a", "dup", 1, "I4", "B1"),
            items.child("b", "dup", 1, "I5", "B2"),
            items.child("b", "dup", 1, "I6", "B2"),
            items.child("a", "skip", 1, "I7", "B1"),
            items.child("b", "skip", 1, "I8", "B2"),
        ],
    }
    desired = {
        "boxes": [box("a"), box("b")],
        "items": [
            items.child("a", "new", 5),
            items.child("b", "new", 5),
            items.child("a", "dup"),
            items.child("b", "dup"),
        ],
    }
    plan = plan_of(live, desired, policy=Policy(ignore={"items": ("skip",)}))
    assert [u.id for u in plan.unmanaged_objects] == ["I1", "I2"]
    assert dict(plan.unmanaged) == {"items": 2}
    assert plan.warnings == (
        "item 'a/dup': 2 live objects match (I3, I4); left untouched until the duplicates are "
        "resolved by hand",
        "item 'b/dup': 2 live objects match (I5, I6); left untouched until the duplicates are "
        "resolved by hand",
    )
    assert plan.notes == (
        "1 items ignored by policy.ignore (never touched): 'a/skip'",
        "1 items ignored by policy.ignore (never touched): 'b/skip'",
    )
    assert len(plan.hints) == 2 and all("looks like a rename" in h for h in plan.hints)


def test_children_policy_applies_inside_kept_parents() -> None:
    live = {
        "boxes": [box("a", box_id="B1")],
        "items": [items.child("a", "keep", 1, "I1", "B1"), items.child("a", "x", 1, "I2", "B1")],
    }
    desired = {"boxes": [box("a")], "items": []}
    policy = Policy(
        prune=frozenset({"items"}), ignore={"items": ("keep",)}, protect={"items": ("x",)}
    )
    assert changes(plan_of(live, desired, policy=policy)) == [
        ("delete", "items", "a/x", "B1", True)
    ]


def test_the_children_of_a_replaced_parent_follow_it_and_say_why() -> None:
    live = {
        "boxes": [box("a", 1, "B1"), box("b", 1, "B2"), box("c", 1, "B3")],
        "items": [
            items.child("a", "y", 1, "I1", "B1"),
            items.child("b", "z", 1, "I2", "B2"),
        ],
    }
    desired = {
        "boxes": [box("a", 2), box("b", 2), box("c", 2)],  # size is immutable: three replaces
        "items": [items.child("a", "y")],
    }
    plan = plan_of(live, desired)
    assert changes(plan) == [
        ("replace", "boxes", "a", None, False),
        ("replace", "boxes", "b", None, False),
        ("replace", "boxes", "c", None, False),
        ("delete", "items", "a/y", "B1", False),
        ("delete", "items", "b/z", "B2", False),
        ("create", "items", "a/y", None, False),
    ]
    assert plan.changes[3].reasons == ("its box 'a' is deleted or replaced",)
    assert plan.changes[4].reasons == ("its box 'b' is deleted or replaced",)
    assert plan.changes[3].destructive and plan.changes[3].id == "I1"


def test_only_the_replace_of_a_parent_with_ignored_children_is_refused() -> None:
    live = {
        "boxes": [box("a", 1, "B1"), box("b", 1, "B2")],
        "items": [
            items.child("a", "keep-1", 1, "I1", "B1"),
            items.child("a", "y", 1, "I2", "B1"),
            items.child("a", "keep-2", 1, "I3", "B1"),
        ],
    }
    desired = {"boxes": [box("a", 2), box("b", 2), box("new")], "items": []}
    plan = plan_of(live, desired, policy=Policy(ignore={"items": ("keep-*",)}))
    assert changes(plan) == [
        ("replace", "boxes", "a", None, True),
        ("replace", "boxes", "b", None, False),
        ("create", "boxes", "new", None, False),
        ("delete", "items", "a/y", "B1", False),  # the ignored ones are never deleted
    ]
    assert plan.changes[0].reasons[-1] == (
        "its items 'keep-1', 'keep-2' are ignored by policy.ignore and would be deleted with it"
    )
    assert plan.changes[1].reasons == (
        "size cannot change after creation: the box is deleted and re-created, and the data "
        "stored in it is lost",
    )


def test_a_pruned_parent_with_ignored_children_is_kept_and_named_exactly() -> None:
    live = {
        "boxes": [box("old", 1, "B1")],
        "items": [
            items.child("old", "keep-1", 1, "I1", "B1"),
            items.child("old", "keep-2", 1, "I2", "B1"),
        ],
    }
    policy = Policy(prune=frozenset({"boxes"}), ignore={"items": ("keep-*",)})
    plan = plan_of(live, {"boxes": [], "items": []}, policy=policy)
    assert plan.changes == ()
    assert plan.warnings == (
        "box 'old' is not pruned: its items 'keep-1', 'keep-2' are ignored by policy.ignore, "
        "and deleting it would delete them",
    )


def test_declared_children_of_an_untouched_parent_are_not_planned_with_a_warning() -> None:
    live = {"boxes": [box("a", box_id="B1"), box("a", box_id="B2")], "items": []}
    desired = {"boxes": [box("a")], "items": [items.child("a", "x"), items.child("a", "y")]}
    plan = plan_of(live, desired)
    assert plan.changes == ()
    assert plan.warnings[1] == (
        "2 items of box 'a' are not planned: 2 live objects match it; the rest of the location "
        "is planned as usual"
    )


def test_a_replaced_parent_without_children_replaces_alone() -> None:
    live = {"boxes": [box("a", 1, "B1")], "items": []}
    plan = plan_of(live, {"boxes": [box("a", 2)], "items": []})
    assert changes(plan) == [("replace", "boxes", "a", None, False)]


def test_grandchildren_follow_deleted_and_created_children() -> None:
    old_item = items.child("old", "x", 1, "I1", "B1")
    bit_ident = Identity("bits", ("name:b1",), "b1", old_item.ident)
    live = {
        "boxes": [box("old", 1, "B1")],
        "items": [old_item],
        "bits": [
            LiveItem(
                "bits",
                "old/x/b1",
                "T1",
                {"name": "b1", "size": 1},
                ("name:b1",),
                parent="old/x",
                parent_id="I1",
                identity=bit_ident,
            )
        ],
    }
    new_bit = DesiredItem(
        "bits", "new/y/b2", {"name": "b2", "size": 1}, ("name:b2",), parent="new/y"
    )
    desired = {"boxes": [box("new")], "items": [items.child("new", "y")], "bits": [new_bit]}
    plan = plan_of(live, desired, [boxes, items, bits], Policy(prune=frozenset({"boxes"})))
    assert [(c.action.value, c.key) for c in plan.changes] == [
        ("delete", "old"),
        ("create", "new"),
        ("delete", "old/x"),
        ("create", "new/y"),
        ("delete", "old/x/b1"),
        ("create", "new/y/b2"),
    ]
    assert plan.changes[4].reasons == (
        "its item 'old/x' is deleted or replaced",
        "old/x/b1 (T1) holds data",
    )
    assert plan.changes[4].parent_id == "I1"


def test_plan_children_names_the_parent_kind_when_told_nothing() -> None:
    live_boxes = [box("old", 1, "B1")]
    parents = plan_kind(boxes, [], live_boxes, prune=True)
    kids = plan_children(items, parents, [], [items.child("old", "x", 1, "I1", "B1")], prune=False)
    assert [c.reasons for c in kids.changes] == [("its parent 'old' is deleted or replaced",)]
    assert isinstance(kids, KindPlan) and list(kids.deleted) == ["I1"]


def test_read_only_nested_kinds_give_manual_changes_with_steps() -> None:
    """Each change once, with its own action in words: also those a parent's create or
    delete brings (a bug made the children of kept parents "manual by hand" twice)."""
    live = {
        "boxes": [box("a", 1, "B1"), box("old", 1, "B2")],
        "stages": [
            stages.child("a", "s1", 1, "S1", "B1"),
            stages.child("a", "s2", 1, "S2", "B1"),
            stages.child("old", "s9", 1, "S9", "B2"),
        ],
    }
    desired = {
        "boxes": [box("a"), box("new")],
        "stages": [stages.child("a", "s1", 1), stages.child("a", "s3"), stages.child("new", "s4")],
    }
    policy = Policy(prune=frozenset({"boxes", "stages"}), protect={"stages": ("*",)})
    plan = plan_of(live, desired, [boxes, stages], policy)
    assert [(c.action.value, c.key, c.destructive, c.protected) for c in plan.changes] == [
        ("delete", "old", True, False),
        ("create", "new", False, False),
        ("manual", "a/s2", False, False),
        ("manual", "a/s3", False, False),
        ("manual", "new/s4", False, False),
        ("manual", "old/s9", False, False),
    ]
    assert [c.reasons for c in plan.changes[2:]] == [
        ("delete by hand: the API cannot write stages", "delete - on S2"),
        ("create by hand: the API cannot write stages", "create a/s3 on -"),
        ("create by hand: the API cannot write stages", "create new/s4 on -"),
        ("delete by hand: the API cannot write stages", "delete - on S9"),
    ]


def test_a_pruned_parent_kept_for_its_ignored_children_does_not_stop_the_others() -> None:
    live = {
        "boxes": [box("old", 1, "B1"), box("older", 1, "B2")],
        "items": [
            items.child("old", "keep-1", 1, "I1", "B1"),
            items.child("older", "x", 1, "I2", "B2"),
        ],
    }
    policy = Policy(prune=frozenset({"boxes"}), ignore={"items": ("keep-*",)})
    plan = plan_of(live, {"boxes": [], "items": []}, policy=policy)
    assert changes(plan) == [
        ("delete", "boxes", "older", None, False),
        ("delete", "items", "older/x", "B2", False),
    ]


def test_a_nested_kind_needs_its_parent_kind_planned() -> None:
    with pytest.raises(ValueError, match=r"^items is planned inside boxes, which is not planned$"):
        plan_location("l", "L" * 20, [items], {}, {})


def test_kinds_missing_from_desired_and_live_are_planned_as_empty() -> None:
    plan = plan_location("l", "L" * 20, [boxes, items], {"boxes": [box("a")]}, {})
    assert [(c.action, c.key) for c in plan.changes] == [(Action.CREATE, "a")]


def test_children_of_a_parent_not_changed_in_this_run_wait_with_why() -> None:
    live: dict[str, list[LiveItem]] = {"boxes": [], "items": []}
    desired = {"boxes": [box("a")], "items": [items.child("a", "x")]}
    plan = plan_location("l", "L" * 20, [boxes, items], desired, live, planned={"items"})
    assert plan.changes == ()
    assert plan.warnings == (
        "1 items of box 'a' are not planned: its box is not changed in this run "
        "(--kind/--exclude-kind); the rest of the location is planned as usual",
    )


def test_children_of_a_parent_replaced_in_another_run_are_not_planned_now() -> None:
    live = {"boxes": [box("a", 1, "B1")], "items": [items.child("a", "x", 1, "I1", "B1")]}
    desired = {"boxes": [box("a", 2)], "items": [items.child("a", "x", 3)]}
    plan = plan_location("l", "L" * 20, [boxes, items], desired, live, planned={"items"})
    assert plan.changes == ()
    assert plan.warnings == (
        "1 items of box 'a' are not planned: its box is not changed in this run "
        "(--kind/--exclude-kind); the rest of the location is planned as usual",
    )
