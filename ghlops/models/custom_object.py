"""Manifest models for ``customObjects`` (apps/objects.json) and their nested field ``folders``
and ``fields`` (apps/custom-fields.json, the Custom Fields V2 API).

A custom object is identified by its ``key`` (``custom_objects.pets``). Its fields are declared
inside it; a field's ``fieldKey`` may be written short (``breed``) or in full
(``custom_objects.pets.breed``). Fields name their folder by name.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from ghlops.models.base import ManagedSpec, ResourceSpec
from ghlops.models.custom_field import DataType

OBJECT_KEY_PATTERN = r"^custom_objects\.[a-z0-9]+(?:_[a-z0-9]+)*$"
FIELD_KEY_PATTERN = r"^[a-z0-9_]+(?:\.[a-z0-9_]+)*$"

# #CreateCustomFieldsDTO.dataType of the Custom Fields V2 API: the location fields' list
FieldDataType = DataType
# "Options for the field (Optional, valid only for SINGLE_OPTIONS, MULTIPLE_OPTIONS, RADIO,
# CHECKBOX, TEXTBOX_LIST type)"
OPTION_TYPES = ("SINGLE_OPTIONS", "MULTIPLE_OPTIONS", "RADIO", "CHECKBOX", "TEXTBOX_LIST")
AcceptedFormat = Literal[
    ".pdf", ".docx", ".doc", ".jpg", ".jpeg", ".png", ".gif", ".csv", ".xlsx", ".xls", "all"
]


class CustomObjectLabels(ResourceSpec):
    """How the object is called in the UI (#CustomObjectLabelDto)."""

    singular: str = Field(min_length=1, description="Singular name, e.g. Pet")
    plural: str = Field(min_length=1, description="Plural name, e.g. Pets")


class PrimaryDisplayProperty(ResourceSpec):
    """The field shown as the record's title (#CustomObjectDisplayPropertyDetails). GHL creates
    this field with the object; it cannot change afterwards through the API."""

    key: str = Field(
        pattern=FIELD_KEY_PATTERN,
        description="The field's key: short (name) or in full (custom_objects.pets.name)",
    )
    name: str = Field(min_length=1, description="The field's name, e.g. Pet name")
    dataType: Literal["TEXT", "NUMERICAL"] = Field(description="TEXT or NUMERICAL")


class FieldOption(ResourceSpec):
    """One choice of an option field (#OptionDTO)."""

    key: str = Field(min_length=1, description="The option's key (stored in records)")
    label: str = Field(min_length=1, description="What users see")
    url: str | None = Field(default=None, description="RADIO only: a URL for the option")


class CustomObjectFolder(ManagedSpec):
    """A folder of the object's fields (#CreateFolder); identified by its name."""

    name: str = Field(min_length=1, description="Folder name")


class CustomObjectField(ManagedSpec):
    """A field of the custom object (#CreateCustomFieldsDTO). ``dataType`` and ``folder``
    cannot change after creation (a change replaces the field: its data is lost)."""

    fieldKey: str = Field(
        pattern=FIELD_KEY_PATTERN,
        description="The field's identity: short (breed) or in full (custom_objects.pets.breed)",
    )
    name: str = Field(min_length=1, description="Field name")
    dataType: FieldDataType = Field(
        description="Field type; changing it replaces the field (its data is lost)"
    )
    folder: str | None = Field(
        default=None,
        min_length=1,
        description="The folder (declared in the object's folders) by name; omitted: the "
        "object's first folder. Changing it replaces the field (its data is lost)",
    )
    description: str | None = None
    placeholder: str | None = None
    showInForms: bool | None = Field(default=None, description="Shown in forms (GHL: true)")
    options: list[FieldOption] | None = Field(
        default=None,
        description="Option types only. The API cannot remove an option: one dropped from the "
        "manifest stays until removed in the GHL UI (compared regardless of order)",
    )
    acceptedFormats: AcceptedFormat | None = Field(default=None, description="FILE_UPLOAD only")
    maxFileLimit: int | None = Field(default=None, ge=1, description="FILE_UPLOAD only")
    allowCustomOption: bool | None = Field(default=None, description="RADIO only")

    @model_validator(mode="after")
    def _options_for_option_types(self) -> Self:
        if self.options is not None:
            if self.dataType not in OPTION_TYPES:
                raise ValueError(
                    f"options are only for dataType {', '.join(OPTION_TYPES)} (not {self.dataType})"
                )
            keys = [o.key for o in self.options]
            if len(set(keys)) != len(keys):
                raise ValueError("option keys must not repeat")
        return self


def short_key(key: str) -> str:
    """A field key without its object prefix (``custom_objects.pets.breed`` -> ``breed``)."""
    return key.rsplit(".", 1)[-1]


class CustomObject(ManagedSpec):
    """A custom object of the location. The API has no delete for objects: removing one is a
    step in the GHL UI (the plan shows it as ``manual``)."""

    key: str = Field(
        pattern=OBJECT_KEY_PATTERN,
        description="The object's identity, e.g. custom_objects.pets (lowercase, underscores)",
    )
    labels: CustomObjectLabels = Field(description="Singular and plural names")
    description: str | None = Field(default=None, description="What the object holds")
    primaryDisplayPropertyDetails: PrimaryDisplayProperty = Field(
        description="The record's title field, created with the object; cannot change later"
    )
    searchableProperties: list[str] | None = Field(
        default=None,
        description="Keys of the fields records are searched by (write-only: GHL never returns "
        "them). Omitted: the primary display property",
    )
    folders: list[CustomObjectFolder] | None = Field(
        default=None, description="Folders of the object's fields"
    )
    fields: list[CustomObjectField] | None = Field(
        default=None, description="The object's fields (besides its primary display property)"
    )

    @model_validator(mode="after")
    def _keys_belong_to_the_object(self) -> Self:
        prefix = f"{self.key}."
        keys = [self.primaryDisplayPropertyDetails.key]
        keys += [f.fieldKey for f in self.fields or ()] + list(self.searchableProperties or ())
        for key in keys:
            if "." in key and not key.startswith(prefix):
                raise ValueError(f"field key {key!r} is not a key of {self.key} ({prefix}...)")
        shorts = [short_key(f.fieldKey) for f in self.fields or ()]
        if len(set(shorts)) != len(shorts):
            raise ValueError("two fields have the same fieldKey")
        primary = short_key(self.primaryDisplayPropertyDetails.key)
        if primary in shorts:
            raise ValueError(
                f"field {primary!r} is the primary display property: GHL creates it with the "
                "object; declare it in primaryDisplayPropertyDetails only"
            )
        folders = [f.name for f in self.folders or ()]
        if len(set(folders)) != len(folders):
            raise ValueError("two folders have the same name")
        for field in self.fields or ():
            if field.folder is not None and field.folder not in folders:
                raise ValueError(
                    f"field {field.fieldKey!r}: folder {field.folder!r} is not among the "
                    "object's folders"
                )
        return self
