"""Rules of the flat planner (plan_kind, _find_match, the change records) with a small adapter
whose natural key differs from its name, checked exactly (found missing by mutation testing:
renamedFrom by key or by name, identity fields, the ignore note, bindings, the recorded
``before`` and ``source``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar, Literal

from ghlops.errors import SourcePos
from ghlops.models.base import ResourceSpec
from ghlops.plan.changes import Action
from ghlops.plan.planner import plan_kind, plan_location
from ghlops.plan.policy import Policy
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem, Ref


class Gadget(ResourceSpec):
    name: str
    size: int = 1
    model: Literal["contact", "opportunity"] = "contact"


class GadgetAdapter(Adapter):
    """Key ``g-<name>``; the model is an identity field (like a custom field's)."""

    kind = "gadgets"
    singular = "gadget"
    model = Gadget
    version = None
    compare_fields: ClassVar[tuple[str, ...]] = ("name", "size")
    identity_fields: ClassVar[tuple[str, ...]] = ("model",)

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"name:{fields.get('model', 'contact')}/{fields['name']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return f"g-{fields['name']}"

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        raise AssertionError("not used")

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        raise AssertionError("no I/O here")


gadgets = GadgetAdapter()
WHERE = SourcePos("manifests/gadgets.yaml", 3, 5)


def want(name: str, renamed_from: str | None = None, **fields: Any) -> DesiredItem:
    made = {"name": name, "model": "contact", **fields}
    return DesiredItem(
        "gadgets",
        gadgets.display_key(made),
        made,
        gadgets.match_keys(made),
        source=WHERE,
        renamed_from=renamed_from,
        identity=gadgets.identify(made),
    )


def have(name: str, object_id: str, key: str | None = None, **fields: Any) -> LiveItem:
    made = {"name": name, "model": "contact", "size": 1, **fields}
    return LiveItem(
        "gadgets",
        key or gadgets.display_key(made),
        object_id,
        made,
        gadgets.match_keys(made),
        identity=gadgets.identify(made),
    )


def shown(plan: Any) -> list[tuple[str, str, str | None]]:
    return [(c.action.value, c.key, c.id) for c in plan.changes]


def test_renamed_from_matches_the_live_objects_old_name() -> None:
    plan = plan_kind(gadgets, [want("new", renamed_from="old")], [have("old", "G1")], prune=True)
    assert shown(plan) == [("update", "g-new", "G1")]


def test_renamed_from_matches_the_live_objects_key_too() -> None:
    live = [have("other", "G1", key="legacy")]
    plan = plan_kind(gadgets, [want("new", renamed_from="legacy")], live, prune=True)
    assert shown(plan) == [("update", "g-new", "G1")]


def test_renamed_from_needs_the_identity_fields_to_agree() -> None:
    live = [have("old", "G1", model="opportunity")]
    plan = plan_kind(gadgets, [want("new", renamed_from="old")], live, prune=False)
    assert shown(plan) == [("create", "g-new", None)]
    assert [u.id for u in plan.unmanaged] == ["G1"]


def test_renamed_from_matching_two_objects_touches_neither() -> None:
    live = [have("old", "G1", key="k1"), have("old", "G2", key="k2")]
    plan = plan_kind(gadgets, [want("new", renamed_from="old")], live, prune=True)
    assert plan.changes == []
    assert plan.warnings == [
        "gadget 'g-new': 2 live objects match (G1, G2); left untouched until the duplicates "
        "are resolved by hand"
    ]


def test_the_ignore_note_names_five_objects_at_most() -> None:
    policy = Policy(ignore={"gadgets": ("z*",)})
    five = [have(f"z{i}", f"G{i}") for i in range(5)]
    plan = plan_kind(gadgets, [], five, prune=True, policy=policy)
    assert plan.notes == [
        "5 gadgets ignored by policy.ignore (never touched): 'z0', 'z1', 'z2', 'z3', 'z4'"
    ]
    six = plan_kind(gadgets, [], [*five, have("z5", "G5")], prune=True, policy=policy)
    assert six.notes == [
        "6 gadgets ignored by policy.ignore (never touched): 'z0', 'z1', 'z2', 'z3', 'z4' …"
    ]
    assert six.changes == [] and six.unmanaged == []


def test_bindings_name_every_live_object_but_the_ignored() -> None:
    policy = Policy(ignore={"gadgets": ("skip",)})
    live = [have("a", "G1"), have("b", "G2"), have("skip", "G3")]
    plan = plan_kind(gadgets, [want("renamed", renamed_from="a")], live, prune=False, policy=policy)
    assert plan.bindings == {"gadgets/g-a": "G1", "gadgets/g-b": "G2", "gadgets/g-renamed": "G1"}


def test_changes_record_the_live_fields_the_source_and_the_parent_id() -> None:
    live = [have("a", "G1", size=1), have("gone", "G2")]
    plan = plan_kind(gadgets, [want("a", size=2), want("b")], live, prune=True, parent_id="P1")
    by_action = {c.action: c for c in plan.changes}
    assert set(by_action) == {Action.UPDATE, Action.CREATE, Action.DELETE}
    update, create, delete = (
        by_action[Action.UPDATE],
        by_action[Action.CREATE],
        by_action[Action.DELETE],
    )
    assert dict(update.before or {}) == {"name": "a", "model": "contact", "size": 1}
    assert dict(update.after or {}) == {"name": "a", "model": "contact", "size": 2}
    assert (update.source, create.source, delete.source) == (WHERE, WHERE, None)
    assert create.before is None and delete.after is None
    assert dict(delete.before or {}) == {"name": "gone", "model": "contact", "size": 1}
    assert {c.parent_id for c in plan.changes} == {"P1"}


# -- plan_location: the kinds planned (--kind) and what the location plan counts ---------------


class GroupAdapter(GadgetAdapter):
    kind = "groups"
    singular = "group"


groups = GroupAdapter()


def group(name: str, object_id: str | None = None) -> Any:
    if object_id:
        fields = {"name": name, "model": "contact", "size": 1}
        return LiveItem("groups", f"g-{name}", object_id, fields, (f"name:contact/{name}",))
    made = {"name": name, "model": "contact"}
    return DesiredItem("groups", f"g-{name}", made, (f"name:contact/{name}",))


def member(name: str, in_group: str) -> DesiredItem:
    return replace(want(name), refs=(Ref("group", "groups", f"g-{in_group}"),))


def test_a_change_needing_a_kind_not_planned_to_change_first_is_left_out() -> None:
    live = {"groups": [group("old", "R1")], "gadgets": [have("gone", "G9")]}
    desired = {
        "groups": [group("old"), group("new")],
        "gadgets": [
            member("a", in_group="new"),
            member("b", in_group="new2"),
            member("c", in_group="old"),
        ],
    }
    plan = plan_location(
        "l",
        "L" * 20,
        [groups, gadgets],
        desired,
        live,
        policy=Policy(prune=frozenset({"gadgets"})),
        planned={"gadgets"},
    )
    assert [(c.action.value, c.key) for c in plan.changes] == [
        ("delete", "g-gone"),
        ("create", "g-c"),
    ]
    assert plan.warnings == (
        "gadget 'g-a' is not planned: its group 'g-new' (groups) does not exist yet and groups "
        "are not changed in this run (--kind/--exclude-kind)",
        "gadget 'g-b' is not planned: its group 'g-new2' (groups) does not exist yet and groups "
        "are not changed in this run (--kind/--exclude-kind)",
    )
    assert plan.bindings == {"groups/g-old": "R1", "gadgets/g-gone": "G9"}
    assert plan.existing == 1  # the groups are only read


def test_when_every_kind_changes_references_wait_for_nothing() -> None:
    desired = {"groups": [group("new")], "gadgets": [member("a", in_group="new")]}
    plan = plan_location("l", "L" * 20, [groups, gadgets], desired, {})
    assert [(c.kind, c.key) for c in plan.changes] == [("groups", "g-new"), ("gadgets", "g-a")]
    assert plan.warnings == () and plan.api_calls == 0 and plan.existing == 0


def test_existing_counts_the_live_objects_of_the_kinds_planned_but_the_ignored() -> None:
    live = {
        "groups": [group("r1", "R1"), group("r2", "R2")],
        "gadgets": [have("a", "G1"), have("skip", "G2"), have("b", "G3")],
    }
    policy = Policy(ignore={"gadgets": ("skip",)})
    everything = plan_location("l", "L" * 20, [groups, gadgets], {}, live, policy=policy)
    assert everything.existing == 4
    assert dict(everything.unmanaged) == {"groups": 2, "gadgets": 2}
    only = plan_location(
        "l",
        "L" * 20,
        [groups, gadgets],
        {},
        live,
        policy=policy,
        planned={"gadgets"},
        api_calls=7,
    )
    assert (only.existing, dict(only.unmanaged), only.api_calls) == (2, {"gadgets": 2}, 7)


def test_a_delete_sharing_a_key_with_a_left_out_create_is_kept() -> None:
    # the same display key, another model: a create of the new object and a prune of the old
    live = {"groups": [], "gadgets": [have("a", "G1", model="opportunity")]}
    desired = {"groups": [group("new")], "gadgets": [member("a", in_group="new")]}
    plan = plan_location(
        "l",
        "L" * 20,
        [groups, gadgets],
        desired,
        live,
        policy=Policy(prune=frozenset({"gadgets"})),
        planned={"gadgets"},
    )
    assert [(c.action.value, c.key, c.id) for c in plan.changes] == [("delete", "g-a", "G1")]
    assert len(plan.warnings) == 1 and "its group 'g-new' (groups)" in plan.warnings[0]


def test_unmanaged_objects_of_every_kind_are_named_with_kind_and_label() -> None:
    live = {"groups": [group("r1", "R1")], "gadgets": [have("a", "G1")]}
    plan = plan_location("l", "L" * 20, [groups, gadgets], {}, live)
    assert [u.to_data() for u in plan.unmanaged_objects] == [
        {"kind": "groups", "key": "g-r1", "name": "g-r1", "id": "R1"},
        {"kind": "gadgets", "key": "g-a", "name": "a", "id": "G1"},
    ]


def test_the_plan_records_the_digests_of_what_it_was_made_from() -> None:
    from ghlops.plan.fingerprint import desired_digest, live_digests

    live = {"gadgets": [have("a", "G1"), have("skip", "G2")]}
    desired = {"gadgets": [want("a")]}
    policy = Policy(ignore={"gadgets": ("skip",)})
    plan = plan_location("l", "L" * 20, [gadgets], desired, live, policy=policy)
    assert plan.desired_digest == desired_digest(desired) != ""
    assert dict(plan.live_digests) == live_digests({"gadgets": [have("a", "G1")]})
    assert plan.live_digests and plan.live_digests != live_digests(live)


# -- plan_kind: texts and hooks, each exactly ------------------------------------------------


class StrictGadgets(GadgetAdapter):
    """Size and model cannot change; no renames; hooks that show what they were given."""

    compare_fields: ClassVar[tuple[str, ...]] = ("name", "size", "model")
    immutable_fields: ClassVar[tuple[str, ...]] = ("size", "model")
    renames: ClassVar[bool] = False

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"name:{fields['name']}",)

    def write_only_reasons(self, item: DesiredItem, *, changed: bool) -> tuple[str, ...]:
        return (f"{item.key}: changed={changed!r}",)

    def delete_reasons(self, live: LiveItem) -> tuple[str, ...]:
        return (f"{live.key} ({live.id}) goes",)


strict = StrictGadgets()


def swant(name: str, **fields: Any) -> DesiredItem:
    made = want(name, **fields)
    return replace(made, match_keys=(f"name:{name}",), identity=strict.identify(made.fields))


def shave(name: str, object_id: str, **fields: Any) -> LiveItem:
    made = have(name, object_id, **fields)
    return replace(made, match_keys=(f"name:{name}",), identity=strict.identify(made.fields))


def test_an_ambiguous_or_ignored_match_does_not_stop_the_next_item() -> None:
    live = [have("dup", "G1"), have("dup", "G2"), have("skip", "G3"), have("a", "G4", size=1)]
    desired = [want("dup"), want("skip"), want("a", size=2)]
    policy = Policy(ignore={"gadgets": ("skip",)})
    plan = plan_kind(gadgets, desired, live, prune=False, policy=policy)
    assert shown(plan) == [("update", "g-a", "G4")]
    assert plan.warnings[1] == (
        "gadget 'g-skip' matches the live gadget 'skip' (G3), which policy.ignore 'skip' "
        "leaves to others: left untouched, not created again"
    )
    assert plan.untouched == {
        "g-dup": "2 live objects match it",
        "g-skip": "policy.ignore leaves its live object to others",
    }


def test_unknown_live_values_leave_the_object_untouched_and_say_which() -> None:
    live = [shave("a", "G1", size="big", model="lead"), shave("b", "G2")]
    plan = plan_kind(strict, [swant("a", size=2), swant("b", size=3)], live, prune=False)
    assert plan.warnings == [
        "gadget 'g-a': the live object (G1) has size 'big', model 'lead', which ghlops does not "
        "know; it is left untouched (not replaced) until ghlops or the manifest is updated"
    ]
    assert plan.untouched == {"g-a": "it is left untouched"}
    assert "g-a" not in plan.matched and shown(plan) == [("replace", "g-b", "G2")]


def test_a_replace_names_every_field_that_cannot_change() -> None:
    live = [shave("a", "G1", size=1, model="contact")]
    plan = plan_kind(strict, [swant("a", size=2, model="opportunity")], live, prune=False)
    assert plan.changes[0].reasons == (
        "size, model cannot change after creation: the gadget is deleted and re-created, and "
        "the data stored in it is lost",
    )


def test_hooks_get_the_item_and_whether_it_changes() -> None:
    live = [have("a", "G1"), have("b", "G2"), have("gone", "G3")]
    plan = plan_kind(strict, [want("a"), want("b", size=1, model="contact")], live, prune=True)
    assert plan.notes == ["g-a: changed=False", "g-b: changed=False"]
    (delete,) = plan.changes
    assert delete.reasons == (
        "not in the manifests and policy.prune includes gadgets",
        "g-gone (G3) goes",
    )


def test_no_rename_hints_for_a_kind_without_renames() -> None:
    plan = plan_kind(strict, [want("new", size=2)], [have("old", "G1", size=2)], prune=False)
    assert plan.hints == []
    assert (
        len(
            plan_kind(
                gadgets, [want("new", size=2)], [have("old", "G1", size=2)], prune=False
            ).hints
        )
        == 1
    )
