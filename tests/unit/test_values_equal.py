"""values_equal: equality as the API sees it (found missing by mutation testing: adapters
normalise most numbers, so no plan case compared 1 with 1.0 at the top level)."""

from __future__ import annotations

from typing import Any

import pytest

from ghlops.plan.compare import values_equal


@pytest.mark.parametrize(
    ("desired", "live", "equal"),
    [
        (1, 1.0, True),  # GHL returns floats for whole numbers: no endless updates
        (1.0, 1, True),
        (1, 2.0, False),
        (0, 0.0, True),
        (True, 1, False),  # a flag is not a number
        (1, True, False),
        (False, 0, False),
        (None, None, True),  # unset on both sides
        (None, 0, False),
        (0, None, False),
        (None, [], False),
        ([], None, False),
        ("a", "a", True),
        ("1", 1, False),
        (1, "1", False),
        ("a", ["a"], False),
        ([1, 2], [1.0, 2.0], True),  # nested numbers too
        ([1, 2], [2, 1], False),  # list order matters
        ({"a": 1, "b": [1]}, {"a": 1.0, "b": [1.0]}, True),
        ({"a": 1}, {"a": 2}, False),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ([{"x": 1}], [{"x": 1.0}], True),
    ],
)
def test_values_equal(desired: Any, live: Any, equal: bool) -> None:
    assert values_equal(desired, live) is equal
