"""Kinds whose API names the location as ``altId`` + ``altType=location`` (query on GET and
DELETE, body on POST and PUT) and wraps single objects as ``{"data": {...}}`` with a 24-hex
``_id``: product collections, shipping carriers. Create POSTs to ``path``; update PUTs the
declared fields (the update DTOs are partial) to ``path/{id}``; delete names the location."""

from __future__ import annotations

from typing import Any, ClassVar

from ghlops.resources.base import Adapter, Ctx, DesiredItem


def location_params(ctx: Ctx) -> dict[str, str]:
    """How these APIs name the location."""
    return {"altId": ctx.location_id, "altType": "location"}


class AltLocatedAdapter(Adapter):
    path: ClassVar[str]  # the collection path, e.g. "/store/shipping-carrier"

    def body(self, ctx: Ctx, item: DesiredItem) -> dict[str, Any]:
        """The location plus the declared compared fields."""
        declared = {k: item.fields[k] for k in self.compare_fields if k in item.fields}
        return {**location_params(ctx), **declared}

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        answer = ctx.api.request("POST", self.path, version=self.version, json=self.body(ctx, item))
        return str(answer["data"]["_id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        ctx.api.request(
            "PUT", f"{self.path}/{object_id}", version=self.version, json=self.body(ctx, item)
        )

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request(
            "DELETE",
            f"{self.path}/{object_id}",
            version=self.version,
            params=location_params(ctx),
        )
