"""``export --common``: what several locations share goes to a base bundle, the rest stays theirs.

Pure: from the locations' exported items (:class:`~ghlops.export.single.LocationExport`) to a
:class:`CommonExport`. Per bundle kind:

1. Items with the same natural key in every location are *aligned*.
2. Of the rest, items whose keys become the same once a per-location value is taken out are
   aligned too: ``springfield-patient`` and ``shelbyville-patient`` are ``{{ location.name
   }}-patient``. The per-location values tried are the location's name, the variables made so
   far, the string variables the project already gives every location, and the location's id.
3. Aligned items that are equal go to the base bundle as they are. Aligned items that differ only
   in text go to the base as a template: each differing text is the location's name, or a known
   variable, put into the text shared by all locations (``First visit at {{ vars.clinic_name
   }}``), or else a new variable holding the differing middle part, the common prefix and suffix
   (cut at word boundaries) kept in the template (``https://book.example.com/{{ vars.booking_url
   }}``). An item gets at most one *new* variable; texts that vary together share it.
4. Everything else stays in per-location bundles, with the reason (:class:`Kept`): present in
   some locations only; differing in a number, a boolean, a masked secret or the length of a
   list; differing in names inside a list (stages, collections, nested items' names); needing more
   than one new variable; or differing in text holding ``"``, ``\\`` or control characters (the
   value is inserted into a quoted YAML string as it is).

New variables are named after the item and the field (``booking_url`` for the custom value
"Booking URL", ``hygiene_cleaning_user`` for a calendar's team member), made unique with ``_2``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ghlops.export.single import ExportedItem, LocationExport
from ghlops.export.values import Masked, Template, Var
from ghlops.resources import registry

LOCATION_NAME = "location.name"
LOCATION_ID = "location.id"
_UNSAFE_IN_QUOTES = re.compile(r'["\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]')
MAX_NAME = 40


class Refused(Exception):
    """An aligned item that cannot be one base item; the message says why."""


@dataclass(frozen=True)
class Vector:
    """A per-location text: its reference in templates and its value in each location."""

    ref: str
    values: tuple[str, ...]

    @property
    def usable(self) -> bool:
        """Distinct texts of two characters or more: worth looking for inside other texts."""
        return all(len(v) >= 2 for v in self.values) and len(set(self.values)) == len(self.values)


@dataclass(frozen=True)
class Templated:
    """A base item made from differing items: which fields vary, through which references."""

    kind: str
    key: str
    paths: tuple[str, ...]
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Kept:
    """Items left in per-location bundles, and why."""

    kind: str
    key: str
    locations: tuple[str, ...]
    reason: str


@dataclass
class CommonExport:
    """The base bundle, each location's own bundle, and each location's variables."""

    names: tuple[str, ...]
    base: dict[str, list[ExportedItem]] = field(default_factory=dict)
    own: dict[str, dict[str, list[ExportedItem]]] = field(default_factory=dict)
    variables: dict[str, dict[str, str]] = field(default_factory=dict)
    templated: list[Templated] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)


# -- texts --------------------------------------------------------------------------------------


def _cut_ok(text: str, i: int) -> bool:
    """A cut at ``i`` does not split a word."""
    return i <= 0 or i >= len(text) or not (text[i - 1].isalnum() and text[i].isalnum())


def split_common(values: Sequence[str]) -> tuple[str, list[str], str]:
    """The prefix and suffix all ``values`` share, cut at word boundaries, and the middles.

    >>> split_common(["https://x/book/a-1", "https://x/book/b-2"])
    ('https://x/book/', ['a-1', 'b-2'], '')
    """
    shortest = min(len(v) for v in values)
    p = 0
    while p < shortest and all(v[p] == values[0][p] for v in values):
        p += 1
    while p > 0 and not all(_cut_ok(v, p) for v in values):
        p -= 1
    q = 0
    while q < shortest - p and all(v[-q - 1] == values[0][-q - 1] for v in values):
        q += 1
    while q > 0 and not all(_cut_ok(v, len(v) - q) for v in values):
        q -= 1
    prefix, suffix = values[0][:p], values[0][len(values[0]) - q :]
    return prefix, [v[p : len(v) - q] for v in values], suffix


def split_on(text: str, value: str) -> list[str]:
    """``text`` split at the occurrences of ``value`` that do not start or end inside a word."""
    parts: list[str] = []
    start = i = 0
    while value and (i := text.find(value, i)) >= 0:
        end = i + len(value)
        before_ok = i == 0 or not (text[i - 1].isalnum() and value[0].isalnum())
        after_ok = end == len(text) or not (text[end].isalnum() and value[-1].isalnum())
        if before_ok and after_ok:
            parts.append(text[start:i])
            start = i = end
        else:
            i += 1
    parts.append(text[start:])
    return parts


def _template(literals: Sequence[str], ref: str) -> Template:
    parts: list[str | Var] = []
    for n, literal in enumerate(literals):
        if n:
            parts.append(Var(ref))
        if literal:
            parts.append(literal)
    return Template(tuple(parts))


def substitute(values: Sequence[str], vector: Vector) -> Template | None:
    """The template that gives each location's text by putting its value of ``vector`` into the
    same literal text, or None."""
    if not vector.usable:
        return None
    shared: list[str] | None = None
    for text, value in zip(values, vector.values, strict=True):
        parts = split_on(text, value)
        if len(parts) < 2 or (shared is not None and parts != shared):
            return None
        shared = parts
    return _template(shared or [], vector.ref)


def template_text(value: Any) -> Any:
    """A template shown with its references in braces (``{location.name}-patient``)."""
    if isinstance(value, Template):
        return "".join(p if isinstance(p, str) else f"{{{p.ref}}}" for p in value.parts)
    if isinstance(value, Mapping):
        return {k: template_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [template_text(v) for v in value]
    return value


# -- merging aligned items ----------------------------------------------------------------------


@dataclass
class _Slot:
    """A text that differs between locations, waiting for its template."""

    path: str
    values: tuple[str, ...]
    template: Template | None = None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return (type(a) is type(b) and bool(a == b)) or (_number(a) and _number(b) and a == b)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _what(value: Any) -> str:
    if isinstance(value, Masked):
        return "secret (masked)"
    if isinstance(value, bool):
        return "boolean"
    if _number(value):
        return "number"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return "text" if isinstance(value, str) else type(value).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def merge(values: Sequence[Any], slots: list[_Slot], path: str = "", in_list: bool = False) -> Any:
    """One value for the aligned ``values`` (one per location): the value when they are all the
    same, else a structure whose differing texts are :class:`_Slot` objects appended to
    ``slots``.

    Raises:
        Refused: the values differ in something other than text fields.
    """
    first = values[0]
    if all(_same(first, v) for v in values[1:]):
        return first
    where = path or "the item"
    if all(isinstance(v, Mapping) for v in values):
        keys = [set(v) for v in values]
        if any(k != keys[0] for k in keys):
            some = sorted(set().union(*keys) - set.intersection(*keys))
            raise Refused(f"{', '.join(_join(path, k) for k in some)} set in some locations only")
        if in_list and "name" in first and len({str(v["name"]) for v in values}) > 1:
            raise Refused(f"{where}: not the same names in every location")
        return {k: merge([v[k] for v in values], slots, _join(path, k)) for k in first}
    if all(isinstance(v, list) for v in values):
        lengths = sorted({len(v) for v in values})
        if len(lengths) > 1:
            raise Refused(f"{where}: lists of {' or '.join(map(str, lengths))} entries")
        return [
            merge([v[i] for v in values], slots, f"{path}[{i}]", in_list=True)
            for i in range(len(first))
        ]
    if all(isinstance(v, str) for v in values):
        if in_list:
            raise Refused(f"{where}: not the same names in every location")
        slot = _Slot(path, tuple(values))
        slots.append(slot)
        return slot
    kinds = sorted({_what(v) for v in values})
    raise Refused(f"{where}: {' and '.join(kinds)} values differ (only text is templated)")


def _fill(value: Any) -> Any:
    if isinstance(value, _Slot):
        return value.template
    if isinstance(value, Mapping):
        return {k: _fill(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v) for v in value]
    return value


def _snake(text: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:MAX_NAME].strip("_")
    if not name:
        return "value"
    return f"v_{name}" if name[0].isdigit() else name


class Templater:
    """Turns aligned items into base items, making variables as it goes (in kind order)."""

    def __init__(self, locations: Sequence[LocationExport]) -> None:
        self.names = tuple(loc.location.name for loc in locations)
        configs = [loc.location for loc in locations]
        self.builtin = [
            Vector(LOCATION_NAME, tuple(c.name for c in configs)),
            Vector(LOCATION_ID, tuple(c.id for c in configs)),
        ]
        self.made: list[Vector] = []
        self.project: list[Vector] = []
        shared = set.intersection(*(set(c.vars) for c in configs)) if configs else set()
        for name in sorted(shared):
            values = [c.vars[name] for c in configs]
            if name.isidentifier() and all(isinstance(v, str) for v in values):
                self.project.append(Vector(f"vars.{name}", tuple(values)))
        self.taken = {v.ref for v in self.project}
        self.used: set[str] = set()

    def vectors(self) -> list[Vector]:
        """Per-location values to look for, most telling first."""
        return [self.builtin[0], *self.made, *self.project, self.builtin[1]]

    def variables(self) -> dict[str, dict[str, str]]:
        """Each location's values of the ``vars.*`` references used in templates."""
        used = [v for v in (*self.made, *self.project) if v.ref in self.used]
        return {
            name: dict(sorted((v.ref.removeprefix("vars."), v.values[i]) for v in used))
            for i, name in enumerate(self.names)
        }

    def _new_name(self, label: str, path: str) -> str:
        last = re.sub(r"\[\d+\]", "", path).rsplit(".", 1)[-1]
        base = _snake(label if last in ("value", "", "name", "title") else f"{label} {last}")
        name, n = base, 1
        while f"vars.{name}" in self.taken:
            n += 1
            name = f"{base}_{n}"
        return name

    def item(self, label: str, values: Sequence[Mapping[str, Any]]) -> tuple[Any, Templated | None]:
        """The base item for aligned items (one per location) and what was templated.

        Raises:
            Refused: the items cannot be one base item.
        """
        slots: list[_Slot] = []
        merged = merge(values, slots)
        if not slots:
            return merged, None
        new: dict[tuple[str, ...], Vector] = {}
        for slot in slots:
            for known in self.vectors():
                slot.template = substitute(slot.values, known)
                if slot.template is not None:
                    break
            if slot.template is None:
                prefix, middles, suffix = split_common(slot.values)
                mids = tuple(middles)
                vector = next((v for v in self.vectors() if v.values == mids), None)
                vector = vector or new.get(mids)
                if vector is None:
                    vector = Vector(f"vars.{self._new_name(label, slot.path)}", mids)
                    self.taken.add(vector.ref)
                    new[mids] = vector
                slot.template = _template([prefix, suffix], vector.ref)
            used = set(slot.template.refs)
            texts = [t for v in (*self.vectors(), *new.values()) if v.ref in used for t in v.values]
            if any(_UNSAFE_IN_QUOTES.search(text) for text in texts):
                self.taken -= {v.ref for v in new.values()}
                raise Refused(
                    f"{slot.path}: its per-location text holds quotes, backslashes or control "
                    "characters"
                )
        if len(new) > 1:
            self.taken -= {v.ref for v in new.values()}
            paths = ", ".join(s.path for s in slots)
            raise Refused(f"{paths} vary independently: a base item gets one new variable at most")
        self.made += new.values()
        refs = tuple(dict.fromkeys(r for s in slots if s.template for r in s.template.refs))
        self.used.update(refs)
        return _fill(merged), Templated("", "", tuple(s.path for s in slots), refs)


def _label(items: Sequence[ExportedItem]) -> str:
    """What to name an aligned item's variables after: its shared name or title, else its key."""
    for name in ("name", "title"):
        values = {str(item.fields.get(name)) for item in items}
        if len(values) == 1 and items[0].fields.get(name) is not None:
            return values.pop()
    return items[0].key


def _base_key(kind: str, fields: Mapping[str, Any]) -> str:
    return registry.get(kind).display_key(template_text(fields))


def _sort(items: list[ExportedItem]) -> list[ExportedItem]:
    return sorted(items, key=lambda i: (i.key.casefold(), i.key))


def common_export(locations: Sequence[LocationExport]) -> CommonExport:
    """Split the locations' items into a base bundle and per-location bundles.

    Raises:
        ValueError: fewer than two locations.
    """
    if len(locations) < 2:
        raise ValueError("a common export needs two locations or more")
    templater = Templater(locations)
    names = templater.names
    result = CommonExport(names, own={name: {} for name in names})
    kinds = list(dict.fromkeys(k for loc in locations for k in loc.items))
    for kind in [k for k in registry.ADAPTERS if k in kinds]:
        left = [{item.key: item for item in loc.items.get(kind, ())} for loc in locations]
        base: list[ExportedItem] = []

        def take(
            group: list[ExportedItem], kind: str = kind, base: list[ExportedItem] = base
        ) -> None:
            try:
                merged, templated = templater.item(_label(group), [i.fields for i in group])
            except Refused as exc:
                result.kept.append(Kept(kind, group[0].key, names, str(exc)))
                for name, item in zip(names, group, strict=True):
                    result.own[name].setdefault(kind, []).append(item)
                return
            key = _base_key(kind, merged)
            base.append(ExportedItem(kind, key, merged))
            if templated is not None:
                result.templated.append(Templated(kind, key, templated.paths, templated.refs))

        for key in [k for k in left[0] if all(k in other for other in left[1:])]:
            take([items.pop(key) for items in left])
        for vector in templater.vectors():
            if not vector.usable:
                continue
            shapes = []
            for items, value in zip(left, vector.values, strict=True):
                by_shape: dict[tuple[str, ...], list[str]] = {}
                for key in items:
                    parts = tuple(split_on(key, value))
                    if len(parts) > 1:
                        by_shape.setdefault(parts, []).append(key)
                shapes.append({s: ks[0] for s, ks in by_shape.items() if len(ks) == 1})
            for shape in [s for s in shapes[0] if all(s in other for other in shapes[1:])]:
                take([items.pop(found[shape]) for items, found in zip(left, shapes, strict=True)])
        keys = sorted({k for items in left for k in items}, key=lambda k: (k.casefold(), k))
        for key in keys:
            present = tuple(n for n, items in zip(names, left, strict=True) if key in items)
            missing = [n for n in names if n not in present]
            result.kept.append(Kept(kind, key, present, f"not in {', '.join(missing)}"))
            for name, items in zip(names, left, strict=True):
                if key in items:
                    result.own[name].setdefault(kind, []).append(items[key])
        if base:
            result.base[kind] = _sort(base)
        for name in names:
            if kind in result.own[name]:
                result.own[name][kind] = _sort(result.own[name][kind])
    result.variables = templater.variables()
    return result
