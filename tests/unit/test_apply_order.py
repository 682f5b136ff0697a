"""The applier's ordering rule, which later kinds with parents and children rely on."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ghlops.apply.applier import Ids, _for_change, execution_order
from ghlops.errors import GhlopsError
from ghlops.plan.changes import Action, Change
from ghlops.resources import registry
from ghlops.resources.base import Ctx, DesiredItem, LiveItem


def change(action: Action, kind: str, key: str) -> Change:
    return Change(action, kind, key, None if action is Action.CREATE else "x" * 20, None, None)


def test_deletes_first_in_reverse_dependency_order_then_the_rest_in_order() -> None:
    kinds = ["groups", "calendars"]
    changes = [
        change(Action.CREATE, "calendars", "c1"),
        change(Action.DELETE, "groups", "g-old"),
        change(Action.CREATE, "groups", "g1"),
        change(Action.DELETE, "calendars", "c-old"),
        change(Action.UPDATE, "calendars", "c2"),
        change(Action.REPLACE, "calendars", "c3"),
    ]
    order = [(c.action.value, c.key) for c in execution_order(changes, kinds)]
    assert order == [
        ("delete", "c-old"),
        ("delete", "g-old"),
        ("create", "g1"),
        ("replace", "c3"),
        ("update", "c2"),
        ("create", "c1"),
    ]


def test_kinds_outside_the_dependency_order_rank_first_and_keep_their_order() -> None:
    kinds = ["groups", "calendars"]
    changes = [
        change(Action.DELETE, "other", "o-old"),
        change(Action.DELETE, "groups", "g-old"),
        change(Action.DELETE, "calendars", "c-old"),
        change(Action.CREATE, "calendars", "c1"),
        change(Action.CREATE, "other", "o1"),
        change(Action.MANUAL, "groups", "g-by-hand"),
        change(Action.CREATE, "groups", "g1"),
    ]
    order = [(c.action.value, c.key) for c in execution_order(changes, kinds)]
    assert order == [
        ("delete", "c-old"),
        ("delete", "o-old"),
        ("delete", "g-old"),
        ("create", "o1"),
        ("create", "g1"),  # creates before the manual changes of the same rank
        ("manual", "g-by-hand"),
        ("create", "c1"),
    ]


def test_a_child_is_bound_to_the_parent_id_its_change_names() -> None:
    prices = registry.get("prices")
    ids = Ids({"products/kit": "P-by-name", "tags/vip": "T1"})
    live: dict[str, list[LiveItem]] = {"tags": []}
    desired: dict[str, list[DesiredItem]] = {"tags": []}
    ctx = Ctx(api=None, location_id="L1", live=live, ids=ids, desired=desired)  # type: ignore[arg-type]
    child = replace(change(Action.CREATE, "prices", "kit/Single"), parent="kit", parent_id="P-9")
    pinned = _for_change(ctx, child, prices)
    assert pinned.id_of("products", "kit") == "P-9"
    assert pinned.id_of("tags", "vip") == "T1"  # anything else: the apply's ids
    assert pinned.api is None and pinned.location_id == "L1"
    assert pinned.live is live and pinned.desired is desired
    # no parent named, no parent id, or a kind without parents: the context as it is
    assert _for_change(ctx, replace(child, parent=None), prices) is ctx
    assert _for_change(ctx, replace(child, parent_id=None), prices) is ctx
    assert _for_change(ctx, child, registry.get("tags")) is ctx
    # without ids of the apply, only the pinned parent is known
    bare = _for_change(Ctx(api=None, location_id="L1"), child, prices)
    assert bare.id_of("products", "kit") == "P-9"
    with pytest.raises(GhlopsError, match=r"^no id known for tags 'vip'$"):
        bare.id_of("tags", "vip")
