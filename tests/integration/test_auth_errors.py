"""Each way GHL refuses a token gets its own one-line fix, over HTTP through the CLI; every API
error shows GHL's traceId and never the token."""

from __future__ import annotations

import pytest

from ghlops.access import ACCESS, fix_for, scope_for
from ghlops.client.errors import ApiError, AuthCause, auth_cause, error_for
from ghlops.sandbox.middleware.readings import Readings
from tests.helpers.cli import HttpSandbox, Runner
from tests.integration.test_over_http import DOWNTOWN, TOKENS, UPTOWN, provision

ALL_SCOPES = sorted({s for a in ACCESS.values() for s in (*a.read, *a.write, *a.extra_read)})


def plan(ghlops: Runner, http_sandbox: HttpSandbox, **env: str) -> str:
    result = ghlops("plan", "--base-url", http_sandbox.url, env={**TOKENS, **env})
    assert result.exit_code == 1, result.output
    assert "Location uptown (Xk3pQ9wRt7LmN2bV5cZa)" in result.stdout
    assert '  + tag "springfield-lead"' in result.stdout  # downtown is still planned
    for token in TOKENS.values():
        assert token not in result.output
    return result.stdout


def test_a_revoked_token(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    http_sandbox.sandbox.revoke_token(TOKENS["GHL_TOKEN_UPTOWN"])
    out = plan(ghlops, http_sandbox)
    assert (
        "401 Unauthorized: Invalid JWT (while reading tags) (token from $GHL_TOKEN_UPTOWN)" in out
    )
    assert (
        "; fix: the token in $GHL_TOKEN_UPTOWN is revoked, expired or not a GHL token: create a "
        "new one (Settings > Private Integrations) and put it in $GHL_TOKEN_UPTOWN"
    ) in out


def test_a_token_without_a_scope(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    scopes = [s for s in ALL_SCOPES if s != "locations/customFields.readonly"]
    http_sandbox.sandbox.provision_location(UPTOWN, token=TOKENS["GHL_TOKEN_UPTOWN"], scopes=scopes)
    out = plan(ghlops, http_sandbox)
    assert "The token is not authorized for this scope. (while reading customFields)" in out
    assert (
        "; fix: add the scope locations/customFields.readonly to the token in "
        "$GHL_TOKEN_UPTOWN (Private Integration or app scopes), then use the new token"
    ) in out


def test_an_agency_token_on_a_location(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    agency = http_sandbox.sandbox.provision_agency("QuickstartAgency0001")
    out = plan(ghlops, http_sandbox, GHL_TOKEN_UPTOWN=agency)
    assert "Token's user type mismatch!" in out
    assert (
        "; fix: $GHL_TOKEN_UPTOWN holds an agency token; sub-account calls need location "
        f"{UPTOWN}'s own token (a sub-account Private Integration token)"
    ) in out
    assert agency not in out


def test_a_company_oauth_token_on_a_location(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    store = http_sandbox.sandbox.store
    with store.transaction():
        store.add_company("QuickstartAgency0001")
        store.add_token(
            "oauth-company-token-1",
            location_id=None,
            company_id="QuickstartAgency0001",
            user_type="Company",
            kind="oauth",
        )
    out = plan(ghlops, http_sandbox, GHL_TOKEN_UPTOWN="oauth-company-token-1")
    assert "This authClass type is not allowed to access this scope" in out
    assert "; fix: this call does not take the class of token in $GHL_TOKEN_UPTOWN" in out


def test_a_token_of_another_location(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    out = plan(ghlops, http_sandbox, GHL_TOKEN_UPTOWN=TOKENS["GHL_TOKEN_DOWNTOWN"])
    assert "403 Forbidden: The token does not have access to this location" in out
    assert (
        "; fix: the token in $GHL_TOKEN_UPTOWN is not for this location: put location "
        f"{UPTOWN}'s token in $GHL_TOKEN_UPTOWN"
    ) in out


def test_every_api_error_shows_the_trace_id(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    http_sandbox.sandbox.readings = Readings.named("alternative")  # error bodies carry traceId
    out = plan(ghlops, http_sandbox, GHL_TOKEN_UPTOWN=TOKENS["GHL_TOKEN_DOWNTOWN"])
    assert "The token does not have access to this location (while reading tags) [traceId " in out
    assert DOWNTOWN not in out.split("Location uptown", 1)[1].split("\n", 2)[1]


# -- the classification and the fixes, one by one ----------------------------------------------


@pytest.mark.parametrize(
    ("status", "message", "cause"),
    [
        (401, "Invalid JWT", AuthCause.INVALID),
        (401, "Invalid token: access token is invalid", AuthCause.INVALID),
        (401, "The token is not authorized for this scope.", AuthCause.SCOPE),
        (401, "Token's user type mismatch!", AuthCause.USER_TYPE),
        (401, "This authClass type is not allowed to access this scope.", AuthCause.AUTH_CLASS),
        (403, "The token does not have access to this location.", AuthCause.LOCATION),
        (403, "You do not have permission to access this resource", AuthCause.FORBIDDEN),
        (400, "Invalid JWT", None),
        (404, "Not found", None),
    ],
)
def test_causes_are_told_apart_by_the_message(
    status: int, message: str, cause: AuthCause | None
) -> None:
    assert auth_cause(status, message) is cause


def test_the_trace_id_is_kept_through_annotations_and_never_the_token() -> None:
    body = b'{"statusCode":401,"message":"Invalid JWT","traceId":"4b1e-77aa-0c"}'
    error = error_for("GET", "/locations/x/tags", 401, body)
    assert (
        str(error) == "GET /locations/x/tags → 401 Unauthorized: Invalid JWT [traceId 4b1e-77aa-0c]"
    )
    noted = error.annotated("while reading tags")
    assert str(noted).endswith("Invalid JWT (while reading tags) [traceId 4b1e-77aa-0c]")
    odd = error_for("GET", "/x", 401, b'{"message":"Invalid JWT","traceId":"a b\\nc"}')
    assert odd.trace_id is None and "traceId" not in str(odd)


def test_scopes_by_call() -> None:
    assert scope_for("GET", "/locations/x/tags") == "locations/tags.readonly"
    assert scope_for("DELETE", "/locations/x/tags/t") == "locations/tags.write"
    assert scope_for("GET", "/products/p/price") == "products/prices.readonly"
    assert scope_for("GET", "/products/collections") == "products/collection.readonly"
    assert scope_for("POST", "/products/") == "products.write"
    assert scope_for("POST", "/opportunities/pipelines") == "pipelines.create"
    assert scope_for("GET", "/store/shipping-zone") is None
    assert scope_for("GET", "/links/") == "links.readonly"
    assert scope_for("PUT", "/links/abc") == "links.write"
    assert scope_for("GET", "/calendars/c1/notifications") == "calendars/events.readonly"
    assert scope_for("DELETE", "/calendars/c1/notifications/n1") == "calendars/events.write"
    assert scope_for("GET", "/calendars/c1") == "calendars.readonly"


def test_an_error_that_is_not_about_the_token_has_no_fix() -> None:
    error = ApiError("GET", "/x", 400, "Bad Request")
    assert fix_for(error, token_env="X") is None


def test_the_scope_table_matches_the_spec() -> None:
    """Every scope ghlops names is one the vendored spec (or an operation GHL published after
    it, served by the sandbox) requires of a call of that kind; reads need ``.readonly``."""
    from ghlops.sandbox import handlers
    from ghlops.sandbox.auth import required_scopes
    from ghlops.sandbox.spec import default_library

    operations = [*default_library().all_operations()]
    operations += [r.operation for r in handlers.all_extensions() if r.operation is not None]
    named: dict[str, set[str]] = {}
    for op in operations:
        for scope in required_scopes(op):
            named.setdefault(scope, set()).add(op.method)
    for kind, access in ACCESS.items():
        for scope in (*access.read, *access.extra_read):
            assert named.get(scope) == {"GET"} or "GET" in named.get(scope, set()), (kind, scope)
        for scope in access.write:
            assert named.get(scope, set()) - {"GET"}, (kind, scope)


def test_every_registered_kind_has_its_scopes() -> None:
    """A new kind must say what it needs from a token (``ghlops doctor`` and the fix of a
    missing scope read this table); a kind without a scope documented in the spec says so with
    empty tuples. No entry names a kind ghlops does not have."""
    from ghlops.resources import registry

    missing = [kind for kind in registry.kinds() if kind not in ACCESS]
    assert not missing, f"add {missing} to ghlops.access.ACCESS (scopes from the spec's security)"
    assert set(ACCESS) <= set(registry.kinds())


def test_a_trace_id_echoing_the_token_is_not_shown() -> None:
    import httpx

    from ghlops.client import GhlClient

    token = "pit-echoed-token-0123456789"

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"message": "Invalid JWT", "traceId": token})

    with (
        GhlClient(token, transport=httpx.MockTransport(echo)) as client,
        pytest.raises(ApiError) as caught,
    ):
        client.request("GET", "/locations/x/tags", version="2021-07-28")
    assert token not in str(caught.value)
    assert caught.value.trace_id is None
