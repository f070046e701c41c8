"""glowtts_cli.text package."""
