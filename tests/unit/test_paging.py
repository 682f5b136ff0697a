"""The shared paging helper: pages by the reported total, stops on an empty or repeated page
without one, and is bounded by items, pages and repeated pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ghlops.client.errors import InvalidResponseError
from ghlops.client.paging import MAX_LIST_ITEMS, MAX_PAGES, read_pages, reported_count

ITEMS = [{"_id": f"i{n}"} for n in range(45)]


class Server:
    """Answers pages of ITEMS, at most ``cap`` per page, with the total in ``shape``."""

    def __init__(self, cap: int = 20, total: Any = "number", items: list[Any] = ITEMS) -> None:
        self.cap, self.total, self.items = cap, total, items
        self.queries: list[dict[str, Any]] = []

    def __call__(self, query: Mapping[str, Any]) -> Any:
        self.queries.append(dict(query))
        offset = int(query.get("offset", query.get("skip", 0)))
        page = self.items[offset : offset + min(int(query["limit"]), self.cap)]
        body: dict[str, Any] = {"data": page}
        if self.total == "number":
            body["total"] = len(self.items)
        elif self.total == "array":
            body["total"] = [{"total": len(self.items)}]
        elif self.total is not None:
            body["total"] = self.total
        return body


@pytest.mark.parametrize("total", ["number", "array"])
def test_a_capped_page_is_paged_past_by_the_reported_total(total: str) -> None:
    server = Server(cap=20, total=total)
    assert read_pages(server, "/x", items="data", total="total") == ITEMS
    assert [q["offset"] for q in server.queries] == [0, 20, 40]
    assert all(q["limit"] == 100 for q in server.queries)


def test_skip_style_sends_skip() -> None:
    server = Server(cap=20)
    assert read_pages(server, "/x", items="data", total="total", style="skip") == ITEMS
    assert [q["skip"] for q in server.queries] == [0, 20, 40]


def test_without_a_total_paging_ends_on_an_empty_page() -> None:
    server = Server(cap=20, total=None)
    assert read_pages(server, "/x", items="data") == ITEMS
    assert [q["offset"] for q in server.queries] == [0, 20, 40, 45]


def test_an_unusable_total_falls_back_to_the_empty_page() -> None:
    server = Server(cap=20, total="lots")
    assert read_pages(server, "/x", items="data", total="total") == ITEMS
    assert len(server.queries) == 4


def test_a_short_page_repeated_without_a_total_is_the_whole_list() -> None:
    def ignores_offset(query: Mapping[str, Any]) -> Any:
        return {"data": ITEMS[:5]}

    assert read_pages(ignores_offset, "/x", items="data") == ITEMS[:5]


def test_a_repeated_page_before_the_total_is_an_error() -> None:
    def stuck(query: Mapping[str, Any]) -> Any:
        return {"data": ITEMS[:20], "total": 45}

    with pytest.raises(InvalidResponseError, match="the same page came back for offset=20"):
        read_pages(stuck, "/x", items="data", total="total")


def test_a_huge_total_is_refused_at_once() -> None:
    server = Server(total=10**12)
    with pytest.raises(InvalidResponseError, match="reports 1000000000000 items"):
        read_pages(server, "/store/shipping-zone", items="data", total="total")
    assert len(server.queries) == 1


def test_pages_are_bounded_even_when_each_is_new() -> None:
    calls = {"n": 0}

    def endless(query: Mapping[str, Any]) -> Any:
        calls["n"] += 1
        return {"data": [{"_id": f"p{calls['n']}"}]}  # one new item per page, never empty

    with pytest.raises(InvalidResponseError, match=f"more than {MAX_PAGES} pages"):
        read_pages(endless, "/x", items="data")
    assert calls["n"] == MAX_PAGES


def test_items_are_bounded() -> None:
    def endless(query: Mapping[str, Any]) -> Any:
        offset = int(query["offset"])
        return {"data": [{"_id": f"p{offset + i}"} for i in range(1000)]}

    with pytest.raises(InvalidResponseError, match=f"more than {MAX_LIST_ITEMS} items"):
        read_pages(endless, "/x", items="data", page_size=1000)


def test_no_list_is_an_error() -> None:
    with pytest.raises(InvalidResponseError, match=r"no list at 'data\.data'"):
        read_pages(lambda q: {"data": {"count": 1}}, "/x", items="data.data")


@pytest.mark.parametrize(
    ("value", "count"),
    [
        (3, 3),
        (3.0, 3),
        (0, 0),  # an empty list reports 0 items: a count, not "unknown"
        ("0", 0),
        ("12", 12),
        ([{"total": 4}], 4),
        (True, None),
        (-1, None),
        (2.5, None),
        (float("inf"), None),
        ("many", None),
        ([], None),
        (None, None),
    ],
)
def test_reported_counts(value: Any, count: int | None) -> None:
    assert reported_count(value) == count
