"""The Glow-TTS acoustic model (Kim et al. 2020): text encoder, duration predictor, flow decoder.

Shape legend used in every docstring and comment:

| B | T_x | T_y | C | M | H | D | S | G |
|---|---|---|---|---|---|---|---|---|
| batch | tokens | mel frames | channels | mel bins | heads | head dim | samples | speaker dim |

Masks are float ``[B, 1, T]`` (1 = valid); lengths are int64 ``[B]``; alignments are ``[B, T_x, T_y]``.
"""
