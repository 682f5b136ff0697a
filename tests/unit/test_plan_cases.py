"""Data-driven planner tests: each tests/cases/plan/*.yaml gives live + desired → changes.

Desired items go through the kind's manifest model and adapter, live objects through the
adapter's live mapping, exactly as in a real run; only HTTP is left out.

Optional ``live_context`` (for kinds whose live mapping needs context): ``kinds`` holds raw objects
of kinds read earlier (mapped by their adapters into ``ctx.live``), ``api`` canned answers
(``"GET /path": body``) to the lookups the adapter makes; live objects then go through the
adapter's ``live_items(ctx, raws)`` with the case's desired items in ``ctx.desired``. An
``expect.error`` is then the text of the GhlopsError reading live state must raise. Canned
answers also serve paginated reads (all items in one page).

Optional checks: ``reasons`` of an expected change (texts each found in one of its reasons) and
``expect.notes`` (the location's notes, each containing the given text, in order).

``writable: true`` plans a read-only kind with writes switched on (its ``with_writes()``
adapter, as ``policy.pipelines: write`` does).

A nested kind's case (``kind: shippingRates``) declares parent items with the children inside,
as bundles do; the parent kind is planned too, its live objects taken from
``live_context.kinds``, and ``prune`` may list kinds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ghlops.errors import GhlopsError
from ghlops.plan.planner import plan_location
from ghlops.resources import registry
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem

CASES = sorted((Path(__file__).parent.parent / "cases" / "plan").glob("*.yaml"))
LOCATION_ID = "ve9EPM428h8vShlRW1KT"


class CannedApi:
    """Answers GETs from a case's ``live_context.api``; anything else fails the test."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def request(self, method: str, path: str, **_: Any) -> Any:
        key = f"{method} {path}"
        self.calls.append(key)
        assert key in self.answers, f"unexpected call {key} (canned: {sorted(self.answers)})"
        return self.answers[key]

    def paginate(self, path: str, *, items: str, **_: Any) -> list[Any]:
        """Every page at once: the list at ``items`` in the canned ``"GET /path"`` body."""
        body = self.request("GET", path)
        for part in items.split("."):
            body = body[part]
        assert isinstance(body, list), f"no list at {items!r} in the canned GET {path}"
        return body


def read_live(adapter: Adapter, case: dict[str, Any], desired: list[DesiredItem]) -> list[LiveItem]:
    context = case.get("live_context")
    if context is None:
        return [adapter.live_item(raw) for raw in case["live"]]
    kinds = context.get("kinds") or {}
    ctx = Ctx(
        CannedApi(context.get("api") or {}),
        LOCATION_ID,
        live={k: [registry.get(k).live_item(raw) for raw in raws] for k, raws in kinds.items()},
        desired={adapter.kind: desired},
    )
    return adapter.live_items(ctx, case["live"])


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_plan_case(path: Path) -> None:
    case: dict[str, Any] = yaml.safe_load(path.read_text())
    adapter = registry.get(case["kind"])
    if case.get("writable"):
        adapter = adapter.with_writes()
    parent = registry.get(adapter.parent_kind) if adapter.parent_kind else None
    if parent is None:
        desired = [adapter.desired_item(adapter.model(**item)) for item in case["desired"]]
    else:  # a nested kind: parent items with the children inside, as in bundles
        tops = [parent.desired_item(parent.model(**item)) for item in case["desired"]]
        desired = [c for top in tops for c in top.children if c.kind == adapter.kind]
    expected = case["expect"]
    if "error" in expected:
        with pytest.raises(GhlopsError) as raised:
            read_live(adapter, case, desired)
        assert str(raised.value) == expected["error"], case["description"]
        return
    live = read_live(adapter, case, desired)
    prune = frozenset([adapter.kind]) if case.get("prune") else frozenset()
    adapters, desired_of, live_of = [adapter], {adapter.kind: desired}, {adapter.kind: live}
    if parent is not None:  # the parent kind is planned too (live from live_context.kinds)
        raws = case["live_context"]["kinds"].get(parent.kind, [])
        adapters = [parent, adapter]
        desired_of[parent.kind] = tops
        live_of[parent.kind] = [parent.live_item(raw) for raw in raws]
        if isinstance(case.get("prune"), list):  # e.g. prune: [shippingZones]
            prune = frozenset(case["prune"])

    plan = plan_location("loc", LOCATION_ID, adapters, desired_of, live_of, prune=prune)

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
        for text in want.get("reasons", []):  # each a part of one of the change's reasons
            assert any(text in reason for reason in change.reasons), (text, change.reasons)
    assert sum(plan.unmanaged.values()) == expected["unmanaged"]
    warnings = expected.get("warnings", [])
    assert len(plan.warnings) == len(warnings)
    for text, want_text in zip(plan.warnings, warnings, strict=True):
        assert want_text in text
    notes = expected.get("notes", [])  # each a part of one note, in order
    assert len(plan.notes) == len(notes), plan.notes
    for text, want_text in zip(plan.notes, notes, strict=True):
        assert want_text in text


def test_cases_cover_every_kind() -> None:
    covered = {yaml.safe_load(p.read_text())["kind"] for p in CASES}
    assert covered == set(registry.kinds())
