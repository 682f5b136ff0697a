"""Manifest model for ``customMenuLinks`` (agency-level custom menu links)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ghlops.models.base import ManagedSpec, ResourceSpec


class MenuIcon(ResourceSpec):
    name: str = Field(min_length=1, description="Font Awesome icon name, e.g. yin-yang")
    fontFamily: Literal["fab", "fas", "far"] = Field(description="Font Awesome family")


class CustomMenuLink(ManagedSpec):
    """A link in the left menu of sub-accounts (and/or the agency view).

    It is one agency object: declaring it in the bundles of some locations shows it in exactly
    those locations (unless ``showToAllLocations``). Its title is its identity.
    """

    title: str = Field(min_length=1, description="Menu title; the link's identity")
    url: str = Field(min_length=1, description="The URL the menu opens")
    icon: MenuIcon
    openMode: Literal["iframe", "new_tab", "current_tab"] = Field(
        default="iframe", description="How the link opens"
    )
    userRole: Literal["all", "admin", "user"] = Field(
        default="all", description="Which users see the link"
    )
    showOnCompany: bool = Field(default=False, description="Also show it in the agency view")
    showOnLocation: bool = Field(default=True, description="Show it in sub-accounts")
    showToAllLocations: bool = Field(
        default=False,
        description="Show it in every sub-account of the agency, not only where it is declared",
    )
    allowCamera: bool | None = Field(default=None, description="iframe mode only")
    allowMicrophone: bool | None = Field(default=None, description="iframe mode only")
