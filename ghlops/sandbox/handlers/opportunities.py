"""Opportunity pipelines of a sub-account (``apps/opportunities.json``): read-only.

The spec has only ``GET /opportunities/pipelines?locationId=`` for pipelines (no create, update
or delete), so pipelines get into the sandbox through :func:`seed_pipeline`
(``Sandbox.seed``), standing in for the GHL UI.

Stage shape: the spec mis-types ``PipelinesResponseSchema.stages`` as an array of arrays and
documents no stage object. The sandbox answers stage objects
``{"id": <uuid>, "name", "position", "showInFunnel", "showInPieChart"}`` (the shape commonly
seen; stage ids are UUIDs per the spec's ``pipelineStageId`` examples), ``position`` counting
from 0 in pipeline order. The other opportunity operations are not emulated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.ids import firestore_id, uuid_id
from ghlops.sandbox.routing import RouteTable
from ghlops.sandbox.store import Store

JSON = Any

routes = RouteTable("opportunities")
routes.kind("pipelines", schema="PipelinesResponseSchema")

_PIPELINE_FLAGS = ("showInFunnel", "showInPieChart")
_COLOR_MODES = ("dot", "bg-tint", "none")


@routes.get("/opportunities/pipelines")
def list_pipelines(ctx: RequestContext) -> JSON:
    pipelines = ctx.store.list(ctx.location_id, "pipelines")
    return {"pipelines": [ctx.render("pipelines", p.data) for p in pipelines]}


def _stage(raw: Any, position: int) -> dict[str, Any]:
    fields: Mapping[str, Any] = {"name": raw} if isinstance(raw, str) else raw
    if not isinstance(fields, Mapping) or not isinstance(fields.get("name"), str):
        raise ValueError(f"a stage must be a name or a mapping with a name, not {raw!r}")
    return {
        "id": str(fields.get("id") or uuid_id()),
        "name": fields["name"],
        "position": fields.get("position", position),
        "showInFunnel": bool(fields.get("showInFunnel", True)),
        "showInPieChart": bool(fields.get("showInPieChart", True)),
    }


@routes.seeder("pipelines")
def seed_pipeline(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A pipeline as made in the GHL UI.

    ``fields``: ``name`` (required); ``stages``, a list of stage names or mappings
    ``{name, id?, position?, showInFunnel?, showInPieChart?}`` in pipeline order (new uuids,
    positions from 0); ``showInFunnel`` and ``showInPieChart`` (default true, as in the UI);
    optional ``id`` and ``colorRenderMode``.

    Raises:
        ValueError: no name, malformed stages, or a name (any case) the location already has.
    """
    name = fields.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("a pipeline needs a name")
    for other in store.list(location_id, "pipelines"):
        if other.data["name"].casefold() == name.casefold():
            raise ValueError(f"location {location_id} already has a pipeline named {name!r}")
    stages = [_stage(s, i) for i, s in enumerate(fields.get("stages") or [])]
    names = [s["name"].casefold() for s in stages]
    if len(set(names)) != len(names):
        raise ValueError(f"pipeline {name!r}: stage names must be unique (ignoring case)")
    pipeline: dict[str, Any] = {
        "id": str(fields.get("id") or firestore_id()),
        "name": name,
        "stages": stages,
        "locationId": location_id,
    }
    for flag in _PIPELINE_FLAGS:
        pipeline[flag] = bool(fields.get(flag, True))
    if "colorRenderMode" in fields:
        if fields["colorRenderMode"] not in _COLOR_MODES:
            raise ValueError(f"colorRenderMode must be one of {', '.join(_COLOR_MODES)}")
        pipeline["colorRenderMode"] = fields["colorRenderMode"]
    store.insert(location_id, "pipelines", pipeline["id"], pipeline)
    return str(pipeline["id"])
