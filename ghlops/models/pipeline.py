"""Manifest model for ``pipelines`` (opportunity pipelines and their stages; read-only)."""

from __future__ import annotations

from pydantic import Field, field_validator

from ghlops.models.base import ResourceSpec


class Pipeline(ResourceSpec):
    """An opportunity pipeline. The API in ghlops' spec can only read pipelines, so differences
    are shown as manual steps to take in the GHL UI and never applied.

    Matched by ``name`` (case-insensitively: GHL keeps pipeline names unique regardless of case).
    """

    name: str = Field(min_length=1, description="Pipeline name (its identity, any letter case)")
    stages: list[str] = Field(
        min_length=1,
        description="Stage names in pipeline order (first stage first); names are unique "
        "within the pipeline regardless of letter case",
    )
    showInFunnel: bool | None = Field(
        default=None, description="Show the pipeline in the funnel chart (compared only if set)"
    )
    showInPieChart: bool | None = Field(
        default=None, description="Show the pipeline in the pie chart (compared only if set)"
    )

    @field_validator("stages")
    @classmethod
    def _unique_stage_names(cls, stages: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for stage in stages:
            if not stage.strip():
                raise ValueError("stage names must not be empty")
            folded = stage.casefold()
            if folded in seen:
                raise ValueError(
                    f"stage {stage!r} is listed twice (as {seen[folded]!r}); stage names are "
                    "unique within a pipeline regardless of letter case"
                )
            seen[folded] = stage
        return stages
