"""A plan as GitHub-flavoured Markdown, ready to post as a pull-request comment (``--markdown``).

Layout, top to bottom: a title with the totals; a summary table (one row per location, the agency,
the totals); destructive changes, each with its reasons; failed locations and their errors;
changes made identically in several locations, each shown once with its locations (grouped as the
text plan groups them, :func:`ghlops.render.text.grouped_changes`: identical field changes group
even when the objects differ elsewhere; every name up to 10, then a count; ``expand`` lists them
under each location instead); each location's other changes in a collapsed
``<details>`` block (``diff`` code blocks: ``+`` create, ``~`` update with ``-``/``+`` lines per
field, ``-/+`` replace, ``-`` delete, ``!`` manual); warnings and notes.

GitHub refuses comments longer than 65,536 characters: the output stays under ``max_chars`` by
leaving out the later details, with a note naming what was left out; the title and the summary
table are always kept. Values that look secret (see :mod:`ghlops.secrets`) are masked unless
``show_secrets``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ghlops.escape import terminal
from ghlops.plan.changes import ACTION_SYMBOLS, Action, Change, LocationPlan, Plan
from ghlops.render.masking import plain_fields
from ghlops.render.text import (
    GROUP_NAMES,
    change_name,
    change_signature,
    fmt_value,
    singular,
    summary_line,
)
from ghlops.secrets import mask_diff, mask_secrets, mask_text, secret_label

MAX_CHARS = 64_000  # GitHub's limit is 65,536; the rest is room for a sticky-comment marker
GROUP_MIN = 3  # an identical change in this many locations is shown once, with the locations
MAX_VALUE = 300  # longer values are cut in the details (the plan file has them whole)
MAX_NAMES = 20  # location names listed in one cell
MAX_UNMANAGED = 50  # unmanaged objects named per location
COLLAPSE_QUIET = 20  # with more locations than this, rows with nothing to report become one
WARN = "⚠️"
FAIL = "❌"
_COLUMNS = ("create", "update", "replace", "delete", "manual")
_NOTE_ROOM = 300  # kept free for the notes saying what was left out


def render_markdown(
    plan: Plan,
    *,
    show_secrets: bool = False,
    max_chars: int = MAX_CHARS,
    group_min: int = GROUP_MIN,
    expand: bool = False,
) -> str:
    """The plan as Markdown, at most ``max_chars`` characters long (the summary table aside).

    ``expand``: no grouping; every location lists all its changes (``--expand``)."""
    return _Renderer(plan, show_secrets, 0 if expand else group_min).render(max_chars)


# --- text helpers ---------------------------------------------------------------------------


def _code(text: str) -> str:
    """An inline code span holding ``text`` whatever backticks it contains (on one line, its
    control characters escaped)."""
    text = terminal(text)
    run = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (run + 1)
    pad = " " if run or text.startswith(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell(text: str) -> str:
    """Table cell content: pipes escaped (also inside code spans, as GitHub wants)."""
    return text.replace("|", "\\|")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>~#])")  # | is escaped in table cells only


def _prose(text: str) -> str:
    """Free text (a reason, a warning) that Markdown must show as it is: one line, control
    characters escaped (:func:`ghlops.escape.terminal`), Markdown's own characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", terminal(text)).replace("&", "&amp;")


def _fence(lines: Sequence[str], lang: str = "diff") -> str:
    body = "\n".join(lines)
    run = max((len(m) for m in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * (run + 1)
    return f"{fence}{lang}\n{body}\n{fence}\n"


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def _counts_phrase(counts: Mapping[str, int]) -> str:
    """ "1 to create, 2 to delete": only the actions there are."""
    parts = [
        (f"{n} manual" if action == "manual" else f"{n} to {action}")
        for action in _COLUMNS
        if (n := counts.get(action, 0))
    ]
    return ", ".join(parts) or "no changes"


def _short(text: str) -> str:
    if len(text) <= MAX_VALUE:
        return text
    return f"{text[:MAX_VALUE]}… ({len(text) - MAX_VALUE} more characters)"


# --- the renderer ---------------------------------------------------------------------------


@dataclass
class _Section:
    """A titled run of blocks, of which the first ones that fit are shown."""

    head: str
    blocks: list[str]
    more: Callable[[int], str]  # the note when ``n`` blocks are left out
    sep: str = ""  # between blocks
    trim: Callable[[int, int], str | None] | None = None  # a shortened block ``i`` within a size


@dataclass
class _Shared:
    """One change planned identically in several locations, shown once."""

    lines: tuple[str, ...]  # the change's lines, without its id
    locations: list[str] = field(default_factory=list)


class _Renderer:
    def __init__(self, plan: Plan, show_secrets: bool, group_min: int) -> None:
        self.plan = plan
        self.show_secrets = show_secrets
        self.group_min = max(group_min, 2) if group_min else 0  # 0: no grouping (expand)
        self.text: Callable[[str], str] = (lambda t: t) if show_secrets else mask_text
        self._lines: dict[tuple[int, bool], tuple[str, ...]] = {}  # by id(change): plan is alive
        self.grouped: set[int] = set()  # id() of the changes shown among the shared ones
        self.shared = self._shared_changes()

    # -- changes as diff lines --

    def change_lines(self, change: Change, *, ids: bool = True) -> tuple[str, ...]:
        key = (id(change), ids)
        if key not in self._lines:
            self._lines[key] = self._change_lines(change, ids=ids)
        return self._lines[key]

    def _change_lines(self, change: Change, *, ids: bool) -> tuple[str, ...]:
        head = f"{ACTION_SYMBOLS[change.action]} {change_name(change.kind, change.key)}"
        if ids and change.id:
            head += f" (id {terminal(change.id)})"
        if change.destructive:
            head += "  DESTRUCTIVE"
        if change.protected:
            head += "  PROTECTED"
        lines = [head]
        if change.action is Action.CREATE and change.after is not None:
            after = (
                change.after
                if self.show_secrets
                else mask_secrets(change.after, plain=plain_fields(change.kind))
            )
            for name, value in after.items():
                if value != change.key and not name.startswith("_"):
                    lines.append(f"+     {terminal(name)}: {_short(fmt_value(value))}")
        elif change.action is not Action.DELETE:
            labelled = any(secret_label(m) for m in (change.before, change.after) if m)
            for diff in change.diffs:
                before, after = (
                    (diff.before, diff.after)
                    if self.show_secrets
                    else mask_diff(
                        diff.field,
                        diff.before,
                        diff.after,
                        labelled=labelled,
                        plain=plain_fields(change.kind),
                    )
                )
                hidden = before == after and diff.before != diff.after
                field_name = terminal(diff.field)
                lines.append(f"-     {field_name}: {_short(fmt_value(before))}")
                lines.append(
                    f"+     {field_name}: {_short(fmt_value(after))}"
                    + ("  # masked; the value changes" if hidden else "")
                )
        lines += [f"      # {terminal(self.text(reason))}" for reason in change.reasons]
        return tuple(lines)

    # -- grouping --

    def _groupable(self) -> Iterable[LocationPlan]:
        return (loc for loc in self.plan.locations if not loc.error)

    def _shared_changes(self) -> list[_Shared]:
        """Changes with the same signature (the text plan's) in ``group_min``+ locations; the
        shown lines must be the same too (masking aside, they are)."""
        if not self.group_min:
            return []
        where: dict[tuple[str, tuple[str, ...]], list[tuple[str, Change]]] = {}
        for loc in self._groupable():
            for change in loc.changes:
                key = (change_signature(change), self.change_lines(change, ids=False))
                where.setdefault(key, []).append((loc.name, change))
        groups = []
        for (_, lines), found in where.items():
            names = list(dict.fromkeys(name for name, _ in found))
            if len(names) >= self.group_min:
                groups.append(_Shared(lines, names))
                self.grouped.update(id(change) for _, change in found)
        return groups

    # -- sections --

    def render(self, max_chars: int) -> str:
        head = self.head(max_chars // 2)
        footer = self.footer()
        budget = max_chars - len(head) - len(footer)
        out = [head]
        for section in self.sections():
            text, budget = self._fit(section, budget)
            out.append(text)
        out.append(footer)
        return "\n".join(part for part in out if part)

    @staticmethod
    def _fit(section: _Section, budget: int) -> tuple[str, int]:
        """The section with as many blocks as fit in ``budget``, and the budget left."""
        if not section.blocks:
            return "", budget
        room = budget - len(section.head) - _NOTE_ROOM
        shown: list[str] = []
        for block in section.blocks:
            if len(block) + len(section.sep) > room:
                break
            shown.append(block)
            room -= len(block) + len(section.sep)
        left = len(section.blocks) - len(shown)
        if left and section.trim and room > _NOTE_ROOM:
            short = section.trim(len(shown), room - len(section.sep))
            if short is not None:
                shown.append(short)
                left -= 1
        text = section.head + section.sep.join(shown)
        if left:
            text += "\n" + section.more(left)
        return text, budget - len(text)

    def sections(self) -> list[_Section]:
        return [
            self.destructive_section(),
            self.failed_section(),
            self.shared_section(),
            self.location_section(),
            self.notes_section(),
            self.unmanaged_section(),
        ]

    # -- title and summary table --

    def head(self, limit: int) -> str:
        plan = self.plan
        counts = plan.counts()
        title = "## ghlops plan: " + (
            summary_line(counts).removeprefix("Plan: ").rstrip(".")
            if plan.has_changes
            else "no changes"
        )
        if plan.failed:
            title += f" · {FAIL} {len(plan.failed)} failed"
        changed = sum(1 for loc in plan.locations if loc.has_changes)
        facts = [f"**{changed}** of **{len(plan.locations)}** locations with changes"]
        if plan.agency is not None:
            facts.append("agency " + ("with changes" if plan.agency.has_changes else "unchanged"))
        if plan.failed:
            facts.append(f"{FAIL} **{len(plan.failed)}** failed")
        destructive = sum(1 for loc in plan.all for c in loc.changes if c.destructive)
        if destructive:
            facts.append(f"{WARN} **{destructive}** destructive")
        unmanaged = sum(sum(loc.unmanaged.values()) for loc in plan.all)
        if unmanaged:
            facts.append(f"{unmanaged} unmanaged objects left alone")
        lines = [title, "", " · ".join(facts) + ".", ""]
        if self.show_secrets:
            lines += [
                f"> {WARN} **Secrets are shown unmasked** (`--show-secrets`): do not post this.",
                "",
            ]
        header = "| location | id | " + " | ".join(_COLUMNS) + " | unmanaged | status |"
        lines += [header, "|---|---|" + "--:|" * (len(_COLUMNS) + 1) + "---|"]
        rows, quiet = [], []
        for loc in plan.locations:
            reportable = loc.has_changes or loc.error or loc.warnings
            if reportable or len(plan.locations) <= COLLAPSE_QUIET:
                rows.append(self.row(loc, _code(loc.name)))
            else:
                quiet.append(loc)
        if quiet:
            unmanaged_quiet = sum(sum(loc.unmanaged.values()) for loc in quiet)
            zeros = " | ".join("0" for _ in _COLUMNS)
            rows.append(
                f"| _{len(quiet)} more locations_ |  | {zeros} | {unmanaged_quiet} | no changes |"
            )
        if plan.agency is not None:
            rows.append(self.row(plan.agency, "_agency_"))
        total_counts = " | ".join(f"**{counts[c]}**" for c in _COLUMNS)
        status = f"{FAIL} {len(plan.failed)} failed" if plan.failed else ""
        total = f"| **total** |  | {total_counts} | **{unmanaged}** | {status} |"
        size = sum(len(line) + 1 for line in lines) + len(total) + 1
        kept: list[str] = []
        for i, row in enumerate(rows):
            if size + len(row) + 1 > limit and i < len(rows) - 1:
                left = len(rows) - i
                kept.append(
                    f"| _… {left} more rows; see the uploaded plan file_ |  |"
                    + " |" * len(_COLUMNS)
                    + "  |  |"
                )
                break
            kept.append(row)
            size += len(row) + 1
        return "\n".join([*lines, *kept, total]) + "\n"

    def row(self, loc: LocationPlan, name: str) -> str:
        cells = [_cell(name), _cell(_code(loc.location_id))]
        if loc.error:
            cells += ["-"] * (len(_COLUMNS) + 1) + [f"{FAIL} failed"]
            return "| " + " | ".join(cells) + " |"
        counts = loc.counts()
        cells += [str(counts[c]) for c in _COLUMNS]
        cells.append(str(sum(loc.unmanaged.values())))
        if any(c.destructive for c in loc.changes):
            status = f"{WARN} destructive"
        elif loc.has_changes:
            status = "changes"
        else:
            status = "no changes"
        if loc.warnings:
            status += " · " + _plural(len(loc.warnings), "warning")
        cells.append(status)
        return "| " + " | ".join(cells) + " |"

    def footer(self) -> str:
        masked = (
            "Values that look secret are masked."
            if not self.show_secrets
            else "Secrets are shown unmasked."
        )
        return (
            f"<sub>{masked} {WARN} marks destructive changes: they delete objects or the data "
            "stored in them. Apply applies the saved plan file, and refuses locations that "
            "changed since.</sub>\n"
        )

    # -- destructive changes --

    def destructive_section(self) -> _Section:
        groups: dict[tuple[str, str, str, tuple[str, ...], bool], list[str]] = {}
        for loc in self.plan.all:
            for c in loc.changes:
                if c.destructive or c.protected:
                    what = (c.action.value, c.kind, c.key, c.reasons, c.protected)
                    groups.setdefault(what, []).append(self._label(loc))
        blocks = []
        for (action, kind, name, reasons, protected), names in groups.items():
            why = [self.text(r) for r in reasons]
            if protected:
                why.append("protected: refused")
            symbol = ACTION_SYMBOLS[Action(action)]
            cells = [
                ", ".join(names[:MAX_NAMES])
                + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else ""),
                f"{_code(symbol)} {action}",
                singular(kind),
                _code(name),
                "<br>".join(_prose(r) for r in why) or "-",
            ]
            blocks.append("| " + " | ".join(_cell(c) for c in cells) + " |\n")
        head = (
            f"### {WARN} Destructive changes ({sum(len(n) for n in groups.values())})\n\n"
            "These delete objects, or the data stored in them. Review them before merging.\n\n"
            "| location | change | kind | key | reasons |\n|---|---|---|---|---|\n"
        )
        return _Section(
            head,
            blocks,
            lambda n: (
                f"_… {_plural(n, 'more row')} of destructive changes; "
                "see the uploaded plan file._\n"
            ),
        )

    def _label(self, loc: LocationPlan) -> str:
        return "_agency_" if loc is self.plan.agency else _code(loc.name)

    # -- failed locations --

    def failed_section(self) -> _Section:
        blocks = [
            f"- {self._label(loc)} ({_code(loc.location_id)}): "
            f"{_code(self.text(loc.error or ''))}\n"
            for loc in self.plan.failed
        ]
        head = (
            f"### {FAIL} Failed ({len(blocks)})\n\n"
            "Nothing is planned for these: their live state could not be read.\n\n"
        )
        return _Section(
            head, blocks, lambda n: f"_… {_plural(n, 'more failed location')}; see the log._\n"
        )

    # -- shared changes --

    def shared_section(self) -> _Section:
        blocks = []
        for group in self.shared:
            what = f"<code>{html.escape(group.lines[0], quote=False)}</code>"
            names = ", ".join(_code(n) for n in group.locations[:GROUP_NAMES])
            if len(group.locations) > GROUP_NAMES:
                names += f", … and {len(group.locations) - GROUP_NAMES} more"
            blocks.append(
                f"<details><summary>{what} — {len(group.locations)} locations</summary>\n\n"
                + _fence(group.lines)
                + f"\nIn {names}.\n\n</details>\n"
            )
        head = (
            "### Changes in several locations\n\n"
            f"Identical changes planned in {self.group_min} or more locations, shown once "
            "(`--expand` lists them under each location).\n\n"
        )
        return _Section(
            head,
            blocks,
            lambda n: (
                f"_… {_plural(n, 'more group')} of shared changes; see the uploaded plan file._\n"
            ),
            sep="\n",
        )

    # -- per location --

    def _own_changes(self, loc: LocationPlan) -> bool:
        """Whether a location has a change not shown among the shared ones."""
        if loc is self.plan.agency:
            return loc.has_changes
        return any(id(c) not in self.grouped for c in loc.changes)

    def location_section(self) -> _Section:
        locs = [loc for loc in self.plan.all if self._own_changes(loc)]
        only = len(locs) == 1

        def block(loc: LocationPlan, limit: int | None = None) -> str | None:
            agency = loc is self.plan.agency
            name = (
                "<b>agency</b>"
                if agency
                else f"<b>{html.escape(terminal(loc.name), quote=False)}</b>"
            )
            summary = (
                f"{name} <code>{html.escape(terminal(loc.location_id), quote=False)}</code> — "
                f"{_counts_phrase(loc.counts())}"
            )
            lines: list[str] = []
            shared = 0
            for change in loc.changes:
                if not agency and id(change) in self.grouped:
                    shared += 1
                else:
                    lines += self.change_lines(change)
            opening = f"<details{' open' if only else ''}><summary>{summary}</summary>\n\n"
            closing = "</details>\n"
            note = ""
            if shared:
                note = (
                    f"\nAnd {_plural(shared, 'change')} shared with other locations (see above).\n"
                )
            text = opening + (_fence(lines) if lines else "") + note + "\n" + closing
            if limit is None or len(text) <= limit:
                return text
            room = limit - len(opening) - len(closing) - len(note) - 200
            kept: list[str] = []
            for line in lines:
                room -= len(line) + 1
                if room < 0:
                    break
                kept.append(line)
            if not kept:
                return None
            cut = (
                f"\n_… {_plural(len(lines) - len(kept), 'more line')} of this location's "
                "changes; see the uploaded plan file._\n"
            )
            return opening + _fence(kept) + cut + note + "\n" + closing

        blocks = [block(loc) or "" for loc in locs]
        head = "### Changes by location\n\n" if not self.shared else "### Other changes\n\n"
        return _Section(
            head,
            blocks,
            lambda n: f"_… {_plural(n, 'more location')}; see the uploaded plan file._\n",
            sep="\n",
            trim=lambda i, room: block(locs[i], room),
        )

    # -- unmanaged objects --

    def unmanaged_section(self) -> _Section:
        """Per location, the live objects left alone, by name, in a collapsed list."""
        blocks = []
        for loc in self.plan.all:
            objects = loc.unmanaged_objects
            if not objects:
                continue
            items = "".join(
                f"- {singular(o.kind)} {_code(self.text(o.name))}\n"
                for o in objects[:MAX_UNMANAGED]
            )
            if len(objects) > MAX_UNMANAGED:
                items += f"- _… and {len(objects) - MAX_UNMANAGED} more_\n"
            blocks.append(
                f"<details><summary>{self._label(loc)} — {len(objects)} unmanaged</summary>\n\n"
                f"{items}\n</details>\n"
            )
        return _Section(
            "### Unmanaged objects\n\nLive only, left alone; `policy.prune` would delete them.\n\n",
            blocks,
            lambda n: f"_… {_plural(n, 'more location')} with unmanaged objects._\n",
        )

    # -- warnings and notes --

    def notes_section(self) -> _Section:
        groups: dict[tuple[str, str], list[str]] = {}
        for loc in self.plan.all:
            for warning in loc.warnings:
                groups.setdefault(("warning", warning), []).append(self._label(loc))
            for note in loc.notes:
                groups.setdefault(("note", note), []).append(self._label(loc))
            for hint in loc.hints:
                groups.setdefault(("hint", hint), []).append(self._label(loc))
        blocks = [
            f"- {'**warning**' if kind == 'warning' else kind} · {', '.join(names[:MAX_NAMES])}"
            + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else "")
            + f": {_prose(self.text(text))}\n"
            for (kind, text), names in sorted(groups.items(), key=lambda g: g[0][0] != "warning")
        ]
        return _Section(
            "### Warnings and notes\n\n",
            blocks,
            lambda n: (
                f"_… {_plural(n, 'more warning or note', 'more warnings and notes')}; "
                "see the plan output._\n"
            ),
        )
