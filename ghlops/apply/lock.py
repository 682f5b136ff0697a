"""One apply at a time per project folder: ``.ghlops/apply.lock``.

The lock is a file holding the owner's pid, host and start time. It appears complete or not at
all: the owner writes it to a temporary file first and hard-links that to the lock's name, which
fails when the lock exists (an exclusive create, like O_EXCL, without a window in which a kill
leaves an empty lock behind). A second apply from the same checkout is refused with the owner
named. A lock left by a process that no longer exists on this host (a killed apply) is taken
over, with a warning.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ghlops.errors import ConfigError

LOCK_FILE = Path(".ghlops") / "apply.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def apply_lock(root: Path, warn: Callable[[str], None] | None = None) -> Iterator[None]:
    path = root / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    owner = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
    _clean_temporaries(path)
    for _ in range(2):
        try:
            _create(path, json.dumps(owner))
        except FileExistsError:
            holder = _read(path)
            same_host = holder.get("host") == owner["host"]
            pid = holder.get("pid")
            if same_host and isinstance(pid, int) and not _alive(pid):
                if warn:
                    warn(f"taking over the lock of a dead ghlops apply (pid {pid}): {path}")
                path.unlink(missing_ok=True)
                continue
            started = holder.get("started")
            when = float(started) if isinstance(started, int | float) else 0.0
            since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
            raise ConfigError(
                f"another ghlops apply is running in this project (pid {pid} on "
                f"{holder.get('host', '?')} since {since}); lock file {path}. "
                "If it is not running any more, delete the lock file."
            ) from None
        break
    else:
        raise ConfigError(f"could not take the apply lock {path}; try again")
    try:
        yield
    finally:
        if _read(path).get("pid") == owner["pid"]:
            path.unlink(missing_ok=True)


def _create(path: Path, text: str) -> None:
    """Create ``path`` holding ``text``, complete or not at all.

    Raises:
        FileExistsError: ``path`` exists.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: exclusive create, then write
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
    finally:
        tmp.unlink(missing_ok=True)


def _clean_temporaries(path: Path) -> None:
    """Remove temporary lock files of processes that were killed while taking the lock."""
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        pid = tmp.name.removeprefix(f".{path.name}.").removesuffix(".tmp")
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _read(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
