"""Digests that let a saved plan notice what moved before it is applied.

``live_digests`` hashes a location's live state per kind (ids and compared fields), so a UI edit
between plan and apply shows up and is named by kind. ``desired_digest`` hashes the rendered
manifests of a location (what the templates produced, not the raw files, so a changed variable
counts too). Both are stable across runs, processes and machines.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ghlops.resources.base import DesiredItem, LiveItem


def _digest(rows: list[Any]) -> str:
    blob = json.dumps(rows, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def live_digests(live: Mapping[str, Sequence[LiveItem]]) -> dict[str, str]:
    return {
        kind: _digest(sorted([i.id, i.parent, dict(i.fields)] for i in items))
        for kind, items in live.items()
    }


def desired_digest(desired: Mapping[str, Sequence[DesiredItem]]) -> str:
    rows = [
        [kind, i.key, i.parent, dict(i.fields), i.protect, i.renamed_from]
        for kind, items in desired.items()
        for i in items
    ]
    return _digest(sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str)))
