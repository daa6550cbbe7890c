"""The networks of PacGAN's 2-D mixture experiments (Lin et al. 2018, Table 1; code ``fjxmlzn/PacGAN``).

* :class:`BatchNormMLPGenerator` — ``z (N, latent_dim) -> x (N, data_dim)``: hidden layers of ReLU units with
  BatchNorm (no bias before the BatchNorm), linear output. PacGAN: 4 layers of 400 units, a 2-D latent.
* :class:`MaxoutMLPDiscriminator` — hidden layers of :class:`Maxout` units, linear output (logits). PacGAN: 3 layers
  of 200 units with 5 pieces each; a packed discriminator (PacGANm) sees ``m`` samples concatenated (``2m`` inputs).

Weights are drawn from ``N(0, 0.02)`` and biases start at 0, as in the released code.
"""

from __future__ import annotations

import torch  # noqa: F401  (used by the doctests)
from torch import Tensor, nn

from lightning_gans.checks import check_int, check_number
from lightning_gans.nets.layers import pack_samples

INIT_STD = 0.02  # the released code's weight initialisation, N(0, 0.02)


def _init_normal_(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, INIT_STD)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class Maxout(nn.Module):
    """``(N, in_features) -> (N, out_features)``: each unit is the max of ``pieces`` affine functions (Goodfellow et
    al. 2013).

    One linear map computes all ``out_features * pieces`` affine pieces; unit ``j`` takes the max over its own
    ``pieces`` consecutive outputs. A maxout unit is a learned convex piecewise-linear activation.

    >>> layer = Maxout(3, 4, pieces=5)
    >>> layer(torch.randn(2, 3)).shape
    torch.Size([2, 4])
    >>> with torch.no_grad():  # pieces x and -x: the unit computes |x|
    ...     layer = Maxout(1, 1, pieces=2)
    ...     _ = layer.linear.weight.copy_(torch.tensor([[1.0], [-1.0]])), layer.linear.bias.zero_()
    ...     layer(torch.tensor([[-3.0], [2.0]]))
    tensor([[3.],
            [2.]])
    """

    def __init__(self, in_features: int, out_features: int, pieces: int) -> None:
        super().__init__()
        self.in_features = check_int("in_features", in_features, minimum=1)
        self.out_features = check_int("out_features", out_features, minimum=1)
        self.pieces = check_int("pieces", pieces, minimum=1)
        self.linear = nn.Linear(in_features, out_features * pieces)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, pieces={self.pieces}"

    def forward(self, x: Tensor) -> Tensor:
        h = self.linear(x)  # (N, out * pieces), unit j's pieces at j * pieces ... j * pieces + pieces - 1
        return h.view(*h.shape[:-1], self.out_features, self.pieces).amax(dim=-1)  # (N, out)


class MaxoutMLPDiscriminator(nn.Module):
    """``x (N, data_dim) -> logits (N // pack,)``: ``num_layers`` maxout layers, then a linear output.

    With ``pack = m`` the first layer sees ``m`` consecutive samples concatenated, ``m * data_dim`` inputs (PacGANm).
    The defaults are PacGAN's 2-D discriminator: 3 layers of 200 maxout units with 5 pieces.

    >>> d = MaxoutMLPDiscriminator(data_dim=2, pack=4)
    >>> d(torch.randn(8, 2)).shape
    torch.Size([2])
    >>> sum(p.numel() for p in d.parameters())  # (8*1000 + 1000) + 2 * (200*1000 + 1000) + (200 + 1)
    411201
    """

    def __init__(self, data_dim: int, hidden_dim: int = 200, num_layers: int = 3, pieces: int = 5, pack: int = 1):
        super().__init__()
        for name, value in (("data_dim", data_dim), ("hidden_dim", hidden_dim), ("num_layers", num_layers)):
            check_int(name, value, minimum=1)
        self.pack = check_int("pack", pack, minimum=1)
        layers: list[nn.Module] = []
        in_dim = data_dim * pack
        for _ in range(num_layers):
            layers.append(Maxout(in_dim, hidden_dim, pieces))
            in_dim = hidden_dim
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(hidden_dim, 1)
        _init_normal_(self)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(pack_samples(x, self.pack))).squeeze(1)  # (N // pack,)


class BatchNormMLPGenerator(nn.Module):
    """``z (N, latent_dim) -> x (N, data_dim)``: ``num_layers`` of Linear (no bias) + BatchNorm + ReLU, linear output.

    The hidden linear layers carry no bias because the BatchNorm after them subtracts the batch mean (a bias would be
    cancelled); only the output layer has one. ``bn_momentum`` is the weight of the current batch in BatchNorm's
    running statistics (used in eval mode, e.g. for sampling): 0.05 per step in PacGAN's code. The defaults are
    PacGAN's 2-D generator: 4 layers of 400 units.

    >>> g = BatchNormMLPGenerator(latent_dim=2, data_dim=2)
    >>> g(torch.randn(5, 2)).shape
    torch.Size([5, 2])
    >>> [type(m).__name__ for m in g.net[:3]], g.net[0].bias is None
    (['Linear', 'BatchNorm1d', 'ReLU'], True)
    """

    def __init__(
        self, latent_dim: int, data_dim: int, hidden_dim: int = 400, num_layers: int = 4, bn_momentum: float = 0.05
    ) -> None:
        super().__init__()
        for name, value in (
            ("latent_dim", latent_dim),
            ("data_dim", data_dim),
            ("hidden_dim", hidden_dim),
            ("num_layers", num_layers),
        ):
            check_int(name, value, minimum=1)
        check_number("bn_momentum", bn_momentum, low=0.0, high=1.0, low_inclusive=False)
        self.latent_dim, self.data_dim = latent_dim, data_dim
        layers: list[nn.Module] = []
        in_dim = latent_dim
        for _ in range(num_layers):
            layers += [nn.Linear(in_dim, hidden_dim, bias=False), nn.BatchNorm1d(hidden_dim, momentum=bn_momentum)]
            layers.append(nn.ReLU())
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, data_dim))
        self.net = nn.Sequential(*layers)
        _init_normal_(self)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)
