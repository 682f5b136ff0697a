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


# -- exact errors and limits (found missing by mutation testing) -----------------------------


def error_of(fetch: Any, **kw: Any) -> str:
    with pytest.raises(InvalidResponseError) as caught:
        read_pages(fetch, "/things", **{"items": "data", **kw})
    assert (caught.value.method, caught.value.path, caught.value.status) == ("GET", "/things", 200)
    return str(caught.value)


def test_each_paging_error_names_the_call_exactly() -> None:
    assert error_of(lambda q: {"data": {}}) == ("GET /things → 200: no list at 'data' in the body")
    too_many = MAX_LIST_ITEMS + 1
    assert error_of(lambda q: {"data": [1], "total": too_many}, total="total") == (
        f"GET /things → 200: the list reports {too_many} items, more than "
        f"{MAX_LIST_ITEMS}: paging looks broken"
    )
    assert error_of(lambda q: {"data": [1, 2]}, page_size=2) == (
        "GET /things → 200: the same page came back for offset=2: the API ignores paging, "
        "so the list cannot be read completely"
    )
    endless = Server(cap=100, total=None, items=[{"_id": n} for n in range(MAX_LIST_ITEMS + 1)])
    assert error_of(endless) == (
        f"GET /things → 200: more than {MAX_LIST_ITEMS} items: paging looks broken"
    )


def test_exactly_the_largest_list_is_read() -> None:
    items = [{"_id": n} for n in range(MAX_LIST_ITEMS)]
    assert (
        read_pages(Server(cap=100, total="number", items=items), "/x", items="data", total="total")
        == items
    )
    assert read_pages(Server(cap=100, total=None, items=items), "/x", items="data") == items


def test_offset_is_the_default_style() -> None:
    server = Server(cap=20, total="number")
    read_pages(server, "/x", items="data", total="total")
    assert all("offset" in q and "skip" not in q for q in server.queries)


def test_a_page_repeated_with_its_keys_in_another_order_is_the_same_page() -> None:
    calls: list[int] = []

    def fetch(query: Mapping[str, Any]) -> Any:
        calls.append(1)
        first = len(calls) % 2 == 1
        item = {"a": 1, "b": 2} if first else {"b": 2, "a": 1}
        return {"data": [item, {"z": 0}]}

    assert "the same page came back" in error_of(fetch, page_size=2)


def test_without_a_total_path_an_items_total_field_is_no_count() -> None:
    # a bare list whose one item has a "total" field: not a reported count of the list
    server = Server(cap=1, total=None, items=[{"total": 1}, {"total": 2}])
    body_list = lambda q: server(q)["data"]  # noqa: E731
    assert read_pages(body_list, "/x", items="") == [{"total": 1}, {"total": 2}]


def test_the_pages_error_names_the_call_exactly() -> None:
    calls = {"n": 0}

    def endless(query: Mapping[str, Any]) -> Any:
        calls["n"] += 1
        return {"data": [{"_id": f"p{calls['n']}"}]}

    assert error_of(endless) == (
        f"GET /things → 200: more than {MAX_PAGES} pages without an end: paging looks broken"
    )


def test_a_dotted_items_path_reaches_into_the_body() -> None:
    assert read_pages(lambda q: {"data": {"data": []}}, "/x", items="data.data") == []
    server = Server(cap=20, total=None)
    nested = lambda q: {"data": {"rows": server(q)["data"]}}  # noqa: E731
    assert read_pages(nested, "/x", items="data.rows") == ITEMS
