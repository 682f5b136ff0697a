"""The safety checks on a whole plan (ghlops/plan/safety.py), without a sandbox: protection,
--allow/--deny gates, per-location and fleet thresholds at their exact limits, and the
violations' round trip through saved plans."""

from __future__ import annotations

from ghlops.plan.changes import Action, Change, LocationPlan, Plan
from ghlops.plan.policy import Thresholds
from ghlops.plan.safety import (
    Verdict,
    Violation,
    check_plan,
    loses_something,
)

A = Action


def change(action: Action, key: str = "k", *, protected: bool = False) -> Change:
    destructive = action in (A.DELETE, A.REPLACE)
    live = None if action is A.CREATE else "i" * 20
    after = None if action is A.DELETE else {"name": key}
    return Change(
        action, "tags", key, live, None, after, destructive=destructive, protected=protected
    )


def loc(
    *actions: Action, existing: int = 0, name: str = "Downtown", lid: str = "L1"
) -> LocationPlan:
    changes = tuple(change(a, f"{a.value}-{i}") for i, a in enumerate(actions))
    return LocationPlan(name, lid, changes, existing=existing)


def rules(violations: list[Violation]) -> list[tuple[str, str]]:
    return [(v.where, v.rule) for v in violations]


NO_LIMITS = Thresholds(min_existing=10**6, fleet_min_locations=10**6)

# -- protect ---------------------------------------------------------------------------------


def test_a_protected_delete_or_replace_is_refused_and_no_flag_lifts_it() -> None:
    plan_loc = LocationPlan(
        "Downtown",
        "L1",
        (
            change(A.DELETE, "old", protected=True),
            change(A.REPLACE, "swap", protected=True),
            change(A.DELETE, "free"),
        ),
    )
    found = check_plan(Plan((plan_loc,)), NO_LIMITS)
    assert [(v.rule, v.where, v.location_id, v.forceable, v.allow) for v in found] == [
        ("protect", "Downtown", "L1", False, ""),
        ("protect", "Downtown", "L1", False, ""),
    ]
    assert found[0].message == (
        "tags 'old' is protected and would be deleted; remove 'protect' (or the "
        "policy.protect pattern) first if that is intended"
    )
    assert "tags 'swap' is protected and would be replaced (deleted and re-created);" in (
        found[1].message
    )
    assert found[0].blocks_all and found[0].advice == "no flag allows this"


def test_protection_is_checked_in_the_agency_plan_too() -> None:
    agency = LocationPlan("agency", "C1", (change(A.DELETE, "menu", protected=True),))
    found = check_plan(Plan((), agency=agency), NO_LIMITS)
    assert rules(found) == [("agency", "protect")]


# -- gates -----------------------------------------------------------------------------------


def test_without_allow_or_deny_every_action_passes() -> None:
    plan = Plan((loc(A.CREATE, A.UPDATE, A.REPLACE, A.DELETE, A.MANUAL),))
    assert check_plan(plan, NO_LIMITS) == []


def test_allow_holds_back_the_other_actions_with_their_counts_and_the_flag_to_use() -> None:
    plan = Plan((loc(A.CREATE, A.UPDATE, A.UPDATE, A.DELETE, A.MANUAL),))
    found = check_plan(plan, NO_LIMITS, allow=[A.CREATE])
    assert len(found) == 1
    gate = found[0]
    assert (gate.where, gate.rule, gate.location_id, gate.forceable) == (
        "Downtown",
        "gate",
        "L1",
        False,
    )
    assert gate.message == (
        "the plan holds 2 update, 1 delete, which this run does not allow (allowed: create)"
    )
    assert gate.allow == "--allow create,update,delete"
    assert gate.advice == "use --allow create,update,delete to proceed"
    assert gate.blocks_all


def test_a_plan_holding_only_allowed_actions_passes_the_gate() -> None:
    plan = Plan((loc(A.CREATE, A.CREATE, A.MANUAL),))
    assert check_plan(plan, NO_LIMITS, allow=[A.CREATE]) == []
    assert check_plan(plan, NO_LIMITS, allow=[A.CREATE], deny=[A.DELETE]) == []


def test_deny_holds_back_its_actions_and_manual_only_when_denied_explicitly() -> None:
    plan = Plan((loc(A.DELETE, A.MANUAL),))
    found = check_plan(plan, NO_LIMITS, deny=[A.DELETE])
    assert [v.message for v in found] == [
        "the plan holds 1 delete, which this run does not allow (allowed: create,update,replace)"
    ]
    assert found[0].allow == "no --deny"
    manual = check_plan(plan, NO_LIMITS, deny=[A.MANUAL])
    assert [v.message for v in manual] == [
        "the plan holds 1 manual, which this run does not allow "
        "(allowed: create,update,replace,delete)"
    ]
    assert manual[0].allow == "no --deny"


def test_allow_naming_manual_does_not_list_it_and_deny_wins_over_allow() -> None:
    plan = Plan((loc(A.UPDATE),))
    found = check_plan(plan, NO_LIMITS, allow=[A.UPDATE, A.MANUAL], deny=[A.UPDATE])
    assert [v.message for v in found] == [
        "the plan holds 1 update, which this run does not allow (allowed: )"
    ]
    assert found[0].allow == "no --deny"
    allowed_manual = check_plan(Plan((loc(A.MANUAL),)), NO_LIMITS, allow=[A.CREATE])
    assert allowed_manual == []  # manual is never applied, so never gated unless denied


def test_gates_apply_per_location_and_to_the_agency() -> None:
    agency = LocationPlan("agency", "C1", (change(A.DELETE, "m"),))
    plan = Plan((loc(A.CREATE, name="A", lid="LA"), loc(A.DELETE, name="B", lid="LB")), agency)
    found = check_plan(plan, NO_LIMITS, allow=[A.CREATE])
    assert [(v.where, v.location_id, v.rule) for v in found] == [
        ("B", "LB", "gate"),
        ("agency", "C1", "gate"),
    ]


# -- per-location thresholds -------------------------------------------------------------------


def test_update_threshold_counts_updates_and_replaces_above_the_share() -> None:
    t = Thresholds(update_percent=30.0, delete_percent=100.0, min_existing=10)
    # 3 of 10 is exactly 30%: allowed
    assert check_plan(Plan((loc(A.UPDATE, A.UPDATE, A.REPLACE, existing=10),)), t) == []
    over = check_plan(Plan((loc(A.UPDATE, A.UPDATE, A.REPLACE, A.UPDATE, existing=10),)), t)
    assert [(v.rule, v.message, v.forceable, v.allow, v.location_id) for v in over] == [
        (
            "update-threshold",
            "would update or replace 4 of 10 objects (40% > 30%)",
            True,
            "--force",
            "L1",
        )
    ]
    assert over[0].advice == "use --force to proceed"


def test_delete_threshold_counts_deletes_and_replaces_above_the_share() -> None:
    t = Thresholds(update_percent=100.0, delete_percent=20.0, min_existing=10)
    assert check_plan(Plan((loc(A.DELETE, A.REPLACE, A.CREATE, existing=10),)), t) == []
    over = check_plan(Plan((loc(A.DELETE, A.DELETE, A.REPLACE, A.UPDATE, existing=10),)), t)
    assert [(v.rule, v.message) for v in over] == [
        ("delete-threshold", "would delete or replace 3 of 10 objects (30% > 20%)")
    ]


def test_a_replace_counts_towards_both_thresholds() -> None:
    t = Thresholds(update_percent=10.0, delete_percent=10.0, min_existing=10)
    found = check_plan(Plan((loc(A.REPLACE, A.REPLACE, existing=10),)), t)
    assert [v.rule for v in found] == ["update-threshold", "delete-threshold"]
    assert [v.message for v in found] == [
        "would update or replace 2 of 10 objects (20% > 10%)",
        "would delete or replace 2 of 10 objects (20% > 10%)",
    ]


def test_thresholds_apply_from_min_existing_live_objects_on() -> None:
    t = Thresholds(update_percent=10.0, delete_percent=10.0, min_existing=4)
    below = Plan((loc(A.DELETE, A.DELETE, A.DELETE, existing=3),))
    assert check_plan(below, t) == []
    at = Plan((loc(A.DELETE, A.DELETE, A.DELETE, existing=4),))
    assert [v.message for v in check_plan(at, t)] == [
        "would delete or replace 3 of 4 objects (75% > 10%)"
    ]


def test_an_empty_location_is_never_over_a_threshold() -> None:
    t = Thresholds(update_percent=0.0, delete_percent=0.0, min_existing=0)
    assert check_plan(Plan((loc(A.CREATE, A.CREATE, existing=0),)), t) == []
    assert rules(check_plan(Plan((loc(A.UPDATE, existing=1),)), t)) == [
        ("Downtown", "update-threshold")
    ]


def test_fractional_limits_are_shown_as_given() -> None:
    t = Thresholds(update_percent=12.5, delete_percent=100.0, min_existing=1)
    found = check_plan(Plan((loc(A.UPDATE, A.UPDATE, existing=8),)), t)
    assert [v.message for v in found] == ["would update or replace 2 of 8 objects (25% > 12.5%)"]


# -- the fleet threshold -----------------------------------------------------------------------


def fleet(losing: int, total: int) -> Plan:
    return Plan(
        tuple(
            loc(A.DELETE if i < losing else A.UPDATE, name=f"L{i}", lid=f"id{i}")
            for i in range(total)
        )
    )


def test_the_fleet_limit_refuses_a_share_of_locations_losing_something_above_it() -> None:
    t = Thresholds(fleet_losing_percent=20.0, fleet_min_locations=5)
    assert check_plan(fleet(1, 5), t) == []  # exactly 20%
    found = check_plan(fleet(2, 5), t)
    assert [(v.where, v.rule, v.forceable, v.allow, v.location_id) for v in found] == [
        ("fleet", "fleet-threshold", True, "--force", None)
    ]
    assert found[0].message == "2 of 5 locations would lose something (40% > 20%): L0, L1"
    assert str(found[0]) == "fleet: " + found[0].message


def test_the_fleet_limit_applies_from_fleet_min_locations_on() -> None:
    t = Thresholds(fleet_losing_percent=20.0, fleet_min_locations=5)
    assert check_plan(fleet(4, 4), t) == []
    assert rules(check_plan(fleet(5, 5), t)) == [("fleet", "fleet-threshold")]


def test_the_fleet_message_names_ten_locations_at_most() -> None:
    t = Thresholds(fleet_losing_percent=0.0, fleet_min_locations=1)
    ten = check_plan(fleet(10, 10), t)[0].message
    assert ten.endswith(": " + ", ".join(f"L{i}" for i in range(10)))
    eleven = check_plan(fleet(11, 11), t)[0].message
    assert eleven.endswith(", ".join(f"L{i}" for i in range(10)) + " …")
    assert "L10" not in eleven


def test_only_destructive_changes_lose_something() -> None:
    assert loses_something(loc(A.DELETE))
    assert loses_something(loc(A.REPLACE))
    assert not loses_something(loc(A.CREATE, A.UPDATE, A.MANUAL))


def test_the_agency_plan_is_not_a_location_of_the_fleet_limit() -> None:
    t = Thresholds(fleet_losing_percent=0.0, fleet_min_locations=2)
    agency = LocationPlan("agency", "C1", (change(A.DELETE, "m"),))
    assert check_plan(Plan((loc(A.CREATE, name="A"),), agency), t) == []


# -- violations and verdicts ----------------------------------------------------------------


def test_only_unreadable_and_stale_keep_just_their_own_location_back() -> None:
    def v(rule: str, allow: str = "") -> Violation:
        return Violation("Downtown", rule, "m", forceable=False, allow=allow)

    assert not v("unreadable").blocks_all
    assert not v("stale").blocks_all
    assert v("gate").blocks_all and v("protect").blocks_all
    assert v("stale").advice == "plan again"
    assert v("unreadable").advice == "no flag allows this"
    assert str(Violation("", "r", "just the message", forceable=False)) == "just the message"
    assert str(v("gate")) == "Downtown: m"


def test_violations_and_verdicts_round_trip_through_their_data() -> None:
    forced = Violation("Downtown", "update-threshold", "m1", True, "--force", "L1")
    gate = Violation("Uptown", "gate", "m2", False, "--allow create,update", "L2")
    fleet_v = Violation("fleet", "fleet-threshold", "m3", True, "--force")
    protect = Violation("agency", "protect", "m4", False, "", "C1")
    assert protect.to_data() == {
        "where": "agency",
        "location_id": "C1",
        "rule": "protect",
        "message": "m4",
        "allow": None,
    }
    for v in (forced, gate, fleet_v, protect):
        assert Violation.from_data(v.to_data()) == v
    verdict = Verdict(refused=(gate, protect), allowed=(forced, fleet_v))
    data = verdict.to_data()
    assert data == {
        "refusals": [gate.to_data(), protect.to_data()],
        "allowed": [forced.to_data(), fleet_v.to_data()],
    }
    assert Verdict.from_data(data["refusals"] + ["junk"], data["allowed"]) == verdict
    assert Violation.from_data({}) == Violation("", "", "", forceable=False)


def test_a_verdict_is_true_when_it_refused_or_allowed_anything() -> None:
    v = Violation("x", "gate", "m", False)
    assert not Verdict()
    assert Verdict(refused=(v,))
    assert Verdict(allowed=(v,))
