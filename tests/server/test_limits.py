"""What a hostile client or web page must not get: the server's paths, unbounded work, requests
from other sites' pages (DNS rebinding, simple POST bodies)."""

from __future__ import annotations

from pathlib import Path

from httpkit import ServeProcess, call


def test_listings_and_errors_show_no_server_paths(
    served: ServeProcess, tiny_voice_dir: Path, tiny_multispeaker_voice_dir: Path
) -> None:
    reply = call(served.port, "GET", "/v1/voices")
    assert reply.status == 200
    text = reply.body.decode()
    for folder in (tiny_voice_dir, tiny_multispeaker_voice_dir):
        assert str(folder.parent) not in text
    specs = [v["spec"] for v in reply.json()["data"]]
    assert specs == [tiny_voice_dir.name, tiny_multispeaker_voice_dir.name]
    # The name shown is accepted as the voice; a near miss suggests no path.
    ok = call(served.port, "GET", f"/api/tts?text=Hi.&voice={tiny_voice_dir.name}")
    assert ok.status == 200 and ok.headers["x-voice"] == "tiny-test"
    miss = call(served.port, "GET", f"/api/tts?text=Hi.&voice={tiny_voice_dir.name}x")
    assert miss.status == 400 and str(tiny_voice_dir.parent) not in miss.body.decode()
