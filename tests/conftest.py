"""Shared fixtures: example projects in tmp folders, the CLI runner, sandboxes over HTTP."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.sandbox import Sandbox, make_server

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    """A fresh copy of examples/quickstart."""
    dest = tmp_path / "quickstart"
    shutil.copytree(EXAMPLES / "quickstart", dest, ignore=shutil.ignore_patterns(".ghlops"))
    return dest


@dataclass
class Runner:
    directory: Path

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str | None] | None = None
    ) -> Result:
        runner = CliRunner(env=env)
        return runner.invoke(
            cli, ["-C", str(self.directory), *args], input=input, catch_exceptions=False
        )


@pytest.fixture
def ghlops(quickstart: Path) -> Runner:
    """Run the ghlops CLI in-process in the quickstart copy."""
    return Runner(quickstart)


@dataclass
class HttpSandbox:
    sandbox: Sandbox
    url: str


@pytest.fixture
def http_sandbox(tmp_path: Path) -> Iterator[HttpSandbox]:
    """A sandbox served over real HTTP on a free loopback port."""
    sb = Sandbox(tmp_path / "http-sandbox.sqlite3")
    server = make_server(sb, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield HttpSandbox(sb, f"http://{host}:{port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        sb.close()
        shutil.rmtree(tmp_path / "unused", ignore_errors=True)


def record_sandbox_requests(monkeypatch: pytest.MonkeyPatch, middleware: Any) -> None:
    """Make every Sandbox the CLI opens during the test run ``middleware`` on each request
    (CLI runs build their own Sandbox, so tests cannot reach it otherwise)."""
    import ghlops.sandbox

    class RecordingSandbox(Sandbox):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.middleware.append(middleware)

    monkeypatch.setattr(ghlops.sandbox, "Sandbox", RecordingSandbox)
