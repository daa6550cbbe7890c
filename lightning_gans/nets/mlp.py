"""Multi-layer perceptrons for low-dimensional data (the 2-D ring and grid mixtures)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lightning_gans.checks import check_int
from lightning_gans.nets.layers import MinibatchStdDev, pack_samples, spectral_norm_if


class MLPGenerator(nn.Module):
    """``z (N, latent_dim) -> x (N, data_dim)``, ReLU hidden layers, linear output (data need not lie in [-1, 1]).

    With ``num_classes`` the generator is conditional: a learned class embedding is concatenated to ``z``.

    >>> MLPGenerator(latent_dim=4, data_dim=2)(torch.randn(5, 4)).shape
    torch.Size([5, 2])
    """

    def __init__(
        self, latent_dim: int, data_dim: int, hidden_dim: int = 128, num_layers: int = 3, num_classes: int | None = None
    ) -> None:
        super().__init__()
        for name, value in (
            ("latent_dim", latent_dim),
            ("data_dim", data_dim),
            ("hidden_dim", hidden_dim),
            ("num_layers", num_layers),
        ):
            check_int(name, value, minimum=1)
        self.latent_dim, self.data_dim, self.num_classes = latent_dim, data_dim, num_classes
        self.embed = (
            None if num_classes is None else nn.Embedding(check_int("num_classes", num_classes, minimum=1), latent_dim)
        )
        in_dim = latent_dim * (1 if num_classes is None else 2)
        layers: list[nn.Module] = []
        for _ in range(num_layers):
            layers += [nn.Linear(in_dim, hidden_dim), nn.ReLU()]
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, data_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.embed is not None:
            if labels is None:
                raise ValueError("this generator is conditional (num_classes is set): pass labels")
            z = torch.cat([z, self.embed(labels)], dim=1)
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """``x (N, data_dim) -> logits (N // pack,)`` with LeakyReLU(0.2) hidden layers.

    Options against collapse: ``pack`` (PacGAN: the first layer sees ``pack`` samples concatenated),
    ``minibatch_stddev`` (ProGAN's statistic appended before the last layer), ``spectral_norm`` (SNGAN).
    With ``num_classes`` it becomes a projection discriminator (Miyato & Koyama 2018):
    ``logit = w·h + <embed(y), h>``.

    >>> MLPDiscriminator(data_dim=2, pack=2)(torch.randn(6, 2)).shape
    torch.Size([3])
    """

    def __init__(
        self,
        data_dim: int,
        hidden_dim: int = 128,
        num_layers: int = 3,
        pack: int = 1,
        minibatch_stddev: bool = False,
        spectral_norm: bool = False,
        num_classes: int | None = None,
    ) -> None:
        super().__init__()
        for name, value in (
            ("data_dim", data_dim),
            ("hidden_dim", hidden_dim),
            ("num_layers", num_layers),
            ("pack", pack),
        ):
            check_int(name, value, minimum=1)
        self.pack, self.num_classes = pack, num_classes
        layers: list[nn.Module] = []
        in_dim = data_dim * pack
        for _ in range(num_layers):
            layers += [nn.Linear(in_dim, hidden_dim), nn.LeakyReLU(0.2)]
            in_dim = hidden_dim
        self.body = spectral_norm_if(nn.Sequential(*layers), spectral_norm)
        self.stddev = MinibatchStdDev() if minibatch_stddev else None
        self.head = spectral_norm_if(nn.Linear(hidden_dim + (1 if minibatch_stddev else 0), 1), spectral_norm)
        self.embed = None
        if num_classes is not None:
            self.embed = spectral_norm_if(
                nn.Embedding(check_int("num_classes", num_classes, minimum=1), self.head.in_features), spectral_norm
            )

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        h = self.body(pack_samples(x, self.pack))  # (N // pack, hidden)
        if self.stddev is not None:
            h = self.stddev(h)
        logits = self.head(h).squeeze(1)
        if self.embed is not None:
            if labels is None:
                raise ValueError("this discriminator is conditional (num_classes is set): pass labels")
            # Projection term; a packed group is judged with its first member's label.
            logits = logits + (self.embed(labels[:: self.pack]) * h).sum(dim=1)
        return logits
