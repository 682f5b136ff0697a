"""Machine-readable plan output (``--json``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ghlops import __version__
from ghlops.plan.changes import Plan
from ghlops.render.masking import masked_plan


def render_json(
    plan: Plan, first: Mapping[str, Any] | None = None, *, show_secrets: bool = False
) -> str:
    """The plan as JSON; ``first`` (e.g. the refusals) goes before everything else;
    secret-looking values masked unless ``show_secrets``."""
    data = {**(first or {}), **masked_plan(plan, show_secrets=show_secrets).to_data()}
    data["ghlops_version"] = __version__
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
