"""What a project allows the planner and applier to do: pruning, ignoring, protecting, thresholds.

Pure data, built by the project loader from ``policy:`` in ghlops.yaml and read by the planner
(ignore, protect) and by the safety checks (thresholds).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Thresholds:
    """octoDNS-style safety limits; ``--force`` overrides them with the reason printed."""

    update_percent: float = 30.0  # updates + replaces as a share of a location's live objects
    delete_percent: float = 30.0  # deletes + replaces as a share of a location's live objects
    min_existing: int = 10  # the per-location limits apply from this many live objects on
    fleet_losing_percent: float = 20.0  # share of locations that would lose something
    fleet_min_locations: int = 5  # the fleet limit applies from this many planned locations on


def _empty() -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Policy:
    prune: frozenset[str] = frozenset()
    ignore: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)  # kind -> name globs
    protect: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)  # kind -> name globs
    thresholds: Thresholds = field(default_factory=Thresholds)

    def ignores(self, kind: str, key: str) -> bool:
        return _matches(self.ignore.get(kind, ()), key)

    def protects(self, kind: str, key: str) -> bool:
        return _matches(self.protect.get(kind, ()), key)


def _matches(patterns: tuple[str, ...], key: str) -> bool:
    return any(fnmatch.fnmatchcase(key, p) for p in patterns)
