"""glowtts_cli.align package."""
