"""Adapter for ``associations`` (apps/associations.json, Version 2021-07-28).

GET /associations/?locationId=&skip=&limit= (all three required), POST /associations/ (201),
GET|PUT|DELETE /associations/{associationId}. Update changes the two labels only (both
required). Delete is for ``USER_DEFINED`` associations and "will also [delete] all the relations
for that association": a replace or a prune is destructive and the plan says so.

The spec types every answer as one association (``GetPostSuccessfulResponseDto``), the list
included, and types labels and object keys as objects while its examples are strings. ghlops
reads a list page as a bare array of associations, ``{"associations": [...]}``, ``{"data":
[...]}`` or a single association; pages are read (``skip``/``limit``) until one is short or
brings nothing new. Labels and keys are read as strings.

Identity: ``key``. Compared: ``firstObjectLabel``, ``secondObjectLabel``; the object keys cannot
change (replace). Only ``USER_DEFINED`` associations are managed: GHL's ``SYSTEM_DEFINED`` ones
are never listed as unmanaged or pruned.

References: the object keys name ``contact``, ``opportunity``, ``business`` or a custom object,
declared in ``customObjects`` (created before associations in the same apply) or made in GHL.
While reading for a plan, a custom object key that is neither fails that location's plan; the
custom objects read as a kind are the lookup (``read_after``), else one ``GET /objects/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ghlops.errors import GhlopsError, SourcePos
from ghlops.models.association import STANDARD_OBJECTS, Association
from ghlops.models.base import ResourceSpec
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem, Ref
from ghlops.resources.keyed import live_of

VERSION = "2021-07-28"
PATH = "/associations/"
PAGE_SIZE = 100
MAX_PAGES = 1000  # a server that ignores skip would otherwise be read forever
_FIELDS = ("key", "firstObjectKey", "firstObjectLabel", "secondObjectKey", "secondObjectLabel")
_SIDES = ("firstObjectKey", "secondObjectKey")


def page_items(body: Any) -> list[Mapping[str, Any]]:
    """The associations of one list answer, in any of the shapes the spec leaves possible.

    Raises:
        GhlopsError: the answer has none of them.
    """
    if isinstance(body, list):
        return [item for item in body if isinstance(item, Mapping)]
    if isinstance(body, Mapping):
        for wrapper in ("associations", "data"):
            if isinstance(body.get(wrapper), list):
                return [item for item in body[wrapper] if isinstance(item, Mapping)]
        if "id" in body and "key" in body:
            return [body]
    raise GhlopsError(
        "GET /associations/ answered neither a list of associations nor one association"
    )


def _text(value: Any) -> str:
    """A label or object key: a string (the spec types it as an object; its examples are
    strings); an object with a ``key``/``label``/``name`` is read by that."""
    if isinstance(value, Mapping):
        for name in ("key", "label", "name", "singular"):
            if isinstance(value.get(name), str):
                return str(value[name])
    return "" if value is None else str(value)


class AssociationAdapter(Adapter):
    kind = "associations"
    singular = "association"
    model = Association
    version = VERSION
    read_after = ("customObjects",)  # when both are read: live objects are the lookup
    compare_fields = _FIELDS[1:]
    immutable_fields = _SIDES
    rename_field = "key"
    renames = False
    plain_fields = ("key",)  # an identifier, not a secret

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"key:{fields['key']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["key"])

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields = {name: _text(raw.get(name)) for name in _FIELDS}
        return live_of(self, raw["id"], fields, raw)

    def desired_item(self, spec: ResourceSpec, source: SourcePos | None = None) -> DesiredItem:
        """Each custom object the association names is a reference the loader does not insist
        on (the object may be made in GHL), but that keeps the association out of a run that
        neither finds nor creates the object (``--exclude-kind customObjects``)."""
        item = super().desired_item(spec, source)
        refs = tuple(
            Ref(field=side, kind="customObjects", key=str(item.fields[side]), declared=False)
            for side in _SIDES
            if str(item.fields.get(side, "")) not in STANDARD_OBJECTS
        )
        return replace(item, refs=refs) if refs else item

    def live_items(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> list[LiveItem]:
        """The user-defined associations; fails on a declared object key that names no object."""
        self._check_objects(ctx)
        return [
            self.live_item(raw)
            for raw in raws
            if _text(raw.get("associationType") or "USER_DEFINED") == "USER_DEFINED"
        ]

    def _check_objects(self, ctx: Ctx) -> None:
        wanted = [
            (item.key, side, str(item.fields[side]))
            for item in ctx.desired.get(self.kind, ())
            for side in _SIDES
            if str(item.fields.get(side, "")) not in STANDARD_OBJECTS
        ]
        if not wanted:
            return
        declared = {o.key for o in ctx.desired.get("customObjects", ())}
        if "customObjects" in ctx.live:
            live = {o.key for o in ctx.live["customObjects"]}
        else:  # custom objects are not read as a kind in this run: one lookup
            body = ctx.api.request(
                "GET", "/objects/", version=self.version, params={"locationId": ctx.location_id}
            )
            live = {str(o.get("key")) for o in body.get("objects") or () if isinstance(o, dict)}
        problems = [
            f"association {key!r}: {side} {obj!r} is neither contact, opportunity, business nor "
            "a custom object of the location (declared in customObjects or made in GHL)"
            for key, side, obj in wanted
            if obj not in declared and obj not in live
        ]
        if problems:
            raise GhlopsError("; ".join(problems))

    def delete_reasons(self, live: LiveItem) -> tuple[str, ...]:
        return ("GHL deletes every relation (link between two records) made with it",)

    # -- I/O half --------------------------------------------------------------------------
    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        raws: list[Mapping[str, Any]] = []
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            body = ctx.api.request(
                "GET",
                PATH,
                version=self.version,
                params={"locationId": ctx.location_id, "skip": len(raws), "limit": PAGE_SIZE},
            )
            page = [raw for raw in page_items(body) if str(raw.get("id")) not in seen]
            seen.update(str(raw.get("id")) for raw in page)
            raws += page
            if len(page) < PAGE_SIZE:
                break
        return self.live_items(ctx, raws)

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        body = {name: item.fields[name] for name in _FIELDS}
        answer = ctx.api.request(
            "POST", PATH, version=self.version, json={"locationId": ctx.location_id, **body}
        )
        return str(page_items(answer)[0]["id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        body = {name: item.fields[name] for name in ("firstObjectLabel", "secondObjectLabel")}
        ctx.api.request("PUT", f"{PATH}{object_id}", version=self.version, json=body)

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request("DELETE", f"{PATH}{object_id}", version=self.version)
