"""One apply at a time per project folder: ``.ghlops/apply.lock``.

The lock is an exclusive ``flock`` on the file ``.ghlops/apply.lock``, which holds the owner's
pid, host and start time (for the message a second apply gets). The operating system releases a
``flock`` when its process dies, however it dies, so a lock left by a killed apply is free at
once, and taking it over is atomic: of several processes that find the same dead lock, exactly one
gets the ``flock``; the others are refused with the new owner named.

Fencing: the file may be unlinked (by its owner, on release) between another process opening it
and getting its ``flock``. After taking the ``flock``, the taker checks that the lock's path still
names the very file it locked (same device and inode) and otherwise starts again, so two
processes never hold locks on two different files called ``apply.lock``. The owner unlinks the
file before it lets the ``flock`` go.

This covers one checkout (one machine). Across machines (CI jobs) serialise applies with a CI
concurrency group: see docs/saved-plans.md.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ghlops.errors import ConfigError

LOCK_FILE = Path(".ghlops") / "apply.lock"
_ATTEMPTS = 20  # each lost race (the file replaced under us) costs one


@contextmanager
def apply_lock(root: Path, warn: Callable[[str], None] | None = None) -> Iterator[None]:
    path = root / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path, warn)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)  # before the flock goes: see the fencing note above
        os.close(fd)


def _acquire(path: Path, warn: Callable[[str], None] | None) -> int:
    """An open descriptor of ``path`` holding its exclusive flock, with our owner record in it.

    Raises:
        ConfigError: another live process holds the lock.
    """
    owner = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
    for _ in range(_ATTEMPTS):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_fd(fd)
            os.close(fd)
            raise _busy(path, holder) from None
        except BaseException:
            os.close(fd)
            raise
        if not _same_file(fd, path):  # released and unlinked, or replaced, meanwhile: again
            os.close(fd)
            continue
        previous = _read_fd(fd)
        if previous.get("pid") is not None and warn:
            warn(f"taking over the lock of a dead ghlops apply (pid {previous.get('pid')}): {path}")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(owner).encode("utf-8"), 0)
        os.fsync(fd)
        return fd
    raise ConfigError(f"could not take the apply lock {path}; try again")


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _busy(path: Path, holder: dict[str, object]) -> ConfigError:
    pid = holder.get("pid")
    started = holder.get("started")
    if pid is None:  # the holder has the flock but has not written its record yet
        return ConfigError(
            f"another ghlops apply is starting in this project; lock file {path}. Try again."
        )
    when = float(started) if isinstance(started, int | float) else 0.0
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
    return ConfigError(
        f"another ghlops apply is running in this project (pid {pid} on "
        f"{holder.get('host', '?')} since {since}); lock file {path}. "
        "The lock is released when that process ends, however it ends."
    )


def _read_fd(fd: int) -> dict[str, object]:
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode("utf-8")) if raw else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
