"""What every resource-kind adapter provides.

An adapter is the *how* of one kind: its endpoints and API ``Version``, its natural key, which
fields are compared, which cannot change after creation, and how manifest items map to request
bodies and live objects map back. The planner uses only the pure half (items, keys, fields); the
applier uses the I/O half through the :class:`Api` protocol, so adapters never import the client.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from ghlops.errors import SourcePos
from ghlops.models.base import ResourceSpec
from ghlops.resources.exporting import manifest_fields

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
        total: str | None = None,
        params: Mapping[str, Any] | None = None,
        page_size: int = 100,
        style: str = "offset",
    ) -> list[JSON]: ...


@dataclass(frozen=True)
class Ref:
    """A manifest item's reference to another managed item of the same location, by natural key.

    The loader checks that the target is declared (unless ``declared`` is False: a target that
    may also be made in GHL, such as a custom object an association names); the applier turns it
    into the target's id (which may only exist once an earlier change in the same apply has
    created it). Either way, a change whose target neither exists nor is created in this run
    (``--kind``/``--exclude-kind``) is left out of the plan with a warning.
    """

    field: str  # the manifest field holding the reference, e.g. "group"
    kind: str  # the target kind, e.g. "calendarGroups"
    key: str  # the target's natural key
    declared: bool = True  # the target must be declared in the manifests


@dataclass(frozen=True)
class Identity:
    """Who an item or a live object is: one value used by matching, bundle merging, policy
    globs and the binding of ids at apply time.

    ``keys`` are the natural key fields as match keys (``slug:summer-box``, ``name:Pet``), most
    specific first, and are unique only within the parent (a price's keys are its own, not its
    product's). ``name`` is what users see and write in policy globs: the name (a menu link's
    title, a redirect's ``domain/path``). A nested item's ``parent`` is its parent's identity.
    """

    kind: str
    keys: tuple[str, ...]
    name: str
    parent: Identity | None = None

    @property
    def key(self) -> str:
        """The most specific natural key: what bundles merge and duplicates are found by."""
        return self.keys[0] if self.keys else f"name:{self.name}"

    @property
    def label(self) -> str:
        """``Parent name/child name`` for nested items, the name otherwise."""
        return f"{self.parent.label}/{self.name}" if self.parent else self.name

    def glob_targets(self) -> tuple[str, ...]:
        """What a ``policy.ignore``/``protect`` pattern is matched against: the name, and for
        nested items ``Parent name/child name`` and the child's name alone."""
        return (self.label, self.name) if self.parent else (self.name,)

    def matches(self, other: Identity) -> bool:
        """The same object by a shared natural key (parents are compared by the caller)."""
        return self.kind == other.kind and bool(set(self.keys) & set(other.keys))


@dataclass(frozen=True)
class DesiredItem:
    """One manifest item after rendering, validation and normalisation."""

    kind: str
    key: str  # natural key as shown to users, unique within the kind (children: "parent/name")
    fields: Mapping[str, Any]  # API field names (references by natural key); only what is set
    match_keys: tuple[str, ...]  # identities to look for in live state, most specific first
    source: SourcePos | None = None
    parent: str | None = None  # natural key of the parent item, for nested kinds
    refs: tuple[Ref, ...] = ()
    # nested items (prices of a product), flattened by the loader
    children: tuple[DesiredItem, ...] = ()
    protect: bool = False  # any delete or replace of it is refused
    renamed_from: str | None = None  # previous name: match the live object by it
    identity: Identity | None = field(default=None, compare=False)  # set by the adapter
    # where the item of an earlier bundle that this one overrides was declared (ghlops render)
    overrides: SourcePos | None = field(default=None, compare=False)
    # the fields as validated (after templates and overrides): what a later bundle merges over
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def ident(self) -> Identity:
        """The item's identity (one built from its key for items made without an adapter)."""
        return self.identity or Identity(self.kind, self.match_keys, self.key)


@dataclass(frozen=True)
class LiveItem:
    """One object read from the API, normalised for comparison (references as natural keys)."""

    kind: str
    key: str
    id: str
    fields: Mapping[str, Any]
    match_keys: tuple[str, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    parent: str | None = None  # natural key of the parent object, for nested kinds
    parent_id: str | None = None  # the live id of the parent object, for nested kinds
    identity: Identity | None = field(default=None, compare=False)  # set by the adapter

    @property
    def ident(self) -> Identity:
        """The object's identity (one built from its key for items made without an adapter)."""
        return self.identity or Identity(self.kind, self.match_keys, self.key)


class IdMap(Protocol):
    """Ids of a location's objects by kind and natural key, as known at apply time."""

    def id_of(self, kind: str, key: str) -> str: ...


@dataclass
class Ctx:
    """What an adapter's I/O methods get: the API, the location, what is known so far."""

    api: Api
    location_id: str
    live: Mapping[str, Sequence[LiveItem]] = field(default_factory=dict)  # kinds read before
    ids: IdMap | None = None  # set by the applier
    # the location's desired items by kind, while reading live state for a plan (adapters that
    # resolve lookups such as user emails check them here and raise GhlopsError for a bad one)
    desired: Mapping[str, Sequence[DesiredItem]] = field(default_factory=dict)
    # False while reading for a plan: lookups that only name live references (carriers,
    # collections) are made only when a declared item refers to them; True (export, re-reads)
    # resolves every live reference
    resolve_live_refs: bool = True
    # the agency's API, for the changes of `Adapter.agency_writes` (None: no agency configured)
    agency: Api | None = None

    def id_of(self, kind: str, key: str) -> str:
        if self.ids is None:
            raise LookupError(f"no id map to resolve {kind} {key!r}")
        return self.ids.id_of(kind, key)


@dataclass
class ExportCtx:
    """What ``export_item`` gets besides the live object, for one kind of one location.

    ``lookups`` holds what ``export_lookups`` read (e.g. user emails by id); ``notes`` collects
    what the export report should tell (a value left out, a reference that could not be named).
    """

    lookups: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class ExportSkip(Exception):
    """Raised by ``export_item``: this object cannot be written as a manifest item (the message
    says why; the export report shows it)."""


class Adapter(ABC):
    """Base class of the per-kind adapters. Subclasses set the class attributes below."""

    kind: ClassVar[str]  # the bundle key, e.g. "customFields"
    singular: ClassVar[str]  # for messages, e.g. "custom field"
    model: ClassVar[type[ResourceSpec]]  # the manifest item model (None-like for nested kinds)
    version: ClassVar[str | None]  # the API's Version header value
    depends_on: ClassVar[tuple[str, ...]] = ()  # kinds created before (and deleted after) this one
    # kinds read before this one when a plan reads both (their live items spare a lookup), but
    # not read for it: products use the collections read as their own kind, else look them up
    read_after: ClassVar[tuple[str, ...]] = ()
    parent_kind: ClassVar[str | None] = None  # nested kinds: declared inside items of this kind
    compare_fields: ClassVar[tuple[str, ...]]  # fields whose difference makes an update
    immutable_fields: ClassVar[tuple[str, ...]] = ()  # a difference here makes a replace
    write_only_fields: ClassVar[tuple[str, ...]] = ()  # sent on write, never returned on read
    writable: ClassVar[bool] = True  # False: differences are `manual` changes, never applied
    # False: the API has no delete for this kind (custom objects): a pruned object and a replace
    # (a changed immutable field) are `manual` changes with the UI steps of `manual_steps`
    deletable: ClassVar[bool] = True
    # actions whose calls GHL admits only with the agency's token (a custom object's create):
    # the applier then passes the agency's client as `ctx.agency` (None without an agency:)
    agency_writes: ClassVar[tuple[str, ...]] = ()
    # what else a delete of this kind destroys (pipelines: "opportunities"): such a delete also
    # needs the explicit --allow-destroy-<that> flag, even with pruning on
    destroys_on_delete: ClassVar[str | None] = None
    scope: ClassVar[str] = "location"  # "agency": one object per agency, planned once
    # one object per location (store settings): declared as a mapping, only ever updated, never
    # created, deleted, pruned or counted unmanaged (see ghlops.resources.singleton)
    singleton: ClassVar[bool] = False
    rename_field: ClassVar[str] = "name"  # the field renamedFrom refers to
    renames: ClassVar[bool] = True  # False: no name to rename (a redirect is its domain/path)
    # fields that are part of the identity besides the natural key (a custom field's model):
    # renamedFrom only matches a live object that agrees on them
    identity_fields: ClassVar[tuple[str, ...]] = ()
    # identifiers whose name only looks secret (a custom object's `key`): dotted paths in an
    # item, list positions left out (`options.key`); outputs and exports mask them only when the
    # value itself looks secret (see ghlops.secrets.mask_secrets)
    plain_fields: ClassVar[tuple[str, ...]] = ()
    # documented API defaults of fields whose model default is None: export leaves them out
    export_defaults: ClassVar[Mapping[str, Any]] = {}

    # -- pure half: used by the loader and the planner -------------------------------------
    @abstractmethod
    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        """Identities of an item (desired or live), most specific first."""

    @abstractmethod
    def display_key(self, fields: Mapping[str, Any]) -> str:
        """The natural key shown to users; unique within the kind for one location."""

    def name_of(self, fields: Mapping[str, Any]) -> str:
        """The name users see and write in policy globs (hook; default: the rename field)."""
        return str(fields.get(self.rename_field, ""))

    def identify(
        self,
        fields: Mapping[str, Any],
        parent: Identity | None = None,
        keys: Sequence[str] | None = None,
    ) -> Identity:
        """The identity of an item or live object with these fields (``keys``: its match keys
        when they are not ``match_keys(fields)``, e.g. a live object's)."""
        found = tuple(keys) if keys is not None else self.match_keys(fields)
        return Identity(self.kind, found, self.name_of(fields), parent)

    def desired_item(self, spec: ResourceSpec, source: SourcePos | None = None) -> DesiredItem:
        fields = self.normalise_desired(spec.model_dump(exclude_none=True))
        return DesiredItem(
            kind=self.kind,
            key=self.display_key(fields),
            fields=fields,
            match_keys=self.match_keys(fields),
            source=source,
            identity=self.identify(fields),
        )

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Bring declared fields to the form the API returns (hook)."""
        return fields

    def destructive_reasons(self, desired: DesiredItem, live: LiveItem) -> tuple[str, ...]:
        """Why an in-place update of this item destroys or moves data (hook; e.g. a pipeline
        stage removed moves its opportunities). Non-empty marks the update destructive."""
        return ()

    def update_reasons(self, desired: DesiredItem, live: LiveItem) -> tuple[str, ...]:
        """What an update does beyond its field diffs, in words (hook; e.g. a pipeline's stage
        renames and additions). Shown as reasons of the change; never destructive."""
        return ()

    def delete_reasons(self, live: LiveItem) -> tuple[str, ...]:
        """What deleting this object destroys besides itself (hook; e.g. a pipeline's
        opportunities). Added to the reasons of its delete."""
        return ()

    def with_writes(self) -> Adapter:
        """This kind's adapter with writes on, for a read-only kind whose writes a project can
        switch on (``policy.pipelines: write``); the engine uses it for such projects.

        Raises:
            ValueError: the kind has no such switch.
        """
        if self.writable:
            return self
        raise ValueError(f"{self.kind} cannot be written through the API")

    def manual_steps(
        self, action: str, desired: DesiredItem | None, live: LiveItem | None
    ) -> tuple[str, ...]:
        """For read-only kinds, and the deletes and replaces of kinds that are not
        ``deletable``: what a person must do in the GHL UI to make this change."""
        return ()

    def unsendable_reasons(self, desired: DesiredItem, live: LiveItem) -> tuple[str, ...]:
        """Why an update of this item could not be sent at all (hook; e.g. a singleton whose
        API needs a field that neither the manifest nor the live object has). Non-empty: the
        planner leaves the item untouched and warns with these reasons."""
        return ()

    def write_only_reasons(self, item: DesiredItem, *, changed: bool) -> tuple[str, ...]:
        """What the plan says about the write-only fields of a desired item matched live (hook).

        ``changed``: the item is updated; the texts become reasons of its change (e.g. which
        write-only fields the update sends along). Not ``changed``: the texts become notes of the
        location (e.g. that declared write-only fields could not be compared).
        """
        return ()

    @abstractmethod
    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        """Map one object from a list response to a LiveItem."""

    def live_items(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> list[LiveItem]:
        """Map a list response's objects; override when that needs ``ctx`` (ids of kinds read
        earlier back to natural keys, lookups). The plan-case runner calls it too."""
        return [self.live_item(raw) for raw in raws]

    # -- I/O half: used by the reader and the applier ---------------------------------------
    @abstractmethod
    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        """Read every object of this kind in the location (all pages; per parent if nested)."""

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        """Create the object; return its new id."""
        raise NotImplementedError(f"{self.kind} cannot be created through the API")

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        """Make the live object match the desired item."""
        raise NotImplementedError(f"{self.kind} cannot be updated through the API")

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        """Delete the live object (``key``/``parent`` locate nested objects)."""
        raise NotImplementedError(f"{self.kind} cannot be deleted through the API")

    # -- export: live objects back to manifest items (ghlops export) -------------------------
    def export_lookups(self, ctx: Ctx, items: Sequence[LiveItem], export: ExportCtx) -> None:
        """Read what ``export_item`` needs besides the live items into ``export.lookups`` (hook;
        e.g. the location's users, to name team members by email). ``ctx.live`` holds every
        kind read for the export."""
        return None

    def export_item(self, live: LiveItem, export: ExportCtx) -> dict[str, Any]:
        """The manifest item for a live object: the model's fields, without ids and without
        values equal to the model's or the API's defaults (see ghlops.resources.exporting).
        Nested kinds return the child alone; the export puts it inside its parent.

        Raises:
            ExportSkip: the object cannot be written as a manifest item.
        """
        return manifest_fields(self.model, live.fields, self.export_defaults)
