"""The fleet benchmark of ghlops, one module per measurement (see benchmarks/fleet.py)."""
