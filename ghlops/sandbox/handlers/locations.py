"""Tags, custom fields and custom values of a sub-account (``apps/locations.json``).

Wire shapes follow the spec's schemas: ``tagBody`` / ``LocationTagsSchema``,
``CreateCustomFieldsDTO`` / ``UpdateCustomFieldsDTO`` / ``CustomFieldSchema`` and
``customValuesDTO`` / ``CustomValueSchema``. Unknown ids answer 404: the spec documents no 404
for these operations, but it is what a NestJS service answers for a missing entity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import bad_request, not_found
from ghlops.sandbox.ids import firestore_id
from ghlops.sandbox.routing import RouteTable

JSON = Any

routes = RouteTable("locations")
routes.kind("tags", schema="LocationTagsSchema")
routes.kind("customFields", schema="CustomFieldSchema")
routes.kind("customValues", schema="CustomValueSchema")

DELETED = {"succeded": True}  # sic: the spec's *DeleteSuccessfulResponseDto misspells it

TAG_NOT_FOUND = "Tag not found"
FIELD_NOT_FOUND = "Custom field not found"
VALUE_NOT_FOUND = "Custom value not found"

# GHL issue #300 (maintainer reply 2026-08-26): the create endpoint also accepts these.
# ``options`` (the choices of SINGLE_OPTIONS, MULTIPLE_OPTIONS, RADIO and CHECKBOX fields, a list
# of strings, answered as ``picklistOptions``) follows community clients: no capture proves it.
_OPTIONS = {"type": "array", "items": {"type": "string"}}
_UNDOCUMENTED_FIELD_PROPERTIES = {
    "parentId": {"type": "string"},
    "fieldKey": {"type": "string"},
    "description": {"type": "string"},
    "options": _OPTIONS,
}
# Request fields stored but absent from CustomFieldSchema, so never returned.
_HIDDEN_FIELD_PROPERTIES = ("acceptedFormat", "textBoxListOptions", "parentId", "description")
_FIELD_MODELS = ("contact", "opportunity")


def snake_case(name: str) -> str:
    """``"Pin Code!"`` -> ``"pin_code"`` (the key part GHL derives from a name)."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "field"


def unique_key(base: str, taken: Iterable[str], render: str = "{}") -> str:
    """``render.format(base)``, or with ``_1``, ``_2``, ... appended until not in ``taken``."""
    used = set(taken)
    candidate, n = base, 0
    while render.format(candidate) in used:
        n += 1
        candidate = f"{base}_{n}"
    return render.format(candidate)


# -- tags ----------------------------------------------------------------------------------


@routes.get("/locations/{locationId}/tags")
def list_tags(ctx: RequestContext) -> JSON:
    return {"tags": [ctx.render("tags", o.data) for o in ctx.store.list(ctx.location_id, "tags")]}


@routes.post("/locations/{locationId}/tags")
def create_tag(ctx: RequestContext) -> JSON:
    # Names are not made unique: the spec does not say the live API refuses duplicates.
    tag = {"name": ctx.body["name"], "locationId": ctx.location_id, "id": firestore_id()}
    ctx.store.insert(ctx.location_id, "tags", tag["id"], tag)
    return {"tag": ctx.render("tags", tag)}


@routes.get("/locations/{locationId}/tags/{tagId}")
def get_tag(ctx: RequestContext) -> JSON:
    tag = ctx.owned("tags", ctx.path_params["tagId"], TAG_NOT_FOUND).data
    return {"tag": ctx.render("tags", tag)}


@routes.put("/locations/{locationId}/tags/{tagId}")
def update_tag(ctx: RequestContext) -> JSON:
    tag = ctx.owned("tags", ctx.path_params["tagId"], TAG_NOT_FOUND).data
    tag["name"] = ctx.body["name"]
    ctx.store.update("tags", tag["id"], tag)
    return {"tag": ctx.render("tags", tag)}


@routes.delete("/locations/{locationId}/tags/{tagId}")
def delete_tag(ctx: RequestContext) -> JSON:
    ctx.owned("tags", ctx.path_params["tagId"], TAG_NOT_FOUND)
    ctx.store.delete("tags", ctx.path_params["tagId"])
    return DELETED


# -- custom fields -------------------------------------------------------------------------


@routes.get("/locations/{locationId}/customFields")
def list_custom_fields(ctx: RequestContext) -> JSON:
    model = ctx.query.get("model", "all")
    fields = [o.data for o in ctx.store.list(ctx.location_id, "customFields")]
    return {
        "customFields": [
            ctx.render("customFields", f) for f in fields if model == "all" or f["model"] == model
        ]
    }


def _field_key(ctx: RequestContext, model: str, requested: str | None, name: str) -> str:
    taken = [o.data["fieldKey"] for o in ctx.store.list(ctx.location_id, "customFields")]
    if requested is None:
        return unique_key(f"{model}.{snake_case(name)}", taken)
    prefix = requested.split(".", 1)[0]
    key = requested if "." in requested and prefix in _FIELD_MODELS else f"{model}.{requested}"
    if key in taken:
        raise bad_request(f"Custom field with fieldKey {key} already exists")
    return key


@routes.post(
    "/locations/{locationId}/customFields", extra_body_properties=_UNDOCUMENTED_FIELD_PROPERTIES
)
def create_custom_field(ctx: RequestContext) -> JSON:
    body = ctx.body
    model = body.get("model") or "contact"
    field: dict[str, Any] = {
        "id": firestore_id(),
        "name": body["name"],
        "fieldKey": _field_key(ctx, model, body.get("fieldKey"), body["name"]),
        "dataType": body["dataType"],
        "position": 0 if body.get("position") is None else body["position"],
        "picklistOptions": list(body.get("options") or []),
        "picklistImageOptions": [],
        "isAllowedCustomOption": False,
        "isMultiFileAllowed": bool(body.get("isMultipleFile") or False),
        "locationId": ctx.location_id,
        "model": model,
    }
    if body.get("placeholder") is not None:
        field["placeholder"] = body["placeholder"]
    if body.get("maxNumberOfFiles") is not None:
        field["maxFileLimit"] = body["maxNumberOfFiles"]
    field.update({k: body[k] for k in _HIDDEN_FIELD_PROPERTIES if body.get(k) is not None})
    ctx.store.insert(ctx.location_id, "customFields", field["id"], field)
    return {"customField": ctx.render("customFields", field)}


@routes.get("/locations/{locationId}/customFields/{id}")
def get_custom_field(ctx: RequestContext) -> JSON:
    # The spec: "Custom Field Id or Field Key (e.g. "contact.first_name" ...)".
    wanted = ctx.path_params["id"]
    obj = ctx.store.get("customFields", wanted)
    if obj is not None and obj.location_id == ctx.location_id:
        return {"customField": ctx.render("customFields", obj.data)}
    for other in ctx.store.list(ctx.location_id, "customFields"):
        if other.data.get("fieldKey") == wanted:
            return {"customField": ctx.render("customFields", other.data)}
    raise not_found(FIELD_NOT_FOUND)


# UpdateCustomFieldsDTO property -> stored (CustomFieldSchema) field.
_FIELD_UPDATES = {
    "name": "name",
    "placeholder": "placeholder",
    "acceptedFormat": "acceptedFormat",
    "isMultipleFile": "isMultiFileAllowed",
    "maxNumberOfFiles": "maxFileLimit",
    "textBoxListOptions": "textBoxListOptions",
    "position": "position",
    "model": "model",
    "options": "picklistOptions",  # community usage, see _OPTIONS
}


@routes.put(
    "/locations/{locationId}/customFields/{id}", extra_body_properties={"options": _OPTIONS}
)
def update_custom_field(ctx: RequestContext) -> JSON:
    # Partial update; fieldKey never changes (not even on rename or a model change).
    field = ctx.owned("customFields", ctx.path_params["id"], FIELD_NOT_FOUND).data
    for prop, stored in _FIELD_UPDATES.items():
        if ctx.body.get(prop) is not None:
            field[stored] = ctx.body[prop]
    ctx.store.update("customFields", field["id"], field)
    return {"customField": ctx.render("customFields", field)}


@routes.delete("/locations/{locationId}/customFields/{id}")
def delete_custom_field(ctx: RequestContext) -> JSON:
    ctx.owned("customFields", ctx.path_params["id"], FIELD_NOT_FOUND)
    ctx.store.delete("customFields", ctx.path_params["id"])
    return DELETED


# -- custom values -------------------------------------------------------------------------

_VALUE_KEY = "{{{{ custom_values.{} }}}}"  # renders as "{{ custom_values.<key> }}"


@routes.get("/locations/{locationId}/customValues")
def list_custom_values(ctx: RequestContext) -> JSON:
    values = ctx.store.list(ctx.location_id, "customValues")
    return {"customValues": [ctx.render("customValues", o.data) for o in values]}


@routes.post("/locations/{locationId}/customValues")
def create_custom_value(ctx: RequestContext) -> JSON:
    taken = [o.data["fieldKey"] for o in ctx.store.list(ctx.location_id, "customValues")]
    value = {
        "id": firestore_id(),
        "name": ctx.body["name"],
        "fieldKey": unique_key(snake_case(ctx.body["name"]), taken, _VALUE_KEY),
        "value": ctx.body["value"],
        "locationId": ctx.location_id,
    }
    ctx.store.insert(ctx.location_id, "customValues", value["id"], value)
    return {"customValue": ctx.render("customValues", value)}


@routes.get("/locations/{locationId}/customValues/{id}")
def get_custom_value(ctx: RequestContext) -> JSON:
    value = ctx.owned("customValues", ctx.path_params["id"], VALUE_NOT_FOUND).data
    return {"customValue": ctx.render("customValues", value)}


@routes.put("/locations/{locationId}/customValues/{id}")
def update_custom_value(ctx: RequestContext) -> JSON:
    # customValuesDTO requires both name and value; the merge-tag fieldKey is kept on rename.
    value = ctx.owned("customValues", ctx.path_params["id"], VALUE_NOT_FOUND).data
    value.update(name=ctx.body["name"], value=ctx.body["value"])
    ctx.store.update("customValues", value["id"], value)
    return {"customValue": ctx.render("customValues", value)}


@routes.delete("/locations/{locationId}/customValues/{id}")
def delete_custom_value(ctx: RequestContext) -> JSON:
    ctx.owned("customValues", ctx.path_params["id"], VALUE_NOT_FOUND)
    ctx.store.delete("customValues", ctx.path_params["id"])
    return DELETED
