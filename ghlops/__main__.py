"""``python -m ghlops`` runs the CLI."""

from ghlops.cli.main import main

main()
