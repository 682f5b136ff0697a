"""Crashes: ``ghlops apply`` killed with SIGKILL at random points, then run again.

A sandbox is served over HTTP from this process with some latency; the apply runs in a
subprocess. Each round switches the project between two desired states (so every apply has
creates, updates and pruned deletes to make), kills the apply at a seeded random point (at the
n-th request the sandbox receives, before or after handling it, or after a random delay), checks
what the kill left in ``.ghlops/``, runs apply again to the end and reads the sandbox's store
directly: exactly the desired state, no duplicates, nothing unintended deleted.

Only kills that interrupted work count: a kill that lands after the process finished (or before
it did anything) tests nothing, so rounds go on until enough kills interrupted a run, and the
tests assert how many did (and how many left a half-applied store behind).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.plan import planfile
from ghlops.sandbox import ConnectionFault, Sandbox, SandboxRequest, SandboxResponse, make_server
from ghlops.sandbox.app import CallNext
from tests.integration.fleet import location_id, seed_fleet, tokens, write_fleet

LOCATIONS = 3
KILLS = 21  # rounds end once this many applies were killed (a timer may fire too late)
MODES = ("before", "after", "timer")
QUOTA = {"before": 5, "after": 5, "timer": 3}  # interrupting kills each mode must reach
MAX_ROUNDS = 90
LOCK = Path(".ghlops") / "apply.lock"

# Two desired states; tags and custom values are pruned, custom fields are not.
STATE_A = """\
tags:
  - name: new-patient
  - name: recall-due
  - name: "{{ vars.slug }}-patient"
customFields:
  - {name: Insurance Provider, model: contact, dataType: TEXT, placeholder: "e.g. Delta"}
  - {name: Treatment Plan Value, model: opportunity, dataType: MONETORY}
customValues:
  - {name: Clinic Name, value: "{{ vars.brand }} {{ vars.city }}"}
  - {name: Clinic Phone, value: "{{ vars.phone }}"}
  - {name: Booking URL, value: "https://{{ vars.domain }}/book/{{ vars.slug }}"}
"""
STATE_B = """\
tags:
  - name: new-patient
  - name: invisalign-lead
  - name: sedation-candidate
  - name: "{{ vars.slug }}-vip"
customFields:
  - {name: Insurance Provider, model: contact, dataType: TEXT, placeholder: "e.g. Aetna"}
  - {name: Allergies, model: contact, dataType: LARGE_TEXT}
customValues:
  - {name: Clinic Name, value: "{{ vars.brand }} of {{ vars.city }}"}
  - {name: Clinic Phone, value: "{{ vars.phone }}"}
  - {name: Review Link, value: "https://g.page/{{ vars.slug }}/review"}
"""


def expected(state: str, i: int) -> dict[str, dict[str, str]]:
    """The store's tags, custom field names and custom values of clinic ``i`` in ``state``
    (once both states were applied)."""
    slug, city, phone = f"clinic-{i}", f"City {i}", f"+1 555 01{i:02d}"
    # custom fields are not pruned: once both states were applied, all of them stay
    fields = {"Legacy Intake Notes", "Insurance Provider", "Treatment Plan Value", "Allergies"}
    if state == "A":
        return {
            "tags": dict.fromkeys(["new-patient", "recall-due", f"{slug}-patient"], ""),
            "fields": dict.fromkeys(sorted(fields), ""),
            "values": {
                "Clinic Name": f"Smile Dental {city}",
                "Clinic Phone": phone,
                "Booking URL": f"https://smiledental.example/book/{slug}",
            },
        }
    return {
        "tags": dict.fromkeys(
            ["new-patient", "invisalign-lead", "sedation-candidate", f"{slug}-vip"], ""
        ),
        "fields": dict.fromkeys(sorted(fields), ""),
        "values": {
            "Clinic Name": f"Smile Dental of {city}",
            "Clinic Phone": phone,
            "Review Link": f"https://g.page/{slug}/review",
        },
    }


# -- the served sandbox and the killer ---------------------------------------------------------


@dataclass
class Killer:
    """Kills the apply subprocess at the n-th request the sandbox receives."""

    pid: int = 0
    at: int = 0  # 0: never
    after: bool = False  # kill after handling the request (applied, never answered)
    seen: int = 0
    killed: bool = False  # the kill was sent while the process waited for a request
    started: threading.Event = field(default_factory=threading.Event)  # a request came in
    lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, pid: int, at: int, after: bool) -> None:
        """Count requests from now on; kill ``pid`` at the ``at``-th (0: never)."""
        with self.lock:
            self.pid, self.at, self.after, self.seen, self.killed = pid, at, after, 0, False
            self.started.clear()

    def __call__(self, request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        with self.lock:
            self.seen += 1
            self.started.set()
            fire = self.pid > 0 and self.at > 0 and self.seen == self.at and not self.killed
            if fire:
                self.killed = True
        if not fire:
            return call_next(request)
        if self.after:
            call_next(request)
        os.kill(self.pid, signal.SIGKILL)
        raise ConnectionFault("killed", reset=True, applied=self.after)


@dataclass
class Served:
    sandbox: Sandbox
    url: str
    killer: Killer


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    sb = Sandbox(tmp_path / "served.sqlite3", latency=0.004)
    killer = Killer()
    sb.middleware.append(killer)
    server = make_server(sb, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield Served(sb, f"http://127.0.0.1:{port}", killer)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        sb.close()


def ghlops_process(project: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, **tokens(LOCATIONS), "GHLOPS_TIMEOUT": "5"}
    return subprocess.Popen(
        [sys.executable, "-m", "ghlops", "-C", str(project), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def run(project: Path, *args: str) -> Result:
    env: dict[str, str | None] = {**tokens(LOCATIONS)}
    return CliRunner(env=env).invoke(cli, ["-C", str(project), *args], catch_exceptions=False)


def kill_once_started(proc: subprocess.Popen[bytes], killer: Killer, delay: float) -> None:
    """SIGKILL ``proc`` ``delay`` seconds after the sandbox received its first request (not
    after its start: a loaded machine may take seconds just to start Python)."""
    killer.started.wait(timeout=30)
    time.sleep(delay)
    proc.kill()


def write_state(project: Path, state: str) -> None:
    (project / "bundles" / "base" / "crm.yaml").write_text(STATE_A if state == "A" else STATE_B)


def store(sb: Sandbox, i: int) -> dict[str, list[tuple[str, str]]]:
    loc = location_id(i)
    return {
        "tags": sorted((str(t["name"]), "") for t in sb.objects(loc, "tags")),
        "fields": sorted((str(f["name"]), "") for f in sb.objects(loc, "customFields")),
        "values": sorted(
            (str(v["name"]), str(v["value"])) for v in sb.objects(loc, "customValues")
        ),
    }


def problems(sb: Sandbox, state: str, keep: dict[str, str]) -> list[str]:
    found = []
    for i in range(LOCATIONS):
        have = store(sb, i)
        for what, want in expected(state, i).items():
            dupes = [k for k, n in Counter(k for k, _ in have[what]).items() if n > 1]
            if dupes:
                found.append(f"clinic-{i} {what}: duplicates {dupes}")
            if have[what] != sorted(want.items()):
                found.append(f"clinic-{i} {what}: {have[what]} != {sorted(want.items())}")
    for where, object_id in keep.items():
        loc, kind, _name = where.split("/", 2)
        if object_id not in {str(o["id"]) for o in sb.objects(loc, kind)}:
            found.append(f"{where}: {object_id} was deleted")
    return found


def check_ghlops_dir(project: Path, killed_pid: int) -> bool:
    """What a kill may leave in .ghlops/: a complete lock naming the dead process, no half
    files. Returns whether a lock was left."""
    lock = project / LOCK
    for leftover in (project / ".ghlops").glob("*"):
        assert leftover.name in {"apply.lock"} or leftover.name.endswith(".tmp"), leftover
    if not lock.exists():
        return False
    holder = json.loads(lock.read_text())
    assert holder["pid"] == killed_pid and isinstance(holder["started"], float)
    return True


# -- the tests -----------------------------------------------------------------------------------


def test_apply_killed_at_random_points_converges_on_the_next_run(
    tmp_path: Path, served: Served
) -> None:
    project = write_fleet(tmp_path / "crash", LOCATIONS, kinds="core")
    sb = served.sandbox
    # the unmanaged custom field, the tag "new-patient" and the custom value "Clinic Phone"
    # (declared in both states, updated in place) must keep their ids through every kill
    keep = seed_fleet(sb, LOCATIONS, kinds="core")
    for state in ("B", "A"):  # both states once, without kills
        write_state(project, state)
        first = run(project, "apply", "--auto-approve", "--force", "--base-url", served.url)
        assert first.exit_code == 0, first.output
    assert problems(sb, "A", keep) == []
    kills = {"before": 0, "after": 0, "timer": 0}  # kills that interrupted an apply
    half_applied = 0  # kills that left the store in neither state
    takeovers = 0
    for seed in range(MAX_ROUNDS):
        short = [mode for mode in MODES if kills[mode] < QUOTA[mode]]
        if sum(kills.values()) >= KILLS and not short:
            break
        rng = random.Random(seed)
        state = "B" if seed % 2 == 0 else "A"
        write_state(project, state)
        # modes still short of their quota first: how many timer kills land in time depends on
        # how fast the machine runs the apply, so rounds go on until each mode has its share
        mode = (short or list(MODES))[seed % len(short or MODES)]
        proc = ghlops_process(
            project, "apply", "--auto-approve", "--force", "--base-url", served.url
        )
        try:
            if mode == "timer":
                served.killer.arm(proc.pid, 0, False)
                kill_once_started(proc, served.killer, rng.uniform(0.0, 0.3))
            else:
                # a full apply of the switch makes about 35 requests; kill within them
                served.killer.arm(proc.pid, rng.randint(1, 36), after=mode == "after")
            proc.wait(timeout=30)
        finally:
            served.killer.arm(0, 0, False)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        if proc.returncode != -signal.SIGKILL:
            # the apply finished before the kill (fewer requests, or the timer came late)
            assert proc.returncode == 0, stderr
            continue
        left = problems(sb, state, keep)
        if mode == "timer" and not left:
            continue  # killed after its last change: nothing was interrupted
        kills[mode] += 1
        half_applied += bool(left) and bool(problems(sb, "A" if state == "B" else "B", keep))
        left_lock = check_ghlops_dir(project, proc.pid)
        again = run(project, "apply", "--auto-approve", "--force", "--base-url", served.url)
        assert again.exit_code == 0, f"round {seed} ({mode}): {again.output}"
        if left_lock:
            takeovers += 1
            assert f"taking over the lock of a dead ghlops apply (pid {proc.pid})" in again.stderr
        assert not (project / LOCK).exists()
        assert problems(sb, state, keep) == [], f"round {seed} ({mode})"
        plan = run(project, "plan", "--base-url", served.url, "--detailed-exitcode")
        assert plan.exit_code == 0, plan.output
    assert sum(kills.values()) >= KILLS, kills
    assert all(kills[mode] >= QUOTA[mode] for mode in MODES), kills
    assert half_applied >= 5, (half_applied, kills)
    assert takeovers >= 10


def test_plan_files_survive_kills(tmp_path: Path, served: Served) -> None:
    """``plan --out`` killed at any time leaves no plan file or a whole one; ``apply FILE``
    killed mid-way leaves the file whole (applied or not), and a fresh plan recovers."""
    project = write_fleet(tmp_path / "plans", LOCATIONS, kinds="core")
    keep = seed_fleet(served.sandbox, LOCATIONS, kinds="core")
    for state in ("B", "A"):
        write_state(project, state)
        first = run(project, "apply", "--auto-approve", "--force", "--base-url", served.url)
        assert first.exit_code == 0, first.output
    out = project / "plan.json"
    plans_killed = applies_killed = 0  # kills that interrupted a run
    for seed in range(12):
        if plans_killed >= 3 and applies_killed >= 3:
            break
        rng = random.Random(100 + seed)
        state = "B" if seed % 2 == 0 else "A"
        write_state(project, state)
        out.unlink(missing_ok=True)
        proc = ghlops_process(
            project, "plan", "--force", "--base-url", served.url, "--out", "plan.json"
        )
        served.killer.arm(proc.pid, 0, False)
        try:
            kill_once_started(proc, served.killer, rng.uniform(0.0, 0.4))
            proc.wait(timeout=30)
        finally:
            served.killer.arm(0, 0, False)
        if proc.stderr:
            proc.stderr.close()
        plans_killed += proc.returncode == -signal.SIGKILL  # not finished before the kill
        if out.exists():
            planfile.load(out)  # whole, or it would not load
        made = run(project, "plan", "--force", "--base-url", served.url, "--out", "plan.json")
        assert made.exit_code == 0, made.output
        proc = ghlops_process(project, "apply", "plan.json", "--force", "--base-url", served.url)
        served.killer.arm(proc.pid, rng.randint(4, 30), after=bool(seed % 2))
        try:
            proc.wait(timeout=30)
        finally:
            served.killer.arm(0, 0, False)
        if proc.stderr:
            proc.stderr.close()
        applies_killed += proc.returncode == -signal.SIGKILL  # only the killer sends it
        saved = planfile.load(out)  # whole: applied (the kill came late) or not
        assert bool(saved.applied) == (proc.returncode == 0), proc.returncode
        again = run(project, "apply", "--auto-approve", "--force", "--base-url", served.url)
        assert again.exit_code == 0, again.output
        assert problems(served.sandbox, state, keep) == []
    assert plans_killed >= 3 and applies_killed >= 3, (plans_killed, applies_killed)


def test_the_embedded_sandbox_database_survives_kills(tmp_path: Path) -> None:
    """``apply --sandbox`` writes the sandbox's SQLite file itself: a kill at any point leaves
    it readable, and the next apply completes without duplicates. Rounds go on until three
    kills came while the database held a partial apply (the run had started writing)."""
    project = write_fleet(tmp_path / "embedded", LOCATIONS, kinds="core")
    db = project / ".ghlops" / "sandbox.sqlite3"
    interrupted = 0
    for seed in range(15):
        if interrupted >= 3:
            break
        rng = random.Random(200 + seed)
        state = "B" if seed % 2 == 0 else "A"
        write_state(project, state)
        wal = db.with_name(db.name + "-wal")  # the sandbox's commits go there first
        proc = ghlops_process(project, "apply", "--sandbox", "--auto-approve", "--force")
        for _ in range(3000):  # kill once it writes to the database, not while Python starts
            if (wal.exists() and wal.stat().st_size > 0) or proc.poll() is not None:
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.05))
        proc.kill()
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()
        if proc.returncode == -signal.SIGKILL and db.exists():
            with Sandbox(db) as sb:  # readable after the kill
                interrupted += any(
                    store(sb, i)["values"] != sorted(expected(state, i)["values"].items())
                    or [k for k, _ in store(sb, i)["tags"]] != sorted(expected(state, i)["tags"])
                    for i in range(LOCATIONS)
                )
        again = run(project, "apply", "--sandbox", "--auto-approve", "--force")
        assert again.exit_code == 0, again.output
        with Sandbox(db) as sb:
            for i in range(LOCATIONS):
                have = store(sb, i)
                want = expected(state, i)
                assert [k for k, _ in have["tags"]] == sorted(want["tags"])
                assert have["values"] == sorted(want["values"].items())
                names = [k for k, _ in have["fields"]]
                assert len(names) == len(set(names))  # no duplicate
    assert interrupted >= 3


def test_token_files_are_written_whole_under_kills(tmp_path: Path) -> None:
    """The rotating OAuth refresh token is rewritten with ghlops.fileio.write_atomic: a kill at
    any point leaves the old token or the new one, never a mix, and mode 0600."""
    path = tmp_path / "refresh-token"
    old, new = "r" * 4000 + "\n", "n" * 4000 + "\n"
    path.write_text(old)
    os.chmod(path, 0o600)
    script = (
        "import sys\nfrom pathlib import Path\nfrom ghlops.fileio import write_atomic\n"
        "p = Path(sys.argv[1])\n"
        "while True:\n"
        f"    write_atomic(p, {new!r}, mode=0o600)\n"
        f"    write_atomic(p, {old!r}, mode=0o600)\n"
    )

    def stamp() -> tuple[int, int]:
        status = path.stat()
        return status.st_ino, status.st_mtime_ns

    for seed in range(8):
        before = stamp()
        proc = subprocess.Popen([sys.executable, "-c", script, str(path)])
        for _ in range(3000):  # kill only once it is rewriting (a new file replaced the old)
            if stamp() != before:
                break
            time.sleep(0.01)
        time.sleep(random.Random(seed).uniform(0.0, 0.02))
        proc.kill()
        proc.wait(timeout=10)
        assert stamp() != before, "the writer never ran: the kill tested nothing"
        assert proc.returncode == -signal.SIGKILL
        assert path.read_text() in (old, new)
        assert path.stat().st_mode & 0o777 == 0o600
