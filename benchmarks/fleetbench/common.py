"""What every measurement shares: constants, the sandbox server subprocess, logging."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent.parent

PAGE_SIZE = 100  # the page size of GHL's paginated list endpoints that ghlops asks for
GHL_LIMIT = (100, 10.0)  # requests per window (seconds), per app and location
GHL_DAILY = 200_000
LOC = "{{ location.name }}"  # the templated part of location-specific names
LEAD_EMAIL = "lead@bench.example"
CARRIER = "ShipFast"
COLLECTION = "bench"
STAGES = ["New", "Contacted", "Qualified", "Won"]
COUNTRIES = ["US", "CA", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "SE", "NO", "DK", "FI", "IE"]
COUNTRIES += ["AT", "CH", "PT", "PL", "CZ", "AU", "NZ", "JP", "MX", "BR", "AR", "CL", "ZA", "IN"]
DATA_TYPES = ["TEXT", "LARGE_TEXT", "NUMERICAL", "DATE", "MONETORY"]

# API Versions of the endpoints the naive baseline calls (as in GHL's specs).
V_LOCATIONS = "2021-07-28"
V_CALENDARS = "2021-04-15"


def ghlops_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "ghlops", *args]


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_COLOR"] = "1"
    env.pop("GHLOPS_BASE_URL", None)
    env.update(extra or {})
    return env


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    lines: queue.Queue[str] = field(default_factory=queue.Queue)

    def stop(self) -> tuple[int | None, int | None]:
        """Interrupt the server and return its own count of (requests, 429 answers)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            found = re.search(r"Stopped\. (\d+) requests, (\d+) refused", line)
            if found:
                return int(found.group(1)), int(found.group(2))
        return None, None


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


@contextlib.contextmanager
def sandbox_server(
    db: Path, cwd: Path, latency: float, rate: tuple[int, float]
) -> Iterator[Server]:
    """``ghlops sandbox serve --port 0`` on ``db``; yields once it listens."""
    cmd = ghlops_cmd(
        "-C",
        str(cwd),
        "sandbox",
        "serve",
        "--port",
        "0",
        "--db",
        str(db),
        "--rate-limit",
        f"{rate[0]}/{rate[1]:g}s",
        "--daily-limit",
        str(GHL_DAILY),
        "--latency",
        f"{latency * 1000:g}ms",
    )
    process = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=child_env(),
        start_new_session=True,  # a Ctrl-C of the benchmark is ours to forward
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + 60
    url = None
    while url is None and time.monotonic() < deadline and process.poll() is None:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        found = re.search(r"listening on (http://\S+)", line)
        url = found.group(1) if found else None
    if url is None:
        process.kill()
        process.wait()
        raise RuntimeError("ghlops sandbox serve did not start:\n" + "".join(seen))
    server = Server(process, url, lines)
    try:
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
