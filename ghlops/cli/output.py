"""Small helpers for terminal output: colour decisions, echo wrappers and fleet progress."""

from __future__ import annotations

import os
import sys
import threading
from types import TracebackType
from typing import Any

import click

from ghlops.secrets import scrub

PLAIN_PROGRESS_MIN = 20  # without a terminal, progress lines only for fleets this big


def use_color(stream: object = None, *, no_color: bool = False) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print ``text``; the secrets this process knows (tokens, OAuth secrets) never get out,
    in whatever encoding they came back (see :func:`ghlops.secrets.scrub`)."""
    click.echo(scrub(text), err=err, nl=nl)


class Progress:
    """Progress of a fleet run on stderr: a bar on a terminal, a line per ~10% otherwise.

    Thread-safe: locations finish in worker threads.
    """

    def __init__(self, total: int, label: str) -> None:
        self.total = total
        self.label = label
        self.done = 0
        self._lock = threading.Lock()
        self._tty = bool(getattr(sys.stderr, "isatty", lambda: False)())
        self._bar: Any = None
        self._step = max(1, total // 10)

    def __enter__(self) -> Progress:
        if self._tty and self.total > 1:
            self._bar = click.progressbar(
                length=self.total, label=self.label, file=sys.stderr, show_pos=True
            )
            self._bar.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)

    def advance(self, _item: object = None) -> None:
        with self._lock:
            self.done += 1
            if self._bar is not None:
                self._bar.update(1)
            elif self.total >= PLAIN_PROGRESS_MIN and (
                self.done % self._step == 0 or self.done == self.total
            ):
                click.echo(f"{self.label}: {self.done}/{self.total} locations", err=True)
