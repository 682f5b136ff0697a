"""Data-driven planner tests: each tests/cases/plan/*.yaml gives live + desired → changes.

Desired items go through the kind's manifest model and adapter, live objects through the
adapter's live mapping, exactly as in a real run; only HTTP is left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ghlops.plan.planner import plan_location
from ghlops.resources import registry

CASES = sorted((Path(__file__).parent.parent / "cases" / "plan").glob("*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_plan_case(path: Path) -> None:
    case: dict[str, Any] = yaml.safe_load(path.read_text())
    adapter = registry.get(case["kind"])
    desired = [adapter.desired_item(adapter.model(**item)) for item in case["desired"]]
    live = [adapter.live_item(raw) for raw in case["live"]]
    prune = frozenset([adapter.kind]) if case.get("prune") else frozenset()

    plan = plan_location(
        "loc",
        "ve9EPM428h8vShlRW1KT",
        [adapter],
        {adapter.kind: desired},
        {adapter.kind: live},
        prune=prune,
    )

    expected = case["expect"]
    got = [(c.action.value, c.key) for c in plan.changes]
    assert got == [(e["action"], e["key"]) for e in expected["changes"]], case["description"]
    for change, want in zip(plan.changes, expected["changes"], strict=True):
        if "id" in want:
            assert change.id == want["id"]
        assert change.destructive == want.get("destructive", False)
        if "diffs" in want:
            assert {d.field: [d.before, d.after] for d in change.diffs} == want["diffs"]
        if change.action.value == "create":
            assert change.after is not None and change.id is None
    assert sum(plan.unmanaged.values()) == expected["unmanaged"]
    warnings = expected.get("warnings", [])
    assert len(plan.warnings) == len(warnings)
    for text, want_text in zip(plan.warnings, warnings, strict=True):
        assert want_text in text


def test_cases_cover_every_kind() -> None:
    covered = {yaml.safe_load(p.read_text())["kind"] for p in CASES}
    assert covered == set(registry.kinds())
