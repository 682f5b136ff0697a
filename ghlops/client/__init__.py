"""The HTTP client layer: auth, Version headers, pagination, retries, error mapping, and the
run's one connection pool."""

from ghlops.client.client import DEFAULT_BASE_URL, GhlClient
from ghlops.client.connection import Connection, check_base_url
from ghlops.client.errors import ApiError

__all__ = ["DEFAULT_BASE_URL", "ApiError", "Connection", "GhlClient", "check_base_url"]
