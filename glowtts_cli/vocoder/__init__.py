"""glowtts_cli.vocoder package."""
