"""What a project allows the planner and applier to do: pruning, ignoring, protecting, thresholds.

Pure data, built by the project loader from ``policy:`` in ghlops.yaml and read by the loader
(a declared item that ``ignore`` names is an error), the planner (ignore, protect) and the safety
checks (thresholds).

``ignore`` and ``protect`` patterns are shell globs (``*``, ``?``, ``[...]``, case-sensitive)
matched against what users see (:meth:`Identity.glob_targets`): an item's name (a menu link's
title, a redirect's ``domain/path``), and for nested kinds ``Parent name/child name`` as well as
the child's name alone. docs/policy.md documents them per kind.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ghlops.resources.base import Identity


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

    def ignores(self, identity: Identity) -> bool:
        return self.ignored_by(identity) is not None

    def ignored_by(self, identity: Identity) -> str | None:
        """The first ``ignore`` pattern that names the object, or None."""
        return _matching(self.ignore.get(identity.kind, ()), identity)

    def protects(self, identity: Identity) -> bool:
        return _matching(self.protect.get(identity.kind, ()), identity) is not None


def _matching(patterns: tuple[str, ...], identity: Identity) -> str | None:
    targets = identity.glob_targets()
    return next((p for p in patterns if any(fnmatch.fnmatchcase(t, p) for t in targets)), None)
