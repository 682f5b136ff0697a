"""Fault injection: every kind with its client-side symptom, in-process and over real HTTP;
seeded determinism, observed rates, and the ``sandbox serve --faults`` options."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from ghlops.cli.main import cli
from ghlops.sandbox import FaultInjector, FaultSpec, RateLimit, Sandbox
from ghlops.sandbox.middleware import FAULT_KINDS
from tests.helpers.sandbox import BASE_URL, LOC, VERSION, serve_cli, served

TAGS = f"/locations/{LOC}/tags"
Connect = Callable[..., httpx.Client]


@pytest.fixture(params=["in-process", "http"])
def connect(request: pytest.FixtureRequest, sb: Sandbox, token: str) -> Iterator[Connect]:
    """Opens clients to the sandbox in-process or over a real HTTP server on a free port."""
    clients: list[httpx.Client] = []
    base_url = BASE_URL
    transport: httpx.BaseTransport | None = sb.transport()
    stack = ExitStack()
    if request.param == "http":
        _server, base_url = stack.enter_context(served(sb))
        transport = None

    def open_client(timeout: float = 5.0) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}", "Version": VERSION}
        client = httpx.Client(
            transport=transport, base_url=base_url, headers=headers, timeout=timeout
        )
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()
    stack.close()


@pytest.fixture
def seeded(sb: Sandbox, token: str) -> str:
    """One tag in the location, so list answers have an object to corrupt; returns its id."""
    return sb.seed({"locations": {LOC: {"tags": [{"name": "seeded"}]}}})[f"{LOC}/tags"][0]


def only(kind: str, **options: float) -> FaultInjector:
    return FaultInjector({kind: 1.0}, seed=1, **options)


def tag_names(sb: Sandbox) -> list[str]:
    return [t["name"] for t in sb.objects(LOC, "tags")]


# -- each kind, with its symptom -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        ("429", 429, "Too many requests"),
        ("500", 500, "Internal server error"),
        ("503", 503, "Service Unavailable"),
    ],
)
def test_json_errors_are_not_applied(
    kind: str, status: int, message: str, sb: Sandbox, connect: Connect
) -> None:
    sb.faults = only(kind)
    response = connect().post(TAGS, json={"name": "lost"})
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["statusCode"] == status
    assert body["message"] == message
    assert "Retry-After" not in response.headers
    assert response.headers["X-Sandbox-Fault"] == kind
    assert tag_names(sb) == []
    assert sb.faults_injected()[kind] == 1


def test_502_is_a_proxy_html_page(sb: Sandbox, connect: Connect) -> None:
    sb.faults = only("502")
    response = connect().post(TAGS, json={"name": "lost"})
    assert response.status_code == 502
    assert response.headers["Content-Type"] == "text/html"
    assert "<title>502 Bad Gateway</title>" in response.text
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert tag_names(sb) == []


def test_timeout_is_not_applied(sb: Sandbox, connect: Connect) -> None:
    sb.faults = only("timeout", timeout_after=0.6)
    client = connect(timeout=0.3)
    with pytest.raises(httpx.ReadTimeout):
        client.post(TAGS, json={"name": "lost"})
    assert tag_names(sb) == []
    assert sb.faults_injected()["timeout"] == 1
    assert sb.stats.outcomes() == {"timeout": 1}


class Sleeps:
    """Stands in for ``time.sleep`` in the sandbox: records each wait, then really waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


def test_a_patient_client_sees_the_timeout_as_a_closed_connection(sb: Sandbox, token: str) -> None:
    sb.faults = only("timeout", timeout_after=0.2)
    sleeps = Sleeps()
    with served(sb) as (server, url):
        server.sleep = sleeps
        headers = {"Authorization": f"Bearer {token}", "Version": VERSION}
        with (
            httpx.Client(base_url=url, headers=headers) as web,
            pytest.raises(httpx.RemoteProtocolError),
        ):
            web.get(TAGS)
    assert sleeps.waits == [0.2]  # held the connection for timeout_after, then closed it


def test_reset_before_is_not_applied(sb: Sandbox, connect: Connect) -> None:
    sb.faults = only("reset-before")
    with pytest.raises(httpx.ReadError):
        connect().post(TAGS, json={"name": "lost"})
    assert tag_names(sb) == []
    assert sb.stats.outcomes() == {"reset-before": 1}


def test_reset_after_is_applied(sb: Sandbox, connect: Connect) -> None:
    sb.faults = only("reset-after")
    with pytest.raises(httpx.ReadError):
        connect().post(TAGS, json={"name": "created-anyway"})
    assert tag_names(sb) == ["created-anyway"]
    assert sb.faults_injected()["reset-after"] == 1
    assert sb.stats.outcomes() == {"reset-after": 1}


@pytest.mark.parametrize("over", ["in-process", "http"])
def test_slow_answers_are_correct_but_late(over: str, sb: Sandbox, token: str) -> None:
    sb.faults = only("slow", slow_seconds=0.25)
    sleeps = Sleeps()
    headers = {"Authorization": f"Bearer {token}", "Version": VERSION}
    with ExitStack() as stack:
        if over == "http":
            server, url = stack.enter_context(served(sb))
            server.sleep = sleeps
            client = stack.enter_context(httpx.Client(base_url=url, headers=headers))
        else:
            transport = sb.transport(sleeps)
            client = stack.enter_context(
                httpx.Client(transport=transport, base_url=BASE_URL, headers=headers)
            )
        response = client.post(TAGS, json={"name": "late"})
    assert sleeps.waits == [0.25]  # the answer was held back slow_seconds
    assert response.status_code == 200
    assert response.json()["tag"]["name"] == "late"
    assert tag_names(sb) == ["late"]


def test_malformed_answers(sb: Sandbox, connect: Connect, seeded: str) -> None:
    sb.faults = only("malformed")
    response = connect().get(TAGS)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_truncated_answers(sb: Sandbox, connect: Connect, seeded: str) -> None:
    client = connect()
    whole = client.get(TAGS).content
    sb.faults = only("truncated")
    response = client.get(TAGS)
    assert response.status_code == 200
    assert response.content == whole[: len(whole) // 2]
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_missing_fields(sb: Sandbox, connect: Connect, seeded: str) -> None:
    client = connect()
    sb.seed({"locations": {LOC: {"tags": [{"name": "second"}]}}})
    whole = client.get(TAGS).json()
    sb.faults = only("missing-fields")
    listed = client.get(TAGS).json()
    single = client.get(f"{TAGS}/{seeded}").json()
    assert listed == {"tags": [{k: v for k, v in t.items() if k != "id"} for t in whole["tags"]]}
    assert len(listed["tags"]) == 2
    assert "id" not in single["tag"]
    assert single["tag"]["name"] == "seeded"
    assert sb.faults_injected()["missing-fields"] == 2


@pytest.mark.parametrize("kind", ["malformed", "truncated", "missing-fields"])
def test_corruption_only_hits_successful_reads(kind: str, sb: Sandbox, connect: Connect) -> None:
    sb.faults = only(kind)
    client = connect()
    created = client.post(TAGS, json={"name": "fine"})
    missing = client.get(f"{TAGS}/nosuchtag0000000000")
    empty_list = client.get(f"/locations/{LOC}/customValues")
    assert created.status_code == 200
    assert created.json()["tag"]["name"] == "fine"
    assert missing.status_code == 404
    assert missing.json()["statusCode"] == 404
    if kind == "missing-fields":  # nothing to drop from an empty list
        assert empty_list.json() == {"customValues": []}
    assert sb.faults_injected()[kind] == (1 if kind != "missing-fields" else 0)


# -- sequences and rates -------------------------------------------------------------------------


def outcomes(sb: Sandbox, token: str, count: int) -> list[str]:
    """What a client sees for ``count`` list requests: a status (with the fault) or an error."""
    seen = []
    headers = {"Authorization": f"Bearer {token}", "Version": VERSION}
    with httpx.Client(transport=sb.transport(), base_url=BASE_URL, headers=headers) as client:
        for _ in range(count):
            try:
                response = client.get(TAGS)
            except httpx.TransportError as exc:
                seen.append(type(exc).__name__)
            else:
                seen.append(f"{response.status_code} {response.headers.get('X-Sandbox-Fault')}")
    return seen


def fresh(seed: int, spec: str) -> tuple[Sandbox, str]:
    sb = Sandbox(raise_server_errors=True)
    token = sb.provision_location(LOC)
    sb.seed({"locations": {LOC: {"tags": [{"name": "seeded"}]}}})
    sb.faults = FaultInjector(spec, seed, slow_seconds=0.0)
    return sb, token


def test_the_same_seed_gives_the_same_sequence() -> None:
    runs = []
    for seed in (7, 7, 8):
        sb, token = fresh(seed, "all=0.5")
        try:
            runs.append((outcomes(sb, token, 150), sb.faults_injected()))
        finally:
            sb.close()
    assert runs[0] == runs[1]
    assert runs[0][0] != runs[2][0]
    assert sum(runs[0][1].values()) > 0


def test_every_kind_shows_up_with_a_fixed_seed() -> None:
    sb, token = fresh(2026, "all=1")
    try:
        seen = outcomes(sb, token, 300)
        injected = sb.faults_injected()
    finally:
        sb.close()
    assert set(injected) == set(FAULT_KINDS)
    assert all(count > 0 for count in injected.values()), injected
    assert sum(injected.values()) == 300
    assert seen.count("ReadTimeout") == injected["timeout"]
    assert seen.count("ReadError") == injected["reset-before"] + injected["reset-after"]
    assert seen.count("502 502") == injected["502"]
    assert seen.count("200 missing-fields") == injected["missing-fields"]


def test_all_ten_percent_is_about_ten_percent() -> None:
    sb, token = fresh(12345, "all=0.10")
    try:
        seen = outcomes(sb, token, 1000)
        injected = sum(sb.faults_injected().values())
    finally:
        sb.close()
    assert 60 <= injected <= 140
    assert sum(1 for s in seen if s != "200 None") == injected


def test_faults_counted_with_the_rate_limit_headers(sb: Sandbox, token: str) -> None:
    sb.rate_limit = RateLimit(10, 10.0)
    sb.faults = only("500")
    headers = {"Authorization": f"Bearer {token}", "Version": VERSION}
    with httpx.Client(transport=sb.transport(), base_url=BASE_URL, headers=headers) as client:
        response = client.get(TAGS)
    assert response.status_code == 500
    assert response.headers["X-RateLimit-Remaining"] == "9"
    assert sb.request_count(LOC) == 1


def test_throttled_requests_draw_no_fault(sb: Sandbox, token: str) -> None:
    sb.rate_limit = RateLimit(1, 10.0)
    sb.faults = only("reset-after")
    headers = {"Authorization": f"Bearer {token}", "Version": VERSION}
    with httpx.Client(transport=sb.transport(), base_url=BASE_URL, headers=headers) as client:
        with pytest.raises(httpx.ReadError):
            client.get(TAGS)
        assert client.get(TAGS).status_code == 429
    assert sb.faults_injected()["reset-after"] == 1


def test_helpers_never_see_faults(sb: Sandbox) -> None:
    sb.faults = FaultInjector("all=1", seed=3)
    sb.provision_location(LOC)
    created = sb.seed({"locations": {LOC: {"tags": [{"name": "a"}, {"name": "b"}]}}})
    assert len(created[f"{LOC}/tags"]) == 2
    assert [t["name"] for t in sb.objects(LOC, "tags")] == ["a", "b"]
    assert sum(sb.faults_injected().values()) == 0


def test_an_injector_in_the_middleware_list_is_counted(sb: Sandbox, token: str) -> None:
    injector = only("503")
    sb.middleware.append(injector)
    headers = {"Authorization": f"Bearer {token}", "Version": VERSION}
    with httpx.Client(transport=sb.transport(), base_url=BASE_URL, headers=headers) as client:
        assert client.get(TAGS).status_code == 503
    assert sb.faults_injected()["503"] == 1
    injector.reset()
    assert injector.injected()["503"] == 0


def test_async_transport_symptoms(sb: Sandbox, token: str) -> None:
    import asyncio

    async def main() -> None:
        headers = {"Authorization": f"Bearer {token}", "Version": VERSION}
        async with httpx.AsyncClient(
            transport=sb.async_transport(), base_url=BASE_URL, headers=headers
        ) as client:
            sb.faults = only("timeout")
            with pytest.raises(httpx.ReadTimeout):
                await client.get(TAGS)
            sb.faults = only("reset-after")
            with pytest.raises(httpx.ReadError):
                await client.post(TAGS, json={"name": "async"})

    asyncio.run(main())
    assert tag_names(sb) == ["async"]


# -- the spec ------------------------------------------------------------------------------------


def test_parse_the_spec() -> None:
    spec = FaultSpec.parse(
        "429=0.02,500=0.02,502=0.01,503=0.01,timeout=0.01,reset-before=0.01,reset-after=0.01,"
        "slow=0.02,malformed=0.01,truncated=0.01,missing-fields=0.01"
    )
    assert spec.rates["429"] == 0.02
    assert list(spec.rates) == list(FAULT_KINDS)
    assert spec.total == pytest.approx(0.14)
    assert FaultSpec.parse(str(spec)) == spec


def test_all_spreads_evenly_and_named_kinds_win() -> None:
    spread = FaultSpec.parse("all=0.11")
    assert spread.rates == dict.fromkeys(FAULT_KINDS, pytest.approx(0.01))
    assert str(spread) == "all=0.11"
    mixed = FaultSpec.parse("500=0.2, all=0.11")
    assert mixed.rates["500"] == 0.2
    assert mixed.rates["502"] == pytest.approx(0.01)
    assert FaultSpec.parse("off").rates == {}
    assert FaultSpec.parse("timeout=0").rates == {}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("boom=0.1", "unknown fault kind 'boom'"),
        ("500", "is not kind=rate"),
        ("500=lots", "not a number"),
        ("500=1.5", "between 0 and 1"),
        ("500=-0.1", "between 0 and 1"),
        ("500=0.6,502=0.6", "more than 1"),
        ("500=0.1,500=0.2", "given twice"),
    ],
)
def test_bad_specs_are_refused(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        FaultSpec.parse(text)


def test_a_random_seed_is_reported() -> None:
    injector = FaultInjector("500=0.5")
    assert isinstance(injector.seed, int)
    assert FaultInjector("500=0.5", seed=9).seed == 9
    with pytest.raises(ValueError):
        FaultInjector("500=0.5", slow_seconds=-1)


# -- the CLI -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--faults", "boom=0.1"], "Invalid value for '--faults': unknown fault kind 'boom'"),
        (["--faults", "500=2"], "Invalid value for '--faults'"),
        (["--faults", "500=0.5", "--fault-seed", "x"], "Invalid value for '--fault-seed'"),
    ],
)
def test_serve_refuses_bad_fault_options(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "sandbox", "serve", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_serve_injects_the_faults_it_prints(tmp_path: Path) -> None:
    options = ["--location", f"{LOC}=pit-cli-faults", "--rate-limit", "off"]
    options += ["--faults", "500=1", "--fault-seed", "42"]
    with serve_cli(tmp_path, *options) as (url, lines):
        assert "rate limits: off\n" in lines
        assert "faults: 500=1 (total 1, seed 42)\n" in lines
        headers = {"Authorization": "Bearer pit-cli-faults", "Version": VERSION}
        response = httpx.get(f"{url}{TAGS}", headers=headers)
        assert response.status_code == 500
        assert "X-RateLimit-Remaining" not in response.headers
