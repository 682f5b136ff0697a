"""Defaults shared by the engine and the CLI (kept import-light: the CLI reads them for --help)."""

from pathlib import Path

PROJECT_FILE = "ghlops.yaml"
SANDBOX_DB = Path(".ghlops") / "sandbox.sqlite3"  # the embedded sandbox, in the project folder

DEFAULT_PARALLELISM = 8  # locations planned or applied at the same time
READ_WORKERS = 4  # kinds of one location read at the same time
