"""Manifest model for ``customFields`` (contact and opportunity fields of a location)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ghlops.models.base import ManagedSpec, ResourceSpec

# The location custom-field create body (apps/locations.json #CreateCustomFieldsDTO) declares no
# enum for dataType; this list is the one the Custom Fields v2 API documents
# (apps/custom-fields.json), including its misspelling MONETORY.
DataType = Literal[
    "TEXT",
    "LARGE_TEXT",
    "NUMERICAL",
    "PHONE",
    "MONETORY",
    "CHECKBOX",
    "SINGLE_OPTIONS",
    "MULTIPLE_OPTIONS",
    "DATE",
    "TEXTBOX_LIST",
    "FILE_UPLOAD",
    "RADIO",
    "EMAIL",
]


class TextBoxListOption(ResourceSpec):
    label: str
    prefillValue: str | None = None


class CustomField(ManagedSpec):
    """A contact or opportunity custom field. ``dataType`` cannot change after creation."""

    name: str = Field(min_length=1, description="Field name")
    model: Literal["contact", "opportunity"] = Field(
        default="contact", description="Which object the field belongs to"
    )
    dataType: DataType = Field(description="Field type; changing it replaces the field (data lost)")
    fieldKey: str | None = Field(
        default=None,
        description="e.g. contact.pet_name; when given, the field is matched by it, not by name",
    )
    placeholder: str | None = None
    position: int | None = Field(default=None, ge=0)
    acceptedFormat: list[str] | None = Field(
        default=None, description="FILE_UPLOAD only; write-only in the API"
    )
    isMultipleFile: bool | None = None
    maxNumberOfFiles: int | None = Field(default=None, ge=1)
    textBoxListOptions: list[TextBoxListOption] | None = Field(
        default=None, description="TEXTBOX_LIST only; write-only in the API"
    )
