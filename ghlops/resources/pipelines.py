"""Adapter for ``pipelines`` (apps/opportunities.json, Version 2021-07-28) — read-only.

The spec has only GET /opportunities/pipelines?locationId= → ``{"pipelines": [...]}`` (no
pagination). Pipelines and stages are created and edited in the GHL UI, so this kind is not
writable: the planner turns every difference into a ``manual`` change whose reasons are the exact
steps to take in the UI (:meth:`PipelineAdapter.manual_steps`), and apply never makes them.

Stages: the spec mis-types ``stages`` as an array of arrays and documents no stage shape. ghlops
reads stage objects ``{"id": <uuid>, "name", "position", "showInFunnel", "showInPieChart"}`` (the
shape commonly seen; stage ids are UUIDs per the spec's ``pipelineStageId`` examples), ordered by
``position`` (list order when positions tie or are missing). Manifests declare stages as their
names in order; what is compared is that ordered list of names, plus the pipeline's
``showInFunnel``/``showInPieChart`` when the manifest sets them. Pipelines are matched by name
case-insensitively (GHL keeps pipeline and stage names unique regardless of case), so a
difference in letter case only is a rename.

Switching writes on later (the pipeline create/update/delete API, Version ``v3``, released after
the spec snapshot, notes §5) happens HERE and only here: set ``writable = True`` and implement
:meth:`create`, :meth:`update` and :meth:`delete`. :func:`plan_stages` already says which live
stage id each desired stage keeps (the PUT replaces the whole ``stages`` array; stages sent
without their ``id`` are new). Removing a stage moves its opportunities to another stage, so it
must then be a destructive change: :meth:`PipelineAdapter.destructive_reasons` detects it; the
planner has to consult it for updates of writable kinds (it does not yet: no writable kind needs
it today).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from ghlops.models.pipeline import Pipeline
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem

UI_PATH = "In GHL: Opportunities → Pipelines"


@dataclass(frozen=True)
class LiveStage:
    id: str | None
    name: str


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
    return [LiveStage(str(s["id"]) if s.get("id") else None, str(s["name"])) for _, s in ordered]


def _gaps(names: Sequence[str], matched: set[int]) -> list[tuple[str | None, str | None]]:
    """For each stage: the (case-folded) names of the nearest matched stages before and after."""
    gaps = []
    for i in range(len(names)):
        before = next((names[j].casefold() for j in range(i - 1, -1, -1) if j in matched), None)
        after = next((names[j].casefold() for j in range(i + 1, len(names)) if j in matched), None)
        gaps.append((before, after))
    return gaps


def plan_stages(desired: Sequence[str], live: Sequence[LiveStage]) -> StagePlan:
    """The stage-level difference between desired stage names and live stages.

    Stages are the same when their names are equal ignoring case (a case difference is a
    rename). Unmatched stages between the same matched neighbours on both sides are paired in
    order as renames; the live ones left over are removed, the desired ones left over added.
    """
    by_name: dict[str, int] = {}
    for k, stage in enumerate(live):
        by_name.setdefault(stage.name.casefold(), k)
    pairs: dict[int, int] = {}  # desired index -> live index
    for i, name in enumerate(desired):
        same = by_name.get(name.casefold())
        if same is not None and same not in pairs.values():
            pairs[i] = same
    live_names = [s.name for s in live]
    desired_gaps = _gaps(desired, set(pairs))
    live_gaps = _gaps(live_names, set(pairs.values()))
    free_live = [k for k in range(len(live)) if k not in pairs.values()]
    for i in range(len(desired)):
        if i in pairs:
            continue
        partner = next((k for k in free_live if live_gaps[k] == desired_gaps[i]), None)
        if partner is not None:
            pairs[i] = partner
            free_live.remove(partner)

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


def _toggle(label: str, value: bool) -> str:
    return f"turn {'on' if value else 'off'} '{label}'"


_TOGGLES = (("showInFunnel", "Show in funnel chart"), ("showInPieChart", "Show in pie chart"))


class PipelineAdapter(Adapter):
    kind = "pipelines"
    singular = "pipeline"
    model = Pipeline
    version = "2021-07-28"
    compare_fields = ("name", "stages", "showInFunnel", "showInPieChart")
    # THE switch for pipeline writes (see the module docstring): with False the planner turns
    # differences into `manual` changes and the applier never calls create/update/delete.
    writable = False

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"name:{str(fields['name']).casefold()}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["name"])

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields: dict[str, Any] = {
            "name": raw["name"],
            "stages": [s.name for s in live_stages(raw)],
        }
        for flag, _ in _TOGGLES:
            if isinstance(raw.get(flag), bool):
                fields[flag] = raw[flag]
        return LiveItem(
            self.kind,
            self.display_key(fields),
            str(raw["id"]),
            fields,
            self.match_keys(fields),
            raw,
        )

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        body = ctx.api.request(
            "GET",
            "/opportunities/pipelines",
            version=self.version,
            params={"locationId": ctx.location_id},
        )
        return [self.live_item(p) for p in body["pipelines"]]

    # -- differences ---------------------------------------------------------------------------

    def stage_plan(self, desired: DesiredItem, live: LiveItem) -> StagePlan:
        """How the live pipeline's stages become the desired ones (empty when stages are not
        declared)."""
        if "stages" not in desired.fields:
            return StagePlan()
        return plan_stages(list(desired.fields["stages"]), live_stages(live.raw))

    def destructive_reasons(self, desired: DesiredItem, live: LiveItem) -> tuple[str, ...]:
        """Why an update would be destructive once pipelines are writable: removed stages (GHL
        moves their opportunities to the lowest-position remaining stage)."""
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
        if not steps:
            return ()
        return _numbered(f"{UI_PATH} → {_q(live.key)} → Edit pipeline:", [*steps, "save"])


def _numbered(head: str, steps: Sequence[str]) -> tuple[str, ...]:
    return (head, *(f"{n}. {step}" for n, step in enumerate(steps, 1)))
