"""The plan-case harness: a strict schema for ``tests/cases/plan/*.yaml`` and the runner.

A case gives desired items (as in a bundle file) and live objects (as the API returns them) and
the exact plan expected. Desired items go through the manifest loader's own item code (models,
``protect``, ``renamedFrom``, nested items), the policy through ghlops.yaml's ``policy:`` schema,
live objects through the adapters' live mapping, and the plan through ``plan_location`` with the
kinds in registry order, exactly as in a real run; only HTTP is left out.

Case file keys (any other key, at any level of the case, is an error):

``description``
    What the case shows, in words.
``kind``
    The kind under test (``test_cases_cover_every_kind`` wants one case per kind at least).
``desired``
    A list of items of ``kind`` (for a nested kind such as ``prices``: items of its parent kind
    with the children inside, as in bundles), or a bundle document (bundle kind → items; a
    singleton kind → its mapping, as in bundles) to declare several kinds at once.
``live``
    A list of raw objects of ``kind``, or a mapping kind → raw objects (a singleton kind: its
    one object as the API answers it, or none for a location that has none yet).
``kinds``
    The kinds planned (default: ``kind``, its parent kind and every kind the ``desired`` or
    ``live`` mappings name). Live objects of other kinds are read (adapters may use them, e.g.
    calendar groups for calendars) but not planned.
``policy``
    As ``policy:`` in ghlops.yaml (``prune``, ``ignore``, ``protect``, ``pipelines: write``...).
``live_context``
    ``kinds``: raw objects of further kinds (read, not planned unless in ``kinds``); ``api``:
    canned answers ``"GET /path": body`` to the lookups an adapter makes while mapping live
    objects (paginated reads get all items in one page). Any other call fails the case.
``expect``
    Either ``error`` (the exact text of the GhlopsError reading live state must raise) or the
    plan: ``changes`` (in plan order), ``unmanaged`` (a total, or a mapping kind → count),
    ``warnings`` and ``notes`` (each a part of one of them, in order, all of them listed).

Each expected change names ``action`` and ``key`` and is checked in full: ``kind`` (default: the
case's kind), ``id`` (default: none), ``destructive`` and ``protected`` (default: false),
``diffs`` (field → [before, after]; default: none), and for a create its ``payload`` (the
desired fields it sends; required). ``reasons`` lists texts each found in one of its reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ghlops.errors import GhlopsError
from ghlops.manifest.loader import _flatten_children, _items
from ghlops.manifest.project import PolicySpec, _policy
from ghlops.manifest.yamlload import Positions, YamlDocument
from ghlops.plan.changes import Change, LocationPlan
from ghlops.plan.planner import plan_location
from ghlops.plan.policy import Policy
from ghlops.resources import registry
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem

CASES_DIR = Path(__file__).resolve().parent.parent / "cases" / "plan"
LOCATION_ID = "ve9EPM428h8vShlRW1KT"

Raw = dict[str, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_kind(kind: str) -> str:
    if kind not in registry.ADAPTERS:
        raise ValueError(f"unknown kind {kind!r} (known: {', '.join(registry.kinds())})")
    return kind


class ExpectedChange(_Strict):
    action: Literal["create", "update", "replace", "delete", "manual"]
    key: str
    kind: str | None = None
    id: str | None = None
    destructive: bool = False
    protected: bool = False
    diffs: dict[str, tuple[Any, Any]] = Field(default_factory=dict)
    payload: dict[str, Any] | None = None
    reasons: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _payload_of_creates(self) -> ExpectedChange:
        if self.action == "create" and self.payload is None:
            raise ValueError(f"create {self.key!r}: give its payload (the fields it sends)")
        if self.action != "create" and self.payload is not None:
            raise ValueError(f"{self.action} {self.key!r}: only creates have a payload")
        return self


class Expect(_Strict):
    changes: list[ExpectedChange] | None = None
    unmanaged: int | dict[str, int] | None = None
    warnings: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    error: str | None = None

    @model_validator(mode="after")
    def _error_or_plan(self) -> Expect:
        if self.error is not None:
            if (
                self.changes is not None
                or self.unmanaged is not None
                or self.warnings
                or self.notes
            ):
                raise ValueError("an expected error excludes changes, unmanaged, warnings, notes")
        elif self.changes is None or self.unmanaged is None:
            raise ValueError("expect needs `changes` and `unmanaged` (or an `error`)")
        return self


class LiveContext(_Strict):
    kinds: dict[str, list[Raw]] = Field(default_factory=dict)
    api: dict[str, Any] = Field(default_factory=dict)

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, value: dict[str, list[Raw]]) -> dict[str, list[Raw]]:
        for kind in value:
            _known_kind(kind)
        return value


class Case(_Strict):
    description: str = Field(min_length=1)
    kind: str
    kinds: list[str] | None = None
    policy: PolicySpec | None = None
    desired: list[Raw] | dict[str, list[Raw] | Raw | None]
    live: list[Raw] | dict[str, list[Raw]]
    live_context: LiveContext = Field(default_factory=LiveContext)
    expect: Expect

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return _known_kind(value)

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, value: list[str] | None) -> list[str] | None:
        for kind in value or ():
            _known_kind(kind)
        return value

    @field_validator("live")
    @classmethod
    def _live(cls, value: list[Raw] | dict[str, list[Raw]]) -> list[Raw] | dict[str, list[Raw]]:
        if isinstance(value, dict):
            for kind in value:
                _known_kind(kind)
        return value

    @property
    def adapter(self) -> Adapter:
        return registry.get(self.kind)

    def bundle(self) -> dict[str, list[Raw] | Raw | None]:
        """``desired`` as a bundle document."""
        if isinstance(self.desired, dict):
            return self.desired
        return {self.adapter.parent_kind or self.kind: self.desired}

    def live_raws(self) -> dict[str, list[Raw]]:
        """Raw live objects by kind: ``live`` and ``live_context.kinds``."""
        raws = dict(self.live_context.kinds)
        if isinstance(self.live, dict):
            raws.update(self.live)
        else:
            raws[self.kind] = self.live
        return raws

    def planned(self) -> list[str]:
        """The kinds planned, in registry (dependency) order."""
        wanted = set(self.kinds or ())
        if self.kinds is None:
            wanted.add(self.kind)
            if self.adapter.parent_kind:
                wanted.add(self.adapter.parent_kind)
            if isinstance(self.desired, dict):
                wanted.update(self.desired)
            if isinstance(self.live, dict):
                wanted.update(self.live)
        return [kind for kind in registry.kinds() if kind in wanted]

    def make_policy(self) -> Policy:
        """As the project loader builds it from ghlops.yaml's ``policy:``."""
        prune = frozenset(self.policy.prune or []) if self.policy else frozenset()
        return _policy(self.policy, prune)

    def adapters(self) -> list[Adapter]:
        writes = self.policy is not None and self.policy.pipelines == "write"
        adapters = [registry.get(kind) for kind in self.planned()]
        return [a.with_writes() if writes and not a.writable else a for a in adapters]


def load_case(path: Path) -> Case:
    """Parse and validate one case file.

    Raises:
        ValueError: the file does not follow the schema (the message names the file).
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{path.name}: not a valid plan case:\n{exc}") from exc


class CannedApi:
    """Answers GETs from a case's ``live_context.api``; anything else fails the test."""

    def __init__(self, answers: Mapping[str, Any]) -> None:
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


def desired_items(case: Case) -> dict[str, list[DesiredItem]]:
    """The case's desired items by kind, built by the manifest loader's item code."""
    items, pending, problems, _failed = _items(
        YamlDocument(case.bundle(), Positions()), "case.yaml"
    )
    assert not problems, [str(p) for p in problems]
    assert not pending, "a case's bundle is one file: no partial items, no absent: true"
    merged: dict[str, dict[str, DesiredItem]] = {kind: {} for kind in registry.kinds()}
    for item in items:
        assert item.key not in merged[item.kind], f"duplicate {item.kind} {item.key!r}"
        merged[item.kind][item.key] = item
    _flatten_children(merged)
    return {kind: list(by_key.values()) for kind, by_key in merged.items()}


def read_live(
    case: Case, desired: Mapping[str, Sequence[DesiredItem]]
) -> dict[str, list[LiveItem]]:
    """Live items of every kind the case gives, mapped in registry order (adapters may use the
    kinds mapped before them, as in a real read); kinds not given are read as empty."""
    raws = case.live_raws()
    live: dict[str, list[LiveItem]] = {}
    ctx = Ctx(CannedApi(case.live_context.api), LOCATION_ID, live=live, desired=desired)
    for kind in registry.kinds():
        live[kind] = registry.get(kind).live_items(ctx, raws.get(kind, []))
    return live


def run_case(case: Case) -> LocationPlan:
    desired = desired_items(case)
    live = read_live(case, desired)
    return plan_location(
        "loc", LOCATION_ID, case.adapters(), desired, live, policy=case.make_policy()
    )


def plain(value: Any) -> Any:
    """``value`` with mappings as dicts and sequences as lists, to compare with YAML data."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def change_problems(case: Case, change: Change, want: ExpectedChange) -> list[str]:
    """How ``change`` differs from the expected one (empty: it is as expected)."""
    got = {
        "kind": change.kind,
        "id": change.id,
        "destructive": change.destructive,
        "protected": change.protected,
        "diffs": {d.field: [plain(d.before), plain(d.after)] for d in change.diffs},
    }
    expected = {
        "kind": want.kind or case.kind,
        "id": want.id,
        "destructive": want.destructive,
        "protected": want.protected,
        "diffs": {name: [plain(b), plain(a)] for name, (b, a) in want.diffs.items()},
    }
    if want.action == "create":
        got["payload"] = plain(change.after)
        expected["payload"] = plain(want.payload)
    problems = [
        f"{want.action} {want.key!r}: {name} is {got[name]!r}, expected {expected[name]!r}"
        for name in got
        if got[name] != expected[name]
    ]
    for text in want.reasons:
        if not any(text in reason for reason in change.reasons):
            problems.append(f"{want.key!r}: no reason contains {text!r} ({change.reasons})")
    return problems


def check_plan(case: Case, plan: LocationPlan) -> None:
    """Assert that ``plan`` is exactly the case's expected plan."""
    expect = case.expect
    assert expect.changes is not None and expect.unmanaged is not None
    got = [(c.action.value, c.key) for c in plan.changes]
    assert got == [(e.action, e.key) for e in expect.changes], case.description
    problems = [
        problem
        for change, want in zip(plan.changes, expect.changes, strict=True)
        for problem in change_problems(case, change, want)
    ]
    assert not problems, "\n".join(problems)
    if isinstance(expect.unmanaged, int):
        assert sum(plan.unmanaged.values()) == expect.unmanaged, dict(plan.unmanaged)
    else:
        assert dict(plan.unmanaged) == expect.unmanaged
    for name, texts, wants in (
        ("warnings", plan.warnings, expect.warnings),
        ("notes", plan.notes, expect.notes),
    ):
        assert len(texts) == len(wants), (name, texts)
        for text, want in zip(texts, wants, strict=True):
            assert want in text, (name, text, want)


def check_case(case: Case) -> None:
    """Run one case and assert its expectation (an error, or the exact plan)."""
    if case.expect.error is not None:
        desired = desired_items(case)
        try:
            read_live(case, desired)
        except GhlopsError as exc:
            assert str(exc) == case.expect.error, case.description
            return
        raise AssertionError(f"reading live state did not fail: {case.description}")
    check_plan(case, run_case(case))
