"""Adapter for ``pipelines`` (apps/opportunities.json): read-only by default, writable on opt-in.

Reading: the spec has only GET /opportunities/pipelines?locationId= (Version 2021-07-28) →
``{"pipelines": [...]}`` (no pagination). The spec mis-types ``stages`` as an array of arrays and
documents no stage shape. ghlops reads stage objects ``{"id": <uuid>, "name", "position",
"showInFunnel", "showInPieChart", "stageWinProbability"?}`` (the shape commonly seen; stage ids
are UUIDs per the spec's ``pipelineStageId`` examples), ordered by ``position`` (list order when
positions tie or are missing), and the pipeline's ``useOpportunityProbability`` when present.

Manifests declare stages in order, as names or as mappings ``{name, renamedFrom,
stageWinProbability}``. Desired and live items carry ``stages`` as the ordered list of names;
``stageWinProbabilities`` (stage name → percent) when probabilities are declared or live;
``stageRenames`` (stage name → its ``renamedFrom``; never compared). Compared: the name, the
ordered stage names, the probabilities, and ``showInFunnel``/``showInPieChart``/
``useOpportunityProbability`` when the manifest sets them. Pipelines are matched by name
case-insensitively (GHL keeps pipeline and stage names unique regardless of case), so a
difference in letter case only is a rename.

Read-only (the registered :class:`PipelineAdapter`, ``writable = False``): the planner turns every
difference into a ``manual`` change whose reasons are the exact steps to take in the UI
(:meth:`PipelineAdapter.manual_steps`); apply never makes them. For the UI steps, unmatched
stages between the same matched neighbours are guessed to be renames.

Writable (:class:`WritablePipelineAdapter`, chosen by the engine when ghlops.yaml has
``policy.pipelines: write``; see :meth:`PipelineAdapter.with_writes`): the pipeline write API
(Version ``v3``) published after the spec snapshot (API notes section 5). Its request and
response shapes are partly undocumented; ghlops' choices, all in this module:

- create: ``POST /opportunities/pipelines`` ``{locationId, name, stages: [{name, position,
  stageWinProbability?}], useOpportunityProbability?, showInFunnel?, showInPieChart?}``; the new
  id is read from ``{"pipeline": {"id"}}`` (also accepted: a bare pipeline object, ``_id``).
- update: ``PUT /opportunities/pipelines/{id}`` ``{name, stages: [{id?, name, position,
  stageWinProbability?}], ...options}``. ``stages`` is a full replacement: a stage keeps its id
  (and its opportunities) by being sent with it, a stage without ``id`` is new, stages not sent
  are removed (GHL moves their opportunities to the lowest-position remaining stage). The live
  stages are read again right before the PUT, so the ids sent are current. Stage matching
  (:func:`plan_stages` with ``guess=False``): same name ignoring case, else the stage named by
  ``renamedFrom``; anything else is new, and live stages left over are removed. GHL refuses to
  remove all stages at once, so when no live stage is kept the update takes two PUTs: the new
  stages are added after the old ones, then the old ones are removed (their opportunities move
  to the first new stage).
- delete: ``DELETE /opportunities/pipelines/{id}``; GHL deletes the pipeline's opportunities too,
  so a delete is destructive and needs ``--allow-destroy-opportunities``
  (:attr:`Adapter.destroys_on_delete`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar

from ghlops.errors import GhlopsError
from ghlops.models.pipeline import Pipeline
from ghlops.resources.base import Adapter, Ctx, DesiredItem, ExportCtx, LiveItem

UI_PATH = "In GHL: Opportunities → Pipelines"
PIPELINES_PATH = "/opportunities/pipelines"
WRITE_VERSION = "v3"  # the pipeline write operations (notes §5); reads keep the spec's version


@dataclass(frozen=True)
class LiveStage:
    id: str | None
    name: str
    probability: float | None = None  # stageWinProbability, when the stage has one


@dataclass(frozen=True)
class StagePlan:
    """How to turn a pipeline's live stages into the desired ones, stage by stage."""

    renamed: tuple[tuple[int, str, str], ...] = ()  # (live position from 1, old name, new name)
    removed: tuple[str, ...] = ()  # live stage names to delete
    added: tuple[tuple[str, str | None], ...] = ()  # (name, desired stage before it / None=first)
    order: tuple[str, ...] | None = None  # the full desired order, when kept stages must move
    keeps: tuple[str | None, ...] = ()  # per desired stage: the live stage id it keeps, or None

    @property
    def empty(self) -> bool:
        return not (self.renamed or self.removed or self.added or self.order)


def _number(value: Any) -> float | int | None:
    """A JSON number as written (``40.0`` → ``40``), or None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else float(value)


def live_stages(raw: Mapping[str, Any]) -> list[LiveStage]:
    """A live pipeline's stages in pipeline order (by ``position``, then list order)."""
    stages = list(raw.get("stages") or [])

    def position(indexed: tuple[int, Mapping[str, Any]]) -> tuple[float, int]:
        index, stage = indexed
        pos = stage.get("position")
        if isinstance(pos, int | float) and not isinstance(pos, bool):
            return (float(pos), index)
        return (float(index), index)

    ordered = sorted(enumerate(stages), key=position)
    return [
        LiveStage(
            str(s["id"]) if s.get("id") else None,
            str(s["name"]),
            _number(s.get("stageWinProbability")),
        )
        for _, s in ordered
    ]


def _gaps(names: Sequence[str], matched: set[int]) -> list[tuple[str | None, str | None]]:
    """For each stage: the (case-folded) names of the nearest matched stages before and after."""
    gaps = []
    for i in range(len(names)):
        before = next((names[j].casefold() for j in range(i - 1, -1, -1) if j in matched), None)
        after = next((names[j].casefold() for j in range(i + 1, len(names)) if j in matched), None)
        gaps.append((before, after))
    return gaps


def plan_stages(
    desired: Sequence[str],
    live: Sequence[LiveStage],
    renames: Mapping[str, str] | None = None,
    *,
    guess: bool = True,
) -> StagePlan:
    """The stage-level difference between desired stage names and live stages.

    Stages are the same when their names are equal ignoring case (a case difference is a
    rename). Then a desired stage with a ``renames`` entry (its ``renamedFrom``) takes the live
    stage of that old name, ignoring case, if no desired stage has that name. With ``guess``,
    unmatched stages between the same matched neighbours on both sides are then paired in order
    as renames. The live ones left over are removed, the desired ones left over added.
    """
    by_name: dict[str, int] = {}
    for k, stage in enumerate(live):
        by_name.setdefault(stage.name.casefold(), k)
    pairs: dict[int, int] = {}  # desired index -> live index
    for i, name in enumerate(desired):
        same = by_name.get(name.casefold())
        if same is not None and same not in pairs.values():
            pairs[i] = same
    for i, name in enumerate(desired):
        old = (renames or {}).get(name)
        if i in pairs or old is None:
            continue
        previous = by_name.get(old.casefold())
        if previous is not None and previous not in pairs.values():
            pairs[i] = previous
    if guess:
        live_names = [s.name for s in live]
        desired_gaps = _gaps(desired, set(pairs))
        live_gaps = _gaps(live_names, set(pairs.values()))
        free = [k for k in range(len(live)) if k not in pairs.values()]
        for i in range(len(desired)):
            if i in pairs:
                continue
            partner = next((k for k in free if live_gaps[k] == desired_gaps[i]), None)
            if partner is not None:
                pairs[i] = partner
                free.remove(partner)
    free_live = [k for k in range(len(live)) if k not in pairs.values()]

    renamed = tuple(
        (k + 1, live[k].name, desired[i])
        for i, k in sorted(pairs.items(), key=lambda p: p[1])
        if live[k].name != desired[i]
    )
    removed = tuple(live[k].name for k in free_live)
    added = tuple(
        (desired[i], desired[i - 1] if i else None) for i in range(len(desired)) if i not in pairs
    )
    kept_order = [pairs[i] for i in sorted(pairs)]
    moved = any(a > b for a, b in pairwise(kept_order))
    return StagePlan(
        renamed=renamed,
        removed=removed,
        added=added,
        order=tuple(desired) if moved else None,
        keeps=tuple(live[pairs[i]].id if i in pairs else None for i in range(len(desired))),
    )


def _q(name: str) -> str:
    return f"'{name}'"


def _pct(value: Any) -> str:
    return f"{value}%"


def _toggle(label: str, value: bool) -> str:
    return f"turn {'on' if value else 'off'} '{label}'"


_TOGGLES = (("showInFunnel", "Show in funnel chart"), ("showInPieChart", "Show in pie chart"))
_PROBABILITY_LABEL = "Use opportunity probability"
_OPTIONS = ("useOpportunityProbability", "showInFunnel", "showInPieChart")


class PipelineAdapter(Adapter):
    kind = "pipelines"
    singular = "pipeline"
    model = Pipeline
    version = "2021-07-28"
    compare_fields = (
        "name",
        "stages",
        "showInFunnel",
        "showInPieChart",
        "useOpportunityProbability",
        "stageWinProbabilities",
    )
    # Read-only: the planner turns differences into `manual` changes and the applier never calls
    # create/update/delete. ``policy.pipelines: write`` swaps in WritablePipelineAdapter.
    writable = False
    # the UI steps pair unmatched stages between the same neighbours as renames (a guess a
    # person checks); writes never guess (see WritablePipelineAdapter)
    guess_stage_renames: ClassVar[bool] = True

    def with_writes(self) -> Adapter:
        return WritablePipelineAdapter()

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"name:{str(fields['name']).casefold()}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["name"])

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Stages become their names; renames and probabilities go to their own fields."""
        entries = [{"name": s} if isinstance(s, str) else s for s in fields["stages"]]
        fields["stages"] = [str(e["name"]) for e in entries]
        renames = {e["name"]: e["renamedFrom"] for e in entries if e.get("renamedFrom")}
        if renames:
            fields["stageRenames"] = renames
        odds = {
            e["name"]: _number(e["stageWinProbability"])
            for e in entries
            if e.get("stageWinProbability") is not None
        }
        if odds:
            fields["stageWinProbabilities"] = odds
        return fields

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        stages = live_stages(raw)
        fields: dict[str, Any] = {"name": raw["name"], "stages": [s.name for s in stages]}
        for flag in _OPTIONS:
            if isinstance(raw.get(flag), bool):
                fields[flag] = raw[flag]
        odds = {s.name: s.probability for s in stages if s.probability is not None}
        if odds:
            fields["stageWinProbabilities"] = odds
        return LiveItem(
            self.kind,
            self.display_key(fields),
            str(raw["id"]),
            fields,
            self.match_keys(fields),
            raw,
            identity=self.identify(fields),
        )

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        return [self.live_item(p) for p in self._read(ctx)]

    def _read(self, ctx: Ctx) -> list[Mapping[str, Any]]:
        body = ctx.api.request(
            "GET", PIPELINES_PATH, version=self.version, params={"locationId": ctx.location_id}
        )
        pipelines: list[Mapping[str, Any]] = body["pipelines"]
        return pipelines

    # -- differences ---------------------------------------------------------------------------

    def stages_of(self, fields: Mapping[str, Any], raw: Mapping[str, Any]) -> StagePlan:
        """How a live pipeline's stages (``raw``) become the desired ones (``fields``)."""
        return plan_stages(
            list(fields["stages"]),
            live_stages(raw),
            fields.get("stageRenames"),
            guess=self.guess_stage_renames,
        )

    def stage_plan(self, desired: DesiredItem, live: LiveItem) -> StagePlan:
        """How the live pipeline's stages become the desired ones (empty when stages are not
        declared)."""
        if "stages" not in desired.fields:
            return StagePlan()
        return self.stages_of(desired.fields, live.raw)

    def destructive_reasons(self, desired: DesiredItem, live: LiveItem) -> tuple[str, ...]:
        """Removed stages (GHL moves their opportunities to the lowest-position remaining
        stage); only shown once pipelines are writable."""
        removed = self.stage_plan(desired, live).removed
        if not removed:
            return ()
        names = ", ".join(_q(n) for n in removed)
        return (f"stage(s) {names} are removed: GHL moves their opportunities to another stage",)

    def manual_steps(
        self, action: str, desired: DesiredItem | None, live: LiveItem | None
    ) -> tuple[str, ...]:
        """The exact steps to make this change in the GHL UI."""
        if action == "create" and desired is not None:
            return self._create_steps(desired)
        if action == "delete" and live is not None:
            return (
                f"{UI_PATH} → {_q(live.key)} → Delete pipeline "
                "(this also deletes every opportunity in it)",
            )
        if desired is not None and live is not None:
            return self._edit_steps(desired, live)
        return ()

    def _create_steps(self, desired: DesiredItem) -> tuple[str, ...]:
        fields = desired.fields
        steps = [
            f"name it {_q(fields['name'])}",
            "add these stages in this order: " + ", ".join(_q(s) for s in fields["stages"]),
        ]
        steps += [_toggle(label, fields[f]) for f, label in _TOGGLES if f in fields]
        if "useOpportunityProbability" in fields:
            steps.append(_toggle(_PROBABILITY_LABEL, fields["useOpportunityProbability"]))
        odds = fields.get("stageWinProbabilities") or {}
        if odds:
            steps.append(
                "set the stages' win probabilities: "
                + ", ".join(f"{_q(n)} {_pct(p)}" for n, p in odds.items())
            )
        return _numbered(f"{UI_PATH} → Create new pipeline:", [*steps, "save"])

    def _edit_steps(self, desired: DesiredItem, live: LiveItem) -> tuple[str, ...]:
        want, have = desired.fields, live.fields
        steps: list[str] = []
        if want["name"] != have["name"]:
            steps.append(f"rename the pipeline to {_q(want['name'])}")
        stages = self.stage_plan(desired, live)
        steps += [f"rename stage {pos} {_q(old)} to {_q(new)}" for pos, old, new in stages.renamed]
        steps += [
            f"delete stage {_q(name)} (GHL asks which stage its opportunities move to)"
            for name in stages.removed
        ]
        steps += [
            f"add stage {_q(name)} " + (f"after {_q(after)}" if after else "as the first stage")
            for name, after in stages.added
        ]
        if stages.order:
            steps.append(
                "drag the stages into this order: " + ", ".join(_q(s) for s in stages.order)
            )
        for flag, label in _TOGGLES:
            if flag in want and want[flag] != have.get(flag):
                steps.append(_toggle(label, want[flag]))
        use = want.get("useOpportunityProbability")
        if use is not None and use != have.get("useOpportunityProbability"):
            steps.append(_toggle(_PROBABILITY_LABEL, use))
        steps += [
            f"set the win probability of stage {_q(name)} to {_pct(new)}"
            for name, _old, new in self._probability_changes(desired, live)
        ]
        if not steps:
            return ()
        return _numbered(f"{UI_PATH} → {_q(live.key)} → Edit pipeline:", [*steps, "save"])

    def _probability_changes(
        self, desired: DesiredItem, live: LiveItem
    ) -> list[tuple[str, Any, Any]]:
        """(stage, live probability or None, desired probability) for each declared change;
        a stage is compared with the live stage it keeps."""
        odds: Mapping[str, Any] = desired.fields.get("stageWinProbabilities") or {}
        if not odds:
            return []
        stages = live_stages(live.raw)
        before = {s.id: s.probability for s in stages if s.id is not None}
        keeps = self.stage_plan(desired, live).keeps
        changes = []
        for name, kept in zip(desired.fields["stages"], keeps, strict=True):
            old = before.get(kept) if kept is not None else None
            new = odds.get(name)
            if new is not None and (old is None or float(old) != float(new)):
                changes.append((name, old, new))
        return changes

    # -- export --------------------------------------------------------------------------------

    def export_item(self, live: LiveItem, export: ExportCtx) -> dict[str, Any]:
        """Stages as names, or ``{name, stageWinProbability}`` when the pipeline uses
        probabilities; left out: ``showInFunnel``/``showInPieChart`` when on (GHL's default for
        a new pipeline) and ``useOpportunityProbability`` when off."""
        fields = live.fields
        odds: Mapping[str, Any] = fields.get("stageWinProbabilities") or {}
        uses_odds = fields.get("useOpportunityProbability") is True
        item: dict[str, Any] = {
            "name": fields["name"],
            "stages": [
                {"name": name, "stageWinProbability": _tidy(odds[name])}
                if uses_odds and odds.get(name) is not None
                else name
                for name in fields["stages"]
            ],
        }
        for flag in ("showInFunnel", "showInPieChart"):
            if fields.get(flag) is False:
                item[flag] = False
        if uses_odds:
            item["useOpportunityProbability"] = True
        return item


class WritablePipelineAdapter(PipelineAdapter):
    """Pipelines with writes on (``policy.pipelines: write``): see the module docstring."""

    writable = True
    guess_stage_renames = False
    destroys_on_delete = "opportunities"

    def with_writes(self) -> Adapter:
        return self

    # -- plan --------------------------------------------------------------------------------

    def destructive_reasons(self, desired: DesiredItem, live: LiveItem) -> tuple[str, ...]:
        """Each removed stage, and where GHL moves its opportunities."""
        stages = self.stage_plan(desired, live)
        if not stages.removed:
            return ()
        target = _receiver(desired.fields["stages"], stages)
        which = "the lowest remaining stage" if any(stages.keeps) else "the first new stage"
        return tuple(
            f"stage {_q(name)} is removed: GHL moves its opportunities to {_q(target)}, {which}"
            for name in stages.removed
        )

    def update_reasons(self, desired: DesiredItem, live: LiveItem) -> tuple[str, ...]:
        """The stage-level changes: renames (keeping ids), additions, order, probabilities."""
        stages = self.stage_plan(desired, live)
        reasons = [
            f"stage {pos} {_q(old)} is renamed to {_q(new)}: it keeps its id and its opportunities"
            for pos, old, new in stages.renamed
        ]
        reasons += [
            f"stage {_q(name)} is added "
            + (f"after {_q(after)}" if after else "as the first stage")
            for name, after in stages.added
        ]
        if stages.order:
            reasons.append(
                "stages are reordered (keeping their ids): "
                + ", ".join(_q(s) for s in stages.order)
            )
        reasons += [
            f"stage {_q(name)} win probability: "
            + (_pct(old) if old is not None else "not set")
            + f" → {_pct(new)}"
            for name, old, new in self._probability_changes(desired, live)
        ]
        if stages.removed and not any(stages.keeps):
            reasons.append(
                "no live stage is kept and GHL cannot remove all stages at once: the new stages "
                "are added first, then the old ones removed (two calls)"
            )
        return tuple(reasons)

    def delete_reasons(self, live: LiveItem) -> tuple[str, ...]:
        return (
            "deleting a pipeline deletes every opportunity in it (GHL cannot undo this); "
            "needs --allow-destroy-opportunities",
        )

    # -- apply -------------------------------------------------------------------------------

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        fields = item.fields
        body: dict[str, Any] = {
            "locationId": ctx.location_id,
            "name": fields["name"],
            "stages": [
                _stage_body(fields, name, position, None)
                for position, name in enumerate(fields["stages"])
            ],
            **_options(fields),
        }
        answer = ctx.api.request("POST", PIPELINES_PATH, version=WRITE_VERSION, json=body)
        return _pipeline_id(answer)

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        fields = item.fields
        raw = self._read_one(ctx, object_id, item.key)
        stages = self.stages_of(fields, raw)
        keeps = stages.keeps
        path = f"{PIPELINES_PATH}/{object_id}"
        if stages.removed and not any(keeps):
            # GHL refuses to remove every stage at once: add the new ones, then drop the old
            old = live_stages(raw)
            both = [
                {"id": s.id, "name": s.name, "position": n} for n, s in enumerate(old) if s.id
            ] + [
                _stage_body(fields, name, len(old) + n, None)
                for n, name in enumerate(fields["stages"])
            ]
            body = {"stages": both, **_options(fields)}
            ctx.api.request("PUT", path, version=WRITE_VERSION, json=body)
            added = self.stages_of(fields, self._read_one(ctx, object_id, item.key))
            keeps = added.keeps
        body = {
            "name": fields["name"],
            "stages": [
                _stage_body(fields, name, position, kept)
                for position, (name, kept) in enumerate(zip(fields["stages"], keeps, strict=True))
            ],
            **_options(fields),
        }
        ctx.api.request("PUT", path, version=WRITE_VERSION, json=body)

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request("DELETE", f"{PIPELINES_PATH}/{object_id}", version=WRITE_VERSION)

    def _read_one(self, ctx: Ctx, object_id: str, key: str) -> Mapping[str, Any]:
        """The live pipeline as it is now (its stage ids are what the PUT must send)."""
        for raw in self._read(ctx):
            if str(raw.get("id")) == object_id:
                return raw
        raise GhlopsError(f"pipeline {key!r} ({object_id}) no longer exists")


def _receiver(desired: Sequence[str], stages: StagePlan) -> str:
    """The stage that receives the opportunities of removed stages: the lowest-position kept
    stage, or the first stage when none is kept (see the two-call update)."""
    return next((n for n, kept in zip(desired, stages.keeps, strict=True) if kept), desired[0])


def _stage_body(
    fields: Mapping[str, Any], name: str, position: int, stage_id: str | None
) -> dict[str, Any]:
    stage: dict[str, Any] = {"id": stage_id} if stage_id else {}
    stage |= {"name": name, "position": position}
    odds = fields.get("stageWinProbabilities") or {}
    if name in odds:
        stage["stageWinProbability"] = odds[name]
    return stage


def _options(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {option: fields[option] for option in _OPTIONS if option in fields}


def _pipeline_id(answer: Any) -> str:
    """The new pipeline's id from a create answer (``{"pipeline": {...}}``; a bare pipeline
    object or ``_id`` are accepted too, the shape being undocumented)."""
    pipeline = answer.get("pipeline", answer) if isinstance(answer, Mapping) else None
    found = pipeline.get("id") or pipeline.get("_id") if isinstance(pipeline, Mapping) else None
    if not found:
        raise GhlopsError(f"the create-pipeline answer has no pipeline id: {answer!r}"[:300])
    return str(found)


def _numbered(head: str, steps: Sequence[str]) -> tuple[str, ...]:
    return (head, *(f"{n}. {step}" for n, step in enumerate(steps, 1)))


def _tidy(value: Any) -> Any:
    """``40.0`` -> ``40`` (exports show what a person would write)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
