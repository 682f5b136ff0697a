"""Defaults shared by the engine and the CLI (kept import-light: the CLI reads them for --help)."""

from pathlib import Path

PROJECT_FILE = "ghlops.yaml"
SANDBOX_DB = Path(".ghlops") / "sandbox.sqlite3"  # the embedded sandbox, in the project folder
# The embedded sandbox's base URL: calls never leave the process, and --debug must not show them
# as calls to GHL (".invalid" is reserved: it can never resolve to a real host).
EMBEDDED_SANDBOX_URL = "https://embedded-sandbox.invalid"

# Locations planned or applied at the same time. GHL limits each location, not the fleet, and
# every location's pacer keeps it within its own limit; all of them share the run's one
# connection pool (ghlops/client/connection.py). On 2 loaded cores 8, 16 and 32 plan 1,000
# locations equally fast and 64 slower (docs/benchmarks.md); 32 because over the internet the
# latency, not the CPU, limits a run: 8 in flight cap it at ~20 locations/s against GHL.
DEFAULT_PARALLELISM = 32
READ_WORKERS = 4  # kinds of one location read at the same time

PLACEHOLDER_LOCATION_ID = "REPLACEwithYOURlocID"  # written by `ghlops init`; the sandbox only
