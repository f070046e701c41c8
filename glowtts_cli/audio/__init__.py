"""glowtts_cli.audio package."""
