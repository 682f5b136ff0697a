"""The rules of tests/helpers/rules.py hold for the whole suite, and the checks catch what they
are meant to catch."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from ghlops.cli.main import cli
from tests.helpers.rules import suite_violations, violations


def test_the_suite_follows_its_rules() -> None:
    assert suite_violations() == []


BAD = """
from conftest import LOC
import tests.conftest
from tests.sandbox.conftest import served
from click.testing import CliRunner, Result
from tests.helpers.cli import Runner

def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))

def test_x(ghlops: Runner) -> None:
    runner = CliRunner()
    assert run("plan")
    assert not run("plan")
    assert runner.invoke(cli, ["plan"])
    assert ghlops("apply")
    helper = Runner(path)
    assert helper("plan")
"""

GOOD = """
from tests.helpers.sandbox import LOC

def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))

def test_x(ghlops: Runner) -> None:
    assert run("plan").exit_code == 0
    assert "x" in ghlops("plan").output
    assert looks_fine(run("plan"))
    assert all(run("plan").exit_code == 0 for _ in range(2))
"""


def test_the_checks_find_conftest_imports_and_always_true_asserts() -> None:
    found = list(violations(textwrap.dedent(BAD), "bad.py"))
    lines = sorted(int(v.split(":")[1]) for v in found)
    assert lines == [2, 3, 4, 13, 14, 15, 16, 18], found
    assert list(violations(textwrap.dedent(GOOD), "good.py")) == []


def test_a_click_result_refuses_to_be_a_truth_value() -> None:
    """The root conftest makes ``bool(result)`` raise, so an always-true assert the static check
    misses (a runner under another name) fails when it runs."""
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    with pytest.raises(TypeError, match="always true"):
        bool(result)
