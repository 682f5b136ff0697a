"""Opportunity pipelines and opportunities of a sub-account (``apps/opportunities.json``).

From the vendored spec: ``GET /opportunities/pipelines?locationId=`` (Version ``2021-07-28``) and
``GET /opportunities/search?location_id=`` (opportunities, filtered and paged). Pipelines made
in the GHL UI get into the sandbox through :func:`seed_pipeline` and opportunities through
:func:`seed_opportunity` (``Sandbox.seed``).

Stage shape: the spec mis-types ``PipelinesResponseSchema.stages`` as an array of arrays and
documents no stage object. The sandbox answers stage objects
``{"id": <uuid>, "name", "position", "showInFunnel", "showInPieChart"}`` plus
``stageWinProbability`` when one was set (the shape commonly seen; stage ids are UUIDs per the
spec's ``pipelineStageId`` examples), ``position`` counting from 0 in pipeline order. A pipeline
carries ``useOpportunityProbability`` (a v3 field the vendored schema lacks) once a write set it.

Pipeline writes (Version ``v3``) were published after the vendored spec snapshot (API notes
section 5), so they are *extension operations* with the request schemas below; the shapes the
published description leaves open are ghlops' decisions:

- ``POST /opportunities/pipelines`` ``{locationId, name, stages: [{name, position?,
  stageWinProbability?}], useOpportunityProbability?, showInFunnel?, showInPieChart?}`` →
  201 ``{"pipeline": <pipeline>}``. At least one stage.
- ``PUT /opportunities/pipelines/{pipelineId}`` ``{name?, stages?: [{id?, name, position?,
  stageWinProbability?}], useOpportunityProbability?, showInFunnel?, showInPieChart?,
  locationId?}`` → 200 ``{"pipeline": <pipeline>}``. ``stages`` is a full replacement: a stage
  sent with the ``id`` of one of the pipeline's stages keeps it (and its opportunities), a stage
  without ``id`` is new, stages not sent are removed. At least one existing stage must be kept
  (all stages cannot be removed at once); the opportunities of removed stages move to the
  lowest-position kept stage.
- ``DELETE /opportunities/pipelines/{pipelineId}`` → 200 ``{"succeded": true}`` (the shape, typo
  included, of the spec's delete-opportunity answer); deletes the pipeline and every
  opportunity in it.

Both writes order stages by ``position`` (the array order when absent or tied) and renumber them
from 0. Pipeline names are unique per location and stage names per pipeline, ignoring case (422).
With ``useOpportunityProbability`` true every stage needs a ``stageWinProbability`` (0 to 100; a
kept stage keeps the one it had) (422). An unknown or another location's pipeline id is 404.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import unprocessable
from ghlops.sandbox.ids import firestore_id, uuid_id
from ghlops.sandbox.routing import RouteTable
from ghlops.sandbox.store import Store

JSON = Any

routes = RouteTable("opportunities")
routes.kind(
    "pipelines", schema="PipelinesResponseSchema", extra_fields=("useOpportunityProbability",)
)
routes.kind("opportunities", schema="SearchOpportunitiesResponseSchema")

WRITE_VERSIONS = ("v3",)
PIPELINE_NOT_FOUND = "Pipeline not found"
DELETED = {"succeded": True}
SEARCH_MAX_LIMIT = 100
SEARCH_DEFAULT_LIMIT = 20

_PIPELINE_FLAGS = ("showInFunnel", "showInPieChart")
_COLOR_MODES = ("dot", "bg-tint", "none")

_PROBABILITY = {"type": "number", "minimum": 0, "maximum": 100}
_STAGE_IN: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "position": {"type": "integer", "minimum": 0},
        "stageWinProbability": _PROBABILITY,
    },
}
_STAGE_UPDATE: dict[str, Any] = {
    **_STAGE_IN,
    "properties": {"id": {"type": "string", "minLength": 1}, **_STAGE_IN["properties"]},
}
_OPTIONS = {
    "useOpportunityProbability": {"type": "boolean"},
    "showInFunnel": {"type": "boolean"},
    "showInPieChart": {"type": "boolean"},
}
CREATE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["locationId", "name", "stages"],
    "properties": {
        "locationId": {"type": "string"},
        "name": {"type": "string", "minLength": 1},
        "stages": {"type": "array", "minItems": 1, "items": _STAGE_IN},
        **_OPTIONS,
    },
}
UPDATE_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "locationId": {"type": "string"},
        "name": {"type": "string", "minLength": 1},
        "stages": {"type": "array", "items": _STAGE_UPDATE},
        **_OPTIONS,
    },
}
STAGE_OUT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "position", "showInFunnel", "showInPieChart"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "position": {"type": "integer", "minimum": 0},
        "showInFunnel": {"type": "boolean"},
        "showInPieChart": {"type": "boolean"},
        "stageWinProbability": _PROBABILITY,
    },
    "additionalProperties": False,
}
PIPELINE_OUT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "stages", "locationId", "showInFunnel", "showInPieChart"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "stages": {"type": "array", "items": STAGE_OUT},
        "locationId": {"type": "string"},
        "showInFunnel": {"type": "boolean"},
        "showInPieChart": {"type": "boolean"},
        "useOpportunityProbability": {"type": "boolean"},
        "colorRenderMode": {"type": "string", "enum": list(_COLOR_MODES)},
    },
    "additionalProperties": False,
}
PIPELINE_ANSWER: dict[str, Any] = {
    "type": "object",
    "required": ["pipeline"],
    "properties": {"pipeline": PIPELINE_OUT},
    "additionalProperties": False,
}
DELETE_ANSWER: dict[str, Any] = {
    "type": "object",
    "required": ["succeded"],
    "properties": {"succeded": {"type": "boolean"}},
    "additionalProperties": False,
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- pipelines: the spec's list ------------------------------------------------------------------


@routes.get("/opportunities/pipelines")
def list_pipelines(ctx: RequestContext) -> JSON:
    pipelines = ctx.store.list(ctx.location_id, "pipelines")
    return {"pipelines": [ctx.render("pipelines", p.data) for p in pipelines]}


# -- pipelines: the v3 writes (extension operations) ---------------------------------------------


def _name_taken(store: Store, location_id: str, name: str, but: str | None = None) -> bool:
    return any(
        other.id != but and str(other.data["name"]).casefold() == name.casefold()
        for other in store.list(location_id, "pipelines")
    )


def _ordered(stages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Stages sorted by ``position`` (array order when absent or tied), renumbered from 0."""
    keyed = sorted(
        enumerate(stages),
        key=lambda pair: (pair[1].get("position", pair[0]), pair[0]),
    )
    return [{**stage, "position": n} for n, (_, stage) in enumerate(keyed)]


def _check_stages(stages: Sequence[Mapping[str, Any]], use_probability: bool) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for stage in stages:
        folded = str(stage["name"]).casefold()
        if folded in seen:
            problems.append(f"stage name {stage['name']!r} is used twice (names ignore case)")
        seen.add(folded)
    if use_probability and any("stageWinProbability" not in s for s in stages):
        problems.append(
            "stageWinProbability is required on every stage when useOpportunityProbability is true"
        )
    return problems


def _new_stage(fields: Mapping[str, Any]) -> dict[str, Any]:
    stage: dict[str, Any] = {
        "id": uuid_id(),
        "name": fields["name"],
        "showInFunnel": True,
        "showInPieChart": True,
    }
    if "position" in fields:
        stage["position"] = fields["position"]
    if fields.get("stageWinProbability") is not None:
        stage["stageWinProbability"] = fields["stageWinProbability"]
    return stage


def _options(pipeline: dict[str, Any], body: Mapping[str, Any]) -> None:
    for option in ("useOpportunityProbability", *_PIPELINE_FLAGS):
        if body.get(option) is not None:
            pipeline[option] = body[option]


@routes.extension(
    "POST",
    "/opportunities/pipelines",
    operation_id="create-pipeline",
    versions=WRITE_VERSIONS,
    security=({"bearer": ("pipelines.create",)},),
    status=201,
    body=CREATE_BODY,
    response=PIPELINE_ANSWER,
)
def create_pipeline(ctx: RequestContext) -> JSON:
    body = ctx.body
    location_id = str(body["locationId"])
    ctx.check_location(location_id)
    stages = [_new_stage(s) for s in body["stages"]]
    problems = _check_stages(stages, bool(body.get("useOpportunityProbability")))
    if _name_taken(ctx.store, location_id, body["name"]):
        problems.insert(0, f"a pipeline named {body['name']!r} already exists (names ignore case)")
    if problems:
        raise unprocessable(problems)
    pipeline: dict[str, Any] = {
        "id": firestore_id(),
        "name": body["name"],
        "stages": _ordered(stages),
        "locationId": location_id,
        "showInFunnel": True,
        "showInPieChart": True,
    }
    _options(pipeline, body)
    ctx.store.insert(location_id, "pipelines", pipeline["id"], pipeline)
    return {"pipeline": ctx.render("pipelines", pipeline)}


def _replace_stages(
    current: Sequence[Mapping[str, Any]], wanted: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], set[str], list[str]]:
    """The new stages, the ids of the kept ones, and the problems (422 messages)."""
    by_id = {str(s["id"]): s for s in current}
    problems: list[str] = []
    stages: list[dict[str, Any]] = []
    kept: set[str] = set()
    for index, fields in enumerate(wanted):
        stage_id = fields.get("id")
        if stage_id is None:
            stages.append(_new_stage(fields))
            continue
        if stage_id not in by_id:
            problems.append(f"stages.{index}.id {stage_id!r} is not a stage of this pipeline")
            continue
        if stage_id in kept:
            problems.append(f"stages.{index}.id {stage_id!r} is sent twice")
            continue
        kept.add(stage_id)
        stage = {**by_id[stage_id], "name": fields["name"]}
        stage.pop("position", None)
        if "position" in fields:
            stage["position"] = fields["position"]
        if fields.get("stageWinProbability") is not None:
            stage["stageWinProbability"] = fields["stageWinProbability"]
        stages.append(stage)
    if not kept and not problems:
        problems.append(
            "all stages cannot be removed at once: keep at least one existing stage (by its id)"
        )
    return stages, kept, problems


@routes.extension(
    "PUT",
    "/opportunities/pipelines/{pipelineId}",
    operation_id="update-pipeline",
    versions=WRITE_VERSIONS,
    security=({"bearer": ("pipelines.write",)},),
    body=UPDATE_BODY,
    response=PIPELINE_ANSWER,
)
def update_pipeline(ctx: RequestContext) -> JSON:
    body = ctx.body
    if body.get("locationId") is not None:
        ctx.check_location(str(body["locationId"]))
    stored = ctx.owned("pipelines", ctx.path_params["pipelineId"], PIPELINE_NOT_FOUND)
    pipeline = dict(stored.data)
    problems: list[str] = []
    name = body.get("name")
    if name is not None and _name_taken(ctx.store, stored.location_id, name, but=stored.id):
        problems.append(f"a pipeline named {name!r} already exists (names ignore case)")
    before = {str(s["id"]) for s in pipeline["stages"]}
    stages, kept = list(pipeline["stages"]), before
    if body.get("stages") is not None:
        stages, kept, stage_problems = _replace_stages(pipeline["stages"], body["stages"])
        problems += stage_problems
    use_probability = body.get(
        "useOpportunityProbability", pipeline.get("useOpportunityProbability", False)
    )
    if not problems:
        problems += _check_stages(stages, bool(use_probability))
    if problems:
        raise unprocessable(problems)
    if name is not None:
        pipeline["name"] = name
    pipeline["stages"] = _ordered(stages)
    _options(pipeline, body)
    removed = before - kept
    if removed:
        # the lowest-position stage of those that existed before the update
        target = next(s["id"] for s in pipeline["stages"] if s["id"] in kept)
        _move_opportunities(ctx.store, pipeline, removed, str(target))
    ctx.store.update("pipelines", stored.id, pipeline)
    return {"pipeline": ctx.render("pipelines", pipeline)}


def _move_opportunities(
    store: Store, pipeline: Mapping[str, Any], removed: set[str], target: str
) -> None:
    now = _now()
    for opportunity in store.list(pipeline["locationId"], "opportunities"):
        data = opportunity.data
        if data.get("pipelineId") == pipeline["id"] and data.get("pipelineStageId") in removed:
            store.update(
                "opportunities",
                opportunity.id,
                {**data, "pipelineStageId": target, "lastStageChangeAt": now, "updatedAt": now},
            )


@routes.extension(
    "DELETE",
    "/opportunities/pipelines/{pipelineId}",
    operation_id="delete-pipeline",
    versions=WRITE_VERSIONS,
    security=({"bearer": ("pipelines.write",)},),
    response=DELETE_ANSWER,
)
def delete_pipeline(ctx: RequestContext) -> JSON:
    stored = ctx.owned("pipelines", ctx.path_params["pipelineId"], PIPELINE_NOT_FOUND)
    for opportunity in ctx.store.list(stored.location_id, "opportunities"):
        if opportunity.data.get("pipelineId") == stored.id:
            ctx.store.delete("opportunities", opportunity.id)
    ctx.store.delete("pipelines", stored.id)
    return dict(DELETED)


# -- opportunities -------------------------------------------------------------------------------


def _page_number(ctx: RequestContext, name: str, default: int, maximum: int | None) -> int:
    raw = ctx.query.get(name)
    value = default if raw is None else float(raw)  # the spec check made sure it is a number
    if not float(value).is_integer() or value < 1:
        raise unprocessable([f"{name} must be a positive integer"])
    if maximum is not None and value > maximum:
        raise unprocessable([f"{name} must not be greater than {maximum}"])
    return int(value)


@routes.get("/opportunities/search")
def search_opportunities(ctx: RequestContext) -> JSON:
    """Opportunities of ``location_id``, filtered by ``pipeline_id``, ``pipeline_stage_id``,
    ``status`` (``all`` for any) and ``id``, in creation order, ``limit`` (≤ 100, default 20)
    per ``page`` (from 1). Other filters are accepted and not applied."""
    location_id = ctx.query["location_id"]
    ctx.check_location(location_id)
    limit = _page_number(ctx, "limit", SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT)
    page = _page_number(ctx, "page", 1, None)
    filters = {
        "pipelineId": ctx.query.get("pipeline_id"),
        "pipelineStageId": ctx.query.get("pipeline_stage_id"),
        "id": ctx.query.get("id"),
        "status": None if ctx.query.get("status") == "all" else ctx.query.get("status"),
    }
    found = [
        o.data
        for o in ctx.store.list(location_id, "opportunities")
        if all(want is None or o.data.get(f) == want for f, want in filters.items())
    ]
    start = (page - 1) * limit
    meta: dict[str, Any] = {"total": len(found), "currentPage": page}
    if start + limit < len(found):
        meta["nextPage"] = page + 1
    if page > 1:
        meta["prevPage"] = page - 1
    return {
        "opportunities": [ctx.render("opportunities", o) for o in found[start : start + limit]],
        "meta": meta,
    }


# -- seeders -------------------------------------------------------------------------------------


def _stage(raw: Any, position: int) -> dict[str, Any]:
    fields: Mapping[str, Any] = {"name": raw} if isinstance(raw, str) else raw
    if not isinstance(fields, Mapping) or not isinstance(fields.get("name"), str):
        raise ValueError(f"a stage must be a name or a mapping with a name, not {raw!r}")
    stage = {
        "id": str(fields.get("id") or uuid_id()),
        "name": fields["name"],
        "position": fields.get("position", position),
        "showInFunnel": bool(fields.get("showInFunnel", True)),
        "showInPieChart": bool(fields.get("showInPieChart", True)),
    }
    if "stageWinProbability" in fields:
        stage["stageWinProbability"] = fields["stageWinProbability"]
    return stage


@routes.seeder("pipelines")
def seed_pipeline(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A pipeline as made in the GHL UI.

    ``fields``: ``name`` (required); ``stages``, a list of stage names or mappings
    ``{name, id?, position?, showInFunnel?, showInPieChart?, stageWinProbability?}`` in pipeline
    order (new uuids, positions from 0); ``showInFunnel`` and ``showInPieChart`` (default true,
    as in the UI); optional ``id``, ``colorRenderMode`` and ``useOpportunityProbability``.

    Raises:
        ValueError: no name, malformed stages, or a name (any case) the location already has.
    """
    name = fields.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("a pipeline needs a name")
    if _name_taken(store, location_id, name):
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
    if "useOpportunityProbability" in fields:
        pipeline["useOpportunityProbability"] = bool(fields["useOpportunityProbability"])
    store.insert(location_id, "pipelines", pipeline["id"], pipeline)
    return str(pipeline["id"])


def _find_pipeline(store: Store, location_id: str, ref: str) -> dict[str, Any]:
    for stored in store.list(location_id, "pipelines"):
        if stored.id == ref or str(stored.data["name"]).casefold() == ref.casefold():
            return stored.data
    raise ValueError(f"location {location_id} has no pipeline {ref!r} (seed it first)")


@routes.seeder("opportunities")
def seed_opportunity(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """An opportunity in a seeded pipeline.

    ``fields``: ``name`` (required); ``pipeline`` (its name, any case, or id) and ``stage`` (a
    stage's name, any case, or id; default the first stage); optional ``id``, ``status``
    (default ``open``), ``monetaryValue``, ``contactId``.

    Raises:
        ValueError: no name, or an unknown pipeline or stage.
    """
    name = fields.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("an opportunity needs a name")
    pipeline = _find_pipeline(store, location_id, str(fields.get("pipeline", "")))
    stages = sorted(pipeline["stages"], key=lambda s: s["position"])
    wanted = fields.get("stage")
    stage = stages[0] if wanted is None and stages else None
    if wanted is not None:
        stage = next(
            (s for s in stages if s["id"] == wanted or s["name"].casefold() == wanted.casefold()),
            None,
        )
    if stage is None:
        raise ValueError(f"pipeline {pipeline['name']!r} has no stage {wanted!r}")
    now = _now()
    opportunity: dict[str, Any] = {
        "id": str(fields.get("id") or firestore_id()),
        "name": name,
        "pipelineId": pipeline["id"],
        "pipelineStageId": stage["id"],
        "status": fields.get("status", "open"),
        "locationId": location_id,
        "createdAt": now,
        "updatedAt": now,
        "lastStageChangeAt": now,
    }
    for optional in ("monetaryValue", "contactId"):
        if optional in fields:
            opportunity[optional] = fields[optional]
    store.insert(location_id, "opportunities", opportunity["id"], opportunity)
    return str(opportunity["id"])
