"""Machine-readable plan output (``--json``)."""

from __future__ import annotations

import json

from ghlops import __version__
from ghlops.plan.changes import Plan


def render_json(plan: Plan) -> str:
    data = plan.to_data()
    data["ghlops_version"] = __version__
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
