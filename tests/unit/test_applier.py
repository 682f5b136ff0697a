"""The applier (ghlops/apply/applier.py) against the in-process sandbox, through the real client:
the order of the calls it makes, where it stops, and what it does after a create that may or
may not have happened. Failures are injected by an :class:`Api` wrapper; the backoff between
reads sleeps on a fake clock, so nothing here waits."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from ghlops.apply.applier import (
    CREATE_SENDS,
    Backoff,
    Ids,
    LocationResult,
    Outcome,
    Status,
    apply_location,
    not_started,
    relist_delays,
)
from ghlops.client import DEFAULT_BASE_URL, GhlClient
from ghlops.client.errors import ApiError
from ghlops.engine import read_live
from ghlops.errors import GhlopsError
from ghlops.plan.changes import Action, Change, LocationPlan
from ghlops.plan.planner import plan_location
from ghlops.plan.policy import Policy
from ghlops.resources import registry
from ghlops.resources.base import Adapter, DesiredItem, LiveItem
from ghlops.sandbox import Sandbox
from tests.helpers.clock import FakeClock

KINDS = ("tags", "products", "prices")
ADAPTERS: dict[str, Adapter] = {kind: registry.get(kind) for kind in KINDS}
_NEXT = itertools.count()


@dataclass
class Fault:
    """What happens to the next call matching ``method`` and ``path`` (a substring)."""

    method: str
    path: str
    mode: str  # "after": made, then fails ambiguously; "before": fails ambiguously unmade;
    # "fail": a plain refusal; "shape": made, answered with a body of the wrong shape;
    # "deep": the answer cannot be handled (RecursionError); "unreadable": the adapter cannot
    # read the answer (KeyError)
    times: int = 1


@dataclass
class Faulty:
    """The client, with faults injected and every call recorded as ``METHOD /path``."""

    client: GhlClient
    faults: list[Fault] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    on_get: Callable[[str], object] | None = None

    def _fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and fault.path in path:
                fault.times -= 1
                return fault
        return None

    def request(
        self,
        method: str,
        path: str,
        *,
        version: str | None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        self.calls.append(f"{method} {path}")
        if method == "GET" and self.on_get is not None:
            self.on_get(path)
        fault = self._fault(method, path)
        if fault is not None and fault.mode == "before":
            raise ApiError(method, path, 503, "Service Unavailable", maybe_applied=True)
        if fault is not None and fault.mode == "fail" and method == "GET":
            raise ApiError(method, path, 500, "Internal Server Error")
        if fault is not None and fault.mode == "fail":
            raise ApiError(method, path, 422, "name is not valid")
        if fault is not None and fault.mode == "unreadable":
            raise KeyError("id")
        if fault is not None and fault.mode == "deep":
            raise RecursionError("maximum recursion depth exceeded")
        body = self.client.request(method, path, version=version, params=params, json=json)
        if fault is not None and fault.mode == "after":
            raise ApiError(method, path, None, "read timed out", maybe_applied=True)
        if fault is not None and fault.mode == "shape":
            return {"unexpected": True}
        return body

    def paginate(self, path: str, **kw: Any) -> list[Any]:
        self.calls.append(f"GET {path}")
        if self.on_get is not None:
            self.on_get(path)
        fault = self._fault("GET", path)
        if fault is not None and fault.mode == "fail":
            raise ApiError("GET", path, 500, "Internal Server Error")
        return self.client.paginate(path, **kw)


@dataclass
class Location:
    sandbox: Sandbox
    id: str
    api: Faulty
    clock: FakeClock

    def seed(self, kind: str, *objects: dict[str, Any]) -> list[str]:
        ids = self.sandbox.seed({"locations": {self.id: {kind: list(objects)}}})
        return ids[f"{self.id}/{kind}"]

    def names(self, kind: str) -> list[str]:
        return sorted(str(o["name"]) for o in self.sandbox.objects(self.id, kind))

    def objects(self, kind: str) -> list[dict[str, Any]]:
        return self.sandbox.objects(self.id, kind)

    def read(self, desired: Mapping[str, list[DesiredItem]]) -> dict[str, list[LiveItem]]:
        return read_live(self.api.client, self.id, list(ADAPTERS.values()), desired)

    def plan(
        self, desired: Mapping[str, list[DesiredItem]], prune: frozenset[str] = frozenset()
    ) -> LocationPlan:
        everything = {kind: desired.get(kind, []) for kind in KINDS}
        live = self.read(everything)
        return plan_location(
            "Downtown",
            self.id,
            list(ADAPTERS.values()),
            everything,
            live,
            policy=Policy(prune=prune),
        )

    @property
    def backoff(self) -> Backoff:
        return Backoff(delays=(1.0, 2.0), sleep=self.clock.sleep)

    def apply(self, plan: LocationPlan, **kw: Any) -> LocationResult:
        kw.setdefault("backoff", self.backoff)
        return apply_location(plan, self.api, ADAPTERS, **kw)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def loc(sandbox: Sandbox) -> Iterator[Location]:
    location_id = f"ApplierL0c{next(_NEXT):010d}"
    token = sandbox.provision_location(location_id)
    client = GhlClient(token, base_url=DEFAULT_BASE_URL, transport=sandbox.transport())
    try:
        yield Location(sandbox, location_id, Faulty(client), FakeClock())
    finally:
        client.close()


def item(kind: str, raw: dict[str, Any]) -> DesiredItem:
    adapter = registry.get(kind)
    return adapter.desired_item(adapter.model.model_validate(raw))


def tags(*names: str) -> list[DesiredItem]:
    return [item("tags", {"name": n}) for n in names]


def product(name: str, *prices: tuple[str, int]) -> tuple[DesiredItem, list[DesiredItem]]:
    raw = {
        "name": name,
        "productType": "SERVICE",
        "prices": [
            {"name": p, "type": "one_time", "currency": "USD", "amount": amount}
            for p, amount in prices
        ],
    }
    made = item("products", raw)
    return replace(made, children=()), list(made.children)


def writes(api: Faulty) -> list[str]:
    return [c for c in api.calls if not c.startswith("GET")]


def shown(result: LocationResult) -> list[tuple[str, str, str]]:
    return [(o.change.action.value, o.change.key, o.status.value) for o in result.outcomes]


# -- order -------------------------------------------------------------------------------------


def test_deletes_go_first_children_before_parents_then_parents_before_children(
    loc: Location,
) -> None:
    (old_product,) = loc.seed("products", {"name": "Old", "productType": "SERVICE"})
    (old_price,) = loc.seed("prices", {"product": old_product, "name": "Gone", "amount": 5})
    (stale,) = loc.seed("tags", {"name": "stale"})
    new, prices = product("Cleaning", ("Single", 40))
    plan = loc.plan(
        {"tags": tags("vip"), "products": [new], "prices": prices},
        prune=frozenset({"tags", "products", "prices"}),
    )
    loc.api.calls.clear()
    result = loc.apply(plan)
    assert shown(result) == [
        ("delete", "old/Gone", "done"),
        ("delete", "old", "done"),
        ("delete", "stale", "done"),
        ("create", "vip", "done"),
        ("create", "Cleaning", "done"),
        ("create", "Cleaning/Single", "done"),
    ]
    paths = writes(loc.api)
    assert [c.split(" ")[0] for c in paths] == ["DELETE"] * 3 + ["POST"] * 3
    assert paths[:3] == [
        f"DELETE /products/{old_product}/price/{old_price}",
        f"DELETE /products/{old_product}",
        f"DELETE /locations/{loc.id}/tags/{stale}",
    ]
    # the price was created under the product this apply created: its new id was bound
    (cleaning,) = [o for o in loc.objects("products") if o["name"] == "Cleaning"]
    created = {o.change.key: o.new_id for o in result.outcomes}
    assert created["Cleaning"] == cleaning["_id"]
    assert paths[-1] == f"POST /products/{cleaning['_id']}/price"
    assert not result.failed and result.changed_anything and not result.interrupted
    assert loc.read({"tags": [], "products": [new], "prices": prices})["prices"][0].parent == (
        "cleaning"
    )


def test_a_replace_deletes_before_it_creates_and_binds_the_new_id(loc: Location) -> None:
    (old,) = loc.seed("tags", {"name": "vip"})
    swap = Change(Action.REPLACE, "tags", "vip", old, {"name": "vip"}, {"name": "vip"})
    result = loc.apply(LocationPlan("Downtown", loc.id, (swap,)))
    tags_path = f"/locations/{loc.id}/tags"
    assert writes(loc.api) == [f"DELETE {tags_path}/{old}", f"POST {tags_path}"]
    (now,) = loc.objects("tags")
    assert result.outcomes[0].new_id == now["id"] != old
    assert shown(result) == [("replace", "vip", "done")]


def test_updates_keep_the_id_and_manual_changes_are_never_sent(loc: Location) -> None:
    (tag_id,) = loc.seed("tags", {"name": "vip"})
    update = Change(Action.UPDATE, "tags", "vip", tag_id, {"name": "vip"}, {"name": "VIP"})
    manual = Change(Action.MANUAL, "tags", "odd", "m" * 20, {"name": "odd"}, {"name": "odd"})
    plan = LocationPlan("Downtown", loc.id, (manual, update))
    result = loc.apply(plan)
    assert shown(result) == [("update", "vip", "done"), ("manual", "odd", "manual")]
    assert result.outcomes[0].new_id == tag_id
    assert writes(loc.api) == [f"PUT /locations/{loc.id}/tags/{tag_id}"]
    assert loc.names("tags") == ["VIP"]
    assert result.changed_anything and not result.failed


# -- stopping ----------------------------------------------------------------------------------


def test_a_location_stops_at_its_first_failure_and_says_what_was_not_attempted(
    loc: Location,
) -> None:
    plan = loc.plan({"tags": tags("a", "b", "c")})
    loc.api.faults.append(Fault("POST", "/tags", "fail"))
    seen: list[tuple[str, Outcome]] = []
    explained: list[GhlopsError] = []

    def explain(exc: GhlopsError) -> str:
        explained.append(exc)
        return " (check the name)"

    result = loc.apply(plan, on_outcome=lambda name, o: seen.append((name, o)), explain=explain)
    assert shown(result) == [
        ("create", "a", "failed"),
        ("create", "b", "not attempted"),
        ("create", "c", "not attempted"),
    ]
    assert result.outcomes[0].error == (
        f"create tag 'a': POST /locations/{loc.id}/tags → 422 Unprocessable Entity: "
        "name is not valid (check the name)"
    )
    assert [type(e) for e in explained] == [ApiError]
    assert [(name, o) for name, o in seen] == [("Downtown", o) for o in result.outcomes]
    assert writes(loc.api) == [f"POST /locations/{loc.id}/tags"]
    assert loc.names("tags") == []
    assert result.failed and not result.changed_anything
    assert (result.count(Status.FAILED), result.count(Status.NOT_ATTEMPTED)) == (1, 2)


def test_manual_changes_stay_manual_after_a_failure(loc: Location) -> None:
    manual = Change(Action.MANUAL, "tags", "z", "m" * 20, {"name": "z"}, {"name": "z"})
    plan = loc.plan({"tags": tags("a", "b")})
    plan = replace(plan, changes=(*plan.changes, manual))
    loc.api.faults.append(Fault("POST", "/tags", "fail"))
    assert shown(loc.apply(plan)) == [
        ("create", "a", "failed"),
        ("create", "b", "not attempted"),
        ("manual", "z", "manual"),
    ]


def test_an_answer_nested_too_deeply_fails_that_change_only(loc: Location) -> None:
    plan = loc.plan({"tags": tags("a", "b")})
    loc.api.faults.append(Fault("POST", "/tags", "deep"))
    result = loc.apply(plan, explain=lambda exc: " never for a RecursionError")
    assert result.outcomes[0].error == (
        "create tag 'a': the data is nested too deeply to be handled"
    )
    assert shown(result)[1] == ("create", "b", "not attempted")


def test_an_interrupt_finishes_the_change_in_flight_and_starts_no_other(loc: Location) -> None:
    plan = loc.plan({"tags": tags("a", "b", "c")})
    asked: list[int] = []

    def stopped() -> bool:
        asked.append(1)
        return len(asked) > 1  # the interrupt comes while the first change is made

    result = loc.apply(plan, stopped=stopped)
    assert shown(result) == [
        ("create", "a", "done"),
        ("create", "b", "not attempted"),
        ("create", "c", "not attempted"),
    ]
    assert len(asked) == 2  # not asked again once interrupted
    assert result.interrupted and not result.failed
    assert loc.names("tags") == ["a"]


def test_a_location_stopped_before_its_first_change_lists_every_change_in_order() -> None:
    changes = (
        Change(Action.CREATE, "tags", "new", None, None, {"name": "new"}),
        Change(Action.MANUAL, "tags", "odd", "m" * 20, {}, {}),
        Change(Action.DELETE, "products", "Old", "p" * 20, {}, None),
    )
    result = not_started(LocationPlan("Downtown", "L1", changes), list(KINDS))
    assert shown(result) == [
        ("delete", "Old", "not attempted"),
        ("create", "new", "not attempted"),
        ("manual", "odd", "manual"),
    ]
    assert result.interrupted and (result.name, result.location_id) == ("Downtown", "L1")


def test_a_change_that_cannot_be_executed_fails_with_why(loc: Location) -> None:
    odd = Change(Action.DELETE, "tags", "x", None, {"name": "x"}, None)
    result = loc.apply(LocationPlan("Downtown", loc.id, (odd,)))
    assert result.outcomes[0].error == "delete tag 'x': cannot execute delete of tags 'x'"
    assert loc.api.calls == []


def test_an_unknown_reference_is_an_error_naming_it() -> None:
    ids = Ids({"tags/a": "1"})
    ids.set("tags", "b", "2")
    assert (ids.id_of("tags", "a"), ids.id_of("tags", "b")) == ("1", "2")
    with pytest.raises(GhlopsError, match=r"^no id known for products 'a'$"):
        ids.id_of("products", "a")


def test_a_result_with_an_error_has_failed() -> None:
    assert LocationResult("x", "L1", (), error="could not plan").failed
    assert not LocationResult("x", "L1", ()).failed


# -- answers of the wrong shape ------------------------------------------------------------------


@pytest.mark.parametrize("action", [Action.UPDATE, Action.DELETE, Action.REPLACE])
def test_a_write_answered_in_the_wrong_shape_fails_that_change(
    loc: Location, action: Action
) -> None:
    (tag_id,) = loc.seed("tags", {"name": "vip"})
    after = None if action is Action.DELETE else {"name": "VIP"}
    first = Change(action, "tags", "vip", tag_id, {"name": "vip"}, after)
    then = Change(Action.CREATE, "tags", "lead", None, None, {"name": "lead"})
    method = "PUT" if action is Action.UPDATE else "DELETE"
    loc.api.faults.append(Fault(method, "/tags/", "unreadable"))
    result = loc.apply(LocationPlan("Downtown", loc.id, (first, then)))
    assert result.outcomes[0].error == (
        f"{action.value} tag 'vip': the API's answer does not have the documented shape "
        "(KeyError: 'id')"
    )
    assert shown(result)[1] == ("create", "lead", "not attempted")
    assert loc.names("tags") == ["vip"]


def test_a_create_answered_without_the_new_id_is_adopted_by_reading_again(
    loc: Location,
) -> None:
    plan = loc.plan({"tags": tags("vip")})
    loc.api.faults.append(Fault("POST", "/tags", "shape"))
    result = loc.apply(plan)
    (vip,) = loc.objects("tags")
    assert shown(result) == [("create", "vip", "done")]
    assert (result.outcomes[0].new_id, result.outcomes[0].adopted) == (vip["id"], True)
    assert loc.clock.sleeps == []  # found on the first read


# -- creates that may or may not have happened ---------------------------------------------------


def test_a_create_that_happened_is_adopted_not_sent_again(loc: Location) -> None:
    plan = loc.plan({"tags": tags("vip", "lead")})
    loc.api.faults.append(Fault("POST", "/tags", "after"))
    loc.api.calls.clear()
    result = loc.apply(plan)
    assert [(o.status, o.adopted) for o in result.outcomes] == [
        (Status.DONE, True),
        (Status.DONE, False),
    ]
    assert loc.names("tags") == ["lead", "vip"]
    ids = {o["name"]: o["id"] for o in loc.objects("tags")}
    assert {o.change.key: o.new_id for o in result.outcomes} == ids
    assert [(o.change.key, o.adopted) for o in result.outcomes] == [("lead", True), ("vip", False)]
    tags_path = f"/locations/{loc.id}/tags"
    assert loc.api.calls == [f"POST {tags_path}", f"GET {tags_path}", f"POST {tags_path}"]


def test_a_create_that_did_not_happen_is_sent_again_once_two_reads_agree(
    loc: Location,
) -> None:
    plan = loc.plan({"tags": tags("vip")})
    loc.api.faults.append(Fault("POST", "/tags", "before"))
    loc.api.calls.clear()
    result = loc.apply(plan)
    tags_path = f"/locations/{loc.id}/tags"
    assert loc.api.calls == [
        f"POST {tags_path}",
        f"GET {tags_path}",
        f"GET {tags_path}",
        f"POST {tags_path}",
    ]
    assert loc.clock.sleeps == [1.0]
    assert [(o.status, o.adopted) for o in result.outcomes] == [(Status.DONE, False)]
    assert result.outcomes[0].new_id == loc.objects("tags")[0]["id"]


def test_a_create_is_sent_three_times_at_most(loc: Location) -> None:
    plan = loc.plan({"tags": tags("vip")})
    loc.api.faults.append(Fault("POST", "/tags", "before", times=CREATE_SENDS))
    result = loc.apply(plan)
    assert CREATE_SENDS == 3
    assert writes(loc.api).count(f"POST /locations/{loc.id}/tags") == 3
    assert result.outcomes[0].error == (
        f"create tag 'vip': POST /locations/{loc.id}/tags → 503 Service Unavailable: "
        "Service Unavailable (sent 3 times; after each failure, reading tags again twice "
        "showed it had not been created)"
    )
    assert loc.clock.sleeps == [1.0, 1.0, 1.0]
    assert loc.names("tags") == []


def test_two_matches_after_an_ambiguous_create_are_left_alone(loc: Location) -> None:
    plan = loc.plan({"tags": tags("vip")})
    loc.api.faults.append(Fault("POST", "/tags", "after"))
    # someone else created the same tag meanwhile (the sandbox allows the duplicate)
    loc.api.on_get = lambda path: (
        loc.seed("tags", {"name": "vip"}) if len(loc.objects("tags")) < 2 else None
    )
    result = loc.apply(plan)
    listed = ", ".join(sorted(o["id"] for o in loc.objects("tags")))
    assert result.outcomes[0].error == (
        f"create tag 'vip': POST /locations/{loc.id}/tags → failed: read timed out; "
        f"2 live objects now match it ({listed}), so none was adopted and it was not created "
        "again; resolve the duplicates by hand"
    )


def test_a_failed_read_after_an_ambiguous_create_stops_the_location(loc: Location) -> None:
    plan = loc.plan({"tags": tags("vip", "lead")})
    loc.api.faults += [Fault("POST", "/tags", "before"), Fault("GET", "/tags", "fail")]
    loc.api.calls.clear()
    result = loc.apply(plan)
    error = result.outcomes[0].error or ""
    assert error.startswith(f"create tag 'lead': POST /locations/{loc.id}/tags → 503")
    assert error.endswith(
        f"could not tell whether it was created, as listing tags again failed too (GET "
        f"/locations/{loc.id}/tags → 500 Internal Server Error: Internal Server Error (while "
        "reading tags)); plan "
        "again to see"
    )
    assert shown(result)[1] == ("create", "vip", "not attempted")
    assert writes(loc.api) == [f"POST /locations/{loc.id}/tags"]


def test_reads_that_keep_changing_without_the_item_stop_the_location(loc: Location) -> None:
    plan = loc.plan({"tags": tags("vip")})
    loc.api.faults.append(Fault("POST", "/tags", "before"))
    counter = itertools.count()
    loc.api.on_get = lambda path: loc.seed("tags", {"name": f"other-{next(counter)}"})
    result = loc.apply(plan)
    assert (result.outcomes[0].error or "").endswith(
        "could not tell whether it was created: tags was read 3 times over 3 s and changed "
        "between reads without showing it (lists can lag writes), so it was not sent again; "
        "plan again to see"
    )
    assert loc.clock.sleeps == [1.0, 2.0]
    assert writes(loc.api).count(f"POST /locations/{loc.id}/tags") == 1


def test_the_waits_between_reads_follow_the_clients_retry_delay() -> None:
    assert relist_delays(0.5) == (1.0, 2.0)
    assert relist_delays(2.0) == (4.0, 8.0)
    assert Backoff().delays == (1.0, 2.0)


def test_a_nested_create_is_looked_for_under_its_parent_only(loc: Location) -> None:
    (cleaning, other) = loc.seed(
        "products",
        {"name": "Cleaning", "productType": "SERVICE"},
        {"name": "Other", "productType": "SERVICE"},
    )
    loc.seed("prices", {"product": other, "name": "Single", "amount": 40})
    new, prices = product("Cleaning", ("Single", 40))
    plan = loc.plan({"products": [new], "prices": prices})
    (create,) = plan.changes
    assert (create.action, create.parent_id) == (Action.CREATE, cleaning)
    loc.api.faults.append(Fault("POST", "/price", "after"))
    result = loc.apply(plan)
    # "Other" has a "Single" price too: only the one under "Cleaning" is adopted
    (mine,) = [p for p in loc.objects("prices") if p["product"] == cleaning]
    assert [(o.status, o.adopted, o.new_id) for o in result.outcomes] == [
        (Status.DONE, True, mine["_id"])
    ]


def test_a_child_is_created_under_the_parent_id_its_plan_names(loc: Location) -> None:
    (first, second) = loc.seed(
        "products",
        {"name": "Kit", "productType": "SERVICE"},
        {"name": "Kit 2", "productType": "SERVICE"},
    )
    new, prices = product("Kit", ("Single", 9))
    plan = loc.plan({"products": [new], "prices": prices})
    # the bindings name another object "Kit" (as after a rename): the plan's parent id wins
    plan = replace(plan, bindings={**plan.bindings, "products/Kit": second})
    loc.api.calls.clear()
    result = loc.apply(plan)
    assert writes(loc.api) == [f"POST /products/{first}/price"]
    assert [o.status for o in result.outcomes] == [Status.DONE]
    # without a parent id, the bindings are used
    plan2 = replace(
        plan, changes=tuple(replace(c, parent_id=None, key="Kit/Double") for c in plan.changes)
    )
    loc.api.calls.clear()
    loc.apply(plan2)
    assert writes(loc.api) == [f"POST /products/{second}/price"]
