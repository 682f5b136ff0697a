"""The apply lock with real processes: a live holder refuses others, a killed holder's lock is
taken over, exactly one of several processes racing for the same dead lock takes it, and
processes taking and releasing it in a loop never hold it at the same time."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_safety import run, write_project

DEADLINE = 120.0  # seconds a step may take on a loaded machine before the test gives up

TAKE_ONCE = """
import os, sys, time
from pathlib import Path
from ghlops.apply.lock import apply_lock
from ghlops.errors import ConfigError
root = Path(sys.argv[1])
# a loaded machine: checking whether a pid is alive is slow, which widens the window between
# finding a dead lock and acting on it (a check-then-delete take-over loses this race)
probe = os.kill
def slow_probe(pid, sig):
    time.sleep(0.05)
    return probe(pid, sig)
os.kill = slow_probe
print("ready", flush=True)
while not (root / "go").exists():
    time.sleep(0.001)
try:
    with apply_lock(root):
        print("took", flush=True)
        while not (root / "release").exists():
            time.sleep(0.005)
except ConfigError as exc:
    print("refused", exc, flush=True)
"""

LOOP = """
import os, sys, time
from pathlib import Path
from ghlops.apply.lock import apply_lock
from ghlops.errors import ConfigError
root, rounds = Path(sys.argv[1]), int(sys.argv[2])
log = os.open(root / "log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
done = 0
while done < rounds:
    try:
        with apply_lock(root):
            os.write(log, f"enter {os.getpid()}\\n".encode())
            time.sleep(0.002)
            os.write(log, f"exit {os.getpid()}\\n".encode())
        done += 1
    except ConfigError:
        time.sleep(0.001)
"""

HOLD = """
import sys
from pathlib import Path
from ghlops.apply.lock import apply_lock
with apply_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


def python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def dead_lock(root: Path) -> Path:
    """A lock file left by a killed apply: a record, and no process holding it."""
    lock = root / ".ghlops" / "apply.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started": 0}))
    return lock


@pytest.mark.parametrize("round_", range(3))
def test_exactly_one_of_several_processes_takes_over_a_dead_lock(
    tmp_path: Path, round_: int
) -> None:
    root = tmp_path / f"race-{round_}"
    root.mkdir()
    dead_lock(root)
    procs = [python(TAKE_ONCE, str(root)) for _ in range(6)]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        (root / "go").touch()  # all of them go for the same dead lock at once
        results = []
        for proc in procs:
            assert proc.stdout is not None
            results.append(proc.stdout.readline().strip())
        took = [r for r in results if r == "took"]
        refused = [r for r in results if r.startswith("refused")]
        assert len(took) == 1, results
        assert len(refused) == 5, results
        assert all("another ghlops apply is" in r for r in refused), refused
    finally:
        (root / "release").touch()
        for proc in procs:
            proc.wait(timeout=DEADLINE)
            for stream in (proc.stdout, proc.stderr, proc.stdin):
                if stream:
                    stream.close()
    assert [p.returncode for p in procs] == [0] * 6
    assert not (root / ".ghlops" / "apply.lock").exists()


def test_processes_taking_and_releasing_in_a_loop_never_overlap(tmp_path: Path) -> None:
    """Fencing: a process that opened the file just before its owner unlinked it must not
    believe it holds the lock while another process holds the new file."""
    root = tmp_path / "loop"
    (root / ".ghlops").mkdir(parents=True)
    procs = [python(LOOP, str(root), "25") for _ in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=DEADLINE)
        assert proc.returncode == 0, err
    lines = (root / "log").read_text().splitlines()
    assert len(lines) == 4 * 25 * 2
    holder = None
    for line in lines:
        event, pid = line.split()
        if event == "enter":
            assert holder is None, f"{pid} entered while {holder} held the lock"
            holder = pid
        else:
            assert holder == pid
            holder = None


def test_a_live_apply_refuses_another_and_a_killed_ones_lock_is_taken_over(
    tmp_path: Path,
) -> None:
    root = tmp_path / "fleet"
    write_project(root)
    holder = python(HOLD, str(root))
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        refused = run(root, "apply", "--sandbox", "--auto-approve")
        assert refused.exit_code == 1
        assert (
            f"another ghlops apply is running in this project (pid {holder.pid} on "
            f"{socket.gethostname()}" in refused.stderr
        )
        assert not (root / ".ghlops" / "sandbox.sqlite3").exists(), "nothing was planned"
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # a killed apply leaves its lock file behind
        holder.wait(timeout=DEADLINE)
        for stream in (holder.stdout, holder.stderr, holder.stdin):
            if stream:
                stream.close()
    lock = root / ".ghlops" / "apply.lock"
    assert json.loads(lock.read_text())["pid"] == holder.pid
    result = run(root, "apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert f"taking over the lock of a dead ghlops apply (pid {holder.pid}" in result.stderr
    assert not lock.exists()


def test_the_fencing_check_rejects_a_lock_file_released_after_it_was_opened(
    tmp_path: Path,
) -> None:
    """A process that opened apply.lock just before its owner released (unlinked) it, and then
    gets the flock of that old file, must see that the path now names another file."""
    import fcntl

    from ghlops.apply import lock

    path = tmp_path / lock.LOCK_FILE
    with lock.apply_lock(tmp_path):
        late = os.open(path, os.O_RDWR)  # opened while the first owner holds it
    try:
        with lock.apply_lock(tmp_path):  # a second owner: a new file at the same path
            fcntl.flock(late, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the old file's flock is free
            assert not lock._same_file(late, path)
            assert json.loads(path.read_text())["pid"] == os.getpid()
    finally:
        os.close(late)
