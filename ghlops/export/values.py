"""Values of exported items that are not plain data: templates and masked secrets."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Var:
    """A per-location value inside a template: ``vars.<name>``, ``location.name`` or
    ``location.id`` (what the bundle's jinja2 context offers)."""

    ref: str


@dataclass(frozen=True)
class Template:
    """A text that differs between locations: literal parts and per-location values."""

    parts: tuple[str | Var, ...]

    def render(self, values: Mapping[str, str]) -> str:
        """The text for one location, given its value of each ref."""
        return "".join(p if isinstance(p, str) else values[p.ref] for p in self.parts)

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.ref for p in self.parts if isinstance(p, Var)))


@dataclass(frozen=True)
class Masked:
    """A secret-looking value, written so that it cannot be applied by accident.

    Two masked values are equal when the secrets are (``digest``), so locations sharing a
    secret still share the item; the value itself is never kept.
    """

    digest: str = field(repr=False)

    @classmethod
    def of(cls, value: object) -> Masked:
        return cls(hashlib.sha256(repr(value).encode("utf-8")).hexdigest())
