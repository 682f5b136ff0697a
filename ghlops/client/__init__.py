"""The HTTP client layer: auth, Version headers, pagination, retries, error mapping."""

from ghlops.client.client import DEFAULT_BASE_URL, GhlClient, check_base_url
from ghlops.client.errors import ApiError

__all__ = ["DEFAULT_BASE_URL", "ApiError", "GhlClient", "check_base_url"]
