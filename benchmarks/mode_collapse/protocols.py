"""The published mode-collapse protocols as named recipe sets: PacGAN Tables 1, 2 and 3 (Lin et al. 2018).

Each :class:`Protocol` carries what its paper used: the networks (real modules of :mod:`lightning_gans.nets`), the
latent distribution, the optimizers, the batch size, the update schedule, the published budget, the evaluation
sample count and the metrics, and one :class:`ProtocolRecipe` per published row (GAN / PacGAN2 / 3 / 4 ...), with
the published mean ± standard error beside it.

The update schedule and the latent distribution are engine options: D and G updated simultaneously from one batch
(Table 1, ``Optimization(update="simultaneous")``), two generator steps per discriminator step (Table 2,
``Optimization(g_steps=2)``), ``z ~ U(-1, 1)`` (Table 2, ``GAN(latent_distribution="uniform")``).
:meth:`Protocol.engine_requirements` names those a protocol needs beyond the engine's defaults and
:func:`build_protocol_model` passes them; a requirement the engine did not accept would be recorded as a *departure*
in the run's result, so a row never claims to follow a protocol it did not. The batch "counts packs" (PacGAN's batch
of 100 is 100 packed examples per kind, 100·m samples) needs no engine option: the data batch is
``batch_size * pack`` samples and the engine draws one fake per real sample.

The file is longer than most because it holds the three published tables as data, next to their protocols.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import torch
from lightning import seed_everything
from torch import nn

from lightning_gans import GAN, Optimization
from lightning_gans.nets import (
    BatchNormMLPGenerator,
    DCGAN28Discriminator,
    DCGAN28Generator,
    MaxoutMLPDiscriminator,
    UnrolledGANDiscriminator,
    UnrolledGANGenerator,
)


@dataclass(frozen=True)
class PublishedRow:
    """A published result: ``metrics`` maps a metric to ``(mean, standard error or None)``; HQ as a fraction.

    >>> PROTOCOLS["pacgan_table1_grid"].recipe("pacgan4").published.metrics["modes"]
    (24.8, 0.2)
    """

    model: str
    metrics: Mapping[str, tuple[float, float | None]]
    trials: int | None
    source: str


@dataclass(frozen=True)
class ProtocolRecipe:
    """One row of a protocol: its name on the command line, its label in the tables, its packing degree."""

    name: str
    label: str
    pack: int
    published: PublishedRow | None = None


@dataclass(frozen=True)
class Protocol:
    """A published experiment, fully specified (see ``PROTOCOLS.md`` of the benchmark notes and the module docstring).

    ``batch_size`` counts packed examples per kind when ``batch_counts_packs`` (PacGAN's convention).
    ``published_iterations`` is the paper's budget in discriminator iterations.
    """

    name: str
    title: str
    dataset: str
    generator: Callable[[], nn.Module]
    discriminator: Callable[[int], nn.Module]  # pack -> discriminator
    latent_dim: int
    latent_distribution: str  # "normal" or "uniform" (U(-1, 1))
    lr_g: float
    lr_d: float
    betas: tuple[float, float]
    batch_size: int
    batch_counts_packs: bool
    update: str  # "alternating" or "simultaneous"
    generator_steps_per_discriminator_step: int
    published_iterations: int
    eval_samples: int
    metrics: tuple[str, ...]
    recipes: tuple[ProtocolRecipe, ...]
    notes: str = ""
    stacks: int | None = None  # stacked MNIST: how many stacks the training set holds
    stack_split: str | None = None  # stacked MNIST: which MNIST split supplies the digits here
    data_departures: tuple[str, ...] = ()  # how our training data differs from the paper's, recorded with each run
    extra_published: tuple[PublishedRow, ...] = field(default_factory=tuple)  # rows with no recipe of ours

    def recipe(self, name: str) -> ProtocolRecipe:
        for recipe in self.recipes:
            if recipe.name == name:
                return recipe
        raise ValueError(f"protocol {self.name!r} has recipes {[r.name for r in self.recipes]}, got {name!r}")

    @property
    def published_generator_steps(self) -> int:
        """The paper's budget in generator steps (the benchmark's unit).

        >>> PROTOCOLS["pacgan_table2"].published_generator_steps  # 100k iterations, G updated twice in each
        200000
        """
        return self.published_iterations * self.generator_steps_per_discriminator_step

    def data_batch_size(self, pack: int) -> int:
        """Samples per data batch: ``batch_size * pack`` when the batch counts packs.

        >>> PROTOCOLS["pacgan_table1_grid"].data_batch_size(4)
        400
        """
        return self.batch_size * (pack if self.batch_counts_packs else 1)

    def engine_requirements(self) -> dict[str, Any]:
        """The engine options this protocol needs beyond the engine's defaults (name -> value).

        >>> PROTOCOLS["pacgan_table1_grid"].engine_requirements()
        {'update': 'simultaneous'}
        >>> PROTOCOLS["pacgan_table2"].engine_requirements()
        {'generator_steps_per_discriminator_step': 2, 'latent_distribution': 'uniform'}
        """
        needs: dict[str, Any] = {}
        if self.update != "alternating":
            needs["update"] = self.update
        if self.generator_steps_per_discriminator_step != 1:
            needs["generator_steps_per_discriminator_step"] = self.generator_steps_per_discriminator_step
        if self.latent_distribution != "normal":
            needs["latent_distribution"] = self.latent_distribution
        return needs


def build_protocol_model(protocol: Protocol, recipe: ProtocolRecipe, seed: int) -> tuple[GAN, list[str]]:
    """The recipe's model under ``protocol``, seeded by ``seed``, and the list of departures from the protocol.

    Every requirement of :meth:`Protocol.engine_requirements` is passed to the engine (the update schedule in
    :class:`~lightning_gans.Optimization`, the latent distribution to :class:`~lightning_gans.GAN`); the departures
    are then the data's only.

    >>> model, departures = build_protocol_model(PROTOCOLS["pacgan_table1_ring"], PROTOCOLS["pacgan_table1_ring"]
    ...                                          .recipe("pacgan2"), seed=0)
    >>> type(model.discriminator).__name__, model.discriminator.pack, model.optimization.betas_d
    ('MaxoutMLPDiscriminator', 2, (0.8, 0.999))
    >>> model.optimization.update, departures
    ('simultaneous', ['fresh mixture draws every batch (the paper: 100,000 points drawn once)'])
    >>> table2, _ = build_protocol_model(PROTOCOLS["pacgan_table2"], PROTOCOLS["pacgan_table2"].recipe("dcgan"), 0)
    >>> table2.optimization.g_steps, table2.latent_distribution
    (2, 'uniform')
    """
    seed_everything(seed, verbose=False)
    departures = list(protocol.data_departures)
    model = GAN(
        generator=protocol.generator(),
        discriminator=protocol.discriminator(recipe.pack),
        latent_dim=protocol.latent_dim,
        loss="non_saturating",
        optimization=Optimization(
            lr_g=protocol.lr_g,
            lr_d=protocol.lr_d,
            betas_g=protocol.betas,
            betas_d=protocol.betas,
            update=protocol.update,
            g_steps=protocol.generator_steps_per_discriminator_step,
        ),
        noise_seed=seed,
        latent_distribution=protocol.latent_distribution,
    )
    return model, departures


# --- the networks of each protocol (module-level functions: specs travel to worker processes by pickling) ---------
def _mlp_generator() -> nn.Module:
    return BatchNormMLPGenerator(latent_dim=2, data_dim=2, hidden_dim=400, num_layers=4)


def _maxout_discriminator(pack: int) -> nn.Module:
    return MaxoutMLPDiscriminator(data_dim=2, hidden_dim=200, num_layers=3, pieces=5, pack=pack)


def _dcgan28_generator() -> nn.Module:
    return DCGAN28Generator(latent_dim=100, channels=3, base_width=64)


def _dcgan28_discriminator(pack: int) -> nn.Module:
    return DCGAN28Discriminator(channels=3, base_width=64, pack=pack)


def _unrolled_generator() -> nn.Module:
    return UnrolledGANGenerator(latent_dim=256, channels=3)


def _quarter_discriminator(pack: int) -> nn.Module:
    return UnrolledGANDiscriminator(base_width=2, channels=3, pack=pack)


def _half_discriminator(pack: int) -> nn.Module:
    return UnrolledGANDiscriminator(base_width=4, channels=3, pack=pack)


_TABLE1 = "PacGAN Table 1, 10 trials"
_TABLE1_ROWS = {  # (ring modes, ring HQ, ring rKL, grid modes, grid HQ, grid rKL), each (mean, s.e.)
    "gan": ("GAN", (6.3, 0.5), (0.982, 0.002), (0.45, 0.09), (17.3, 0.8), (0.948, 0.007), (0.70, 0.07)),
    "pacgan2": ("PacGAN2", (7.9, 0.1), (0.956, 0.020), (0.07, 0.03), (23.8, 0.7), (0.913, 0.008), (0.13, 0.04)),
    "pacgan3": ("PacGAN3", (7.8, 0.1), (0.977, 0.003), (0.10, 0.02), (24.6, 0.4), (0.942, 0.004), (0.06, 0.02)),
    "pacgan4": ("PacGAN4", (7.8, 0.1), (0.959, 0.014), (0.07, 0.02), (24.8, 0.2), (0.936, 0.006), (0.04, 0.01)),
}
_PACKS = {"gan": 1, "pacgan2": 2, "pacgan3": 3, "pacgan4": 4}


def _table1(dataset: str) -> Protocol:
    offset = 1 if dataset == "ring" else 4
    recipes = tuple(
        ProtocolRecipe(
            name,
            row[0],
            _PACKS[name],
            PublishedRow(
                row[0],
                {"modes": row[offset], "high_quality": row[offset + 1], "reverse_kl": row[offset + 2]},
                10,
                _TABLE1,
            ),
        )
        for name, row in _TABLE1_ROWS.items()
    )
    return Protocol(
        name=f"pacgan_table1_{dataset}",
        title=f"PacGAN Table 1, {dataset} ({'8' if dataset == 'ring' else '25'} Gaussians)",
        dataset=dataset,
        generator=_mlp_generator,
        discriminator=_maxout_discriminator,
        latent_dim=2,
        latent_distribution="normal",
        lr_g=1e-4,
        lr_d=1e-4,
        betas=(0.8, 0.999),
        batch_size=100,
        batch_counts_packs=True,
        update="simultaneous",
        generator_steps_per_discriminator_step=1,
        published_iterations=400_000,  # 400 epochs of 1,000 batches
        eval_samples=2500,
        metrics=("modes", "high_quality", "reverse_kl"),
        recipes=recipes,
        notes="100,000 training points drawn once.",
        data_departures=("fresh mixture draws every batch (the paper: 100,000 points drawn once)",),
    )


def _stacked_recipes(
    rows: Mapping[str, tuple[str, tuple[float, float | None], tuple[float, float | None]]], source: str, trials: int
) -> tuple[ProtocolRecipe, ...]:
    packs = {"dcgan": 1, "pacdcgan2": 2, "pacdcgan3": 3, "pacdcgan4": 4}
    return tuple(
        ProtocolRecipe(name, label, packs[name], PublishedRow(label, {"modes": modes, "kl": kl}, trials, source))
        for name, (label, modes, kl) in rows.items()
    )


_TABLE2 = Protocol(
    name="pacgan_table2",
    title="PacGAN Table 2, stacked MNIST in the VEEGAN setting",
    dataset="stacked_mnist",
    generator=_dcgan28_generator,
    discriminator=_dcgan28_discriminator,
    latent_dim=100,
    latent_distribution="uniform",
    lr_g=2e-4,
    lr_d=2e-4,
    betas=(0.5, 0.999),
    batch_size=64,
    batch_counts_packs=True,
    update="alternating",
    generator_steps_per_discriminator_step=2,
    published_iterations=100_000,  # 50 epochs of 2,000 batches
    eval_samples=26_000,
    metrics=("modes", "kl"),
    recipes=_stacked_recipes(
        {
            "dcgan": ("DCGAN", (78.9, 6.46), (4.50, 0.127)),
            "pacdcgan2": ("PacDCGAN2", (1000.0, 0.0), (0.06, 0.003)),
            "pacdcgan3": ("PacDCGAN3", (1000.0, 0.0), (0.06, 0.003)),
            "pacdcgan4": ("PacDCGAN4", (1000.0, 0.0), (0.07, 0.005)),
        },
        "PacGAN Table 2, 10 trials",
        10,
    ),
    notes="128,000 stacks built once from MNIST train + test (70k digits).",
    stacks=128_000,
    stack_split="train",
    data_departures=("stacks drawn from MNIST train only (the paper: train + test)",),
    extra_published=(
        PublishedRow("DCGAN (as reported by VEEGAN)", {"modes": (99.0, None), "kl": (3.40, None)}, None, "VEEGAN"),
        PublishedRow("VEEGAN", {"modes": (150.0, None), "kl": (2.95, None)}, None, "VEEGAN"),
    ),
)


def _table3(fraction: str) -> Protocol:
    quarter = fraction == "quarter"
    rows = (
        {
            "dcgan": ("DCGAN", (78.5, 17.56), (5.21, 0.19)),
            "pacdcgan2": ("PacDCGAN2", (484.5, 32.99), (2.61, 0.22)),
            "pacdcgan3": ("PacDCGAN3", (601.3, 32.18), (2.00, 0.17)),
            "pacdcgan4": ("PacDCGAN4", (667.4, 29.00), (1.81, 0.15)),
        }
        if quarter
        else {
            "dcgan": ("DCGAN", (487.7, 34.59), (2.24, 0.15)),
            "pacdcgan2": ("PacDCGAN2", (840.7, 15.92), (1.00, 0.05)),
            "pacdcgan3": ("PacDCGAN3", (866.6, 12.10), (0.90, 0.04)),
            "pacdcgan4": ("PacDCGAN4", (820.2, 25.50), (1.15, 0.14)),
        }
    )
    metz = {"modes": (30.6, 20.73), "kl": (5.99, 0.42)} if quarter else {"modes": (628.0, 140.9), "kl": (2.58, 0.75)}
    unrolled = (
        {"modes": (327.2, 74.67), "kl": (4.66, 0.46)} if quarter else {"modes": (817.4, 37.91), "kl": (1.43, 0.12)}
    )
    share = "1/4" if quarter else "1/2"
    return Protocol(
        name=f"pacgan_table3_d_{fraction}",
        title=f"PacGAN Table 3, stacked MNIST in the Unrolled-GAN setting, D = {share} G",
        dataset="stacked_mnist",
        generator=_unrolled_generator,
        discriminator=_quarter_discriminator if quarter else _half_discriminator,
        latent_dim=256,
        latent_distribution="normal",
        lr_g=1e-4,
        lr_d=2e-4,
        betas=(0.5, 0.99),
        batch_size=128,
        batch_counts_packs=True,
        update="alternating",
        generator_steps_per_discriminator_step=1,
        published_iterations=500_000,  # what the released config allows
        eval_samples=25_600,
        metrics=("modes", "kl"),
        recipes=_stacked_recipes(rows, "PacGAN Table 3, 50 trials", 50),
        notes="3 MNIST train digits per image, drawn on the fly.",
        stacks=1_000_000,  # a fixed set this large stands in for fresh draws (500k iterations of 128 see 64M)
        stack_split="train",
        data_departures=("a fixed set of 1,000,000 stacks (the paper: fresh stacks every batch)",),
        extra_published=(
            PublishedRow("DCGAN (Metz et al.'s 0-step row)", metz, None, "Unrolled GAN"),
            PublishedRow("Unrolled GAN, 10 steps", unrolled, None, "Unrolled GAN"),
        ),
    )


PROTOCOLS: Mapping[str, Protocol] = MappingProxyType(
    {p.name: p for p in (_table1("ring"), _table1("grid"), _TABLE2, _table3("quarter"), _table3("half"))}
)


def parameter_counts(protocol: Protocol, pack: int = 1) -> tuple[int, int]:
    """``(generator, discriminator)`` weight counts of the protocol's networks.

    >>> parameter_counts(PROTOCOLS["pacgan_table3_d_quarter"])
    (287819, 585)
    """
    with torch.device("meta"):  # no memory, no initialisation cost
        g, d = protocol.generator(), protocol.discriminator(pack)
    return sum(p.numel() for p in g.parameters()), sum(p.numel() for p in d.parameters())
