"""Units of the hardening: known-secret scrubbing, extended secret heuristics, the terminal
escaper, size-checked regular files (plan files, refresh token files)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from ghlops.errors import ConfigError
from ghlops.escape import markdown_code, terminal
from ghlops.fileio import read_limited
from ghlops.plan import planfile
from ghlops.secrets import (
    MASK,
    forget_secrets,
    looks_secret,
    mask,
    mask_secrets,
    mask_text,
    register_secret,
    scrub,
    secret_name,
)
from ghlops.tokens import read_token_file

TOKEN = "pit-7f3e2a91-5c4d-4b8e-9a1f-0e6d5c4b3a29"


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


def test_a_registered_secret_is_scrubbed_in_every_encoding() -> None:
    register_secret(TOKEN)
    forms = [
        TOKEN,
        TOKEN.upper(),
        json.dumps(TOKEN)[1:-1].replace("p", "\\u0070"),
        "".join(f"\\u{ord(c):04X}" for c in TOKEN),
        quote(TOKEN, safe=""),
        "".join(f"%{ord(c):02x}" for c in TOKEN),
        "".join(f"&#{ord(c)};" for c in TOKEN),
        TOKEN[:8],
        TOKEN[:20],
    ]
    for form in forms:
        assert scrub(f"before {form} after") == "before *** after", form
    assert scrub(TOKEN[:7]) == TOKEN[:7]  # shorter than a prefix that says anything
    assert scrub("nothing here") == "nothing here"
    assert TOKEN[:8] not in mask_text(f"echo: {TOKEN[:12]}")


def test_without_registered_secrets_scrub_changes_nothing() -> None:
    assert scrub(TOKEN) == TOKEN


@pytest.mark.parametrize(
    "name",
    ["PIN", "Alarm PIN", "Door Code", "gate code", "accessCode", "WiFi Code", "OTP", "cvv"],
)
def test_pin_and_code_names_are_secret(name: str) -> None:
    assert secret_name(name)
    assert mask_secrets({"name": name, "value": "4821"}) == {"name": name, "value": MASK}


@pytest.mark.parametrize("name", ["Zip Code", "Color Code", "Pinterest URL", "Spinner", "code"])
def test_ordinary_code_names_are_not(name: str) -> None:
    assert not secret_name(name)


@pytest.mark.parametrize(
    "url",
    [
        "smtp://mailer:Hunter2Hunter2@mail.example.com:587",
        "postgres://app:s3cr3t@db.internal/app",
        "ftp://u:p4ss@files.example.com",
    ],
)
def test_credentials_in_any_url_are_masked(url: str) -> None:
    assert looks_secret("relay", url)
    password = url.split("://", 1)[1].split("@")[0].split(":")[1]
    assert password not in mask(url) and MASK in mask(url)
    assert password not in mask_text(f"could not connect to {url}: refused")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b]0;title\x07b", "a\\x1b]0;title\\x07b"),
        ("one\ntwo\r", "one\\ntwo\\r"),
        ("\x9b31m", "\\x9b31m"),
        ("abc\u202edef", "abc\\u202edef"),
        ("tab\there", "tab\\there"),
        ("plain ünïcode", "plain ünïcode"),
    ],
)
def test_the_terminal_escaper(raw: str, shown: str) -> None:
    assert terminal(raw) == shown
    assert "`" not in markdown_code(raw + "`x`")


# -- size-checked regular files ------------------------------------------------------------------


def test_read_limited_refuses_devices_fifos_folders_and_large_files(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(ConfigError, match="larger than"):
        read_limited(big, 1024, "the file")
    with pytest.raises(ConfigError, match="is not a regular file"):
        read_limited(Path("/dev/zero"), 1024, "the file")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="is not a regular file"):
        read_limited(fifo, 1024, "the file")
    with pytest.raises(ConfigError, match="is not a regular file"):
        read_limited(tmp_path, 1024, "the file")
    assert read_limited(big, 4096, "the file") == "x" * 2048


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            None,
            "plan file /dev/zero is not a regular file",
        ),
        (b"[" * 100_000, "is not a ghlops plan (nested too deeply)"),
        (b"\xff\xfe", "is not a ghlops plan ("),
        (b'{"kind": "ghlops-plan"}', "has format None"),
    ],
)
def test_malformed_plan_files_are_config_errors(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = Path("/dev/zero")
    if content is not None:
        path = tmp_path / "plan.json"
        path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        planfile.load(path)
    assert message in str(caught.value)


def test_refresh_token_files_only_inside_the_project_or_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / ".secrets").mkdir(parents=True)
    inside = project / ".secrets" / "refresh"
    inside.write_text("r-token\n")
    inside.chmod(0o600)
    assert read_token_file(inside, root=project) == "r-token"
    outside = tmp_path / "elsewhere"
    outside.write_text("r-token\n")
    for path in (outside, Path("/proc/self/environ"), project / ".." / "elsewhere"):
        with pytest.raises(
            ConfigError, match=r"is outside the project folder and ~/\.config/ghlops/"
        ):
            read_token_file(path, root=project)
    link = project / "link"
    link.symlink_to(outside)  # a link inside pointing outside is outside
    with pytest.raises(ConfigError, match="is outside the project folder"):
        read_token_file(link, root=project)
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    config = home / ".config" / "ghlops" / "refresh"
    config.parent.mkdir(parents=True)
    config.write_text("c-token\n")
    assert read_token_file(config, root=project) == "c-token"
    inside.write_text("x" * 20_000)
    with pytest.raises(ConfigError, match="larger than"):
        read_token_file(inside, root=project)
    os.unlink(inside)
    os.mkfifo(inside)
    with pytest.raises(ConfigError, match="is not a regular file"):
        read_token_file(inside, root=project)


@pytest.mark.skipif(sys.platform != "linux", reason="/proc")
def test_dev_zero_as_a_token_file_inside_the_project_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "refresh"
    link.symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="outside the project folder"):
        read_token_file(link, root=tmp_path)
