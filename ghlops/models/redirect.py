"""Manifest model for ``redirects`` (funnel/website URL redirects of a location's domains)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ghlops.models.base import ManagedSpec

# apps/funnels.json #CreateRedirectParams.action. The spec's example shows "URL" in upper case,
# but the enum (which the API validates) is lower case, so only lower case is accepted here.
RedirectAction = Literal["funnel", "website", "url", "all"]


class Redirect(ManagedSpec):
    """A URL redirect on one of the location's domains.

    Its identity is ``domain`` + ``path``, the path compared case-insensitively (GHL keeps a
    lower-case copy, ``pathLowercase``). Only ``target`` and ``action`` can change in place; a
    path whose letter case changes is the same redirect re-created (delete + create).
    """

    domain: str = Field(
        min_length=1,
        pattern=r"^[^\s/:?#]+$",
        description="Host name the redirect is on, without scheme or path, e.g. "
        "www.acme-dental.com (compared case-insensitively; sent in lower case)",
    )
    path: str = Field(
        pattern=r"^/\S*$",
        description="Path that is redirected, starting with '/', e.g. /old-offer. Matched "
        "case-insensitively; a change of letter case only re-creates the redirect",
    )
    target: str = Field(
        min_length=1, description="Where the path redirects to, e.g. https://www.acme.com/offer"
    )
    action: RedirectAction = Field(
        description="What the target is: url (any URL), funnel, website, or all (GHL's enum; "
        "lower case)"
    )
