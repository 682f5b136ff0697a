"""Base class of every manifest item model.

Models are the *what*: the user-facing shape of one item under a bundle key, with GHL's own API
field names. They are frozen and forbid unknown keys, and the JSON Schemas in ``schemas/`` are
generated from them. How an item is matched, compared and sent to the API lives in the adapter
of its kind (``ghlops.resources``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ResourceSpec(BaseModel):
    """One item of a resource kind as declared in a bundle."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
