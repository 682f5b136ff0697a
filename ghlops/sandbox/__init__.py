"""An offline emulator of the GoHighLevel API v2, built from GHL's official OpenAPI specs.

It imports nothing from the rest of ghlops on purpose: a misunderstanding of the API inside
ghlops must not be mirrored here, where it would cancel itself out in tests.

Usage::

    sb = Sandbox()                                  # or Sandbox("state/sandbox.db")
    token = sb.provision_location("ve9EPM428h8vShlRW1KT")
    client = httpx.Client(transport=sb.transport(), base_url="https://services.leadconnectorhq.com")

Load and failure (see :mod:`ghlops.sandbox.middleware`)::

    sb = Sandbox(rate_limit=RateLimit(), latency=0.05, faults=FaultInjector("all=0.1", seed=1))
    sb.request_count(location_id), sb.throttled_count(), sb.faults_injected()
"""

from __future__ import annotations

from ghlops.sandbox.app import (
    Middleware,
    Sandbox,
    SandboxRequest,
    SandboxResponse,
    json_response,
)
from ghlops.sandbox.errors import SandboxHTTPError
from ghlops.sandbox.middleware import (
    ConnectionFault,
    FaultInjector,
    FaultSpec,
    RateLimit,
    RequestStats,
)
from ghlops.sandbox.server import SandboxHTTPServer, make_server
from ghlops.sandbox.transport import AsyncSandboxTransport, SandboxTransport

__all__ = [
    "AsyncSandboxTransport",
    "ConnectionFault",
    "FaultInjector",
    "FaultSpec",
    "Middleware",
    "RateLimit",
    "RequestStats",
    "Sandbox",
    "SandboxHTTPError",
    "SandboxHTTPServer",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxTransport",
    "json_response",
    "make_server",
]
