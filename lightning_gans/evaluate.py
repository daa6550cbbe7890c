"""Final, paper-comparable evaluation with torch-fidelity's ``calculate_metrics``.

:class:`~lightning_gans.callbacks.EvaluationCallback` tracks FID & co. cheaply during training (torchmetrics);
:func:`evaluate_generator` is for the numbers you report: torch-fidelity's reference implementation, fed through
its own input interfaces (a ``GenerativeModelBase`` wrapping the generator, a ``Dataset`` or folder of real
images) and either its own Inception-v3 or one of our extractors registered with torch-fidelity.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from lightning_gans.convert import to_uint8
from lightning_gans.metrics.features import (
    FeatureExtractor,
    InceptionV3Features,
    _file_sha256,
    check_feature_extractor_name,
    get_feature_extractor,
    inception_weights_path,
)
from lightning_gans.sampling import latent_dim_of, sample_from, supports_sampling

__all__ = ["evaluate_generator", "register_with_fidelity", "METRICS"]

METRICS = ("fid", "kid", "is", "pr")
_FIDELITY_FLAGS = {"fid": "fid", "kid": "kid", "is": "isc", "pr": "prc"}
_RESULT_KEYS = {
    "frechet_inception_distance": "fid",
    "kernel_inception_distance_mean": "kid",
    "kernel_inception_distance_std": "kid_std",
    "inception_score_mean": "is",
    "inception_score_std": "is_std",
    "precision": "precision",
    "recall": "recall",
}


def check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    """Validate a ``metrics`` argument: a non-empty subset of :data:`METRICS`.

    >>> check_metrics(["fid", "pr"])
    ('fid', 'pr')
    """
    chosen = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    if not chosen or any(m not in METRICS for m in chosen) or len(set(chosen)) != len(chosen):
        raise ValueError(f"`metrics` must be distinct names from {METRICS}, got {metrics!r}")
    return chosen


def images_of(batch: object) -> Tensor:
    """The image tensor of a dataset item or batch: a tensor, the first element of a tuple/list, or
    ``batch["image"]`` / ``batch["images"]``.

    >>> images_of((torch.zeros(2, 1, 4, 4), torch.tensor([0, 1]))).shape
    torch.Size([2, 1, 4, 4])
    """
    if isinstance(batch, Tensor):
        return batch
    if isinstance(batch, (tuple, list)) and batch and isinstance(batch[0], Tensor):
        return batch[0]
    if isinstance(batch, dict):
        for key in ("image", "images"):
            if isinstance(batch.get(key), Tensor):
                return batch[key]
    raise TypeError(
        "cannot find images in a data item/batch: expected a tensor, a (images, ...) tuple or a dict with key "
        f"'image'/'images', got {type(batch).__name__}"
    )


class _Uint8Images(Dataset):
    """Items of a dataset / tensor of ``[-1, 1]`` images as ``uint8`` ``(C, H, W)``, grey repeated to RGB if asked."""

    def __init__(self, source: Dataset | Tensor, rgb: bool, limit: int | None = None) -> None:
        self.source, self.rgb = source, rgb
        self.length = len(source) if limit is None else min(limit, len(source))

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> Tensor:
        image = to_uint8(images_of(self.source[index]).detach().cpu())
        return image.expand(3, -1, -1).contiguous() if self.rgb and image.shape[0] == 1 else image


class _SamplingNet(nn.Module):
    """``z -> uint8 images``: what torch-fidelity's ``GenerativeModelModuleWrapper`` expects to wrap.

    Uses the EMA generator when the module has one. Conditional generators get uniformly drawn labels from a seeded
    generator (torch-fidelity's own label path targets old NumPy). Modules with only ``sample(n)`` draw their own
    noise; torch-fidelity's ``z`` then only sets the batch size.
    """

    def __init__(self, module: nn.Module, rgb: bool, seed: int) -> None:
        super().__init__()
        self.module, self.rgb = module, rgb
        self.net = _sampling_network(module)
        self.num_classes = getattr(module, "num_classes", None)
        self.labels = torch.Generator().manual_seed(seed)
        self.seed, self.calls = seed, 0

    def forward(self, z: Tensor) -> Tensor:
        if self.net is None:  # reproducible: batch k is drawn with seed + k
            images = sample_from(self.module, z.shape[0], seed=self.seed + self.calls)
            self.calls += 1
        else:
            z = z.to(next(self.net.parameters()).device)
            if self.num_classes:
                labels = torch.randint(self.num_classes, (z.shape[0],), generator=self.labels).to(z.device)
                images = self.net(z, labels)
            else:
                images = self.net(z)
        images = to_uint8(images)
        return images.expand(-1, 3, -1, -1) if self.rgb and images.shape[1] == 1 else images


def _sampling_network(module: nn.Module) -> nn.Module | None:
    """The network mapping ``z`` to samples: ours (``sampling_generator``), else the EMA copy, else ``generator``."""
    net = getattr(module, "sampling_generator", None)
    if net is None:
        ema = getattr(module, "ema_generator", None)
        net = getattr(ema, "module", ema) if ema is not None else getattr(module, "generator", None)
    return net if isinstance(net, nn.Module) else None


_FIDELITY_EXTRACTORS: dict[str, FeatureExtractor] = {}


def _fidelity_adapter_class() -> type:
    from torch_fidelity.feature_extractor_base import FeatureExtractorBase

    class FidelityAdapter(FeatureExtractorBase):
        """One of our extractors seen through torch-fidelity's feature-extractor interface."""

        def __init__(self, name: str, features_list: list[str], **_ignored: object) -> None:
            super().__init__(name, features_list)
            self.extractor = _FIDELITY_EXTRACTORS[name]

        @staticmethod
        def get_provided_features_list() -> tuple[str, ...]:
            return ("features", "logits")

        @staticmethod
        def get_default_feature_layer_for_metric(metric: str) -> str:
            return "logits" if metric == "isc" else "features"

        @staticmethod
        def can_be_compiled() -> bool:
            return False

        @staticmethod
        def get_dummy_input_for_compile() -> Tensor:
            return torch.zeros(1, 3, 8, 8, dtype=torch.uint8)

        def forward(self, images: Tensor) -> tuple[Tensor, ...]:
            features, logits = self.extractor.extract(images)
            named = {"features": features, "logits": logits}
            return tuple(named[name] for name in self.features_list)

    return FidelityAdapter


def register_with_fidelity(extractor: FeatureExtractor | nn.Module) -> str:
    """Register ``extractor`` with torch-fidelity; returns the name to pass as ``feature_extractor=``.

    torch-fidelity's Inception is returned under its own name (``"inception-v3-compat"``). Registering the same
    weights again reuses the name.

    >>> class Mean(nn.Module):
    ...     def forward(self, x):
    ...         return x.float().mean(dim=(2, 3))
    >>> register_with_fidelity(Mean()).startswith("lightning-gans-Mean-")
    True
    """
    from torch_fidelity import register_feature_extractor
    from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

    extractor = get_feature_extractor(extractor)
    if isinstance(extractor, InceptionV3Features):
        return extractor.name
    name = f"lightning-gans-{re.sub(r'[^A-Za-z0-9_.-]', '_', extractor.name)}-{(extractor.weights_sha256 or '')[:12]}"
    _FIDELITY_EXTRACTORS[name] = extractor
    if name not in FEATURE_EXTRACTORS_REGISTRY:
        register_feature_extractor(name, _fidelity_adapter_class())
    return name


def _fidelity_extractor(
    feature_extractor: str | nn.Module, weights: str | os.PathLike | None
) -> tuple[str, dict[str, str], dict[str, object], bool]:
    """torch-fidelity's extractor name and options, our provenance, and whether it needs RGB input."""
    if isinstance(feature_extractor, InceptionV3Features) or feature_extractor == "inception":
        # torch-fidelity's own Inception: the reference numbers
        path = Path(getattr(feature_extractor, "weights_path", None) or inception_weights_path(weights))
        provenance = {"extractor": "inception-v3-compat", "extractor_sha256": _file_sha256(path)}
        provenance["resize"] = InceptionV3Features.resize
        return "inception-v3-compat", {"feature_extractor_weights_path": str(path)}, provenance, True
    extractor = get_feature_extractor(feature_extractor, weights)
    provenance = {k: v for k, v in extractor.provenance().items() if k != "feature_dim"}
    return register_with_fidelity(extractor), {}, provenance, False


def _fake_input(generator: nn.Module | Tensor, num_samples: int, rgb: bool, seed: int) -> tuple[object, bool]:
    """torch-fidelity's first input (a Dataset of samples, or its generator wrapper) and whether it is on CUDA."""
    from torch_fidelity import GenerativeModelModuleWrapper

    if isinstance(generator, Tensor):
        if generator.dim() != 4 or len(generator) < num_samples:
            raise ValueError(
                f"`generator` as a tensor must hold >= num_samples={num_samples} images (N, C, H, W), "
                f"got shape {tuple(generator.shape)}"
            )
        return _Uint8Images(generator, rgb, num_samples), generator.is_cuda
    if isinstance(generator, nn.Module) and supports_sampling(generator):
        net = _SamplingNet(generator, rgb, seed)
        z_size = latent_dim_of(generator) if net.net is not None else 1
        cuda = next(generator.parameters(), torch.empty(0)).is_cuda
        return GenerativeModelModuleWrapper(net, z_size, "normal", 0), cuda  # eval mode, like sample()
    raise TypeError(
        "`generator` must be a tensor of samples or a module with `sample(n)` or `generator` + `latent_dim`, "
        f"got {type(generator).__name__}"
    )


def evaluate_generator(
    generator: nn.Module | Tensor,
    real: Dataset | Tensor | str | os.PathLike | None,
    num_samples: int = 50_000,
    metrics: Sequence[str] = METRICS,
    feature_extractor: str | nn.Module = "inception",
    extractor_weights: str | os.PathLike | None = None,
    batch_size: int = 64,
    seed: int = 0,
    kid_subset_size: int = 1000,
) -> dict[str, object]:
    """FID / KID / IS / precision-recall of ``generator`` against ``real`` with torch-fidelity.

    Args:
        generator: a module following the sampling protocol of :mod:`lightning_gans.sampling` (EMA weights used
            when present), or a tensor of samples ``(N, C, H, W)`` in ``[-1, 1]``.
        real: real images: a ``Dataset`` (items: images in ``[-1, 1]`` or ``(image, ...)``), a tensor, or a folder of
            PNG/JPEG files (read as RGB by torch-fidelity). All of it is used. ``None`` only for ``metrics=("is",)``.
        num_samples: generated samples (50k is the usual paper setting).
        metrics: any of ``"fid"``, ``"kid"``, ``"is"``, ``"pr"``.
        feature_extractor: a registry name of :func:`~lightning_gans.metrics.features.get_feature_extractor`
            (``"inception"`` is torch-fidelity's own) or any feature ``nn.Module``.
        extractor_weights: weights file of the named extractor.
        batch_size: images per forward pass.
        seed: torch-fidelity's ``rng_seed`` (noise, KID subsets, IS shuffling) and the label seed.
        kid_subset_size: KID subset size, capped at the sample counts.

    Returns:
        ``{"fid", "kid", "kid_std", "is", "is_std", "precision", "recall"}`` (those computed) as floats, and
        ``"provenance"``: extractor, weights sha256, resize, sample counts, seed.

    >>> class Mean(nn.Module):
    ...     def forward(self, x):
    ...         return x.float().mean(dim=(2, 3))
    >>> real = torch.rand(64, 2, 4, 4, generator=torch.Generator().manual_seed(0)) * 2 - 1
    >>> result = evaluate_generator(real, real, num_samples=64, metrics=("fid",), feature_extractor=Mean())
    >>> round(result["fid"], 6) + 0.0, result["provenance"]["num_real"]
    (0.0, 64)
    """
    chosen = check_metrics(metrics)
    check_feature_extractor_name(feature_extractor)
    if not isinstance(num_samples, int) or num_samples < 2:
        raise ValueError(f"`num_samples` must be an int >= 2, got {num_samples!r}")
    if not isinstance(kid_subset_size, int) or kid_subset_size < 2:
        raise ValueError(f"`kid_subset_size` must be an int >= 2, got {kid_subset_size!r}")
    if real is None and chosen != ("is",):
        raise ValueError(f"`real` is needed for {[m for m in chosen if m != 'is']}; got None")
    from torch_fidelity import __version__ as fidelity_version
    from torch_fidelity import calculate_metrics

    fe_name, fe_options, provenance, rgb = _fidelity_extractor(feature_extractor, extractor_weights)
    if isinstance(real, (str, os.PathLike)):
        if not Path(real).is_dir():
            raise ValueError(f"`real` as a path must be a folder of images, got {str(real)!r}")
        real_input, num_real = str(real), None
    else:
        real_input = None if real is None else _Uint8Images(real, rgb)
        num_real = None if real is None else len(real_input)
    restore = {m: m.training for m in generator.modules()} if isinstance(generator, nn.Module) else {}
    fake, cuda = _fake_input(generator, num_samples, rgb, seed)
    subset = min(kid_subset_size, num_samples, num_real or num_samples)
    try:
        raw = calculate_metrics(
            input1=fake,
            input2=real_input,
            input1_model_num_samples=num_samples,
            cuda=cuda,
            batch_size=batch_size,
            feature_extractor=fe_name,
            kid_subset_size=subset,
            rng_seed=seed,
            cache=False,  # never write statistics to ~/.cache behind the user's back
            save_cpu_ram=True,  # in-process data loading: the inputs are in memory already
            verbose=False,
            **{_FIDELITY_FLAGS[m]: True for m in chosen},
            **fe_options,
        )
    finally:
        for submodule, mode in restore.items():  # torch-fidelity's wrapper switched everything to eval mode
            submodule.train(mode)
    result: dict[str, object] = {_RESULT_KEYS[k]: float(v) for k, v in raw.items() if k in _RESULT_KEYS}
    result["provenance"] = {
        **provenance,
        "num_fake": num_samples,
        "num_real": num_real,
        "seed": seed,
        "kid_subset_size": subset if "kid" in chosen else None,
        "implementation": f"torch-fidelity {fidelity_version}",
    }
    return result
