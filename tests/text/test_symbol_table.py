"""SymbolTable: ids, blanks, round trips and the unknown-symbol rule."""

from __future__ import annotations

import logging

import pytest

from glowtts_cli.config import TextConfig
from glowtts_cli.errors import ConfigError
from glowtts_cli.text.symbols import (
    CHARACTER_SYMBOLS,
    DEFAULT_IPA_SYMBOLS,
    OFFICIAL_SYMBOLS,
    PAD,
    SymbolTable,
    default_symbols,
)


@pytest.mark.parametrize("symbols", [DEFAULT_IPA_SYMBOLS, OFFICIAL_SYMBOLS, CHARACTER_SYMBOLS])
def test_default_tables_start_with_the_pad_and_have_no_duplicates(
    symbols: tuple[str, ...],
) -> None:
    assert symbols[0] == PAD
    assert len(set(symbols)) == len(symbols)


def test_ipa_table_covers_english_stress_length_and_pause_marks() -> None:
    for symbol in 'ˈˌːɹɚɾᵻʊəɪæðθŋʃʒ .,;:!?—…"()':
        assert symbol in DEFAULT_IPA_SYMBOLS, symbol


def test_encode_decode_round_trip_with_and_without_blank() -> None:
    tokens = list("həlˈoʊ wˈɜːld.")
    for blank in (False, True):
        table = SymbolTable(DEFAULT_IPA_SYMBOLS, add_blank=blank)
        ids = table.encode(tokens)
        assert table.decode(ids) == tokens
        assert all(0 < i < table.n_vocab for i in ids)


def test_blank_is_interspersed_like_the_official_add_blank() -> None:
    table = SymbolTable(OFFICIAL_SYMBOLS, add_blank=True)
    assert table.blank_id == 148 and table.n_vocab == 149
    assert table.intersperse([5, 6, 7]) == [148, 5, 148, 6, 148, 7, 148]
    assert table.intersperse([]) == [148]
    assert SymbolTable(OFFICIAL_SYMBOLS).intersperse([5, 6]) == [5, 6]


def test_unknown_symbols_are_dropped_with_one_warning_naming_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    table = SymbolTable((PAD, "a", "b", " "))
    with caplog.at_level(logging.WARNING, logger="glowtts_cli.text.symbols"):
        ids = table.encode(list("a☃b☃ xq_"))
    assert ids == [1, 2, 3]
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "'☃'" in message and "'x'" in message and "'q'" in message and "'_'" in message


def test_no_warning_when_everything_is_known(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        SymbolTable(OFFICIAL_SYMBOLS).encode(list("hello"))
    assert caplog.records == []


def test_table_from_config_uses_the_voice_symbols_or_the_default() -> None:
    own = SymbolTable.from_config(TextConfig(symbols=(PAD, "x"), add_blank=True))
    assert own.symbols == (PAD, "x") and own.blank_id == 2
    default = SymbolTable.from_config(TextConfig(phonemizer="official"))
    assert default.symbols == OFFICIAL_SYMBOLS
    assert default_symbols("espeak") == DEFAULT_IPA_SYMBOLS


def test_bad_tables_and_ids_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="duplicates"):
        SymbolTable((PAD, "a", "a"))
    with pytest.raises(ConfigError):
        SymbolTable(())
    with pytest.raises(ConfigError, match="outside"):
        SymbolTable((PAD, "a")).decode([7])
    with pytest.raises(ConfigError):
        default_symbols("festival")


def test_pronounceable_means_a_sound_not_only_pauses() -> None:
    table = SymbolTable(DEFAULT_IPA_SYMBOLS, add_blank=True)
    assert not table.is_pronounceable(table.encode(list(" ,.!?—…")))
    assert table.is_pronounceable(table.encode(list("ə")))
