"""An offline emulator of the GoHighLevel API v2, built from GHL's official OpenAPI specs.

It imports nothing from the rest of ghlops on purpose: a misunderstanding of the API inside
ghlops must not be mirrored here, where it would cancel itself out in tests.

Usage::

    sb = Sandbox()                                  # or Sandbox("state/sandbox.db")
    token = sb.provision_location("ve9EPM428h8vShlRW1KT")
    client = httpx.Client(transport=sb.transport(), base_url="https://services.leadconnectorhq.com")
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
from ghlops.sandbox.server import SandboxHTTPServer, make_server
from ghlops.sandbox.transport import AsyncSandboxTransport, SandboxTransport

__all__ = [
    "AsyncSandboxTransport",
    "Middleware",
    "Sandbox",
    "SandboxHTTPError",
    "SandboxHTTPServer",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxTransport",
    "json_response",
    "make_server",
]
