"""Manifest model for ``pipelines`` (opportunity pipelines and their stages).

Pipelines are read-only unless ghlops.yaml switches writes on (``policy.pipelines: write``);
the model is the same either way.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from ghlops.models.base import ManagedSpec, ResourceSpec


class Stage(ResourceSpec):
    """A pipeline stage written as a mapping (a plain name ``X`` is short for ``{name: X}``)."""

    name: str = Field(
        min_length=1,
        description="Stage name; unique within the pipeline regardless of letter case",
    )
    renamedFrom: str | None = Field(
        default=None,
        min_length=1,
        description="ghlops: the stage's previous name. With pipeline writes on, the live stage "
        "of that name is renamed, keeping its id and its opportunities; without it a new name "
        "is a new stage and the old one is removed",
    )
    stageWinProbability: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Win probability of the stage's opportunities in percent (0-100); used "
        "with useOpportunityProbability, which needs it on every stage",
    )


def _stage_form(value: Any) -> str | None:
    if isinstance(value, str):
        return "name"
    return "mapping" if isinstance(value, dict | Stage) else None


StageEntry = Annotated[
    Annotated[str, Tag("name")] | Annotated[Stage, Tag("mapping")],
    Discriminator(
        _stage_form,
        custom_error_type="ghlops_stage",
        custom_error_message="a stage is a name or a mapping {name, renamedFrom, "
        "stageWinProbability}",
    ),
]


def stage_name(stage: str | Stage) -> str:
    return stage if isinstance(stage, str) else stage.name


class Pipeline(ManagedSpec):
    """An opportunity pipeline. Read-only by default: differences are shown as manual steps to
    take in the GHL UI and never applied. With ``policy.pipelines: write`` in ghlops.yaml, ghlops
    creates, updates and (with pruning and ``--allow-destroy-opportunities``) deletes pipelines.

    Matched by ``name`` (case-insensitively: GHL keeps pipeline names unique regardless of case);
    stages are matched by name too (case-insensitively), or by their ``renamedFrom``.
    """

    name: str = Field(min_length=1, description="Pipeline name (its identity, any letter case)")
    stages: list[StageEntry] = Field(
        min_length=1,
        description="Stages in pipeline order (first stage first): names, or mappings "
        "{name, renamedFrom, stageWinProbability}; names are unique within the pipeline "
        "regardless of letter case",
    )
    showInFunnel: bool | None = Field(
        default=None, description="Show the pipeline in the funnel chart (compared only if set)"
    )
    showInPieChart: bool | None = Field(
        default=None, description="Show the pipeline in the pie chart (compared only if set)"
    )
    useOpportunityProbability: bool | None = Field(
        default=None,
        description="Use each stage's stageWinProbability (then required on every stage) as "
        "its opportunities' win probability; otherwise GHL derives it from the stage's "
        "position (compared only if set)",
    )

    @field_validator("stages")
    @classmethod
    def _unique_stage_names(cls, stages: list[str | Stage]) -> list[str | Stage]:
        seen: dict[str, str] = {}
        renamed: dict[str, str] = {}
        for entry in stages:
            stage = stage_name(entry)
            if not stage.strip():
                raise ValueError("stage names must not be empty")
            folded = stage.casefold()
            if folded in seen:
                raise ValueError(
                    f"stage {stage!r} is listed twice (as {seen[folded]!r}); stage names are "
                    "unique within a pipeline regardless of letter case"
                )
            seen[folded] = stage
            old = entry.renamedFrom if isinstance(entry, Stage) else None
            if old is not None:
                if old.casefold() in renamed:
                    raise ValueError(
                        f"stages {renamed[old.casefold()]!r} and {stage!r} are both "
                        f"renamedFrom {old!r}"
                    )
                renamed[old.casefold()] = stage
        return stages

    @model_validator(mode="after")
    def _probabilities_all_or_none(self) -> Pipeline:
        given = [
            stage_name(s)
            for s in self.stages
            if isinstance(s, Stage) and s.stageWinProbability is not None
        ]
        if given and not self.useOpportunityProbability:
            raise ValueError(
                "stageWinProbability is set on stage(s) "
                + ", ".join(repr(n) for n in given)
                + ", so useOpportunityProbability must be true"
            )
        if self.useOpportunityProbability and len(given) != len(self.stages):
            missing = [stage_name(s) for s in self.stages if stage_name(s) not in given]
            raise ValueError(
                "useOpportunityProbability is true, so every stage needs a stageWinProbability "
                "(missing on " + ", ".join(repr(n) for n in missing) + ")"
            )
        return self
