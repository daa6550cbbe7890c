"""Reading (and, on request, downloading) the MNIST IDX files, with clear errors when they are missing.

The four files are ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte`` (60,000 digits) and
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (10,000), each either gzipped (``.gz``) or unpacked. They are
looked up in ``data_dir`` itself and in ``data_dir/MNIST/raw`` (where torchvision puts them).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from lightning_gans.checks import check_choice, check_dir
from lightning_gans.data._common import describe_files

MNIST_SPLITS: tuple[str, ...] = ("auto", "train", "test")
#: Base names (without ``.gz``) of the images and labels files of each split.
MNIST_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# IDX type code 0x08 = unsigned byte, the only type MNIST uses.
_UBYTE = 0x08


def read_idx(path: str | os.PathLike) -> Tensor:
    """Read an IDX file of unsigned bytes (optionally gzipped) into a ``uint8`` tensor of the stored shape.

    The header is checked: two zero bytes, type code ``0x08`` (ubyte), the number of dimensions, then one big-endian
    int32 per dimension; the payload must hold exactly the product of the dimensions.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny-idx2-ubyte"
    >>> _ = path.write_bytes(bytes([0, 0, 8, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") + bytes(range(6)))
    >>> read_idx(path)
    tensor([[0, 1, 2],
            [3, 4, 5]], dtype=torch.uint8)
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as err:  # gzip raises BadGzipFile (an OSError) or EOFError on truncated files
        raise ValueError(f"cannot read IDX file '{path}': {err}") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"'{path}' is not an IDX file: it must start with two zero bytes (got {raw[:4]!r})")
    if raw[2] != _UBYTE:
        raise ValueError(f"'{path}' holds IDX type code {raw[2]:#04x}; only unsigned bytes (0x08) are supported")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"'{path}' is truncated: its header announces {ndim} dimensions")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != expected:
        raise ValueError(
            f"'{path}' has {len(raw) - header} data bytes but its header shape {shape} needs {expected} "
            "(file truncated or corrupted?)"
        )
    array = np.frombuffer(raw, dtype=np.uint8, count=expected, offset=header).reshape(shape)
    return torch.from_numpy(array.copy())


def _search_dirs(data_dir: Path) -> list[Path]:
    return [data_dir, data_dir / "MNIST" / "raw"]


def find_mnist_file(data_dir: str | os.PathLike, name: str) -> Path | None:
    """The path of MNIST file ``name`` (unpacked preferred, else ``name + ".gz"``) under ``data_dir``, or None.

    >>> import tempfile
    >>> find_mnist_file(tempfile.mkdtemp(), "t10k-images-idx3-ubyte") is None
    True
    """
    for folder in _search_dirs(Path(data_dir)):
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def mnist_split_available(data_dir: str | os.PathLike, split: str) -> bool:
    """Whether both files of ``split`` (``"train"`` or ``"test"``) are present under ``data_dir``.

    >>> import tempfile
    >>> mnist_split_available(tempfile.mkdtemp(), "train")
    False
    """
    check_choice("split", split, ("train", "test"))
    return all(find_mnist_file(data_dir, name) is not None for name in MNIST_FILES[split])


def resolve_mnist_split(data_dir: str | os.PathLike, split: str) -> str:
    """``"train"`` or ``"test"``: ``"auto"`` picks the training files if present, else the test files.

    With neither present, ``"auto"`` resolves to ``"train"`` (what a download fetches).

    >>> import tempfile
    >>> resolve_mnist_split(tempfile.mkdtemp(), "auto")
    'train'
    """
    check_choice("split", split, MNIST_SPLITS)
    if split != "auto":
        return split
    if mnist_split_available(data_dir, "train"):
        return "train"
    return "test" if mnist_split_available(data_dir, "test") else "train"


def missing_mnist_message(data_dir: Path, split: str) -> str:
    """The error text for missing MNIST files of ``split``: names, folders searched, and how to get them.

    >>> "t10k-labels-idx1-ubyte.gz" in missing_mnist_message(Path("data"), "test")
    True
    """
    names = [f"{name}.gz" for name in MNIST_FILES[split]]
    folders = " and ".join(f"'{d.resolve()}'" for d in _search_dirs(data_dir))
    other = "test (t10k-*)" if split == "train" else "training (train-*)"
    return (
        f"MNIST {split} files not found: expected {', '.join(map(repr, names))} (gzipped or unpacked) in {folders}. "
        f"Get them with `download=True` (torchvision's MNIST mirrors, e.g. "
        f"https://ossci-datasets.s3.amazonaws.com/mnist/{names[0]}), or copy them into '{data_dir.resolve()}'; "
        f"`torchvision.datasets.MNIST(root='{data_dir.resolve()}', download=True)` also works. "
        f"With split='auto', the {other} files are used when the {split} files are absent."
    )


def load_mnist_arrays(data_dir: str | os.PathLike, split: str = "auto") -> tuple[Tensor, Tensor]:
    """Load one MNIST split as ``(images uint8 (N, 28, 28), labels int64 (N,))``.

    ``split="auto"`` uses the training files when present, otherwise the test (``t10k-*``) files, so a folder
    holding only the test set can still be trained on. Missing files raise ``FileNotFoundError`` naming the exact
    files and folders; malformed files raise ``ValueError``.

    >>> import tempfile
    >>> try:
    ...     load_mnist_arrays(tempfile.mkdtemp(), split="test")
    ... except FileNotFoundError as err:
    ...     print("t10k-images-idx3-ubyte.gz" in str(err))
    True
    """
    data_dir = check_dir("data_dir", data_dir)
    split = resolve_mnist_split(data_dir, split)
    paths = [find_mnist_file(data_dir, name) for name in MNIST_FILES[split]]
    if any(path is None for path in paths):
        raise FileNotFoundError(missing_mnist_message(data_dir, split))
    images, labels = (read_idx(path) for path in paths)
    if images.dim() != 3 or tuple(images.shape[1:]) != (28, 28):
        raise ValueError(f"'{paths[0]}' must hold images of shape (N, 28, 28), found {tuple(images.shape)}")
    if labels.dim() != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"'{paths[1]}' must hold one label per image ({images.shape[0]}), found shape {tuple(labels.shape)}"
        )
    if labels.numel() and int(labels.max()) > 9:
        raise ValueError(f"'{paths[1]}' holds label {int(labels.max())}; MNIST labels are 0..9")
    return images, labels.long()


def download_mnist(data_dir: str | os.PathLike, split: str) -> None:
    """Download the two files of ``split`` into ``data_dir`` (skipping files already there), via torchvision.

    Network failures raise ``RuntimeError`` naming the files, the folder and the URLs to fetch by hand.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in MNIST_FILES["test"]:
    ...     _ = (folder / f"{name}.gz").write_bytes(b"")
    >>> download_mnist(folder, "test")  # both files present: nothing is fetched
    """
    from torchvision.datasets import MNIST
    from torchvision.datasets import utils as tv_utils

    data_dir = check_dir("data_dir", data_dir)
    check_choice("split", split, ("train", "test"))
    checksums = dict(MNIST.resources)
    for name in MNIST_FILES[split]:
        if find_mnist_file(data_dir, name) is not None:
            continue
        filename = f"{name}.gz"
        urls = [f"{mirror}{filename}" for mirror in MNIST.mirrors]
        errors: list[BaseException] = []
        for url in urls:
            try:
                tv_utils.download_url(url, root=str(data_dir), filename=filename, md5=checksums.get(filename))
            except (OSError, RuntimeError) as err:  # URLError/HTTPError/socket errors are OSErrors
                errors.append(err)
                continue
            if (data_dir / filename).is_file():
                break
        else:
            raise RuntimeError(
                f"could not download MNIST file {filename!r} into '{data_dir.resolve()}' "
                f"(last error: {errors[-1] if errors else 'file missing after download'}). Download it by hand from "
                f"{' or '.join(urls)} and place {describe_files(data_dir, [filename])}; "
                f"the files of the {split} split are {', '.join(repr(n + '.gz') for n in MNIST_FILES[split])}"
            ) from (errors[-1] if errors else None)


def ensure_mnist_files(data_dir: str | os.PathLike, split: str = "auto") -> None:
    """Download what ``split`` needs unless present; ``"auto"`` fetches the training files only when neither the
    training nor the test files are in ``data_dir``.

    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in MNIST_FILES["test"]:
    ...     _ = (folder / name).write_bytes(b"")  # present (content is only checked when loading)
    >>> ensure_mnist_files(folder, "auto")  # the test files are there: nothing to download
    """
    data_dir = check_dir("data_dir", data_dir)
    check_choice("split", split, MNIST_SPLITS)
    if split == "auto" and any(mnist_split_available(data_dir, s) for s in ("train", "test")):
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    download_mnist(data_dir, resolve_mnist_split(data_dir, split))
