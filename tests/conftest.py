"""Shared fixtures: example projects in tmp folders, the CLI runner, sandboxes over HTTP.

Helpers to import (Runner, HttpSandbox, ...) are in ``tests.helpers``; never import a conftest.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result

from ghlops.sandbox import Sandbox
from tests.helpers.cli import EXAMPLES, HttpSandbox, Runner
from tests.helpers.sandbox import served


def _not_a_truth_value(self: Result) -> bool:
    raise TypeError("a click Result is always true: assert on its exit_code or output instead")


# `assert run(...)` could never fail; make it fail loudly (tests/helpers/rules.py also finds it)
Result.__bool__ = _not_a_truth_value  # type: ignore[method-assign]


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    """A fresh copy of examples/quickstart."""
    dest = tmp_path / "quickstart"
    shutil.copytree(EXAMPLES / "quickstart", dest, ignore=shutil.ignore_patterns(".ghlops"))
    return dest


@pytest.fixture
def ghlops(quickstart: Path) -> Runner:
    """Run the ghlops CLI in-process in the quickstart copy."""
    return Runner(quickstart)


@pytest.fixture
def http_sandbox(tmp_path: Path) -> Iterator[HttpSandbox]:
    """A sandbox served over real HTTP on a free loopback port."""
    sb = Sandbox(tmp_path / "http-sandbox.sqlite3")
    try:
        with served(sb) as (_server, url):
            yield HttpSandbox(sb, url)
    finally:
        sb.close()
