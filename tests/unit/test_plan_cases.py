"""Data-driven planner tests: each tests/cases/plan/*.yaml gives live + desired → the exact plan.

The case format and the harness are documented in ``tests/helpers/plan_cases.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ghlops.resources import registry
from tests.helpers.plan_cases import CASES_DIR, check_case, load_case

CASES = sorted(CASES_DIR.glob("*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_plan_case(path: Path) -> None:
    check_case(load_case(path))


def test_cases_cover_every_kind() -> None:
    covered = {load_case(p).kind for p in CASES}
    assert covered == set(registry.kinds())
