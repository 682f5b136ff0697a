"""unknown_values and rename_hints (ghlops/plan/compare.py) with a small adapter of their own:
the exact hint text, the one-to-one rule, and which fields count (found missing by mutation
testing: the plan cases only look for a part of a hint)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from ghlops.models.base import ResourceSpec
from ghlops.plan.compare import fmt, rename_hints, unknown_values
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem


class Widget(ResourceSpec):
    name: str
    size: int = 1
    model: Literal["contact", "opportunity"] = "contact"
    secret: str | None = None


class WidgetAdapter(Adapter):
    kind = "widgets"
    singular = "widget"
    model = Widget
    version = None
    compare_fields: ClassVar[tuple[str, ...]] = ("name", "size", "secret")
    write_only_fields: ClassVar[tuple[str, ...]] = ("secret",)
    identity_fields: ClassVar[tuple[str, ...]] = ("model",)

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"name:{fields['name']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["name"])

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        raise AssertionError("not used")

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        raise AssertionError("no I/O here")


widgets = WidgetAdapter()


def want(name: str, **fields: Any) -> DesiredItem:
    made = {"name": name, **fields}
    return DesiredItem("widgets", name, made, widgets.match_keys(made))


def have(name: str | None, object_id: str, key: str = "", **fields: Any) -> LiveItem:
    made = {**({"name": name} if name is not None else {}), **fields}
    return LiveItem("widgets", key or str(name), object_id, made, (f"name:{name}",))


def test_a_create_alike_an_unmanaged_object_gets_the_exact_hint() -> None:
    hints = rename_hints(
        widgets,
        [want("Café Neu", size=2, model="contact", secret="s")],
        [have("Café Alt", "W1", size=2, model="contact")],
    )
    assert hints == [
        'widget "Café Neu" looks like a rename of the unmanaged widget "Café Alt": add '
        'renamedFrom: "Café Alt" to keep the object (and its id) instead of creating a new one'
    ]


def test_without_a_live_name_the_hint_names_the_objects_key() -> None:
    hints = rename_hints(widgets, [want("new", size=2)], [have(None, "W1", key="k-1", size=2)])
    assert hints == [
        'widget "new" looks like a rename of the unmanaged widget "k-1": add renamedFrom: "k-1" '
        "to keep the object (and its id) instead of creating a new one"
    ]


def test_a_different_declared_or_identity_field_is_no_rename() -> None:
    assert rename_hints(widgets, [want("new", size=2)], [have("old", "W1", size=3)]) == []
    assert rename_hints(widgets, [want("new", size=2)], [have("old", "W1")]) == []
    different_model = [have("old", "W1", size=2, model="opportunity")]
    assert rename_hints(widgets, [want("new", size=2, model="contact")], different_model) == []


def test_only_declared_fields_count_and_write_only_ones_do_not() -> None:
    # size is not declared, the secret is never returned: still alike
    assert len(rename_hints(widgets, [want("new", secret="x")], [have("old", "W1", size=7)])) == 1


def test_hints_are_one_to_one() -> None:
    two_creates = [want("a", size=2), want("b", size=2)]
    two_live = [have("x", "W1", size=2), have("y", "W2", size=2)]
    assert rename_hints(widgets, two_creates, two_live[:1]) == []
    assert rename_hints(widgets, two_creates[:1], two_live) == []
    assert rename_hints(widgets, two_creates, two_live) == []
    mixed = rename_hints(widgets, [want("a", size=2), want("b", size=3)], two_live[:1])
    assert [h.split(" looks")[0] for h in mixed] == ['widget "a"']


def test_fmt_writes_json_keeping_non_ascii_text() -> None:
    assert fmt("Café") == '"Café"'
    assert fmt(["a", 1]) == '["a", 1]'


def test_unknown_values_are_the_values_the_model_would_reject() -> None:
    live = have("w", "W1", model="lead", size="big")
    assert unknown_values(widgets, live, ["model", "size"]) == ["model", "size"]
    assert unknown_values(widgets, have("w", "W1", model="contact"), ["model"]) == []


def test_unknown_values_skip_fields_the_model_lacks_or_the_object_leaves_unset() -> None:
    live = have("w", "W1", color="red", model="lead")
    # "color" is no field of the model, "secret" is unset: neither is judged, nor stops the rest
    assert unknown_values(widgets, live, ["color", "secret", "model"]) == ["model"]
    assert unknown_values(widgets, have("w", "W1"), ["model"]) == []  # unset: nothing to judge


def test_the_hint_proposes_the_live_name_not_the_key() -> None:
    hints = rename_hints(widgets, [want("new", size=2)], [have("old", "W1", key="k-old", size=2)])
    assert hints == [
        'widget "new" looks like a rename of the unmanaged widget "k-old": add renamedFrom: '
        '"old" to keep the object (and its id) instead of creating a new one'
    ]
