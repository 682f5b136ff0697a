"""Defaults shared by the engine and the CLI (kept import-light: the CLI reads them for --help)."""

DEFAULT_PARALLELISM = 8  # locations planned or applied at the same time
READ_WORKERS = 4  # kinds of one location read at the same time
