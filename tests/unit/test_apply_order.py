"""The applier's ordering rule, which later kinds with parents and children rely on."""

from __future__ import annotations

from ghlops.apply.applier import execution_order
from ghlops.plan.changes import Action, Change


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
