"""Ctrl-C and SIGTERM during plan and apply, the way terraform handles them.

Before anything is written (loading, planning, the confirmation prompt) an interrupt stops the
command at once: :class:`Interrupted` is raised in the main thread, the planning workers under
way finish their reads and nothing new starts, and the command exits 130 (SIGINT) or 143
(SIGTERM).

While an apply writes, the first interrupt only asks it to stop: no location and no change starts
after it, the changes under way finish (each call is bounded by its deadline), the report says
what was done, what failed and what was not attempted, the apply lock is released once the last
worker has returned, and the exit code is 130 or 143. A second interrupt exits at once, warning
that the changes under way may be incomplete; the process (and with it every worker) ends
without releasing the lock, so no other apply can start while a write of this one might still be
on its way, and the next apply takes the lock of the dead process over with a warning.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """An interrupt (SIGINT or SIGTERM) came while nothing was being written."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _say(text: str) -> None:
    """Write to stderr from a signal handler: unbuffered, so it never re-enters a stream the
    interrupted code was writing to."""
    with contextlib.suppress(OSError):  # stderr closed: nothing to say it on
        os.write(2, text.encode("utf-8", "replace"))


class Interrupts:
    """Installs the SIGINT and SIGTERM handlers for one command (main thread only)."""

    def __init__(self, lock_note: str = "") -> None:
        self.signum: int | None = None
        self._stop: threading.Event | None = None
        self._writing = False  # the first interrupt came while an apply was writing
        self._lock_note = lock_note
        self._previous: dict[int, Any] = {}

    @property
    def exit_code(self) -> int | None:
        """128 + the signal's number once an interrupt came, else None."""
        return 128 + self.signum if self.signum is not None else None

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    @contextmanager
    def writing(self, stop: threading.Event) -> Iterator[None]:
        """While inside, an interrupt sets ``stop`` instead of raising."""
        self._stop = stop
        try:
            yield
        finally:
            self._stop = None

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.signum is not None:  # the second interrupt: exit now, whatever is under way
            if self._writing:
                _say(
                    f"\n{name} again: exiting now. Changes that were under way may be "
                    f"incomplete; plan again to see what was done.{self._lock_note}\n"
                )
            else:
                _say(f"\n{name} again: exiting now; nothing was changed.\n")
            os._exit(128 + self.signum)
        self.signum = signum
        if self._stop is None:
            raise Interrupted(signum)
        self._writing = True
        self._stop.set()
        _say(
            f"\n{name} received: stopping. No new change is started; waiting for the changes "
            "under way to finish (interrupt again to exit at once).\n"
        )
