"""The error tree shared by every layer.

Everything ghlops raises on purpose derives from :class:`GhlopsError`; the CLI turns those into
one-line messages and exit code 1. Anything else is a bug and is reported as such.

    GhlopsError
    ├── ManifestError          one or more problems in ghlops.yaml or bundle files (file:line each)
    ├── ConfigError            a problem with the run's settings (missing token env var, bad URL)
    ├── ApiError               an HTTP call to GHL failed (see ghlops.client.errors for subclasses)
    └── PlanError              the planner or applier refuses (ambiguous live state, unsafe plan)
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass


class GhlopsError(Exception):
    """Base of every error ghlops raises on purpose."""


@dataclass(frozen=True)
class SourcePos:
    """A position in a user's file, for error messages."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input."""

    pos: SourcePos
    message: str
    location: str | None = None  # the location handle being rendered, when it matters

    def __str__(self) -> str:
        where = f" (location {self.location})" if self.location else ""
        return f"{self.pos}: {self.message}{where}"


class ManifestError(GhlopsError):
    """Problems in the project file or bundles, all reported at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(
            set(problems),
            key=lambda p: (
                p.pos.file,
                p.pos.line or 0,
                p.pos.column or 0,
                p.message,
                p.location or "",
            ),
        )
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(GhlopsError):
    """The run cannot start: a missing token, a refused base URL, an unknown location."""


class PlanError(GhlopsError):
    """The planner or the applier refuses to go on."""


def closest(name: str, known: Sequence[str]) -> str | None:
    """The one of ``known`` that ``name`` most likely misspells (letter case ignored), if any."""
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def did_you_mean(name: str, known: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``known``, or ``""``."""
    match = closest(name, known)
    return f"; did you mean '{match}'?" if match else ""


def unknown_name_message(what: str, name: str, known: Sequence[str]) -> str:
    """``unknown kind 'tag' (known: tags, ...); did you mean 'tags'?``"""
    return f"unknown {what} {name!r} (known: {', '.join(known)}){did_you_mean(name, known)}"
