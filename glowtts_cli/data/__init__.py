"""glowtts_cli.data package."""
