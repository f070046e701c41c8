"""``glowtts serve``: an HTTP API that OpenAI clients speak, a simple ``/api/tts``, and a page.

Needs the ``server`` extra (``pip install "glowtts-cli[server]"``: Starlette and uvicorn).

    from glowtts_cli.server.app import create_app
    from glowtts_cli.server.registry import VoiceRegistry
    from glowtts_cli.server.run import BackgroundServer

    with BackgroundServer(create_app(VoiceRegistry.load(["my-voice"]))) as server:
        print(server.url)

See docs/server.md.
"""
