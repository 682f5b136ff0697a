"""Machine-readable plan output (``--json``): JSON whose text holds no raw control character
(see :func:`ghlops.escape.json_text`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops import __version__
from ghlops.escape import json_text
from ghlops.plan.changes import Plan
from ghlops.render.masking import masked_plan


def render_json(
    plan: Plan, first: Mapping[str, Any] | None = None, *, show_secrets: bool = False
) -> str:
    """The plan as JSON; ``first`` (e.g. the refusals) goes before everything else;
    secret-looking values masked unless ``show_secrets``."""
    data = {**(first or {}), **masked_plan(plan, show_secrets=show_secrets).to_data()}
    data["ghlops_version"] = __version__
    return json_text(data) + "\n"
