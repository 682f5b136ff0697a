"""Reading one kind's live objects: all of them, or an error, never a partial list.

Used by the engine (live state for a plan) and the applier (reading a kind again after a create
failed ambiguously). The client already retries HTTP failures; what is left here is an answer
that arrived but cannot be used: the wrong shape (missing fields, wrong types, an unknown layout,
broken paging, the same id twice, a name that is not a string) or a lookup that came back
without what it should hold. Such a read is done again up to ``READ_RETRIES`` times, as a
proxy's corrupt answer is transient; a kind that still cannot be read is an error, and the
location is not planned (so a cut-off list can never look like objects to delete).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ghlops.client.errors import ApiError, InvalidResponseError
from ghlops.errors import GhlopsError
from ghlops.resources.base import Adapter, Ctx, LiveItem

READ_RETRIES = 2  # a kind whose answer cannot be used is read this many times more
SHAPE_ERRORS = (KeyError, TypeError, AttributeError, ValueError)
# GHL's ids: 20 letters and digits, 24 hex digits, UUIDs, short random strings; an id goes into
# URL paths, so one with any other character ("../../companies/X") is refused
GHL_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class LiveShapeError(GhlopsError):
    """A kind's live objects could not be read: the API's answers do not have the documented
    shape."""


def read_kind(adapter: Adapter, ctx: Ctx, *, retries: int = READ_RETRIES) -> list[LiveItem]:
    """Every live object of ``adapter``'s kind in ``ctx``'s location.

    Raises:
        ApiError: an HTTP call failed (after the client's own retries); the message names the
            kind.
        LiveShapeError: the answers still had the wrong shape after ``retries`` more reads.
        GhlopsError: an adapter's lookup failed on every read (e.g. a declared team member is
            not a user of the location).
    """
    for attempt in range(retries + 1):
        last = attempt == retries
        try:
            return checked_live(adapter, adapter.list_live(ctx))
        except SHAPE_ERRORS as exc:
            problem = f"{type(exc).__name__}: {exc}"
        except InvalidResponseError as exc:
            problem = str(exc)
        except ApiError as exc:
            raise exc.annotated(f"while reading {adapter.kind}") from None
        except GhlopsError:
            if last:
                raise
            continue
        if last:
            tries = f"; read {retries + 1} times" if retries else ""
            raise LiveShapeError(
                f"reading {adapter.kind}: the API's answer does not have the documented shape "
                f"({problem}{tries})"
            )
    raise AssertionError("unreachable")  # pragma: no cover


def checked_live(adapter: Adapter, items: Sequence[LiveItem]) -> list[LiveItem]:
    """``items`` when they are a usable picture of live state, else ValueError.

    Every object needs an id, ids are unique, and the field that names an object (``name``,
    ``title``) is a string: planning from an object whose name came back null could delete or
    duplicate it.
    """
    seen: set[str] = set()
    for item in items:
        if not isinstance(item.id, str) or item.id in ("", "None"):
            raise ValueError(f"{adapter.singular} {item.key!r} has no id")
        if not GHL_ID.fullmatch(item.id):
            shown = item.id.encode("unicode_escape").decode("ascii")[:80]
            raise ValueError(f"{adapter.singular} {item.key!r}: {shown!r} is not a GHL id")
        if item.id in seen:
            raise ValueError(f"{adapter.singular} id {item.id} is listed twice")
        seen.add(item.id)
        name = item.fields.get(adapter.rename_field, "")
        if not isinstance(name, str):
            raise ValueError(
                f"{adapter.singular} {item.id}: {adapter.rename_field} is "
                f"{type(name).__name__}, not a string"
            )
    return list(items)
