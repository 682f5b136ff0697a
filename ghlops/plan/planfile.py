"""Saved plans: ``ghlops plan --out plan.json`` and ``ghlops apply plan.json``.

A plan file is the JSON plan plus what it takes to apply it exactly as reviewed:

- ``target``: where it was planned (the embedded sandbox, or an API base URL: GHL's or a
  sandbox's); the apply goes there, and a different ``--sandbox``/``--base-url`` is an error;
- ``flags``: the options that shaped it (``--force``, ``--allow``, ``--deny``,
  ``--allow-destroy-opportunities`` and the selection: ``--location``, ``--kind``, ``--shard``…);
  the apply uses them;
- ``ghlops_version`` and ``project_files``: a digest of every project file the plan read
  (``ghlops.yaml`` and the bundle files); a changed file refuses the whole plan, naming it;
- per location (keyed by its id, never its name; the agency apart): the digest of the live state
  it was computed from and of the rendered manifests, and a checksum of its changes;
- ``digest_salt`` and ``plan_key_id``: every digest above is HMAC-SHA-256 keyed with the plan key
  (:mod:`ghlops.plan.plankey`, kept outside the file) and the file's random salt, so no value
  the file shows masked can be recovered from it offline, however short;
- ``refusals`` and ``allowed``: what the safety checks refused, or let through because of a flag;
- ``applied``: per location, when its changes were attempted. A location is applied once; one
  that was refused or not reached can be applied later from the same file.

It holds no tokens, and secret-looking values are masked (the checksum is computed before
masking, so the apply can still verify that it would do exactly what was reviewed). Files are
written atomically.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ghlops import __version__
from ghlops.errors import ConfigError
from ghlops.escape import json_text
from ghlops.fileio import read_limited, write_atomic
from ghlops.plan.changes import Action, Change, FieldDiff, LocationPlan, Plan, frozen
from ghlops.plan.plankey import PlanKey
from ghlops.secrets import mask_change_data, mask_text, scrub

FILE_KIND = "ghlops-plan"
# the plan file's own format: 2 added target, flags, project_files, refusals, per-location
# applied; 3 keyed every digest with the plan key (plan_key_id)
FILE_FORMAT = "3"
EMBEDDED = "embedded-sandbox"
MAX_PLAN_BYTES = 64 * 1024 * 1024  # a plan file larger is refused unread


def changes_checksum(loc: LocationPlan) -> str:
    data = [c.to_data() for c in loc.changes]
    for change in data:
        change.pop("source", None)  # where an item is declared may move without changing it
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def plan_document(
    plan: Plan,
    selection: Mapping[str, Any],
    *,
    show_secrets: bool = False,
    target: Mapping[str, Any] | None = None,
    flags: Mapping[str, Any] | None = None,
    project_files: Mapping[str, str] | None = None,
    refusals: Sequence[Mapping[str, Any]] = (),
    allowed: Sequence[Mapping[str, Any]] = (),
    key: PlanKey | None = None,
) -> dict[str, Any]:
    """The plan file's content; its digests keyed with ``key`` (without one, a throwaway key:
    such a file can be shown, never applied)."""
    data = plan.to_data()
    key = key or PlanKey(secrets.token_bytes(32), "throwaway")
    salt = secrets.token_hex(16)
    for loc_plan, loc_data in zip(plan.all, [*data["locations"], data["agency"]], strict=False):
        if loc_data is None:
            continue
        loc_data["live_digests"] = {
            kind: key.digest(salt, digest) for kind, digest in loc_plan.live_digests.items()
        }
        loc_data["desired_digest"] = key.digest(salt, loc_plan.desired_digest)
        loc_data["changes_checksum"] = key.digest(salt, changes_checksum(loc_plan))
        if not show_secrets:
            loc_data["changes"] = [mask_change_data(c) for c in loc_data["changes"]]
            for words in ("warnings", "notes"):  # free text quoting GHL and the manifests
                loc_data[words] = [mask_text(str(w)) for w in loc_data.get(words) or ()]
            if loc_data.get("error"):
                loc_data["error"] = mask_text(str(loc_data["error"]))
    return {
        "kind": FILE_KIND,
        "format_version": FILE_FORMAT,
        "plan_id": str(uuid.uuid4()),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "ghlops_version": __version__,
        "target": dict(target or {"mode": EMBEDDED}),
        "flags": dict(flags or {}),
        "project_files": {
            name: key.digest(salt, digest) for name, digest in (project_files or {}).items()
        },
        "selection": dict(selection),
        "refusals": [dict(r) for r in refusals],
        "allowed": [dict(a) for a in allowed],
        "applied": {},
        "digest_salt": salt,
        "plan_key_id": key.key_id,
        **{k: v for k, v in data.items() if k != "format_version"},
    }


def save(path: Path, document: Mapping[str, Any]) -> None:
    """Write a plan file, mode 0600 (it may hold what live state says), without the secrets
    this process knows."""
    text = json_text(document) + "\n"  # no raw control character: files get printed
    try:
        write_atomic(path, scrub(text), mode=0o600)
    except OSError as exc:  # --out under a regular file, a read-only folder, a full disk
        raise ConfigError(
            f"cannot write the plan file {path}: {exc.strerror or type(exc).__name__}"
        ) from None


@dataclass(frozen=True)
class SavedLocation:
    name: str
    location_id: str
    live_digests: Mapping[str, str]
    desired_digest: str
    changes_checksum: str
    has_changes: bool
    agency: bool = False
    salt: str = ""  # the file's digest_salt
    plan_key: PlanKey | None = None  # the key its digests were made with (see SavedPlan.use_key)

    def keyed(self, digest: str) -> str:
        if self.plan_key is None:
            raise ConfigError("the plan key is needed to compare a saved plan")
        return self.plan_key.digest(self.salt, digest)

    @property
    def key(self) -> str:
        """The location's key in ``applied``: by id, and the agency apart from any location."""
        return f"{'agency' if self.agency else 'location'}:{self.location_id}"

    @property
    def label(self) -> str:
        return "the agency" if self.agency else f"{self.name} ({self.location_id})"


@dataclass
class SavedPlan:
    path: Path
    document: dict[str, Any]
    plan_key: PlanKey | None = field(default=None, repr=False)

    @property
    def plan_key_id(self) -> str:
        return str(self.document.get("plan_key_id") or "")

    @property
    def salt(self) -> str:
        return str(self.document.get("digest_salt") or "")

    def keyed_files(self, digests: Mapping[str, str]) -> dict[str, str]:
        """Project file digests (``manifest.files.project_files``) keyed like this file's."""
        if self.plan_key is None:
            raise ConfigError("the plan key is needed to compare a saved plan")
        return {name: self.plan_key.digest(self.salt, d) for name, d in digests.items()}

    @property
    def plan_id(self) -> str:
        return str(self.document["plan_id"])

    @property
    def applied(self) -> dict[str, Any]:
        """Per location key (``SavedLocation.key``): when and how its changes were attempted."""
        value = self.document.get("applied")
        if not isinstance(value, dict):
            value = self.document["applied"] = {}
        return value

    @property
    def selection(self) -> Mapping[str, Any]:
        value = self.document.get("selection")
        return value if isinstance(value, Mapping) else {}

    @property
    def target(self) -> Mapping[str, Any]:
        value = self.document.get("target")
        return value if isinstance(value, Mapping) else {}

    @property
    def flags(self) -> Mapping[str, Any]:
        value = self.document.get("flags")
        return value if isinstance(value, Mapping) else {}

    @property
    def project_files(self) -> Mapping[str, str]:
        value = self.document.get("project_files")
        return value if isinstance(value, Mapping) else {}

    def locations(self) -> list[SavedLocation]:
        entries = [(e, False) for e in self.document.get("locations") or []]
        if self.document.get("agency"):
            entries.append((self.document["agency"], True))
        return [
            SavedLocation(
                str(e["name"]),
                str(e["id"]),
                dict(e.get("live_digests") or {}),
                str(e.get("desired_digest", "")),
                str(e.get("changes_checksum", "")),
                bool(e.get("changes")),
                agency=agency,
                salt=self.salt,
                plan_key=self.plan_key,
            )
            for e, agency in entries
        ]

    def pending(self) -> list[SavedLocation]:
        """Locations with changes whose changes were not attempted yet."""
        return [loc for loc in self.locations() if loc.has_changes and loc.key not in self.applied]

    def record_apply(
        self,
        attempted: Mapping[str, Mapping[str, Any]],
        refused: Sequence[Mapping[str, Any]],
        exit_code: int,
    ) -> None:
        """Record an apply, and save the file: the locations (by key) whose changes were
        attempted, in ``applied``; what it refused, and its exit code, in ``last_apply``."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        for key, record in attempted.items():
            self.applied[key] = {"at": at, **record}
        self.document["last_apply"] = {
            "at": at,
            "exit_code": exit_code,
            "refusals": [dict(r) for r in refused],
        }
        save(self.path, self.document)

    @property
    def last_apply(self) -> Mapping[str, Any]:
        value = self.document.get("last_apply")
        return value if isinstance(value, Mapping) else {}


def load(path: Path, *, shown: Path | None = None) -> SavedPlan:
    """Read a plan file; ``shown`` is the path as the user gave it, for messages."""
    name = shown or path
    try:
        document = json.loads(read_limited(path, MAX_PLAN_BYTES, f"plan file {name}"))
    except FileNotFoundError:
        raise ConfigError(f"plan file {name} does not exist") from None
    except RecursionError:
        raise ConfigError(f"plan file {name} is not a ghlops plan (nested too deeply)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"plan file {name} is not a ghlops plan ({exc})") from None
    if not isinstance(document, dict) or document.get("kind") != FILE_KIND:
        raise ConfigError(f"plan file {name} is not a ghlops plan (no kind: {FILE_KIND})")
    if document.get("format_version") != FILE_FORMAT:
        raise ConfigError(
            f"plan file {name} has format {document.get('format_version')!r}; this ghlops "
            f"({__version__}) reads format {FILE_FORMAT!r}: plan again"
        )
    try:
        saved = SavedPlan(path, document)
        saved.locations()
        plan_from_document(document)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"plan file {name} is damaged ({type(exc).__name__}: {exc})") from None
    return saved


def stale_reasons(saved: SavedLocation, now: LocationPlan) -> list[str]:
    """Why a location's saved plan no longer holds, in words; empty when it does."""
    reasons = []
    if saved.desired_digest != saved.keyed(now.desired_digest):
        reasons.append("its manifests (or their variables) changed since the plan")
    live_now = {kind: saved.keyed(digest) for kind, digest in now.live_digests.items()}
    moved = sorted(
        kind
        for kind in set(saved.live_digests) | set(live_now)
        if saved.live_digests.get(kind) != live_now.get(kind)
    )
    if moved:
        reasons.append(f"its live state changed since the plan ({', '.join(moved)})")
    if not reasons and saved.changes_checksum != saved.keyed(changes_checksum(now)):
        reasons.append("the changes computed now differ from the reviewed ones")
    return reasons


def changed_files(saved: Mapping[str, str], now: Mapping[str, str]) -> list[str]:
    """Project files that differ between two ``project_files`` digests, with what happened."""
    out = []
    for name in sorted(set(saved) | set(now)):
        if name not in now:
            out.append(f"{name} (removed)")
        elif name not in saved:
            out.append(f"{name} (added)")
        elif saved[name] != now[name]:
            out.append(f"{name} (changed)")
    return out


def plan_from_document(document: Mapping[str, Any]) -> Plan:
    """The plan a plan file holds (as saved: secret-looking values masked), for ``show``."""

    def change(c: Mapping[str, Any]) -> Change:
        return Change(
            Action(c["action"]),
            str(c["kind"]),
            str(c["key"]),
            c.get("id"),
            frozen(c.get("before")),
            frozen(c.get("after")),
            tuple(
                FieldDiff(d["field"], d.get("before"), d.get("after")) for d in c.get("diffs") or []
            ),
            destructive=bool(c.get("destructive")),
            reasons=tuple(c.get("reasons") or ()),
            parent=c.get("parent"),
            protected=bool(c.get("protected")),
        )

    def location(e: Mapping[str, Any]) -> LocationPlan:
        unmanaged = e.get("unmanaged")
        return LocationPlan(
            str(e["name"]),
            str(e["id"]),
            tuple(change(c) for c in e.get("changes") or []),
            unmanaged=frozen(unmanaged if isinstance(unmanaged, dict) else {}) or {},
            warnings=tuple(e.get("warnings") or ()),
            error=e.get("error"),
            api_calls=int(e.get("api_calls") or 0),
            notes=tuple(e.get("notes") or ()),
        )

    agency = document.get("agency")
    return Plan(
        tuple(location(e) for e in document.get("locations") or []),
        location(agency) if isinstance(agency, Mapping) else None,
    )
