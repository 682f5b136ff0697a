"""Reading every page of a GHL list endpoint: one helper for every paged list.

No list endpoint documents a maximum page size, so a page shorter than the ``limit`` asked for
proves nothing: GHL may cap pages below it. The helper therefore pages by the total the answer
reports (``total``, ``totalLinks``, ``data.count``, ``total[0].total``) when there is one, asking
each next page at the number of items collected so far; without a total it reads until a page
comes back empty, or comes back again (a server that ignores the offset and has sent the whole
list in one short page).

Every loop is bounded: by ``MAX_LIST_ITEMS`` items (a reported total above it is refused at
once), by ``MAX_PAGES`` pages, and by repeated pages. A broken list is an
:class:`~ghlops.client.errors.InvalidResponseError` naming the call, never a partial list (a
cut-off list could look like objects to delete) and never an endless loop.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from ghlops.client.errors import InvalidResponseError

MAX_LIST_ITEMS = 100_000  # a list reporting or holding more is treated as broken paging
MAX_PAGES = 2_000  # pages read for one list at most

Fetch = Callable[[Mapping[str, Any]], Any]  # query parameters -> decoded body of one GET


def read_pages(
    fetch: Fetch,
    path: str,
    *,
    items: str,
    total: str | None = None,
    params: Mapping[str, Any] | None = None,
    page_size: int = 100,
    style: str = "offset",
) -> list[Any]:
    """Every item of a paged list (see the module docstring).

    Args:
        fetch: Makes one GET of ``path`` with the given query and returns the decoded body.
        path: The list's path, for messages.
        items: Dotted path to the list in the body (``"products"``, ``"data.data"``; ``""``:
            the body is the list).
        total: Dotted path to the reported number of items (``"total"``, ``"data.count"``); a
            list of ``{"total": n}`` (the products list) counts as ``n``. None, or an answer
            without a usable number there: page until an empty or repeated page.
        params: Query parameters sent with every page.
        page_size: The ``limit`` asked for.
        style: ``"offset"`` (limit/offset) or ``"skip"`` (skip/limit).

    Raises:
        InvalidResponseError: no list at ``items``; a total above ``MAX_LIST_ITEMS``; the
            same page again before the end; more than ``MAX_LIST_ITEMS`` items or
            ``MAX_PAGES`` pages.
    """
    offset_name = "skip" if style == "skip" else "offset"
    collected: list[Any] = []
    previous: str | None = None
    for _page in range(MAX_PAGES):
        offset = len(collected)
        body = fetch({**(params or {}), "limit": page_size, offset_name: offset})
        page = dig(body, items)
        if not isinstance(page, list):
            raise InvalidResponseError("GET", path, 200, f"no list at {items!r} in the body")
        reported = reported_count(dig(body, total)) if total else None
        if reported is not None and reported > MAX_LIST_ITEMS:
            raise InvalidResponseError(
                "GET",
                path,
                200,
                f"the list reports {reported} items, more than {MAX_LIST_ITEMS}: paging looks "
                "broken",
            )
        if not page:
            return collected
        fingerprint = json.dumps(page, sort_keys=True, default=str)
        if fingerprint == previous:
            if reported is None and len(page) < page_size:
                # the server ignores the offset and sent everything in one short page
                return collected
            raise InvalidResponseError(
                "GET",
                path,
                200,
                f"the same page came back for {offset_name}={offset}: the API ignores paging, "
                "so the list cannot be read completely",
            )
        previous = fingerprint
        collected.extend(page)
        if len(collected) > MAX_LIST_ITEMS:
            raise InvalidResponseError(
                "GET", path, 200, f"more than {MAX_LIST_ITEMS} items: paging looks broken"
            )
        if reported is not None and len(collected) >= reported:
            return collected
    raise InvalidResponseError(
        "GET", path, 200, f"more than {MAX_PAGES} pages without an end: paging looks broken"
    )


def dig(body: Any, dotted: str) -> Any:
    """The value at a dotted path of dicts (``"data.count"``), or None; ``""`` is the body
    itself (a list endpoint answering a bare JSON array)."""
    if not dotted:
        return body
    for part in dotted.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


def reported_count(value: Any) -> int | None:
    """A reported number of items: a whole number >= 0 (or a numeric string), or the ``total``
    of a one-element list of ``{"total": n}``; None for anything else."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        value = value[0].get("total")
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
        return int(value) if float(value).is_integer() else None
    return None
