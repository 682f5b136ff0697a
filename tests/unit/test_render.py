"""Renderers: text (terraform-like) and JSON, from hand-built plans."""

from __future__ import annotations

import json

from ghlops.plan.changes import Action, Change, FieldDiff, LocationPlan, Plan, frozen
from ghlops.render.json import render_json
from ghlops.render.text import render_plan


def sample_plan() -> Plan:
    changes = (
        Change(
            Action.REPLACE,
            "customFields",
            "contact:Pet Name",
            "ccccccccccccccccccc1",
            frozen({"name": "Pet Name", "dataType": "TEXT"}),
            frozen({"name": "Pet Name", "dataType": "LARGE_TEXT"}),
            (FieldDiff("dataType", "TEXT", "LARGE_TEXT"),),
            destructive=True,
            reasons=("dataType cannot change after creation",),
        ),
        Change(
            Action.UPDATE,
            "customValues",
            "Booking URL",
            "bbbbbbbbbbbbbbbbbbb1",
            frozen({"name": "Booking URL", "value": "https://a"}),
            frozen({"name": "Booking URL", "value": "https://b"}),
            (FieldDiff("value", "https://a", "https://b"),),
        ),
        Change(Action.CREATE, "tags", "vip", None, None, frozen({"name": "vip"})),
        Change(
            Action.DELETE,
            "tags",
            "old",
            "aaaaaaaaaaaaaaaaaaa2",
            frozen({"name": "old"}),
            None,
            destructive=True,
        ),
    )
    return Plan(
        (
            LocationPlan("downtown", "ve9EPM428h8vShlRW1KT", changes, frozen({"tags": 2}) or {}),
            LocationPlan("uptown", "Xk3pQ9wRt7LmN2bV5cZa"),
        )
    )


def test_text_shows_symbols_diffs_and_summary() -> None:
    text = render_plan(sample_plan())
    assert "Location downtown (ve9EPM428h8vShlRW1KT)" in text
    assert '  -/+ custom field "contact:Pet Name" (id ccccccccccccccccccc1)  DESTRUCTIVE' in text
    assert '      dataType: "TEXT" → "LARGE_TEXT"' in text
    assert '  ~ custom value "Booking URL" (id bbbbbbbbbbbbbbbbbbb1)' in text
    assert '      value: "https://a" → "https://b"' in text
    assert '  + tag "vip"' in text
    assert '      name: "vip"' not in text, "a field equal to the key is not repeated"
    assert '  - tag "old" (id aaaaaaaaaaaaaaaaaaa2)  DESTRUCTIVE' in text
    assert "unmanaged: 2 (tags 2)" in text
    assert "\n1 location unchanged\n" in text  # unchanged locations of a fleet: one line
    assert text.rstrip().endswith(
        "Plan: 1 to create, 1 to update, 1 to replace, 1 to delete. "
        "(1 of 2 location(s) with changes, unmanaged: 2)"
    )
    assert "\x1b[" not in text


def test_text_colour_only_when_asked() -> None:
    assert "\x1b[" in render_plan(sample_plan(), color=True)


def test_text_no_changes() -> None:
    plan = Plan((LocationPlan("uptown", "Xk3pQ9wRt7LmN2bV5cZa"),))
    assert render_plan(plan).strip().endswith("No changes. Live state matches the manifests.")


def test_text_failed_location_is_not_no_changes() -> None:
    plan = Plan((LocationPlan("uptown", "Xk3pQ9wRt7LmN2bV5cZa", error="GET /x → 401"),))
    text = render_plan(plan)
    assert "FAILED: GET /x → 401" in text
    assert "No changes" not in text
    assert "Failed to plan 1 location(s): uptown" in text


def test_json_contract() -> None:
    data = json.loads(render_json(sample_plan()))
    assert data["format_version"] == "1"
    assert data["summary"] == {
        "create": 1,
        "update": 1,
        "replace": 1,
        "delete": 1,
        "manual": 0,
        "unmanaged": 2,
        "locations": 2,
        "locations_with_changes": 1,
        "locations_failed": 0,
    }
    downtown = data["locations"][0]
    assert downtown["name"] == "downtown" and downtown["id"] == "ve9EPM428h8vShlRW1KT"
    create = next(c for c in downtown["changes"] if c["action"] == "create")
    assert create == {
        "action": "create",
        "kind": "tags",
        "key": "vip",
        "id": None,
        "before": None,
        "after": {"name": "vip"},
        "diffs": [],
        "destructive": False,
        "reasons": [],
        "source": None,
        "parent": None,
        "parent_id": None,
        "protected": False,
    }
    update = next(c for c in downtown["changes"] if c["action"] == "update")
    assert update["before"] == {"name": "Booking URL", "value": "https://a"}
    assert update["diffs"] == [{"field": "value", "before": "https://a", "after": "https://b"}]
    assert data["locations"][1]["changes"] == []


def test_gate_flags_name_the_exact_options_that_let_held_actions_through() -> None:
    from ghlops.plan.changes import Action as A
    from ghlops.plan.safety import gate_flags

    assert gate_flags({A.UPDATE}, {A.CREATE}, set()) == "--allow create,update"
    assert gate_flags({A.DELETE}, None, {A.DELETE}) == "no --deny"
    assert gate_flags({A.DELETE}, None, {A.DELETE, A.REPLACE}) == "--deny replace"
    assert (
        gate_flags({A.DELETE, A.UPDATE}, {A.CREATE}, {A.DELETE})
        == "no --deny and --allow create,update,delete"
    )
