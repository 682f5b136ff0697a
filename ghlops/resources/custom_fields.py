"""Adapter for ``customFields`` (apps/locations.json, Version 2021-07-28).

GET|POST /locations/{locationId}/customFields, PUT|DELETE …/customFields/{id}.
Wrappers: list ``{"customFields": [...]}``, single ``{"customField": {...}}``. No pagination.
The list is read with ``?model=all``: without ``model`` GHL may list contact fields only.

Matching: by ``fieldKey`` when the manifest gives one, else by ``model`` + ``name``. The model is
part of the identity: a changed ``model`` is a replace, and ``renamedFrom`` only matches a field
of the same model.
``dataType`` is not in the update body, so a changed type is a replace (delete + create), which
destroys the data stored in the field. The request and response use different names for two
fields (request ``isMultipleFile``/``maxNumberOfFiles``, response ``isMultiFileAllowed``/
``maxFileLimit``); live objects are mapped to the request names. ``acceptedFormat`` and
``textBoxListOptions`` are never returned, so they are sent but not compared.

Options of SINGLE_OPTIONS/MULTIPLE_OPTIONS/RADIO/CHECKBOX fields: ``options`` (a list of strings)
is sent on create and update and read back from ``picklistOptions``. The spec's DTO does not list
it; this follows community clients until confirmed live. The options are compared regardless of
their order (:class:`UnorderedList`), and sent in the order declared.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ghlops.models.custom_field import CustomField
from ghlops.resources.base import Adapter, Ctx, DesiredItem, ExportCtx, LiveItem


class UnorderedList(list[Any]):
    """A list that equals another with the same items in any order (custom field options)."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, list):
            return NotImplemented
        return sorted(map(str, self)) == sorted(map(str, other))

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None


# response field -> request field
_LIVE_RENAMES = {"isMultiFileAllowed": "isMultipleFile", "maxFileLimit": "maxNumberOfFiles"}
_LIVE_FIELDS = ("name", "model", "dataType", "fieldKey", "placeholder", "position")


class CustomFieldAdapter(Adapter):
    kind = "customFields"
    singular = "custom field"
    model = CustomField
    version = "2021-07-28"
    compare_fields = (
        "name",
        "model",
        "dataType",
        "placeholder",
        "position",
        "isMultipleFile",
        "maxNumberOfFiles",
        "options",
    )
    # the model is part of the identity: a changed model is a different field (a replace)
    immutable_fields = ("model", "dataType")
    identity_fields = ("model",)
    write_only_fields = ("acceptedFormat", "textBoxListOptions")
    export_defaults = {"position": 0, "isMultipleFile": False}  # #CreateCustomFieldsDTO

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        keys = []
        if fields.get("fieldKey"):
            keys.append(f"fieldKey:{fields['fieldKey']}")
        keys.append(f"name:{fields.get('model', 'contact')}:{fields['name']}")
        return tuple(keys)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        if fields.get("fieldKey"):
            return str(fields["fieldKey"])
        return f"{fields.get('model', 'contact')}:{fields['name']}"

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        fields.setdefault("model", "contact")
        if fields.get("options") is not None:
            fields["options"] = UnorderedList(fields["options"])
        return fields

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields: dict[str, Any] = {k: raw[k] for k in _LIVE_FIELDS if raw.get(k) is not None}
        fields.setdefault("model", "contact")
        for src, dst in _LIVE_RENAMES.items():
            if raw.get(src) is not None:
                fields[dst] = raw[src]
        options = raw.get("picklistOptions")
        if isinstance(options, list) and options:
            fields["options"] = UnorderedList(_option_label(o) for o in options)
        if isinstance(fields.get("position"), float) and fields["position"].is_integer():
            fields["position"] = int(fields["position"])
        match = self.match_keys(fields)
        name_key = f"{fields['model']}:{fields['name']}"
        return LiveItem(
            self.kind, name_key, str(raw["id"]), fields, match, raw, identity=self.identify(fields)
        )

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        # model=all: without it GHL may list contact fields only (API notes, appendix E)
        body = ctx.api.request(
            "GET",
            f"/locations/{ctx.location_id}/customFields",
            version=self.version,
            params={"model": "all"},
        )
        return [self.live_item(f) for f in body["customFields"]]

    def _body(self, item: DesiredItem, *, create: bool) -> dict[str, Any]:
        body = {k: v for k, v in item.fields.items() if k != "fieldKey"}
        if body.get("options") is not None:
            body["options"] = list(body["options"])  # in the declared order
        if create:
            if item.fields.get("fieldKey"):
                # Undocumented but accepted on create (highlevel-api-docs issue #300).
                body["fieldKey"] = item.fields["fieldKey"]
        else:
            body.pop("dataType", None)
        return body

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        body = ctx.api.request(
            "POST",
            f"/locations/{ctx.location_id}/customFields",
            version=self.version,
            json=self._body(item, create=True),
        )
        return str(body["customField"]["id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        ctx.api.request(
            "PUT",
            f"/locations/{ctx.location_id}/customFields/{object_id}",
            version=self.version,
            json=self._body(item, create=False),
        )

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request(
            "DELETE", f"/locations/{ctx.location_id}/customFields/{object_id}", version=self.version
        )

    def export_item(self, live: LiveItem, export: ExportCtx) -> dict[str, Any]:
        """Without ``fieldKey`` when it is the one GHL derives from the name
        (``contact.pet_name`` for "Pet Name"): the field is then matched by model and name."""
        item = super().export_item(live, export)
        if item.get("options") is not None:
            item["options"] = list(item["options"])
        model = live.fields.get("model", "contact")
        derived = re.sub(r"[^a-z0-9]+", "_", str(item["name"]).lower()).strip("_")
        if item.get("fieldKey") == f"{model}.{derived}":
            del item["fieldKey"]
        return item


def _option_label(option: Any) -> str:
    """An entry of ``picklistOptions``: a string, or an object with a label (seen in the wild)."""
    if isinstance(option, dict):
        for key in ("label", "value", "name", "key"):
            if isinstance(option.get(key), str):
                return str(option[key])
    return str(option)
