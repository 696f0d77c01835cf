"""core/models/neuralfactors/network.py: the embedder reads the transformer's last position, which `last_position`
computes without the last layer's work on the other positions."""
import torch

from core.models.neuralfactors.config import NFConfig
from core.models.neuralfactors.network import StockEmbedder, last_position


def test_last_position_is_the_encoders_last_position_with_and_without_grad():
    torch.manual_seed(0)
    embedder = StockEmbedder(NFConfig(hidden=16, heads=4, lookback=20, dropout=0.0), n_channels=3, n_sectors=2)
    x = torch.randn(7, 20, 16) * 2
    for train in (True, False):  # with grad: torch's own layers; without: its fused inference path
        embedder.train(train)
        with torch.set_grad_enabled(train):
            full = embedder.seq(x)[:, -1]
            fast = last_position(embedder.seq, x)
        torch.testing.assert_close(fast, full, rtol=1e-5, atol=1e-5)
    x.requires_grad_(True)
    last_position(embedder.seq, x).sum().backward()  # the earlier positions still reach the output
    assert x.grad[:, 0].abs().sum() > 0
