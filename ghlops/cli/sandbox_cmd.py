"""sandbox serve and sandbox seed."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ghlops.cli.app import Context, cli
from ghlops.cli.output import echo
from ghlops.errors import ConfigError

if TYPE_CHECKING:
    from ghlops.sandbox import FaultSpec, Sandbox

# -- option values (bad values are usage errors, exit 2, naming the option) --------------------


def _rate_limit(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, float] | None:
    from ghlops.sandbox.middleware import parse_rate_limit

    try:
        return parse_rate_limit(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _daily_limit(ctx: click.Context, param: click.Parameter, value: str) -> int | None:
    text = value.strip().lower().replace("_", "")
    if text in {"off", "none"}:
        return None
    if not text.isdigit() or int(text) < 1:
        raise click.BadParameter(f"{value!r} is not a positive number of requests (or off)")
    return int(text)


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    from ghlops.sandbox.middleware import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _fault_spec(ctx: click.Context, param: click.Parameter, value: str | None) -> FaultSpec | None:
    from ghlops.sandbox.middleware import FaultSpec

    if value is None:
        return None
    try:
        return FaultSpec.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


# -- sandbox -----------------------------------------------------------------------------------


@cli.group()
def sandbox() -> None:
    """The GHL API emulator: rehearse plans offline."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8787, show_default=True, type=int)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file (default: .ghlops/sandbox.sqlite3 in the project folder).",
)
@click.option(
    "--location",
    "extra_locations",
    multiple=True,
    metavar="ID[=TOKEN]",
    help="Provision this location id (with this token) besides the project's.",
)
@click.option(
    "--rate-limit",
    callback=_rate_limit,
    metavar="N/WINDOW",
    default="100/10s",
    show_default=True,
    help="Burst limit per app and location/company, as GHL enforces it (100/10s, "
    "100/10000ms), or off for no rate limits at all.",
)
@click.option(
    "--daily-limit",
    callback=_daily_limit,
    metavar="N",
    default="200000",
    show_default=True,
    help="Requests per day per app and location/company, or off.",
)
@click.option(
    "--latency",
    callback=_duration,
    metavar="DURATION",
    default="0",
    help="Added to every answer, e.g. 50ms or 0.2s.",
)
@click.option(
    "--faults",
    "fault_spec",
    callback=_fault_spec,
    metavar="SPEC",
    default=None,
    help="Inject faults at these rates, e.g. 500=0.02,timeout=0.01 (kinds: 429, 500, 502, "
    "503, timeout, reset-before, reset-after, slow, malformed, truncated, missing-fields; "
    "all=0.1 spreads 0.1 over all of them).",
)
@click.option(
    "--readings",
    type=click.Choice(["spec", "alternative"]),
    default="spec",
    show_default=True,
    help="How to answer where GHL's spec is silent: spec, or alternative (pages capped at 20, "
    "custom fields without model: contact only, lists lag writes by one read, not found is "
    "400). See docs/api-assumptions.md.",
)
@click.option(
    "--fault-seed",
    type=int,
    default=None,
    help="Seed of the fault draws, to replay a run (default: random, printed).",
)
@click.pass_context
def sandbox_serve(
    ctx: click.Context,
    host: str,
    port: int,
    db: Path | None,
    extra_locations: tuple[str, ...],
    rate_limit: tuple[int, float] | None,
    daily_limit: int | None,
    latency: float,
    fault_spec: FaultSpec | None,
    fault_seed: int | None,
    readings: str,
) -> None:
    """Serve the sandbox over HTTP (Ctrl-C to stop).

    The project's agency and locations are provisioned; each gets the token in its tokenEnv
    variable when that is set, else a generated sandbox token that is printed. GHL's rate limits are enforced
    by default (X-RateLimit-* headers, 429 with Retry-After); --latency and --faults make the
    sandbox slow and unreliable on purpose, to rehearse how a client copes; --readings
    alternative answers by the other reading of what the spec leaves open.
    """
    import os

    from ghlops.manifest.project import load_project
    from ghlops.sandbox import FaultInjector, RateLimit, Sandbox, make_server
    from ghlops.sandbox.middleware.readings import Readings
    from ghlops.settings import SANDBOX_DB

    obj: Context = ctx.obj
    if rate_limit is None and _given(ctx, "daily_limit") and daily_limit is not None:
        raise click.BadOptionUsage("daily_limit", "--daily-limit needs --rate-limit (it is off)")
    limits = None
    if rate_limit is not None:
        limits = RateLimit(rate_limit[0], rate_limit[1], daily_limit=daily_limit)
    faults = None
    if fault_spec is not None and fault_spec.rates:
        faults = FaultInjector(fault_spec, fault_seed)
    db_path = db or (obj.directory / SANDBOX_DB)
    sb = Sandbox(
        db_path,
        rate_limit=limits,
        latency=latency,
        faults=faults,
        readings=Readings.named(readings),
    )
    try:
        if (obj.directory / "ghlops.yaml").exists():
            project = load_project(obj.directory)
            company = project.agency.company_id if project.agency else None
            if project.agency is not None and company is not None:
                env = project.agency.token_env
                given = os.environ.get(env or "", "").strip() or None
                token = _provisioned(lambda: sb.provision_agency(company, token=given))
                if given:
                    echo(f"agency ({company}): token from ${env}")
                elif project.agency.oauth is None:
                    echo(f"agency ({company}): export {env or 'AGENCY_TOKEN'}={token}")
            for loc in project.locations:
                given = os.environ.get(loc.token_env or "", "").strip() or None
                token = _provisioned(
                    functools.partial(
                        sb.provision_location,
                        loc.id,
                        name=loc.name,
                        token=given,
                        company_id=company,
                    )
                )
                if given:
                    echo(f"location {loc.name} ({loc.id}): token from ${loc.token_env}")
                else:
                    var = loc.token_env or "TOKEN"
                    echo(f"location {loc.name} ({loc.id}): export {var}={token}")
        for spec in extra_locations:
            loc_id, _, tok = spec.partition("=")
            token = sb.provision_location(loc_id, token=tok or None)
            echo(f"location {loc_id}: " + ("token as given" if tok else f"token {token}"))
        server = make_server(sb, host, port)
        url = f"http://{host}:{server.server_address[1]}"
        echo(f"GHL sandbox listening on {url} (state in {db_path})")
        for line in _settings(sb):
            echo(line)
        echo(f"Try: ghlops plan --base-url {url}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            echo(f"Stopped. {_summary(sb)}")
        finally:
            server.server_close()
    finally:
        sb.close()


def _provisioned(provision: Callable[[], str]) -> str:
    """The token ``provision`` returns; a sandbox file that does not fit ghlops.yaml (a token
    or location owned by someone else) is a clear error."""
    try:
        return provision()
    except ValueError as exc:
        raise ConfigError(
            f"the sandbox database does not fit ghlops.yaml ({exc}); use another --db or "
            "delete the file to start afresh"
        ) from None


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source != click.core.ParameterSource.DEFAULT


def _settings(sb: Sandbox) -> list[str]:
    """The banner lines of the active load and failure settings."""
    limits = sb.rate_limit
    lines = [
        "rate limits: "
        + (f"{limits.describe()}, per app and location/company" if limits else "off"),
        f"latency: {sb.latency * 1000:g} ms" if sb.latency else "latency: none",
    ]
    if sb.faults is None:
        lines.append("faults: off")
    else:
        spec, seed = sb.faults.spec, sb.faults.seed
        lines.append(f"faults: {spec} (total {spec.total:.3g}, seed {seed})")
    lines.append(sb.readings.describe())
    return lines


def _summary(sb: Sandbox) -> str:
    text = f"{sb.request_count()} requests, {sb.throttled_count()} refused by the rate limit"
    injected = {k: v for k, v in sb.faults_injected().items() if v}
    if injected:
        text += ", faults: " + ", ".join(f"{k} x{v}" for k, v in injected.items())
    return text + "."


@sandbox.command("seed")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file (default: .ghlops/sandbox.sqlite3 in the project folder).",
)
@click.pass_obj
def sandbox_seed(obj: Context, file: Path, db: Path | None) -> None:
    """Put objects into the sandbox as if made in the GHL UI (pipelines, users, carriers, …).

    FILE is YAML: ``locations: {<locationId>: {<kind>: [<fields>, ...]}}``. Locations may also be
    given by their name in ghlops.yaml.
    """
    seed_sandbox(obj, file, db)


def seed_sandbox(obj: Context, file: Path, db: Path | None = None) -> int:
    """Load a seed file into the project's sandbox; location names from ghlops.yaml work too."""
    from ghlops.manifest.project import load_project
    from ghlops.manifest.yamlload import read_yaml_file
    from ghlops.sandbox import Sandbox
    from ghlops.settings import SANDBOX_DB

    data = read_yaml_file(file)
    if (obj.directory / "ghlops.yaml").exists() and isinstance(data, dict):
        project = load_project(obj.directory)
        names = {loc.name: loc.id for loc in project.locations}
        locations = data.get("locations")
        if isinstance(locations, dict):
            data = {**data, "locations": {names.get(k, k): v for k, v in locations.items()}}
    sb = Sandbox(db or (obj.directory / SANDBOX_DB))
    try:
        created = sb.seed(data)
    except ValueError as exc:
        raise ConfigError(f"{file}: {exc}") from None
    finally:
        sb.close()
    for where, ids in created.items():
        echo(f"seeded {len(ids)} {where.split('/', 1)[1]} in location {where.split('/', 1)[0]}")
    return 0
