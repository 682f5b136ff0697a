"""What apply shows while it runs and when it is done.

Whether stderr is a terminal decides the form (:func:`_stderr_is_tty`, asked when the apply
starts):

* Without a terminal (CI logs), each change is printed as it is made, one plain line each
  (``  north: + tag "vip": created (id …)``), and when the apply is done one summary line per
  location that had outcomes (``north: 2 done, 1 FAILED``), in plan order.
* On a terminal, a progress bar on stderr counts the changes made of the total, with the
  retries and rate-limit waits so far; each location's lines are kept and printed together, under
  its summary line, when the apply is done, so parallel locations never interleave.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import click

from ghlops.cli.output import echo
from ghlops.escape import terminal
from ghlops.plan.changes import ACTION_SYMBOLS, Plan
from ghlops.secrets import mask_text

if TYPE_CHECKING:
    from ghlops.apply.applier import Outcome
    from ghlops.engine import Activity

_PAST = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}
REFRESH_SECONDS = 1.0  # the bar is redrawn this often while a location waits


def _stderr_is_tty() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def outcome_line(outcome: Outcome) -> tuple[str, bool] | None:
    """The line reporting one outcome (without the location), and whether it is an error."""
    from ghlops.apply.applier import Status
    from ghlops.render.text import change_name

    change = outcome.change
    what = change_name(change.kind, change.key)
    symbol = ACTION_SYMBOLS[change.action]
    if outcome.status is Status.DONE:
        ident = f" (id {terminal(outcome.new_id)})" if outcome.new_id else ""
        past = _PAST[change.action.value]
        if outcome.adopted:
            past += " (adopted after an ambiguous failure)"
        return f"{symbol} {what}: {past}{ident}", False
    if outcome.status is Status.FAILED:
        return f"{symbol} {what}: FAILED: {terminal(mask_text(outcome.error or ''))}", True
    if outcome.status is Status.MANUAL:
        return f"{symbol} {what}: manual, not applied", False
    return None  # not attempted: counted in the summary


def activity_text(activity: Activity | None) -> str:
    if activity is None:
        return ""
    parts = []
    if activity.retries:
        parts.append(f"{activity.retries} retried")
    if activity.throttled:
        parts.append(f"{activity.throttled} throttled (429)")
    if activity.waited >= 0.1:
        parts.append(f"waited {activity.waited:.0f} s for rate limits")
    return ", ".join(parts)


class ApplyReporter:
    """Receives outcomes from the apply's worker threads; use as a context manager."""

    def __init__(
        self,
        plan: Plan,
        activity: Callable[[], Activity] | None = None,
        *,
        tty: bool | None = None,
    ) -> None:
        self.tty = _stderr_is_tty() if tty is None else tty
        self.total = sum(len(loc.changes) for loc in plan.all)
        self.order = [loc.name for loc in plan.all]
        self.activity = activity
        self.done = 0
        self.lines: dict[str, list[tuple[str, bool, str]]] = {}  # text, error, status
        self._lock = threading.Lock()
        self._bar: Any = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> ApplyReporter:
        if self.tty and self.total:
            self._bar = click.progressbar(
                length=self.total,
                label="Applying",
                file=sys.stderr,
                show_pos=True,
                show_eta=False,
                item_show_func=lambda _: activity_text(self.activity() if self.activity else None),
            )
            self._bar.__enter__()
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(REFRESH_SECONDS):
            with self._lock:
                if self._bar is not None:
                    self._bar.update(0)

    def __call__(self, location: str, outcome: Outcome) -> None:
        line = outcome_line(outcome)
        with self._lock:
            self.done += 1
            if self._bar is not None:
                self._bar.update(1)
            if line is None:
                return
            text, error = line
            self.lines.setdefault(location, []).append((text, error, outcome.status.value))
            if not self.tty:
                echo(f"  {terminal(location)}: {text}", err=error)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)
        self.print_summary()

    def print_summary(self) -> None:
        """A line per location that had outcomes, in plan order; on a terminal its outcomes
        follow it (without one they were streamed already)."""
        shown = False
        if not self.tty and self.lines:
            echo("")
        for name in self.order:
            lines = self.lines.get(name)
            if not lines:
                continue
            counts: dict[str, int] = {}
            for _, _, status in lines:
                counts[status] = counts.get(status, 0) + 1
            parts = [f"{counts.get('done', 0)} done"]
            if counts.get("failed"):
                parts.append(f"{counts['failed']} FAILED")
            if counts.get("manual"):
                parts.append(f"{counts['manual']} manual")
            echo(f"{terminal(name)}: {', '.join(parts)}")
            for text, error, _ in lines if self.tty else ():
                echo(f"  {text}", err=error)
            shown = True
        if shown:
            echo("")


def report_totals(activity: Activity | None) -> str:
    """A closing note on retries and waits, when there were any."""
    text = activity_text(activity)
    return f"API: {text}." if text else ""
