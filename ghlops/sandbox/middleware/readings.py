"""Readings of what GHL's spec leaves open: the sandbox answers by one of two.

Where the spec is silent, a real account may answer differently from the sandbox's guess, and a
client must converge under every reasonable reading (API notes, appendix E). ``spec`` (the
default) is the sandbox's plain reading; ``alternative`` takes the other reading of each silence
at once, to rehearse against:

- **Pages capped at** :data:`PAGE_CAP` **items**, whatever ``limit`` asks (no list documents a
  maximum page size); a missing or 0 ``limit`` ("no limit") is capped too.
- **Custom fields listed without** ``model`` **are contact fields only** (a third-party SDK fixed
  exactly that); ``model=all`` lists both models.
- **Lists lag writes by one read**: the first read of a list after a write in its location (or
  company) answers what that list answered before the write; the next read is up to date. A
  list never read before the write does not lag.
- **Not found is 400** (``{"statusCode": 400, "message": "… not found", "error": "Bad
  Request"}``), as a deleted contact answers live, instead of 404. Unknown routes stay 404.
- **Error bodies carry a** ``traceId`` (live answers do; the spec's DTOs do not list it).

The lag is kept in memory only: a sandbox opened afresh (each CLI run of the embedded sandbox)
starts without it.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

if TYPE_CHECKING:
    from ghlops.sandbox.app import SandboxRequest, SandboxResponse
    from ghlops.sandbox.middleware.keys import RequestKey
    from ghlops.sandbox.routing import Router

READINGS = ("spec", "alternative")
PAGE_CAP = 20
CUSTOM_FIELDS_LIST = "GET /locations/{locationId}/customFields"

CallNext = Callable[["SandboxRequest"], "SandboxResponse"]


@dataclass(frozen=True)
class Readings:
    """Which reading the sandbox takes of each silence of the spec (see the module docstring).

    Attributes:
        page_cap: Items per page at most (None: as many as ``limit`` asks).
        fields_default_model: The ``model`` custom fields are listed by when none is sent.
        lists_lag: Lists lag writes by one read.
        not_found_status: The status of an unknown object id (404 or 400).
        trace_ids: Error bodies carry a ``traceId``.
    """

    name: str = "spec"
    page_cap: int | None = None
    fields_default_model: str = "all"
    lists_lag: bool = False
    not_found_status: int = 404
    trace_ids: bool = False

    @classmethod
    def named(cls, name: str) -> Readings:
        """``"spec"`` or ``"alternative"``.

        Raises:
            ValueError: another name.
        """
        if name == "spec":
            return cls()
        if name == "alternative":
            return cls("alternative", PAGE_CAP, "contact", True, 400, True)
        raise ValueError(f"unknown readings {name!r}: use {' or '.join(READINGS)}")

    @property
    def is_default(self) -> bool:
        return self == Readings()

    def describe(self) -> str:
        """One banner line."""
        if self.is_default:
            return "readings: spec"
        return (
            f"readings: {self.name} (pages capped at {self.page_cap}, custom fields without "
            f"model: {self.fields_default_model} only, lists lag writes by one read, not found "
            f"is {self.not_found_status}, error bodies carry a traceId)"
        )


class ReadingsMiddleware:
    """Applies :class:`Readings` to requests and answers (``Sandbox(readings=...)``)."""

    def __init__(
        self, readings: Readings, router: Router, describe: Callable[[SandboxRequest], RequestKey]
    ) -> None:
        self.readings = readings
        self._router = router
        self._describe = describe
        self._lock = threading.Lock()
        self._last: dict[str, dict[str, SandboxResponse]] = {}  # resource -> target -> answer
        self._stale: dict[str, set[str]] = {}  # resource -> targets to answer from _last once

    def __call__(self, request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        request = self._rewrite(request)
        key = self._describe(request)
        resource = key.resource or ""
        listing = request.method == "GET" and _is_list(key.route)
        if listing and self.readings.lists_lag:
            with self._lock:
                stale = self._stale.get(resource, set())
                if request.target in stale:
                    stale.discard(request.target)
                    return self._last[resource][request.target]
        response = self._error(call_next(request))
        if self.readings.lists_lag and response.status < 300:
            with self._lock:
                if listing:
                    self._last.setdefault(resource, {})[request.target] = response
                elif request.method != "GET":
                    self._stale[resource] = set(self._last.get(resource, {}))
        return response

    def _rewrite(self, request: SandboxRequest) -> SandboxRequest:
        from ghlops.sandbox.app import SandboxRequest

        if request.method != "GET":
            return request
        match = self._router.match(request.method, request.path)
        if match is None:
            return request
        op = match.operation
        query = parse_qsl(request.query_string, keep_blank_values=True)
        names = {name for name, _ in query}
        changed = False
        cap = self.readings.page_cap
        if cap is not None and any(
            p.name == "limit" and p.location == "query" for p in op.parameters
        ):
            limits = [value for name, value in query if name == "limit"]
            try:
                asked = int(float(limits[-1])) if limits and limits[-1] else 0
            except ValueError:
                asked = -1  # left for the handler to refuse
            if asked == 0 or asked > cap:
                query = [(n, v) for n, v in query if n != "limit"] + [("limit", str(cap))]
                changed = True
        if f"GET {op.path}" == CUSTOM_FIELDS_LIST and "model" not in names:
            query.append(("model", self.readings.fields_default_model))
            changed = True
        if not changed:
            return request
        target = urlsplit(request.target).path + "?" + urlencode(query)
        return SandboxRequest(request.method, target, request.headers, request.body)

    def _error(self, response: SandboxResponse) -> SandboxResponse:
        """Not found as ``not_found_status``; a ``traceId`` in every error body."""
        from ghlops.sandbox.app import json_response

        if response.status < 400:
            return response
        try:
            body = json.loads(response.body)
        except ValueError:
            return response
        if not isinstance(body, dict):
            return response
        status = response.status
        message = body.get("message")
        if (
            status == 404
            and self.readings.not_found_status != 404
            and isinstance(message, str)
            and not message.startswith("Cannot ")  # an unknown route stays 404
        ):
            status = self.readings.not_found_status
            body = {"statusCode": status, "message": message, "error": "Bad Request"}
        if self.readings.trace_ids:
            body = {**body, "traceId": str(uuid.uuid4())}
        if status == response.status and body == json.loads(response.body):
            return response
        return json_response(status, body, _extra_headers(response.headers))


def _extra_headers(headers: dict[str, str]) -> dict[str, str]:
    """The answer's headers but its content type (json_response sets it again)."""
    return {k: v for k, v in headers.items() if k.lower() != "content-type"}


def _is_list(route: str) -> bool:
    """``"GET /locations/{locationId}/tags"`` is a list; ``…/tags/{tagId}`` is not."""
    path = route.partition(" ")[2].rstrip("/")
    last = path.rsplit("/", 1)[-1]
    return bool(path) and not (last.startswith("{") and last.endswith("}"))
