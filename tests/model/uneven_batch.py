"""The uneven test batch of the model tests (a plain module, so tests can name its type)."""

from __future__ import annotations

import torch


class Batch:
    """Token ids and mel frames with unequal lengths; T_y (15) is odd."""

    def __init__(self, n_vocab: int, n_mels: int) -> None:
        gen = torch.Generator().manual_seed(7)
        self.x_lengths = torch.tensor([5, 7, 3])
        self.y_lengths = torch.tensor([12, 15, 7])
        t_x, t_y = int(self.x_lengths.max()), int(self.y_lengths.max())
        self.x = torch.randint(1, n_vocab, (3, t_x), generator=gen)
        self.x = self.x * (torch.arange(t_x) < self.x_lengths[:, None])
        self.y = torch.randn(3, n_mels, t_y, generator=gen)
        self.y = self.y * (torch.arange(t_y) < self.y_lengths[:, None, None])
