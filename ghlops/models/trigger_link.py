"""Manifest model for ``triggerLinks`` (apps/links.json)."""

from __future__ import annotations

from pydantic import Field

from ghlops.models.base import ManagedSpec


class TriggerLink(ManagedSpec):
    """A trigger link of a location: a tracked link (merge field ``{{trigger_link.<id>}}``) that
    redirects to ``redirectTo`` and can start workflows when a contact clicks it.

    Its name is its identity; ``redirectTo`` changes in place. A rename without ``renamedFrom``
    is a new link (and, with pruning, the old one deleted, which breaks the old merge field).
    """

    name: str = Field(min_length=1, description="Trigger link name; its identity")
    redirectTo: str = Field(
        min_length=1,
        description="Where the link redirects to, e.g. https://acme.example/offer (templated "
        "per location like any bundle value)",
    )
