"""Writing files so that a crash or a kill leaves the old content or the new, never half."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write a file so that a crash leaves either the old or the new content, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_limited(path: Path, limit: int, what: str) -> str:
    """The text of ``path``, a regular file of at most ``limit`` bytes (UTF-8).

    Raises:
        FileNotFoundError: there is no such file.
        ConfigError: it is not a regular file (a folder, a device such as /dev/zero, a FIFO),
            or is larger than ``limit``.
        UnicodeDecodeError: it is not UTF-8.
    """
    from ghlops.errors import ConfigError

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{what} is not a regular file")
        if info.st_size > limit:
            raise ConfigError(f"{what} is larger than {limit // (1024 * 1024)} MiB")
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:  # grew while read
        raise ConfigError(f"{what} is larger than {limit // (1024 * 1024)} MiB")
    return data.decode("utf-8")
