"""Request counters of a sandbox: requests and rate-limit refusals per resource and per route."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ghlops.sandbox.middleware.faults import ConnectionFault

if TYPE_CHECKING:
    from ghlops.sandbox.app import SandboxResponse
    from ghlops.sandbox.middleware.keys import RequestKey

NO_RESOURCE = "-"  # how snapshot() names requests without a location or company


@dataclass
class _Cell:
    requests: int = 0
    throttled: int = 0


class RequestStats:
    """Thread-safe counters, filled by :meth:`observe` (every request a sandbox handles) and
    :meth:`record_throttled` (every 429 of its rate limiter).

    Counts are kept per ``(resource, route)`` pair (see
    :class:`~ghlops.sandbox.middleware.keys.RequestKey`) and per outcome: the status code as a
    string, or the fault kind of a dropped connection (``"timeout"``, ``"reset-before"``,
    ``"reset-after"``), or ``"exception"``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cells: dict[tuple[str | None, str], _Cell] = {}
        self._outcomes: Counter[str] = Counter()

    def observe(self, key: RequestKey, run: Callable[[], SandboxResponse]) -> SandboxResponse:
        """Run one request (``run``) and count it with its outcome; exceptions propagate."""
        try:
            response = run()
        except ConnectionFault as fault:
            self._record(key, fault.kind)
            raise
        except BaseException:
            self._record(key, "exception")
            raise
        self._record(key, str(response.status))
        return response

    def record_throttled(self, key: RequestKey) -> None:
        """Count a request refused by the rate limiter (it is also counted by :meth:`observe`)."""
        with self._lock:
            self._cell(key).throttled += 1

    def requests(self, resource: str | None = None, *, route: str | None = None) -> int:
        """Requests handled, all or of one resource and/or route (``"GET /locations/..."``)."""
        return sum(c.requests for c in self._select(resource, route))

    def throttled(self, resource: str | None = None, *, route: str | None = None) -> int:
        """Requests the rate limiter answered 429, all or of one resource and/or route."""
        return sum(c.throttled for c in self._select(resource, route))

    def outcomes(self) -> dict[str, int]:
        """Requests per outcome (``{"200": 12, "429": 1, "reset-after": 1}``)."""
        with self._lock:
            return dict(self._outcomes)

    def snapshot(self) -> dict[str, Any]:
        """Every counter as plain JSON-ready data (``NO_RESOURCE`` names a missing resource)."""
        by_resource: dict[str, dict[str, int]] = {}
        by_route: dict[str, dict[str, int]] = {}
        with self._lock:
            cells = [(k, _Cell(c.requests, c.throttled)) for k, c in self._cells.items()]
            outcomes = dict(self._outcomes)
        for (resource, route), cell in cells:
            for table, name in ((by_resource, resource or NO_RESOURCE), (by_route, route)):
                entry = table.setdefault(name, {"requests": 0, "throttled": 0})
                entry["requests"] += cell.requests
                entry["throttled"] += cell.throttled
        return {
            "requests": sum(c.requests for _, c in cells),
            "throttled": sum(c.throttled for _, c in cells),
            "by_resource": by_resource,
            "by_route": by_route,
            "by_outcome": outcomes,
        }

    def reset(self) -> None:
        """Forget every count."""
        with self._lock:
            self._cells.clear()
            self._outcomes.clear()

    def _record(self, key: RequestKey, outcome: str) -> None:
        with self._lock:
            self._cell(key).requests += 1
            self._outcomes[outcome] += 1

    def _cell(self, key: RequestKey) -> _Cell:
        cell = self._cells.get((key.resource, key.route))
        if cell is None:
            cell = self._cells[(key.resource, key.route)] = _Cell()
        return cell

    def _select(self, resource: str | None, route: str | None) -> list[_Cell]:
        with self._lock:
            return [
                _Cell(c.requests, c.throttled)
                for (res, rt), c in self._cells.items()
                if (resource is None or res == resource) and (route is None or rt == route)
            ]
