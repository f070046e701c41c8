"""espeak-ng through phonemizer: golden phonemes with espeak-ng pinned, batching, sources, errors.

The goldens were made with espeak-ng 1.52.0 from espeakng-loader 0.2.4 (phonemizer 3.4.0). A
different espeak-ng may phonemise differently; the version test says so first.
"""

from __future__ import annotations

import ctypes.util
import importlib.metadata
import subprocess
import sys

import pytest

from glowtts_cli.errors import ConfigError, PhonemizerUnavailableError
from glowtts_cli.text import g2p
from glowtts_cli.text.symbols import DEFAULT_IPA_SYMBOLS

pytestmark = pytest.mark.requires_espeak

ESPEAK_NG = "1.52.0"
ESPEAKNG_LOADER = "0.2.4"

GOLDEN: list[tuple[str, str, str]] = [
    ("en-us", "Hello world, this is a test.", "həlˈoʊ wˈɜːld, ðɪs ɪz ɐ tˈɛst."),
    (
        "en-us",
        "The quick brown fox jumps over the lazy dog.",
        "ðə kwˈɪk bɹˈaʊn fˈɑːks dʒˈʌmps ˌoʊvɚ ðə lˈeɪzi dˈɑːɡ.",
    ),
    ("en-us", "She sells sea shells by the sea shore!", "ʃiː sˈɛlz sˈiː ʃˈɛlz baɪ ðə sˈiː ʃˈɔːɹ!"),
    (
        "en-us",
        'Wait… what? "Really" — yes; indeed: no.',
        'wˈeɪt… wˌʌt? "ɹˈiəli" — jˈɛs; ˌɪndˈiːd: nˈoʊ.',
    ),
    (
        "en-us",
        "Mister Smith paid three dollars and fifty cents.",
        "mˈɪstɚ smˈɪθ pˈeɪd θɹˈiː dˈɑːlɚz ænd fˈɪfti sˈɛnts.",
    ),
    (
        "en-us",
        "I read the book yesterday; now I read the news.",
        "aɪ ɹˈiːd ðə bˈʊk jˈɛstɚdˌeɪ; nˈaʊ aɪ ɹˈiːd ðə nˈuːz.",
    ),
    (
        "en-gb",
        "Better water, car park, half past nine.",
        "bˈɛtə wˈɔːtə, kˈɑː pˈɑːk, hˈɑːf pˈast nˈaɪn.",
    ),
    (
        "de",
        "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich.",
        "tsvˈœlf bˈɔkskɛmpfɜ jˈɑːɡən vˈɪktoːɾ kvˈeːɾ ˌyːbɜ deːn ɡɾˈoːsən zˈʏltɜ dˈaɪç.",
    ),
    (
        "fr-fr",
        "Portez ce vieux whisky au juge blond qui fume.",
        "pɔʁtˈe sə- vjˈø wˈɪski o ʒˈyʒ blˈɔ̃ ki fˈym.",
    ),
    ("es", "¿Qué tal? ¡Muy bien, gracias!", "¿kˈe tˈal? ¡mˈuj βjˈen, ɡɾˈaθjas!"),
    ("it", "Quel fez sghembo copre davanti.", "kwel fˈɛts zɡˈembo kˈɔpre davˈantɪ."),
    ("cmn", "你好. 我很好!", "ni2χˈɑu2. wˈo2 χə2nχˈɑu2!"),
    (
        "ru",
        "Съешь же ещё этих мягких французских булок.",
        "sjjˈeʒ ʒy jɪɕˈɵ ˈɛtʲix mʲˈɑxkʲix frantsˈusskʲix bˈuɭʌk.",
    ),
]


def test_espeak_ng_version_is_the_pinned_one() -> None:
    assert importlib.metadata.version("espeakng-loader") == ESPEAKNG_LOADER, (
        f"the goldens below were made with espeakng-loader {ESPEAKNG_LOADER}"
    )
    assert g2p.espeak_version(espeak="bundled") == ESPEAK_NG


@pytest.mark.parametrize(("language", "text", "phonemes"), GOLDEN)
def test_golden_phonemes(language: str, text: str, phonemes: str) -> None:
    assert g2p.phonemize([text], language, espeak="bundled") == [phonemes]


def test_golden_phonemes_use_only_default_symbols() -> None:
    used = {c for _, _, phonemes in GOLDEN for c in phonemes}
    assert used <= set(DEFAULT_IPA_SYMBOLS), used - set(DEFAULT_IPA_SYMBOLS)


def test_batch_keeps_alignment_around_empty_and_multi_line_items() -> None:
    texts = ["hello", "", "   ", "one\ntwo", "-", "\x00", "world"]
    out = g2p.phonemize(texts, "en-us")
    assert len(out) == len(texts)
    assert out[0] == "həlˈoʊ" and out[-1] == "wˈɜːld"
    assert out[1] == out[2] == out[4] == out[5] == ""
    assert out[3] == "wˈʌn tˈuː"


def test_backend_is_built_once_per_language() -> None:
    assert g2p.get_backend("en-us", "bundled") is g2p.get_backend("en-us", "bundled")


def test_unknown_language_is_a_phonemizer_error() -> None:
    with pytest.raises(PhonemizerUnavailableError, match="no voice"):
        g2p.phonemize(["hello"], "xx-nonexistent")


def test_source_comes_from_argument_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(g2p.ESPEAK_ENV, raising=False)
    assert g2p.espeak_source() == "bundled"
    monkeypatch.setenv(g2p.ESPEAK_ENV, "system")
    assert g2p.espeak_source() == "system"
    assert g2p.espeak_source("bundled") == "bundled"
    monkeypatch.setenv(g2p.ESPEAK_ENV, "festival")
    with pytest.raises(ConfigError, match="festival"):
        g2p.espeak_source()


def test_system_espeak_is_used_or_reported_clearly() -> None:
    if ctypes.util.find_library("espeak-ng") or ctypes.util.find_library("espeak"):
        assert g2p.phonemize(["hello"], "en-us", espeak="system")[0].startswith("h")
    else:
        with pytest.raises(PhonemizerUnavailableError) as info:
            g2p.phonemize(["hello"], "en-us", espeak="system")
        assert info.value.hint is not None and "apt install espeak-ng" in info.value.hint


def test_importing_the_text_package_has_no_side_effects() -> None:
    code = (
        "import sys, glowtts_cli.text.frontend, glowtts_cli.text.g2p;"
        "from phonemizer.backend.espeak.wrapper import EspeakWrapper as W;"
        "assert 'torch' not in sys.modules;"
        "assert W._ESPEAK_LIBRARY is None and W._ESPEAK_DATA_PATH is None;"
        "assert 'inflect' not in sys.modules and 'espeakng_loader' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("See https://example.com/a/b.", "slˈæʃ ˈeɪ slˈæʃ bˈiː."),  # the letter, not the article
        ("Louis XIV ruled.", "lˈuːi ðə fˈɔːɹtiːnθ ɹˈuːld."),
        ("It is 3x faster.", "θɹˈiː tˈaɪmz fˈæstɚ."),
    ],
)
def test_issue_16_normalised_readings_reach_espeak(text: str, reading: str) -> None:
    from glowtts_cli.text.normalize import normalize

    (phonemes,) = g2p.phonemize([normalize(text)], "en-us", espeak="bundled")
    assert phonemes.endswith(reading), phonemes
