"""Base class of every manifest item model.

Models are the *what*: the user-facing shape of one item under a bundle key, with GHL's own API
field names. They are frozen and forbid unknown keys, and the JSON Schemas in ``schemas/`` are
generated from them. How an item is matched, compared and sent to the API lives in the adapter
of its kind (``ghlops.resources``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ResourceSpec(BaseModel):
    """One item of a resource kind as declared in a bundle."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ManagedSpec(ResourceSpec):
    """A top-level item of a bundle: besides its API fields it may carry ghlops' own settings.

    ``protect`` and ``renamedFrom`` are never sent to GHL (excluded from ``model_dump``).
    """

    protect: bool = Field(
        default=False,
        exclude=True,
        description="ghlops: refuse any plan that would delete or replace this object",
    )
    renamedFrom: str | None = Field(
        default=None,
        min_length=1,
        exclude=True,
        description="ghlops: the object's previous name; a rename then updates the same GHL "
        "object (keeping its id and data) instead of deleting and re-creating it",
    )
