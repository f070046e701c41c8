"""``python -m glowtts_cli`` runs the command-line interface."""

from glowtts_cli.cli import main

main()
