"""Ctrl-C and SIGTERM sent to a real ``ghlops apply`` process with several locations in flight.

A sandbox is served over HTTP from this process; a gate middleware holds every write until the
test opens it, so the signal arrives while each of the three locations has a write under way.
The first SIGINT (or SIGTERM) must let those writes finish, start no other, print what was done
and what was not attempted, keep the apply lock until the workers have returned, and exit 130
(143). A second SIGINT exits at once with a warning and leaves the lock to the dead process. The
next apply converges without a duplicate either way.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ghlops.sandbox import Sandbox, SandboxRequest, SandboxResponse, make_server
from ghlops.sandbox.app import CallNext
from tests.integration.fleet import seed_fleet, tokens, write_fleet
from tests.integration.test_crashes import LOCK, problems, run, write_state

LOCATIONS = 3
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WAIT = 60.0  # seconds any one step may take on a loaded machine before the test fails


@dataclass
class Gate:
    """Holds writes until opened; watches the apply lock while the signalled apply runs."""

    project: Path
    opened: threading.Event = field(default_factory=threading.Event)
    cond: threading.Condition = field(default_factory=threading.Condition)
    held: int = 0  # writes waiting at the gate
    inside: int = 0  # requests being handled
    signalled: bool = False
    writes_after_signal: int = 0  # writes that arrived after the signal was handled
    lock_missing: int = 0  # requests answered after the signal while the lock was gone

    def __call__(self, request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        write = request.method in WRITES
        with self.cond:
            self.inside += 1
            if self.signalled and write:
                self.writes_after_signal += 1
            if write and not self.opened.is_set():
                self.held += 1
            self.cond.notify_all()
        try:
            if write:
                self.opened.wait(WAIT)
            return call_next(request)
        finally:
            with self.cond:
                if self.signalled and not (self.project / LOCK).exists():
                    self.lock_missing += 1
                self.inside -= 1
                self.cond.notify_all()

    def wait_for(self, what: str, predicate: object) -> None:
        with self.cond:
            assert self.cond.wait_for(predicate, WAIT), f"timed out waiting for {what}"  # type: ignore[arg-type]


@dataclass
class Served:
    sandbox: Sandbox
    url: str
    gate: Gate
    keep: dict[str, str]
    project: Path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    project = write_fleet(tmp_path / "interrupts", LOCATIONS, kinds="core")
    sb = Sandbox(tmp_path / "served.sqlite3")
    keep = seed_fleet(sb, LOCATIONS, kinds="core")
    gate = Gate(project)
    gate.opened.set()
    sb.middleware.append(gate)
    server = make_server(sb, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    write_state(project, "A")  # applied once, so that switching to B has every kind of change
    assert run(project, "apply", "--auto-approve", "--force", "--base-url", url).exit_code == 0
    try:
        yield Served(sb, url, gate, keep, project)
    finally:
        gate.opened.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        sb.close()


class Apply:
    """``ghlops apply`` in a subprocess, its stderr read line by line as it comes."""

    def __init__(self, served: Served) -> None:
        env = {**os.environ, **tokens(LOCATIONS), "GHLOPS_TIMEOUT": "20"}
        args = [
            "apply",
            "--auto-approve",
            "--force",
            "-p",
            str(LOCATIONS),
            "--base-url",
            served.url,
        ]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ghlops", "-C", str(served.project), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.stdout: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._read_stdout, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            self.lines.put(line)

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        self.stdout.extend(self.proc.stdout)

    def wait_line(self, text: str) -> None:
        while True:
            line = self.lines.get(timeout=WAIT)
            if text in line:
                return

    def finish(self) -> int:
        code = self.proc.wait(timeout=WAIT)
        for reader in self._readers:
            reader.join(timeout=WAIT)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return code

    @property
    def err(self) -> str:
        return "".join(self.stderr)


def start_with_writes_in_flight(served: Served) -> Apply:
    """An apply of state B whose three locations each have a write held at the gate."""
    write_state(served.project, "B")
    served.gate.opened.clear()
    apply = Apply(served)
    served.gate.wait_for("a write of every location", lambda: served.gate.held >= LOCATIONS)
    return apply


def converge(served: Served) -> str:
    """Run apply to the end; the store holds state B exactly, without duplicates."""
    served.gate.wait_for("the held requests", lambda: served.gate.inside == 0)
    again = run(served.project, "apply", "--auto-approve", "--force", "--base-url", served.url)
    assert again.exit_code == 0, again.output
    assert problems(served.sandbox, "B", served.keep) == []
    assert not (served.project / LOCK).exists()
    return again.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_first_interrupt_finishes_the_writes_in_flight_and_starts_none(
    served: Served, sig: signal.Signals
) -> None:
    apply = start_with_writes_in_flight(served)
    apply.proc.send_signal(sig)
    apply.wait_line(f"{sig.name} received: stopping")
    with served.gate.cond:
        served.gate.signalled = True
    served.gate.opened.set()
    code = apply.finish()
    assert code == 128 + sig, apply.err
    # the three held writes were answered while the lock was held; no new write started
    assert served.gate.writes_after_signal == 0
    assert served.gate.lock_missing == 0
    assert not (served.project / LOCK).exists()
    err = apply.err
    assert "Apply interrupted: " in err
    assert "not attempted" in err
    for i in range(LOCATIONS):
        assert f"clinic-{i}: stopped by the interrupt; 1 done, " in err, err
    assert err.count("SIGINT") + err.count("SIGTERM") == 1  # no traceback, no second message
    assert "Traceback" not in err
    assert "taking over" not in converge(served)


def test_second_interrupt_exits_at_once_and_leaves_the_lock(served: Served) -> None:
    apply = start_with_writes_in_flight(served)
    apply.proc.send_signal(signal.SIGINT)
    apply.wait_line("SIGINT received: stopping")
    apply.proc.send_signal(signal.SIGINT)
    code = apply.finish()  # while its writes are still held at the gate
    assert code == 130, apply.err
    assert "SIGINT again: exiting now. Changes that were under way may be incomplete" in apply.err
    assert "Traceback" not in apply.err
    # the lock was not released while the writes were on their way: the dead process keeps it
    lock = served.project / LOCK
    assert lock.exists()
    assert f'"pid": {apply.proc.pid}' in lock.read_text()
    served.gate.opened.set()  # the server now applies the held writes nobody will read
    stderr = converge(served)
    assert f"taking over the lock of a dead ghlops apply (pid {apply.proc.pid})" in stderr


def test_an_interrupt_before_any_write_changes_nothing(served: Served) -> None:
    """SIGTERM while planning (reads held): exit 143, no write, the lock released."""
    write_state(served.project, "B")
    held = threading.Event()
    release = threading.Event()

    def hold_reads(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.method == "GET":
            held.set()
            release.wait(WAIT)
        return call_next(request)

    served.sandbox.middleware.insert(0, hold_reads)
    apply = Apply(served)
    assert held.wait(WAIT)
    apply.proc.send_signal(signal.SIGTERM)
    release.set()
    code = apply.finish()
    assert code == 143, apply.err
    assert "Interrupted (SIGTERM)." in apply.err
    assert served.gate.writes_after_signal == 0
    assert not (served.project / LOCK).exists()
    served.sandbox.middleware.remove(hold_reads)
    converge(served)
