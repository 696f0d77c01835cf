"""core/models/neuralfactors/network.py: the embedder reads the transformer's last position, which `last_position`
computes without the last layer's work on the other positions; the direct path from the component exposures."""
import pytest
import torch

from core.errors import ModelError
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


class _Scale(torch.nn.Module):
    """A stand-in for a dropout layer that scales by a fixed factor: where the shortcut places each dropout shows."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor


def test_last_position_places_the_dropouts_and_gradients_as_the_encoder_does():
    torch.manual_seed(1)
    embedder = StockEmbedder(NFConfig(hidden=16, heads=4, lookback=12, dropout=0.0), n_channels=3, n_sectors=2)
    layer = embedder.seq.layers[-1]
    layer.dropout, layer.dropout1, layer.dropout2 = _Scale(0.5), _Scale(0.7), _Scale(1.3)
    x = torch.randn(5, 12, 16)
    grads = []
    for run in (lambda v: embedder.seq(v)[:, -1], lambda v: last_position(embedder.seq, v)):
        embedder.zero_grad()
        v = x.clone().requires_grad_(True)
        out = run(v)
        out.square().sum().backward()
        grads.append((out.detach(), v.grad, [q.grad.clone() for q in embedder.seq.parameters()]))
    (full, gx_full, gp_full), (fast, gx_fast, gp_fast) = grads
    torch.testing.assert_close(fast, full, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(gx_fast, gx_full, rtol=1e-4, atol=1e-5)
    for a, b in zip(gp_fast, gp_full):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_the_direct_path_adds_w_times_the_last_days_component_exposures_to_the_general_loadings():
    """pc_direct: beta[:, :n_factors] = the head's loadings + W e, e the window's last row of the pc channels (here
    channels 1..2 of 4); the sector column and the other heads are untouched, and W starts at 0."""
    torch.manual_seed(0)
    cfg = NFConfig(n_factors=3, hidden=8, heads=2, lookback=5, dropout=0.0, sector_factors=True, pc_inputs=2,
                   pc_direct=True)
    embedder = StockEmbedder(cfg, n_channels=4, n_sectors=2, pc_start=1).eval()
    x, sector = torch.randn(6, 5, 4), torch.tensor([0, 1, 2, 0, 1, 2])
    before = embedder(x, sector)
    assert torch.count_nonzero(embedder.pc.weight) == 0
    w = torch.randn(3, 2)
    with torch.no_grad():
        embedder.pc.weight.copy_(w)
    after = embedder(x, sector)
    torch.testing.assert_close(after[1][:, :3], before[1][:, :3] + x[:, -1, 1:3] @ w.T)
    torch.testing.assert_close(after[1][:, 3:], before[1][:, 3:])
    for i in (0, 2, 3):
        torch.testing.assert_close(after[i], before[i])
    with pytest.raises(ModelError, match="pc_direct needs the principal-component channels"):
        StockEmbedder(cfg, n_channels=4, n_sectors=2)  # no pc channels to read
