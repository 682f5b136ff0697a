"""``export --common``: which differing values become per-location variables, and which items
stay per location (and why)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ghlops.export.common import (
    Refused,
    Templater,
    Vector,
    common_export,
    merge,
    split_common,
    split_on,
    substitute,
)
from ghlops.export.single import ExportedItem, LocationExport
from ghlops.export.values import Masked, Template, Var
from ghlops.manifest.project import LocationConfig

IDS = {"clinic-a": "A" * 20, "clinic-b": "B" * 20, "clinic-c": "C" * 20}


def loc(name: str, items: dict[str, list[dict[str, Any]]], **variables: Any) -> LocationExport:
    from ghlops.resources import registry

    config = LocationConfig(name=name, id=IDS[name], vars=dict(variables))
    return LocationExport(
        config,
        {
            kind: [ExportedItem(kind, registry.get(kind).display_key(f), f) for f in fields]
            for kind, fields in items.items()
        },
    )


def rendered(value: Any, refs: dict[str, str]) -> Any:
    if isinstance(value, Template):
        return value.render(refs)
    if isinstance(value, dict):
        return {k: rendered(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [rendered(v, refs) for v in value]
    return value


# -- texts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            ["https://b.example/book/north", "https://b.example/book/south"],
            ("https://b.example/book/", ["north", "south"], ""),
        ),
        (["+1 555 0101", "+1 555 0102"], ("+1 555 ", ["0101", "0102"], "")),
        (["Smile Dental North", "Smile Dental South"], ("Smile Dental ", ["North", "South"], "")),
        (["north-lead", "south-lead"], ("", ["north", "south"], "-lead")),
        (["ana@x.example", "ben@x.example"], ("", ["ana", "ben"], "@x.example")),
        (["abc", "xyz"], ("", ["abc", "xyz"], "")),
        (["same-a", "same-ab"], ("same-", ["a", "ab"], "")),
        (["x", "x-2"], ("x", ["", "-2"], "")),
    ],
)
def test_split_common_cuts_at_word_boundaries(
    values: list[str], expected: tuple[str, list[str], str]
) -> None:
    prefix, middles, suffix = split_common(values)
    assert (prefix, middles, suffix) == expected
    assert [prefix + m + suffix for m in middles] == values


def test_split_on_only_matches_whole_words() -> None:
    assert split_on("north-general", "north") == ["", "-general"]
    assert split_on("https://north.example/north", "north") == ["https://", ".example/", ""]
    assert split_on("northern", "north") == ["northern"]
    assert split_on("the north. The North", "north") == ["the ", ". The North"]


def test_substitute_needs_the_same_literal_text_in_every_location() -> None:
    names = Vector("location.name", ("north", "south"))
    assert substitute(["north-general", "south-general"], names) == Template(
        (Var("location.name"), "-general")
    )
    assert substitute(["north-general", "south-special"], names) is None
    assert substitute(["north", "somewhere"], names) is None
    assert substitute(["a-1", "b-1"], Vector("vars.x", ("a", "b"))) is None  # too short to look for


# -- merging ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ([{"amount": 5}, {"amount": 6}], "amount: number values differ"),
        ([{"isActive": True}, {"isActive": False}], "isActive: boolean values differ"),
        ([{"v": Masked.of("a")}, {"v": Masked.of("b")}], "v: secret (masked) values differ"),
        ([{"stages": ["a", "b"]}, {"stages": ["a"]}], "stages: lists of 1 or 2 entries"),
        ([{"stages": ["a", "b"]}, {"stages": ["a", "c"]}], "stages[1]: not the same names"),
        ([{"a": "x", "b": "y"}, {"a": "x"}], "b set in some locations only"),
        ([{"prices": [{"name": "M"}]}, {"prices": [{"name": "Y"}]}], "prices[0]: not the same"),
    ],
)
def test_merge_refuses_what_is_not_a_text_field(values: list[Any], reason: str) -> None:
    with pytest.raises(Refused, match=re.escape(reason)):
        merge(values, [])


def test_merge_keeps_equal_values_and_numbers_by_value() -> None:
    slots: list[Any] = []
    assert merge([{"amount": 6, "x": [1]}, {"amount": 6.0, "x": [1]}], slots) == {
        "amount": 6,
        "x": [1],
    }
    assert slots == []


# -- templating items ---------------------------------------------------------------------------


def templater(*variables: dict[str, Any]) -> Templater:
    names = list(IDS)[: len(variables)]
    return Templater([loc(n, {}, **v) for n, v in zip(names, variables, strict=True)])


def test_a_differing_text_becomes_a_new_variable_named_after_the_item() -> None:
    t = templater({}, {})
    merged, templated = t.item(
        "Booking URL",
        [
            {"name": "Booking URL", "value": "https://b.example/book/north"},
            {"name": "Booking URL", "value": "https://b.example/book/south"},
        ],
    )
    assert merged["value"] == Template(("https://b.example/book/", Var("vars.booking_url")))
    assert templated is not None and templated.refs == ("vars.booking_url",)
    assert t.variables() == {
        "clinic-a": {"booking_url": "north"},
        "clinic-b": {"booking_url": "south"},
    }


def test_the_location_name_and_known_variables_are_reused() -> None:
    t = templater({"city": "North Town"}, {"city": "South Town"})
    merged, _ = t.item(
        "c",
        [
            {"slug": "clinic-a-exam", "description": "Visit North Town", "user": "ana@x.example"},
            {"slug": "clinic-b-exam", "description": "Visit South Town", "user": "ben@x.example"},
        ],
    )
    assert merged["slug"] == Template((Var("location.name"), "-exam"))
    assert merged["description"] == Template(("Visit ", Var("vars.city")))
    assert merged["user"] == Template((Var("vars.c_user"), "@x.example"))
    # a later item reuses the variable made for this one
    later, _ = t.item("d", [{"name": "ana"}, {"name": "ben"}])
    assert later["name"] == Template((Var("vars.c_user"),))
    assert t.variables()["clinic-b"] == {"c_user": "ben", "city": "South Town"}


def test_texts_that_vary_together_share_one_variable() -> None:
    t = templater({}, {})
    merged, templated = t.item(
        "Portal",
        [
            {"name": "Portal", "url": "https://p.example/n1", "note": "n1 only"},
            {"name": "Portal", "url": "https://p.example/s2", "note": "s2 only"},
        ],
    )
    assert merged["url"].refs == merged["note"].refs == ("vars.portal_url",)
    assert templated is not None and templated.paths == ("url", "note")


def test_an_item_gets_one_new_variable_at_most() -> None:
    t = templater({}, {})
    with pytest.raises(Refused, match="vary independently"):
        t.item("x", [{"a": "one", "b": "red"}, {"a": "two", "b": "blue"}])
    assert t.variables() == {"clinic-a": {}, "clinic-b": {}}
    merged, _ = t.item("y", [{"a": "one"}, {"a": "two"}])
    assert merged["a"] == Template((Var("vars.y_a"),))  # no name was left taken by the refusal


def test_texts_with_quotes_or_backslashes_are_not_templated() -> None:
    t = templater({}, {})
    with pytest.raises(Refused, match="quotes, backslashes"):
        t.item("q", [{"value": 'say "hi"'}, {"value": "say hello"}])


def test_new_names_do_not_collide_with_the_project_variables() -> None:
    t = templater({"booking_url": "x"}, {"booking_url": "x"})
    merged, _ = t.item("Booking URL", [{"value": "north"}, {"value": "south"}])
    assert merged["value"] == Template((Var("vars.booking_url_2"),))


# -- whole exports ------------------------------------------------------------------------------


def test_common_export_splits_base_and_own_bundles_and_reports_why() -> None:
    def values(slug: str, phone: str) -> list[dict[str, Any]]:
        return [
            {"name": "Booking URL", "value": f"https://b.example/{slug}"},
            {"name": "Phone", "value": phone},
        ]

    a = loc(
        "clinic-a",
        {
            "tags": [{"name": "vip"}, {"name": "clinic-a-lead"}, {"name": "only-a"}],
            "customValues": values("north", "1"),
            "pipelines": [{"name": "P", "stages": ["x", "y"]}],
        },
    )
    b = loc(
        "clinic-b",
        {
            "tags": [{"name": "vip"}, {"name": "clinic-b-lead"}],
            "customValues": values("south", "2"),
            "pipelines": [{"name": "P", "stages": ["x"]}],
        },
    )
    result = common_export([a, b])
    base_tags = [i.fields["name"] for i in result.base["tags"]]
    assert base_tags == ["vip", Template((Var("location.name"), "-lead"))]
    assert [i.fields["name"] for i in result.own["clinic-a"]["tags"]] == ["only-a"]
    assert "tags" not in result.own["clinic-b"]
    assert [i.key for i in result.base["customValues"]] == ["Booking URL", "Phone"]
    assert result.own["clinic-a"]["pipelines"][0].fields["stages"] == ["x", "y"]
    reasons = {(k.kind, k.key): (k.locations, k.reason) for k in result.kept}
    assert reasons[("tags", "only-a")] == (("clinic-a",), "not in clinic-b")
    assert reasons[("pipelines", "P")] == (
        ("clinic-a", "clinic-b"),
        "stages: lists of 1 or 2 entries",
    )
    assert result.variables == {
        "clinic-a": {"booking_url": "north", "phone": "1"},
        "clinic-b": {"booking_url": "south", "phone": "2"},
    }
    # rendering the base for each location gives back exactly what each location had
    for location in (a, b):
        refs = {
            "location.name": location.location.name,
            "location.id": location.location.id,
            **{f"vars.{k}": v for k, v in result.variables[location.location.name].items()},
        }
        for kind, items in location.items.items():
            mine = [rendered(i.fields, refs) for i in result.base.get(kind, [])]
            mine += [i.fields for i in result.own[location.location.name].get(kind, [])]
            assert sorted(map(repr, mine)) == sorted(repr(i.fields) for i in items)
    templated = {(t.kind, t.key): t.refs for t in result.templated}
    assert templated[("tags", "{location.name}-lead")] == ("location.name",)
    assert templated[("customValues", "Booking URL")] == ("vars.booking_url",)


def test_common_export_needs_two_locations() -> None:
    with pytest.raises(ValueError, match="two locations"):
        common_export([loc("clinic-a", {})])
