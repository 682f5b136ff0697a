"""Static rules every test module follows, checked by ``tests/unit/test_suite_rules.py``:

- no test imports a conftest (``from conftest import``, ``from tests.conftest import``): which
  conftest a bare ``conftest`` names depends on the folders given and their order; helpers live
  in ``tests.helpers``;
- no ``assert`` of a CLI run's result itself (``assert run(...)``): a click ``Result`` is always
  true, so such an assert can never fail; assert on ``.exit_code`` or the output instead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def runner_names(tree: ast.Module) -> set[str]:
    """Names that, called, give a click Result: ``invoke``, functions annotated ``-> Result``,
    fixtures annotated ``-> Runner`` and variables bound to ``Runner(...)``/``CliRunner(...)``."""
    names = {"invoke"}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            returns = ast.unparse(node.returns)
            if returns in ("Result", "click.testing.Result"):
                names.add(node.name)
            elif returns == "Runner":
                names.add(node.name)  # a fixture: tests take it as a parameter of that name
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            if _name(node.value.func) in ("Runner", "CliRunner"):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif (
            isinstance(node, ast.arg)
            and node.annotation is not None
            and ast.unparse(node.annotation) == "Runner"
        ):
            names.add(node.arg)
    return names


def violations(
    source: str, file: str, extra_runners: frozenset[str] = frozenset()
) -> Iterator[str]:
    tree = ast.parse(source, file)
    runners = runner_names(tree) | extra_runners
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module == "conftest" or module.endswith(".conftest"):
                yield f"{file}:{node.lineno}: imports {module}; import helpers from tests.helpers"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "conftest" or alias.name.endswith(".conftest"):
                    yield f"{file}:{node.lineno}: imports {alias.name}"
        elif isinstance(node, ast.Assert):
            test = node.test
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                test = test.operand
            if isinstance(test, ast.Call) and _name(test.func) in runners:
                yield (
                    f"{file}:{node.lineno}: `assert {ast.unparse(test)}` is always true (a click "
                    "Result); assert on its exit_code or output"
                )


def suite_violations() -> list[str]:
    """Every violation in the test modules under tests/ (fixtures named after a Runner anywhere
    in the suite count as runners in every module)."""
    files = sorted(p for p in TESTS.rglob("*.py") if ".venv" not in p.parts)
    fixtures: set[str] = set()
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.FunctionDef)
                and node.returns is not None
                and ast.unparse(node.returns) == "Runner"
            ):
                fixtures.add(node.name)
    found: list[str] = []
    for path in files:
        rel = str(path.relative_to(TESTS.parent))
        found += violations(path.read_text(encoding="utf-8"), rel, frozenset(fixtures))
    return found
