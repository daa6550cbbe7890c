"""A small MNIST digit classifier: the domain feature extractor for digits, and its training command.

It serves three evaluations: counting stacked-MNIST modes (each colour channel is classified as a digit),
IS-style scores from its logits, and a Fréchet distance on its penultimate features.

Train it once and keep the file::

    python -m lightning_gans.metrics.classifier --data-dir DIR --out mnist_classifier.pt [--epochs N]

``DIR`` holds the MNIST IDX files. With the 60k training set present the classifier trains on it; with only the
10k test set it trains on the first 8,000 test images. Either way the last ``--holdout`` images (default 2,000)
are never trained on and give the accuracy stored in the file.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["MNISTClassifier", "train_mnist_classifier", "load_mnist_classifier", "weights_sha256", "main"]

_IMAGE_SIZE = 28
_TRAIN_COMMAND = "python -m lightning_gans.metrics.classifier --data-dir DIR --out {path}"


def _conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    # Two 3x3 convolutions then a 2x2 max-pool: (N, in, H, W) -> (N, out, H/2, W/2).
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class MNISTClassifier(nn.Module):
    """A small CNN mapping ``(N, 1, H, W)`` digits in ``[-1, 1]`` to 10 logits.

    Inputs that are not 28x28 are resized inside :meth:`forward` / :meth:`features` with bilinear interpolation
    and no antialiasing (the same convention as torch-fidelity's Inception resize).

    Args:
        width: channels of the first convolution block; the second block has ``2 * width``.
        feature_dim: size of the penultimate layer returned by :meth:`features`.

    >>> net = MNISTClassifier(width=4, feature_dim=8).eval()
    >>> net(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    >>> net.features(torch.zeros(3, 1, 32, 32)).shape  # resized to 28x28 first
    torch.Size([3, 8])
    """

    def __init__(self, width: int = 32, feature_dim: int = 128) -> None:
        super().__init__()
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"`width` must be a positive int, got {width!r}")
        if not isinstance(feature_dim, int) or feature_dim < 1:
            raise ValueError(f"`feature_dim` must be a positive int, got {feature_dim!r}")
        self.width, self.feature_dim = width, feature_dim
        # 28x28 -> 14x14 -> 7x7
        self.body = nn.Sequential(_conv_block(1, width), _conv_block(width, 2 * width), nn.Flatten())
        self.embed = nn.Linear(2 * width * 7 * 7, feature_dim)
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.3), nn.Linear(feature_dim, 10))

    def _prepare(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 1:
            raise ValueError(f"`x` must have shape (N, 1, H, W) with images in [-1, 1], got {tuple(x.shape)}")
        x = x.float()
        if x.shape[-2:] != (_IMAGE_SIZE, _IMAGE_SIZE):
            x = F.interpolate(x, size=(_IMAGE_SIZE, _IMAGE_SIZE), mode="bilinear", align_corners=False, antialias=False)
        return x

    def features(self, x: Tensor) -> Tensor:
        """Penultimate features ``(N, feature_dim)``, taken before the ReLU (better conditioned covariances
        for a Fréchet distance than rectified ones)."""
        return self.embed(self.body(self._prepare(x)))

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``(N, 10)`` for images ``(N, 1, H, W)`` in ``[-1, 1]``."""
        return self.head(self.features(x))


def weights_sha256(state_dict: dict[str, Tensor]) -> str:
    """SHA-256 of a state dict: parameter names and raw bytes in key order (independent of the file format).

    >>> len(weights_sha256(MNISTClassifier(width=2, feature_dim=4).state_dict()))
    64
    """
    digest = hashlib.sha256()
    for name, tensor in state_dict.items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _augment(x: Tensor, generator: torch.Generator) -> Tensor:
    """Random small affine warps (rotation +-10 deg, scale 0.9-1.1, shift +-2 px) of ``(N, 1, 28, 28)`` images.

    8,000 training images are few; these warps are what lets the small CNN pass 98% held-out accuracy.
    """
    n = x.shape[0]
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(10)
    scale = 1 + (torch.rand(n, generator=generator) * 2 - 1) * 0.1
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * (2 / 14)  # 2 px in normalised coordinates
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Warp in [0, 2] so the zero padding is background (-1 after shifting back), not mid-grey.
    return F.grid_sample(x + 1, grid, align_corners=False, padding_mode="zeros") - 1


@torch.no_grad()
def _accuracy(model: MNISTClassifier, images: Tensor, labels: Tensor, batch_size: int = 1000) -> float:
    model.eval()
    correct = 0
    for start in range(0, len(images), batch_size):
        logits = model(images[start : start + batch_size])
        correct += int((logits.argmax(1) == labels[start : start + batch_size]).sum())
    return correct / len(images)


def _fit(
    images: Tensor, labels: Tensor, epochs: int, holdout: int, seed: int, width: int = 32, batch_size: int = 128
) -> tuple[MNISTClassifier, dict]:
    """Train on all but the last ``holdout`` images; return the model (eval mode) and the run's metadata."""
    # A plain PyTorch loop rather than a LightningModule: a fixed recipe with nothing to log or checkpoint, so
    # the command stays fast to start and bit-reproducible on CPU for a given seed.
    if len(images) != len(labels):
        raise ValueError(f"images and labels differ in length: {len(images)} vs {len(labels)}")
    if not 1 <= holdout < len(images):
        raise ValueError(f"`holdout` must be in [1, {len(images) - 1}] for {len(images)} images, got {holdout}")
    with torch.random.fork_rng(devices=[]):  # seed init and dropout without changing the caller's random state
        torch.manual_seed(seed)
        return _fit_seeded(images, labels, epochs, holdout, seed, width, batch_size)


def _fit_seeded(
    images: Tensor, labels: Tensor, epochs: int, holdout: int, seed: int, width: int, batch_size: int
) -> tuple[MNISTClassifier, dict]:
    generator = torch.Generator().manual_seed(seed)  # shuffling and augmentation
    x = images.float().div(127.5).sub(1).unsqueeze(1)  # uint8 (N, 28, 28) -> [-1, 1] (N, 1, 28, 28)
    y = labels.long()
    x_train, y_train, x_hold, y_hold = x[:-holdout], y[:-holdout], x[-holdout:], y[-holdout:]
    model = MNISTClassifier(width=width)
    steps_per_epoch = math.ceil(len(x_train) / batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=epochs * steps_per_epoch)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        for i in range(steps_per_epoch):
            index = order[i * batch_size : (i + 1) * batch_size]
            loss = F.cross_entropy(model(_augment(x_train[index], generator)), y_train[index], label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    model.eval()
    info = {
        "accuracy": _accuracy(model, x_hold, y_hold),
        "num_train": len(x_train),
        "num_holdout": holdout,
        "epochs": epochs,
        "seed": seed,
        "train_seconds": round(time.perf_counter() - start, 1),
    }
    return model, info


def train_mnist_classifier(
    data_dir: str | os.PathLike, out_path: str | os.PathLike, epochs: int = 4, holdout: int = 2000, seed: int = 0
) -> dict:
    """Train :class:`MNISTClassifier` on the MNIST files in ``data_dir`` and save it to ``out_path``.

    The images come from ``lightning_gans.data.mnist_files.load_mnist_arrays(data_dir, split="auto")`` (the 60k
    training set when present, else the 10k test set). The last ``holdout`` images are held out: the model never
    trains on them and the returned / saved ``accuracy`` is measured on them. With only the test set present that is
    training on the first 8,000 test images and evaluating on the last 2,000.

    The file holds ``{"state_dict", "metadata"}``; metadata has ``accuracy``, ``sha256`` (see
    :func:`weights_sha256`), ``training_data`` (a description), sizes, epochs, seed and the architecture.
    Returns the metadata. On this project's 2-core CPU, 4 epochs on 8,000 images take about a minute.

    >>> train_mnist_classifier("/nonexistent", "model.pt", epochs=0)
    Traceback (most recent call last):
    ...
    ValueError: `epochs` must be an int >= 1, got 0
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"`epochs` must be an int >= 1, got {epochs!r}")
    if isinstance(holdout, bool) or not isinstance(holdout, int) or holdout < 1:
        raise ValueError(f"`holdout` must be an int >= 1, got {holdout!r}")
    # The data package is only needed to train, not to load and use a classifier.
    from lightning_gans.data.mnist_files import load_mnist_arrays, resolve_mnist_split

    images, labels = load_mnist_arrays(data_dir, split="auto")
    split = resolve_mnist_split(data_dir, "auto")
    model, info = _fit(images, labels, epochs=epochs, holdout=holdout, seed=seed)
    state_dict = {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()}
    metadata = {
        **info,
        "sha256": weights_sha256(state_dict),
        "training_data": (
            f"MNIST {split} split from '{Path(data_dir).expanduser().resolve()}': {len(images)} images; "
            f"trained on the first {info['num_train']}, accuracy on the last {holdout}"
        ),
        "width": model.width,
        "feature_dim": model.feature_dim,
        "input": "(N, 1, H, W) in [-1, 1]; resized to 28x28 (bilinear, no antialias)",
        "torch_version": str(torch.__version__),
    }
    out_path = Path(out_path).expanduser()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state_dict, "metadata": metadata}, out_path)
    return metadata


def load_mnist_classifier(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> MNISTClassifier:
    """Load a classifier saved by :func:`train_mnist_classifier`, in eval mode; its metadata is ``.metadata``.

    The weights are checked against the stored SHA-256, so a truncated or edited file fails loudly.

    >>> load_mnist_classifier("missing.pt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: no MNIST classifier weights at '...missing.pt'; train them with: python -m lightning_gans...
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"no MNIST classifier weights at '{path.resolve()}'; train them with: "
            + _TRAIN_COMMAND.format(path=path.resolve())
        )
    payload = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(payload, dict) or "state_dict" not in payload or "metadata" not in payload:
        raise ValueError(f"'{path}' is not a file written by train_mnist_classifier (no state_dict / metadata)")
    metadata = payload["metadata"]
    if weights_sha256(payload["state_dict"]) != metadata.get("sha256"):
        raise ValueError(f"the weights in '{path}' do not match their stored sha256; the file is corrupt or edited")
    model = MNISTClassifier(width=int(metadata["width"]), feature_dim=int(metadata["feature_dim"]))
    model.load_state_dict(payload["state_dict"])
    model.metadata = dict(metadata)
    return model.eval()


def main(argv: list[str] | None = None) -> dict:
    """Command line: ``python -m lightning_gans.metrics.classifier --data-dir DIR --out FILE [--epochs N]``.

    Also ``--holdout``, ``--seed`` and ``--threads``; prints the held-out accuracy and returns the file's metadata.
    """
    parser = argparse.ArgumentParser(
        prog="python -m lightning_gans.metrics.classifier",
        description="Train the MNIST digit classifier used for stacked-MNIST mode counting and digit feature metrics.",
    )
    parser.add_argument("--data-dir", required=True, help="folder with the MNIST IDX files (.gz or unpacked)")
    parser.add_argument("--out", required=True, help="where to write the weights file (.pt)")
    parser.add_argument("--epochs", type=int, default=4, help="training epochs (default: 4)")
    parser.add_argument("--holdout", type=int, default=2000, help="last images held out for accuracy (default: 2000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--threads", type=int, default=None, help="CPU threads (default: torch's choice; 1 is faster on a busy CPU)"
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            parser.error(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    metadata = train_mnist_classifier(args.data_dir, args.out, epochs=args.epochs, holdout=args.holdout, seed=args.seed)
    print(
        f"held-out accuracy {metadata['accuracy']:.4f} on {metadata['num_holdout']} images "
        f"(trained on {metadata['num_train']}, {metadata['train_seconds']} s); saved {args.out} "
        f"(sha256 {metadata['sha256'][:12]}...)"
    )
    return metadata


if __name__ == "__main__":
    main()
