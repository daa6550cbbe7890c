"""The rows, Lucic et al.'s default settings for each, and their published MNIST FIDs (PROTOCOLS.md section 4)."""

from __future__ import annotations

from types import MappingProxyType

from benchmarks.mnist_fid.nets import DETAILS

BATCH_SIZE, LATENT_DIM, EPOCHS, NUM_EVAL = 64, 64, 20, 10_000
TRAIN_IMAGES = 60_000  # the whole MNIST training set
FULL_PROTOCOL = "lucic_20epochs"  # the RunKey protocol of the full setting: the only runs comparable with the paper
PAPER_ROWS = ("minimax", "ns", "lsgan", "wgan", "wgan_gp")  # the paper's five losses, listed even when not run


def protocol_name(epochs: int, train_images: int, num_eval: int) -> str:
    """The ``RunKey`` protocol of a run: what changes its FID besides the row and the seed.

    The full protocol (20 epochs of the 60,000 training images, FID of 10,000 generated vs 10,000 test images) is
    ``"lucic_20epochs"``; a shorter signal names its three numbers, so that runs of different budgets never share a
    file and never enter the paper's table.

    >>> protocol_name(20, 60_000, 10_000), protocol_name(2, 60_000, 2_000)
    ('lucic_20epochs', '2epochs_60000train_2000eval')
    """
    if (epochs, train_images, num_eval) == (EPOCHS, TRAIN_IMAGES, NUM_EVAL):
        return FULL_PROTOCOL
    return f"{epochs}epochs_{train_images}train_{num_eval}eval"


def _row(
    loss: str,
    lr: float,
    beta1: float,
    beta2: float = 0.999,
    n_critic: int = 1,
    gp_weight: float = 0.0,
    weight_clip: float | None = None,
    d_bn: bool = True,
    layers: str = "torch",
) -> dict:
    """One row's engine settings (Adam's beta2 is 0.999 but where a row says otherwise; ``layers``: see ``nets.py``)."""
    return dict(locals())  # every argument, by name: the settings stored in each JSON


#: Engine settings per row: compare_gan's params.py defaults, rows "<row>_ours" at this library's defaults, and rows
#: "<row>_cg" with compare_gan's layer details too.
ROWS = MappingProxyType(
    {
        "minimax": _row("minimax", 5e-5, 0.0),
        "ns": _row("non_saturating", 5e-5, 0.0),
        "lsgan": _row("least_squares", 2e-4, 0.5),
        "wgan": _row("wasserstein", 5e-5, 0.5, n_critic=5, weight_clip=0.01),
        "wgan_gp": _row("wasserstein", 1e-4, 0.5, n_critic=5, gp_weight=10.0, d_bn=False),
        # WGAN-GP again with compare_gan's initialisers, leaky ReLU in G, BatchNorm constants and uniform z.
        "wgan_gp_cg": _row("wasserstein", 1e-4, 0.5, n_critic=5, gp_weight=10.0, d_bn=False, layers="compare_gan"),
        # Each of compare_gan's layer details alone (2-epoch signals: which of them closes the WGAN-GP gap).
        **{
            f"wgan_gp_cg_{detail}": _row(
                "wasserstein", 1e-4, 0.5, n_critic=5, gp_weight=10.0, d_bn=False, layers=f"cg_{detail}"
            )
            for detail in DETAILS
        },
        # WGAN-GP with its paper's Adam (Gulrajani et al., Algorithm 1: beta1 0, beta2 0.9; the WGANGP variant's).
        "wgan_gp_paper_adam": _row("wasserstein", 1e-4, 0.0, beta2=0.9, n_critic=5, gp_weight=10.0, d_bn=False),
        # Ours: the engine's default Adam (2e-4, beta1 0.5; DCGAN's), where Lucic's default rate is 4x lower.
        "ns_ours": _row("non_saturating", 2e-4, 0.5),
    }
)

#: Lucic et al. 2018, best setting re-run with many seeds: (mean, std) of the MNIST FID.
PUBLISHED = MappingProxyType(
    {
        "minimax": (9.8, 0.9),
        "ns": (6.8, 0.5),
        "lsgan": (7.8, 0.6),
        "wgan": (6.7, 0.4),
        "wgan_gp": (20.3, 5.0),
        "wgan_gp_cg": (20.3, 5.0),  # the paper's WGAN-GP row
        "ns_ours": (6.8, 0.5),  # the paper's non-saturating row
        **{f"wgan_gp_cg_{detail}": (20.3, 5.0) for detail in DETAILS},
        "wgan_gp_paper_adam": (20.3, 5.0),
    }
)
TITLES = MappingProxyType(
    {
        "minimax": "minimax GAN",
        "ns": "non-saturating GAN",
        "lsgan": "LSGAN",
        "wgan": "WGAN",
        "wgan_gp": "WGAN-GP",
        "wgan_gp_cg": "WGAN-GP, compare_gan's layer details (init, leaky ReLU in G, BatchNorm constants, uniform z)",
        "ns_ours": "non-saturating GAN, our settings (Adam 2e-4, beta1 0.5)",
        **{f"wgan_gp_cg_{detail}": f"WGAN-GP, compare_gan's {detail} alone" for detail in DETAILS},
        "wgan_gp_paper_adam": "WGAN-GP, its paper's Adam (beta1 0, beta2 0.9)",
    }
)

#: What differs from the paper's protocol, stated in every result and in the table.
DIFFERENCES = (
    "Lucic et al. report the best FID of a large hyperparameter search, re-run over many seeds; these rows use their "
    "default settings (params.py) without a search, and the rows marked 'our settings' the engine's default Adam",
    "training set: the 60,000 MNIST training images (the paper: 50,000, the rest held out)",
    "generator output tanh in [-1, 1] (compare_gan: sigmoid in [0, 1]); FID sees the same uint8 images",
    "layers: PyTorch's default initialisation and BatchNorm constants, ReLU in G and z ~ N(0, 1) (compare_gan: "
    "N(0, 0.02) weights, BatchNorm epsilon 1e-3 and decay 0.999, leaky ReLU 0.2 in G, z uniform in [-1, 1]), except "
    "in the rows marked 'compare_gan's layer details'",
    "WGAN-GP's penalty: ||grad|| without compare_gan's sqrt(1e-4 + ...) smoothing",
    "engine: lightning_gans.GAN (PyTorch); Inception: torch-fidelity's code with the TF 2015-12-05 weights",
)
