"""The same CLI against the sandbox served over real HTTP, with tokens from the environment."""

from __future__ import annotations

from tests.helpers.cli import HttpSandbox, Runner

DOWNTOWN = "ve9EPM428h8vShlRW1KT"
UPTOWN = "Xk3pQ9wRt7LmN2bV5cZa"
TOKENS = {
    "GHL_TOKEN_DOWNTOWN": "pit-test-downtown-0001",
    "GHL_TOKEN_UPTOWN": "pit-test-uptown-0002",
}


def provision(http_sandbox: HttpSandbox) -> None:
    http_sandbox.sandbox.provision_location(DOWNTOWN, token=TOKENS["GHL_TOKEN_DOWNTOWN"])
    http_sandbox.sandbox.provision_location(UPTOWN, token=TOKENS["GHL_TOKEN_UPTOWN"])


def test_plan_apply_plan_over_http(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    url = ["--base-url", http_sandbox.url]
    env: dict[str, str | None] = dict(TOKENS)

    first = ghlops("plan", *url, "--detailed-exitcode", env=env)
    assert first.exit_code == 2, first.output
    assert "Plan: 19 to create" in first.stdout
    assert ghlops("apply", *url, "--auto-approve", env=env).exit_code == 0
    last = ghlops("plan", *url, "--detailed-exitcode", env=env)
    assert last.exit_code == 0, last.output
    assert "No changes." in last.stdout
    assert len(http_sandbox.sandbox.objects(UPTOWN, "tags")) == 3
    for token in TOKENS.values():
        assert token not in first.output + last.output


def test_base_url_from_environment(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    env: dict[str, str | None] = {**TOKENS, "GHLOPS_BASE_URL": http_sandbox.url}
    result = ghlops("plan", "--detailed-exitcode", env=env)
    assert result.exit_code == 2, result.output


def test_401_names_location_call_and_token_variable(
    ghlops: Runner, http_sandbox: HttpSandbox
) -> None:
    provision(http_sandbox)
    env: dict[str, str | None] = {**TOKENS, "GHL_TOKEN_UPTOWN": "pit-wrong-token-9999"}
    result = ghlops("plan", "--base-url", http_sandbox.url, env=env)
    assert result.exit_code == 1
    assert "Location uptown (Xk3pQ9wRt7LmN2bV5cZa)" in result.stdout
    assert (
        f"FAILED: GET /locations/{UPTOWN}/tags → 401 Unauthorized: Invalid token: access "
        "token is invalid (while reading tags) (token from $GHL_TOKEN_UPTOWN)"
    ) in result.stdout
    assert "Failed to plan 1 location(s): uptown" in result.stdout
    # the other location is still planned
    assert '  + tag "springfield-lead"' in result.stdout
    assert "pit-wrong-token-9999" not in result.output


def test_403_for_a_token_of_another_location(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    env: dict[str, str | None] = {**TOKENS, "GHL_TOKEN_UPTOWN": TOKENS["GHL_TOKEN_DOWNTOWN"]}
    result = ghlops("apply", "--base-url", http_sandbox.url, "--auto-approve", env=env)
    assert result.exit_code == 3, result.output
    assert "403 Forbidden" in result.stdout
    assert "uptown: not applied: GET /locations/" in result.stderr
    assert http_sandbox.sandbox.objects(UPTOWN, "tags") == []
    assert len(http_sandbox.sandbox.objects(DOWNTOWN, "tags")) == 4


def test_missing_token_variable(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    env: dict[str, str | None] = {
        "GHL_TOKEN_DOWNTOWN": TOKENS["GHL_TOKEN_DOWNTOWN"],
        "GHL_TOKEN_UPTOWN": None,
    }
    result = ghlops("plan", "--base-url", http_sandbox.url, "-l", "uptown", env=env)
    assert result.exit_code == 1
    assert (
        "location uptown: environment variable GHL_TOKEN_UPTOWN is not set "
        "(it must hold the location's Private Integration Token)"
    ) in result.stdout


def test_plain_http_refused_for_remote_hosts(ghlops: Runner) -> None:
    result = ghlops("plan", "--base-url", "http://example.com", env=dict(TOKENS))
    assert result.exit_code == 1
    assert (
        "Error: base URL 'http://example.com' is not https; plain http is allowed only for "
        "loopback hosts"
    ) in result.stderr


def test_401_during_apply_stops_that_location_only(
    ghlops: Runner, http_sandbox: HttpSandbox
) -> None:
    from ghlops.sandbox import SandboxRequest, SandboxResponse, json_response

    provision(http_sandbox)

    def revoke_uptown_writes(request: SandboxRequest, call_next: object) -> SandboxResponse:
        if request.method == "POST" and UPTOWN in request.path:
            return json_response(
                401,
                {
                    "statusCode": 401,
                    "message": "Invalid token: access token is invalid",
                    "error": "Unauthorized",
                },
            )
        return call_next(request)  # type: ignore[operator,no-any-return]

    http_sandbox.sandbox.middleware.append(revoke_uptown_writes)
    result = ghlops("apply", "--base-url", http_sandbox.url, "--auto-approve", env=dict(TOKENS))
    assert result.exit_code == 3, result.output
    assert (
        f"POST /locations/{UPTOWN}/tags → 401 Unauthorized: Invalid token: access token is "
        "invalid (token from $GHL_TOKEN_UPTOWN)"
    ) in result.stderr
    assert "uptown: stopped at the first failure; 0 done, 8 not attempted" in result.stderr
    assert len(http_sandbox.sandbox.objects(DOWNTOWN, "tags")) == 4
    assert http_sandbox.sandbox.objects(UPTOWN, "tags") == []


def test_apply_refuses_when_the_daily_budget_is_short(
    ghlops: Runner, http_sandbox: HttpSandbox
) -> None:
    from ghlops.sandbox import RateLimit

    provision(http_sandbox)
    http_sandbox.sandbox.rate_limit = RateLimit(
        max_requests=100, window_seconds=10.0, daily_limit=18
    )
    result = ghlops("apply", "--base-url", http_sandbox.url, "--auto-approve", env=dict(TOKENS))
    assert result.exit_code == 1, result.output
    assert "Refused: downtown: the apply needs up to 16 API calls but only" in result.stderr
    assert "of today's are left (X-RateLimit-Daily-Remaining)" in result.stderr
    assert "Apply refused; nothing was changed." in result.stderr
    assert http_sandbox.sandbox.objects(DOWNTOWN, "tags") == []
