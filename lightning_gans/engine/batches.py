"""What the engine checks about the data before and while training on them, each with a message that says what to
change: the batches (type, dtype, range, labels, packs), what the discriminator returns for them, a data module's
settings against the model's, and an empty training set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor

from lightning_gans.data.batches import unpack_batch

#: The shared vocabulary that a model and its data module both may set, and must then agree on.
SHARED_SETTINGS = ("image_size", "channels", "data_dim", "num_classes")


def split_batch(batch: Any, num_classes: int | None, model_name: str) -> tuple[Tensor, Tensor | None]:
    """``(samples, labels)`` from a batch that is a tensor or a ``(samples, labels, ...)`` sequence.

    >>> split_batch(torch.zeros(4, 2), None, "GAN")[0].shape
    torch.Size([4, 2])
    """
    real, labels = unpack_batch(batch)
    if num_classes is None:
        return real, None  # unconditional models ignore the dataset's labels
    if labels is None:
        raise ValueError(
            f"{model_name} is conditional (num_classes={num_classes}): batches must be (samples, labels), "
            "but the dataloader yields samples only"
        )
    # Labels on the CPU are looked at in every batch (no device sync); on a device only in the first batch (a sync
    # per step would stall it; a LightningModule hook on the CPU side would make Lightning warn on every fit).
    if not isinstance(labels, Tensor) or labels.device.type == "cpu":
        check_labels(labels, num_classes)
    return real, labels


def check_labels(labels: Any, num_classes: int) -> None:
    """The data's labels must be integer class ids in ``[0, num_classes)`` (else an embedding fails deep inside
    torch: an ``IndexError`` on the CPU, a device-side assert on CUDA). Looks at the values: on a device, a sync.

    >>> check_labels(torch.tensor([0, 3, 12]), num_classes=10)
    Traceback (most recent call last):
    ...
    ValueError: the data's labels must be class ids in [0, 9] (num_classes=10); a batch holds labels in [0, 12]: set num_classes to the number of classes in the data, or map the labels to 0..9
    """
    integer = isinstance(labels, Tensor) and not (labels.is_floating_point() or labels.is_complex())
    if not integer or labels.dtype == torch.bool:
        kind = labels.dtype if isinstance(labels, Tensor) else type(labels).__name__
        raise TypeError(
            f"the data's labels must be a tensor of integer class ids (num_classes={num_classes}), got {kind}"
        )
    if labels.numel() == 0:
        return
    low, high = (int(v) for v in torch.aminmax(labels))
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"the data's labels must be class ids in [0, {num_classes - 1}] (num_classes={num_classes}); a batch holds "
            f"labels in [{low}, {high}]: set num_classes to the number of classes in the data, or map the labels to "
            f"0..{num_classes - 1}"
        )


def check_logits(logits: Tensor, num_inputs: int, pack: int = 1) -> None:
    """The discriminator must return one logit per sample (per group of ``pack`` samples for a packed one):
    ``(N,)`` or ``(N, 1)``. A shape check only, no device sync.

    >>> check_logits(torch.zeros(8, 2), num_inputs=8)
    Traceback (most recent call last):
    ...
    ValueError: the discriminator must return one logit per sample, shape (8,) or (8, 1), got (8, 2): end it in a layer with one output (logits, no sigmoid)
    """
    expected = num_inputs // pack
    if logits.numel() == expected and (logits.dim() == 1 or logits.shape in ((expected, 1), (expected, 1, 1, 1))):
        return
    per = "sample" if pack == 1 else f"group of pack={pack} samples ({num_inputs} samples in)"
    raise ValueError(
        f"the discriminator must return one logit per {per}, shape ({expected},) or ({expected}, 1), got "
        f"{tuple(logits.shape)}: end it in a layer with one output (logits, no sigmoid)"
    )


def check_pack(real: Tensor, labels: Tensor | None, pack: int) -> tuple[Tensor, Tensor | None]:
    """Whole groups of ``pack`` samples for a packed discriminator; the remainder of the batch is dropped.

    A batch smaller than ``pack`` cannot form one group: an error, not a silent step without any update.

    >>> check_pack(torch.zeros(10, 2), None, 4)[0].shape
    torch.Size([8, 2])
    >>> check_pack(torch.zeros(3, 2), None, 4)
    Traceback (most recent call last):
    ...
    ValueError: a batch of 3 samples cannot form one group of pack=4 for the packed discriminator: use a batch size that is a multiple of pack (and DataLoader(drop_last=True) if the last batch of an epoch is smaller), or a smaller pack
    """
    size = real.shape[0]
    if size < pack:
        raise ValueError(
            f"a batch of {size} samples cannot form one group of pack={pack} for the packed discriminator: use a "
            "batch size that is a multiple of pack (and DataLoader(drop_last=True) if the last batch of an epoch is "
            "smaller), or a smaller pack"
        )
    usable = size - size % pack
    if usable == size:
        return real, labels
    return real[:usable], None if labels is None else labels[:usable]


def check_first_batch(real: Tensor, dtype: torch.dtype | None = None, augment: str | None = None) -> None:
    """Real samples must be floats of the networks' ``dtype``, images in [-1, 1]; DiffAugment (``augment``, its
    policy) needs images. Errors for what is clearly wrong (uint8, [0, 255], float64 for float32 weights), a warning
    for images in [0, 1] (possibly right, more likely not rescaled).

    Looks at the values once (one device sync), so call it on the first batch only.

    >>> check_first_batch(torch.zeros(2, 1, 8, 8, dtype=torch.uint8))
    Traceback (most recent call last):
    ...
    TypeError: the engine expects real samples as floats (images in [-1, 1], float32, N x C x H x W); the first batch is torch.uint8. Convert, e.g. x.float() / 127.5 - 1 for uint8 images
    >>> check_first_batch(torch.zeros(2, 2, dtype=torch.float64), dtype=torch.float32)
    Traceback (most recent call last):
    ...
    TypeError: the first batch is torch.float64 but the networks' weights are torch.float32: convert the data (x.float(), e.g. in the dataset), or train in float64 with Trainer(precision="64-true")
    """
    if not real.is_floating_point():
        raise TypeError(
            f"the engine expects real samples as floats (images in [-1, 1], float32, N x C x H x W); the first batch is "
            f"{real.dtype}. Convert, e.g. x.float() / 127.5 - 1 for uint8 images"
        )
    # Else a bare "mat1 and mat2 must have the same dtype" in D; under autocast a half-precision batch works.
    half_under_autocast = real.dtype in (torch.float16, torch.bfloat16) and torch.is_autocast_enabled(real.device.type)
    if dtype is not None and real.dtype != dtype and not half_under_autocast:
        wider = real.dtype == torch.float64
        how = 'train in float64 with Trainer(precision="64-true")' if wider else "change the model's dtype"
        raise TypeError(
            f"the first batch is {real.dtype} but the networks' weights are {dtype}: convert the data (x.float(), e.g. "
            f"in the dataset), or {how}"
        )
    if augment and real.dim() != 4:
        raise ValueError(
            f"regularization.augment={augment!r} (DiffAugment) transforms images (N, C, H, W), but the data are "
            f"samples of shape {tuple(real.shape[1:])}: set augment='' (or None) for data that are not images"
        )
    if real.dim() != 4 or real.numel() == 0:
        return  # vectors (2-D mixtures, ...) may have any range
    low, high = torch.aminmax(real.detach())
    low, high = float(low), float(high)
    if low < -1.5 or high > 1.5:  # some slack for augmentation or noise; [0, 255] is far out
        raise ValueError(
            f"the engine expects images as floats in [-1, 1] (the generator ends in tanh); the first batch holds "
            f"values in [{low:.4g}, {high:.4g}]. Rescale, e.g. x / 127.5 - 1 for values in [0, 255], 2 * x - 1 for [0, 1]"
        )
    if 0.0 <= low and high <= 1.0 and high > low:  # right only for data that never go below mid-grey
        rank_zero_warn(
            f"the first batch of images holds values in [{low:.3g}, {high:.3g}], while the engine expects [-1, 1] (the "
            "generator ends in tanh): if the data are in [0, 1], rescale them with 2 * x - 1"
        )


def check_data_matches(model_hparams: Mapping[str, Any], data_hparams: Mapping[str, Any]) -> None:
    """A model and its data module that both set one of :data:`SHARED_SETTINGS` must agree on it (the model's
    ``None`` means "not set"); else the generator draws samples of another size than the data.

    >>> check_data_matches({"image_size": 28, "data_dim": None}, {"image_size": 32, "batch_size": 64})
    Traceback (most recent call last):
    ...
    ValueError: the model and the data module disagree on image_size: the model has 28, the data 32; set the same value on both (lightning-gans: --model.init_args.image_size and --data.init_args.image_size)
    """
    differ = [
        key
        for key in SHARED_SETTINGS
        if model_hparams.get(key) is not None and key in data_hparams and data_hparams[key] != model_hparams[key]
    ]
    if differ:
        values = "; ".join(f"{key}: the model has {model_hparams[key]}, the data {data_hparams[key]}" for key in differ)
        options = ", ".join(f"--model.init_args.{k} and --data.init_args.{k}" for k in differ)
        raise ValueError(
            f"the model and the data module disagree on {values}; set the same value on both (lightning-gans: {options})"
        )


def check_batches_seen(trainer: Any) -> None:
    """After a fit: an empty training set is an error, not a fit that ends "normally" without a single step."""
    if trainer.num_training_batches == 0 and trainer.limit_train_batches != 0:
        raise ValueError(
            "the training data are empty: the train dataloader gave 0 batches, so nothing was trained. Check the "
            "dataset (its folder or file, its size) and that batch_size is not larger than the dataset when the "
            "loader drops the last incomplete batch (drop_last=True)"
        )
