"""What every resource-kind adapter provides.

An adapter is the *how* of one kind: its endpoints and API ``Version``, its natural key, which
fields are compared, which cannot change after creation, and how manifest items map to request
bodies and live objects map back. The planner uses only the pure half (items, keys, fields); the
applier uses the I/O half through the :class:`Api` protocol, so adapters never import the client.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from ghlops.errors import SourcePos
from ghlops.models.base import ResourceSpec

JSON = Any


class Api(Protocol):
    """The slice of the HTTP client an adapter needs (implemented by ghlops.client.GhlClient)."""

    def request(
        self,
        method: str,
        path: str,
        *,
        version: str | None,
        params: Mapping[str, Any] | None = None,
        json: JSON = None,
    ) -> JSON: ...

    def paginate(
        self,
        path: str,
        *,
        version: str | None,
        items: str,
        params: Mapping[str, Any] | None = None,
        page_size: int = 100,
        style: str = "offset",
    ) -> list[JSON]: ...


@dataclass(frozen=True)
class DesiredItem:
    """One manifest item after rendering, validation and normalisation."""

    kind: str
    key: str  # natural key as shown to users, unique within the kind
    fields: Mapping[str, Any]  # API field names; only what the manifest sets
    match_keys: tuple[str, ...]  # identities to look for in live state, most specific first
    source: SourcePos | None = None


@dataclass(frozen=True)
class LiveItem:
    """One object read from the API, normalised for comparison."""

    kind: str
    key: str
    id: str
    fields: Mapping[str, Any]
    match_keys: tuple[str, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


class Adapter(ABC):
    """Base class of the per-kind adapters. Subclasses set the class attributes below."""

    kind: ClassVar[str]  # the bundle key, e.g. "customFields"
    singular: ClassVar[str]  # for messages, e.g. "custom field"
    model: ClassVar[type[ResourceSpec]]  # the manifest item model
    version: ClassVar[str | None]  # the API's Version header value
    depends_on: ClassVar[tuple[str, ...]] = ()  # kinds created before (and deleted after) this one
    compare_fields: ClassVar[tuple[str, ...]]  # fields whose difference makes an update
    immutable_fields: ClassVar[tuple[str, ...]] = ()  # a difference here makes a replace
    write_only_fields: ClassVar[tuple[str, ...]] = ()  # sent on write, never returned on read

    # -- pure half: used by the loader and the planner -------------------------------------
    @abstractmethod
    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        """Identities of an item (desired or live), most specific first."""

    @abstractmethod
    def display_key(self, fields: Mapping[str, Any]) -> str:
        """The natural key shown to users; unique within the kind for one location."""

    def desired_item(self, spec: ResourceSpec, source: SourcePos | None = None) -> DesiredItem:
        fields = self.normalise_desired(spec.model_dump(exclude_none=True))
        return DesiredItem(
            kind=self.kind,
            key=self.display_key(fields),
            fields=fields,
            match_keys=self.match_keys(fields),
            source=source,
        )

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Bring declared fields to the form the API returns (hook)."""
        return fields

    @abstractmethod
    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        """Map one object from a list response to a LiveItem."""

    # -- I/O half: used by the reader and the applier ---------------------------------------
    @abstractmethod
    def list_live(self, api: Api, location_id: str) -> list[LiveItem]:
        """Read every object of this kind in the location (all pages)."""

    @abstractmethod
    def create(self, api: Api, location_id: str, item: DesiredItem) -> str:
        """Create the object; return its new id."""

    @abstractmethod
    def update(self, api: Api, location_id: str, object_id: str, item: DesiredItem) -> None:
        """Make the live object match the desired item."""

    @abstractmethod
    def delete(self, api: Api, location_id: str, object_id: str) -> None:
        """Delete the live object."""
