"""Where each principal's token comes from, for one run against the real API (or a sandbox
served over HTTP).

- A location with ``tokenEnv``: its Private Integration Token, from that variable.
- The agency: ``agency.tokenEnv`` (an agency PIT or token), else ``agency.oauth``: the refresh
  token in ``refreshTokenFile`` is exchanged at ``POST /oauth/token``; GHL rotates refresh tokens
  on use, so the new one is written back to the file (atomically, mode 0600) before anything
  else happens.
- A location without ``tokenEnv``: the agency's OAuth token is exchanged for a location token at
  ``POST /oauth/locationToken``.
Tokens obtained are cached for this run only, in memory, and never written anywhere else.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx

from ghlops.client import Connection, GhlClient, oauth
from ghlops.client.errors import ApiError
from ghlops.errors import ConfigError, Problem, SourcePos
from ghlops.fileio import read_limited, write_atomic
from ghlops.manifest.project import AgencyConfig, LocationConfig
from ghlops.scaffold import default_token_env
from ghlops.secrets import register_secret
from ghlops.settings import PLACEHOLDER_LOCATION_ID, PROJECT_FILE


class TokenBroker:
    def __init__(
        self,
        base_url: str,
        agency: AgencyConfig | None,
        *,
        transport: httpx.BaseTransport | None = None,
        env: Mapping[str, str] | None = None,
        warn: Callable[[str], None] | None = None,
        root: Path | None = None,
        connection: Connection | None = None,
    ) -> None:
        """``connection``: the run's shared pool, which the OAuth calls use too (else each
        exchange makes its own, from ``base_url`` and ``transport``)."""
        self.connection = connection
        self.root = root  # the project folder: the refresh token file must be in it (or config)
        self.base_url = base_url
        self.agency = agency
        self.transport = transport
        self.env = env if env is not None else os.environ
        self.warn = warn
        self._agency_token: str | None = None
        self._location_tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    def _client(self, token: str | None) -> GhlClient:
        if self.connection is not None:
            return GhlClient(token, connection=self.connection)
        return GhlClient(token, base_url=self.base_url, transport=self.transport)

    # -- environment ---------------------------------------------------------------------------

    def _env(self, name: str, what: str) -> str:
        value = self.env.get(name, "").strip()
        if not value:
            raise ConfigError(f"{what}: environment variable {name} is not set")
        return value

    # -- locations -----------------------------------------------------------------------------

    def location_token(self, location: LocationConfig) -> str:
        if location.id == PLACEHOLDER_LOCATION_ID:
            raise ConfigError(
                f"location {location.name}: {location.id} is the placeholder id ghlops init "
                "wrote; put the location's GHL id in ghlops.yaml (or use --sandbox)"
            )
        if location.token_env:
            token = self.env.get(location.token_env, "").strip()
            if not token:
                raise ConfigError(
                    f"location {location.name}: environment variable {location.token_env} is "
                    "not set (it must hold the location's Private Integration Token)"
                )
            return token
        if self.agency is None or self.agency.oauth is None:
            raise ConfigError(
                f"location {location.name}: no tokenEnv in ghlops.yaml, and no agency.oauth to "
                "exchange for a location token"
            )
        with self._lock:
            cached = self._location_tokens.get(location.id)
        if cached:
            return cached
        agency_token = self.agency_token()
        with self._client(agency_token) as client:
            try:
                token = oauth.location_token(client, self.agency.company_id, location.id)
            except ApiError as exc:
                raise ConfigError(
                    f"location {location.name}: exchanging the agency token for a location "
                    f"token failed: {exc}"
                ) from None
        with self._lock:
            self._location_tokens[location.id] = token
        return token

    # -- the agency ----------------------------------------------------------------------------

    def agency_token(self, agency: AgencyConfig | None = None) -> str:
        agency = agency or self.agency
        if agency is None:
            raise ConfigError("no agency section in ghlops.yaml")
        if agency.token_env and agency.oauth is None:
            token = self.env.get(agency.token_env, "").strip()
            if not token:
                raise ConfigError(
                    f"agency: environment variable {agency.token_env} is not set (it must hold "
                    "an agency token: an agency Private Integration Token or OAuth token)"
                )
            return token
        if agency.oauth is None:
            raise ConfigError("agency: neither tokenEnv nor oauth is set in ghlops.yaml")
        with self._lock:
            if self._agency_token is None:
                self._agency_token = self._refresh(agency)
            return self._agency_token

    def _refresh(self, agency: AgencyConfig) -> str:
        assert agency.oauth is not None
        config = agency.oauth
        client_id = self._env(config.client_id_env, "agency.oauth")
        secret = self._env(config.client_secret_env, "agency.oauth")
        path = config.refresh_token_file
        refresh_token = read_token_file(path, self.warn, root=self.root)
        for value in (secret, refresh_token):
            register_secret(value)  # an /oauth/token error echoing its form must not show them
        with self._client(None) as client:
            try:
                grant = oauth.refresh(client, client_id, secret, refresh_token)
            except ApiError as exc:
                raise ConfigError(
                    f"agency: refreshing the OAuth token with the refresh token in {path} "
                    f"failed: {exc}"
                ) from None
        register_secret(grant.access_token)
        register_secret(grant.refresh_token)
        if grant.refresh_token:
            # GHL rotates refresh tokens on use: the old one is dead now. Keep the new one
            # before anything else can fail.
            write_atomic(path, grant.refresh_token + "\n", mode=0o600)
        return grant.access_token


MAX_TOKEN_FILE_BYTES = 16 * 1024
CONFIG_DIR = Path("~/.config/ghlops")


def allowed_token_folders(root: Path | None) -> list[Path]:
    """Where a refresh token file may be: the project folder and ``~/.config/ghlops/``."""
    folders = [CONFIG_DIR.expanduser()]
    if root is not None:
        folders.insert(0, root)
    return [f.resolve() for f in folders]


def read_token_file(
    path: Path, warn: Callable[[str], None] | None = None, *, root: Path | None = None
) -> str:
    """The refresh token in ``path``: a regular file of at most 16 KiB inside the project
    folder ``root`` or ``~/.config/ghlops/`` (a ghlops.yaml changed in a pull request must not
    make the CI job send /proc/self/environ as a token, or rewrite a file elsewhere).

    Raises:
        ConfigError: it is elsewhere, not a regular file, too large, empty or unreadable.
    """
    resolved = path.resolve()
    folders = allowed_token_folders(root)
    if not any(resolved.is_relative_to(folder) for folder in folders):
        raise ConfigError(
            f"agency.oauth.refreshTokenFile: {path} is outside the project folder and "
            f"{CONFIG_DIR}/; keep the refresh token file in one of them"
        )
    try:
        info = path.stat()
        text = read_limited(path, MAX_TOKEN_FILE_BYTES, f"refresh token file {path}").strip()
    except FileNotFoundError:
        raise ConfigError(f"agency.oauth: refresh token file {path} does not exist") from None
    except ConfigError as exc:
        raise ConfigError(f"agency.oauth: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"agency.oauth: cannot read {path}: {exc}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO) and warn:
        warn(
            f"{path} is readable by other users (mode {stat.filemode(info.st_mode)}); chmod 600 it"
        )
    if not text:
        raise ConfigError(f"agency.oauth: refresh token file {path} is empty")
    return text


def token_needs(
    agency: AgencyConfig | None,
    locations: Sequence[LocationConfig],
    *,
    agency_objects: bool = False,
) -> tuple[dict[str, list[str]], list[Problem]]:
    """What a live run of ``locations`` needs, read from ghlops.yaml only (no value is read).

    Returns the environment variables to set, each with who needs it ("downtown", "agency"),
    and a problem for each location (or the agency, when ``agency_objects`` are declared) that
    has no way to get a token.
    """
    needs: dict[str, list[str]] = {}
    problems: list[Problem] = []

    def need(name: str, who: str) -> None:
        users = needs.setdefault(name, [])
        if who not in users:
            users.append(who)

    def oauth_needs(who: str) -> None:
        assert agency is not None and agency.oauth is not None
        need(agency.oauth.client_id_env, who)
        need(agency.oauth.client_secret_env, who)

    for location in locations:
        where = location.pos or SourcePos(PROJECT_FILE)
        if location.token_env:
            need(location.token_env, location.name)
        elif agency is not None and agency.oauth is not None:
            oauth_needs(f"{location.name} (agency OAuth exchange)")
        else:
            problems.append(
                Problem(
                    where,
                    f"location {location.name}: no way to get a token: add 'tokenEnv: "
                    f"{default_token_env(location.name)}' (the variable holding its Private "
                    "Integration Token), or agency.oauth to exchange the agency's token",
                )
            )
    if agency_objects:
        where = (agency.pos if agency else None) or SourcePos(PROJECT_FILE)
        if agency is None:
            pass  # the loader already says that agency objects need the agency section
        elif agency.token_env and agency.oauth is None:
            need(agency.token_env, "agency")
        elif agency.oauth is not None:
            oauth_needs("agency")
        else:
            problems.append(
                Problem(
                    where,
                    "agency: custom menu links and location settings need an agency token: "
                    "set agency.tokenEnv or agency.oauth",
                )
            )
    return needs, problems
