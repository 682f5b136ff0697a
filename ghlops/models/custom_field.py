"""Manifest model for ``customFields`` (contact and opportunity fields of a location)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

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


# The types whose values are chosen from options (community clients send ``options`` for them).
OPTION_TYPES = ("SINGLE_OPTIONS", "MULTIPLE_OPTIONS", "RADIO", "CHECKBOX")


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
    options: list[str] | None = Field(
        default=None,
        description="SINGLE_OPTIONS, MULTIPLE_OPTIONS, RADIO and CHECKBOX only: the choices "
        "(compared regardless of order; follows community usage of the API)",
    )

    @model_validator(mode="after")
    def _options_for_option_types(self) -> Self:
        if self.options is not None:
            if self.dataType not in OPTION_TYPES:
                raise ValueError(
                    f"options are only for dataType {', '.join(OPTION_TYPES)} (not {self.dataType})"
                )
            if any(not o.strip() for o in self.options):
                raise ValueError("options must not be empty strings")
            if len(set(self.options)) != len(self.options):
                raise ValueError("options must not repeat")
        return self
