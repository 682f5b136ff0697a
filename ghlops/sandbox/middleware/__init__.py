"""Middleware that make the sandbox behave like the live API under load and failure.

- :mod:`~ghlops.sandbox.middleware.limits`: GHL's burst and daily rate limits, with the
  ``X-RateLimit-*`` headers and 429 answers (``Sandbox(rate_limit=RateLimit(...))``).
- :mod:`~ghlops.sandbox.middleware.faults`: injected errors, timeouts, resets, slow and corrupt
  answers (``Sandbox(faults=FaultInjector(...))``).
- :mod:`~ghlops.sandbox.middleware.stats`: request counters (``Sandbox.stats``).
- :mod:`~ghlops.sandbox.middleware.keys`: which app and resource a request counts against.

Latency (``Sandbox(latency=...)``) is no middleware: the answer's ``delay`` is waited out by the
transport or the HTTP server, outside every lock, so concurrent requests overlap.
"""

from __future__ import annotations

from ghlops.sandbox.middleware.faults import (
    FAULT_KINDS,
    ConnectionFault,
    FaultInjector,
    FaultSpec,
)
from ghlops.sandbox.middleware.keys import RequestDescriber, RequestKey
from ghlops.sandbox.middleware.limits import (
    RateLimit,
    RateLimiter,
    parse_duration,
    parse_rate_limit,
)
from ghlops.sandbox.middleware.stats import RequestStats

__all__ = [
    "FAULT_KINDS",
    "ConnectionFault",
    "FaultInjector",
    "FaultSpec",
    "RateLimit",
    "RateLimiter",
    "RequestDescriber",
    "RequestKey",
    "RequestStats",
    "parse_duration",
    "parse_rate_limit",
]
