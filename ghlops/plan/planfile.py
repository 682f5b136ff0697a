"""Saved plans: ``ghlops plan --out plan.json`` and ``ghlops apply plan.json``.

A plan file is the JSON plan plus, per location, the digest of the live state it was computed
from and of the rendered manifests, a checksum of its changes, and a unique id. It holds no
tokens, and secret-looking values are masked (the checksum is computed before masking, so the
apply can still verify that it would do exactly what was reviewed). Files are written
atomically. Once applied, the file records it, and applying it again does nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ghlops import __version__
from ghlops.errors import ConfigError
from ghlops.fileio import write_atomic
from ghlops.plan.changes import FORMAT_VERSION, LocationPlan, Plan
from ghlops.secrets import mask_change_data

FILE_KIND = "ghlops-plan"


def changes_checksum(loc: LocationPlan) -> str:
    data = [c.to_data() for c in loc.changes]
    for change in data:
        change.pop("source", None)  # where an item is declared may move without changing it
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def plan_document(
    plan: Plan, selection: Mapping[str, Any], *, show_secrets: bool = False
) -> dict[str, Any]:
    data = plan.to_data()
    for loc_plan, loc_data in zip(plan.all, [*data["locations"], data["agency"]], strict=False):
        if loc_data is None:
            continue
        loc_data["live_digests"] = dict(loc_plan.live_digests)
        loc_data["desired_digest"] = loc_plan.desired_digest
        loc_data["changes_checksum"] = changes_checksum(loc_plan)
        if not show_secrets:
            loc_data["changes"] = [mask_change_data(c) for c in loc_data["changes"]]
    return {
        "kind": FILE_KIND,
        "format_version": FORMAT_VERSION,
        "plan_id": str(uuid.uuid4()),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "ghlops_version": __version__,
        "selection": dict(selection),
        "applied": None,
        **{k: v for k, v in data.items() if k != "format_version"},
    }


def save(path: Path, document: Mapping[str, Any]) -> None:
    write_atomic(path, json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


@dataclass(frozen=True)
class SavedLocation:
    name: str
    location_id: str
    live_digests: Mapping[str, str]
    desired_digest: str
    changes_checksum: str
    has_changes: bool


@dataclass
class SavedPlan:
    path: Path
    document: dict[str, Any]

    @property
    def plan_id(self) -> str:
        return str(self.document["plan_id"])

    @property
    def applied(self) -> Mapping[str, Any] | None:
        value = self.document.get("applied")
        return value if isinstance(value, Mapping) else None

    @property
    def selection(self) -> Mapping[str, Any]:
        value = self.document.get("selection")
        return value if isinstance(value, Mapping) else {}

    def locations(self) -> list[SavedLocation]:
        entries = list(self.document.get("locations") or [])
        if self.document.get("agency"):
            entries.append(self.document["agency"])
        return [
            SavedLocation(
                str(e["name"]),
                str(e["id"]),
                dict(e.get("live_digests") or {}),
                str(e.get("desired_digest", "")),
                str(e.get("changes_checksum", "")),
                bool(e.get("changes")),
            )
            for e in entries
        ]

    def mark_applied(self, summary: Mapping[str, Any]) -> None:
        self.document["applied"] = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            **summary,
        }
        save(self.path, self.document)


def load(path: Path, *, shown: Path | None = None) -> SavedPlan:
    """Read a plan file; ``shown`` is the path as the user gave it, for messages."""
    name = shown or path
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"plan file {name} does not exist") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"plan file {name} is not a ghlops plan ({exc})") from None
    if not isinstance(document, dict) or document.get("kind") != FILE_KIND:
        raise ConfigError(f"plan file {name} is not a ghlops plan (no kind: {FILE_KIND})")
    if document.get("format_version") != FORMAT_VERSION:
        raise ConfigError(
            f"plan file {name} has format {document.get('format_version')!r}; this ghlops "
            f"reads format {FORMAT_VERSION!r}: plan again"
        )
    try:
        saved = SavedPlan(path, document)
        saved.locations()
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"plan file {name} is damaged ({type(exc).__name__}: {exc})") from None
    return saved


def stale_reasons(saved: SavedLocation, now: LocationPlan) -> list[str]:
    """Why a location's saved plan no longer holds, in words; empty when it does."""
    reasons = []
    if saved.desired_digest != now.desired_digest:
        reasons.append("its manifests (or their variables) changed since the plan")
    moved = sorted(
        kind
        for kind in set(saved.live_digests) | set(now.live_digests)
        if saved.live_digests.get(kind) != now.live_digests.get(kind)
    )
    if moved:
        reasons.append(f"its live state changed since the plan ({', '.join(moved)})")
    if not reasons and saved.changes_checksum != changes_checksum(now):
        reasons.append("the changes computed now differ from the reviewed ones")
    return reasons
