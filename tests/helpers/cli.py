"""Helpers of the CLI and integration tests: the example projects, the in-process CLI runner, a
sandbox over HTTP, and recording the requests of the sandboxes a CLI run opens."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "ghlops" / "examples"


@dataclass
class Runner:
    """Runs the ghlops CLI in-process with ``-C directory``."""

    directory: Path

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str | None] | None = None
    ) -> Result:
        runner = CliRunner(env=env)
        return runner.invoke(
            cli, ["-C", str(self.directory), *args], input=input, catch_exceptions=False
        )


@dataclass
class HttpSandbox:
    sandbox: Sandbox
    url: str


class SandboxCalls:
    """A sandbox middleware recording each request as (method, target); see
    :func:`record_sandbox_requests`."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, request: Any, call_next: Any) -> Any:
        self.seen.append((request.method, request.target))
        return call_next(request)


def record_sandbox_requests(monkeypatch: pytest.MonkeyPatch, middleware: Any) -> None:
    """Make every Sandbox the CLI opens during the test run ``middleware`` on each request
    (CLI runs build their own Sandbox, so tests cannot reach it otherwise)."""
    import ghlops.sandbox

    class RecordingSandbox(Sandbox):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.middleware.append(middleware)

    monkeypatch.setattr(ghlops.sandbox, "Sandbox", RecordingSandbox)


def dental_project(sb: Sandbox, root: Path) -> tuple[Path, dict[str, str | None]]:
    """A copy of examples/dental under ``root``, its agency and locations provisioned in ``sb``
    (agency PIT and location PITs) and its sandbox-seed.yaml seeded: (the project, the token
    variables to run the CLI with)."""
    return example_project(sb, root, "dental")


def example_project(sb: Sandbox, root: Path, name: str) -> tuple[Path, dict[str, str | None]]:
    """A copy of the example ``name`` under ``root``, its agency and locations provisioned in
    ``sb`` (agency PIT and location PITs) and its sandbox-seed.yaml seeded when it has one:
    (the project, the token variables to run the CLI with)."""
    import yaml

    from ghlops.manifest.project import load_project

    project = root / name
    shutil.copytree(EXAMPLES / name, project, ignore=shutil.ignore_patterns(".ghlops"))
    loaded = load_project(project)
    assert loaded.agency is not None and loaded.agency.token_env
    company = loaded.agency.company_id
    env: dict[str, str | None] = {loaded.agency.token_env: sb.provision_agency(company)}
    for loc in loaded.locations:
        assert loc.token_env
        env[loc.token_env] = sb.provision_location(loc.id, company_id=company)
    if (project / "sandbox-seed.yaml").exists():
        seed = yaml.safe_load((project / "sandbox-seed.yaml").read_text())
        ids = {loc.name: loc.id for loc in loaded.locations}
        sb.seed({"locations": {ids[n]: kinds for n, kinds in seed["locations"].items()}})
    return project, env
