"""glowtts_cli.train package."""
