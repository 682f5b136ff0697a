"""A one-location project in a tmp folder for the per-kind CLI tests: its bundle, the embedded
sandbox's stored objects, seeding, and a recorder of the requests the sandbox serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ghlops.sandbox import Sandbox
from ghlops.sandbox.app import CallNext, SandboxRequest, SandboxResponse
from tests.helpers.cli import Runner, record_sandbox_requests


class KindProject(Runner):
    """The CLI in a project with one location ``location_id`` and one bundle file."""

    def __init__(self, directory: Path, location_id: str, bundle: str, extra: str = "") -> None:
        super().__init__(directory)
        self.location_id = location_id
        (directory / "bundles" / "main").mkdir(parents=True, exist_ok=True)
        (directory / "ghlops.yaml").write_text(
            "version: 1\nlocations:\n"
            f"  - {{name: main, id: {location_id}, bundles: [bundles/main]}}\n{extra}"
        )
        self.write(bundle)

    def write(self, bundle: str) -> None:
        (self.directory / "bundles" / "main" / "bundle.yaml").write_text(bundle)

    def sandbox(self) -> Sandbox:
        return Sandbox(self.directory / ".ghlops" / "sandbox.sqlite3")

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """The stored objects of ``kind`` in the location (the sandbox's full records)."""
        with self.sandbox() as sb:
            return sb.objects(self.location_id, kind)

    def seed(self, data: dict[str, list[dict[str, Any]]]) -> None:
        with self.sandbox() as sb:
            sb.seed({"locations": {self.location_id: data}})

    def converges(self) -> None:
        """plan exits 2, apply 0, the next plan 0 with "No changes"."""
        plan = self("plan", "--sandbox", "--detailed-exitcode")
        assert plan.exit_code == 2, plan.output
        applied = self("apply", "--sandbox", "--auto-approve")
        assert applied.exit_code == 0, applied.output
        self.no_changes()

    def no_changes(self) -> None:
        again = self("plan", "--sandbox", "--detailed-exitcode")
        assert again.exit_code == 0, again.output
        assert "No changes." in again.stdout


class Calls:
    """Records the (method, target) of every request the embedded sandbox serves."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        self.seen.append((request.method, request.target))
        return call_next(request)

    def under(self, prefix: str) -> list[tuple[str, str]]:
        """The requests whose target starts with ``prefix``."""
        return [(m, t) for m, t in self.seen if t.startswith(prefix)]

    def to(self, path: str) -> list[str]:
        """The targets (with their query) of the requests to exactly ``path``."""
        return [target for _method, target in self.seen if target.split("?")[0] == path]


def recording(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """A recorder of every request the sandboxes the CLI opens during the test serve."""
    recorder = Calls()
    record_sandbox_requests(monkeypatch, recorder)
    return recorder
