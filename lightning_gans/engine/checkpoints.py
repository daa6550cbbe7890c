"""Checkpoint files: which class wrote them, whether they are readable at all, and where a recipe's last one is.

- :func:`class_record` / :func:`check_checkpoint_class`: a checkpoint records the class that saved it; loading it as
  a class that is neither that class nor one of its ancestors raises :class:`CheckpointClassError`
  (``DCGAN.load_from_checkpoint`` of a WGAN-GP checkpoint would otherwise return a "DCGAN" with the Wasserstein
  loss).
- :func:`unreadable_checkpoint_error`: after a failed read, says whether the file itself is the problem (garbage,
  truncated, empty) with a :class:`CheckpointReadError` naming it, instead of torch's ``IndexError: pop from empty
  list`` or ``OSError: [Errno 22]``. :class:`CheckedCheckpointIO` applies it to every read of a ``Trainer``.
- :func:`latest_checkpoint`: the newest ``last.ckpt`` under a log root, for ``--ckpt_path last``.
- :class:`CheckedCheckpointIO` also makes every local write atomic (a temporary file next to it, then a rename).
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path
from typing import Any

from lightning.fabric.plugins import CheckpointIO

__all__ = [
    "CheckedCheckpointIO",
    "CheckpointClassError",
    "CheckpointReadError",
    "check_checkpoint_class",
    "check_reads_of",
    "checkpoint_file_problem",
    "class_record",
    "explain_load_failure",
    "latest_checkpoint",
    "unreadable_checkpoint_error",
]

#: torch.save's legacy (pre-zip) format starts with its magic number pickled with protocol 2.
_LEGACY_MAGIC = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19."


class CheckpointReadError(ValueError):
    """The file is not a readable checkpoint (not a ``torch.save`` file, truncated, or corrupted)."""


class CheckpointClassError(TypeError):
    """The checkpoint was written by a class that the loading class is not (nor an ancestor of)."""


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def class_record(module: object) -> dict[str, object]:
    """What a checkpoint stores about the class that saved it: its qualified name and those of its ancestors.

    >>> from lightning_gans import WGANGP
    >>> record = class_record(WGANGP(data_dim=2))
    >>> record["class"], "lightning_gans.gan.GAN" in record["ancestors"]
    ('lightning_gans.variants.WGANGP', True)
    """
    mro = type(module).__mro__
    return {"class": _qualified_name(mro[0]), "ancestors": [_qualified_name(c) for c in mro[1:]]}


def check_checkpoint_class(cls: type, checkpoint: dict[str, Any], key: str = "lightning_gans") -> None:
    """Raise :class:`CheckpointClassError` when ``checkpoint[key]`` records a class that ``cls`` is not, nor an
    ancestor of. Checkpoints without a record are accepted.

    >>> from lightning_gans import DCGAN, WGANGP
    >>> saved = {"lightning_gans": class_record(WGANGP(data_dim=2))}
    >>> check_checkpoint_class(WGANGP, saved)
    >>> check_checkpoint_class(DCGAN, saved)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lightning_gans.engine.checkpoints.CheckpointClassError: this checkpoint was saved by lightning_gans.variants.WGANGP, ...
    """
    record = checkpoint.get(key, {})
    saved = record.get("class") if isinstance(record, dict) else None
    if saved is None:
        return
    wanted = _qualified_name(cls)
    if wanted == saved or wanted in record.get("ancestors", ()):
        return
    short = saved.rsplit(".", 1)[-1]
    raise CheckpointClassError(
        f"this checkpoint was saved by {saved}, not by {wanted} (nor a subclass of it): loading it as "
        f"{cls.__name__} would keep {short}'s settings (loss, penalties, n_critic) under the name {cls.__name__}. "
        f"Load it with {short}.load_from_checkpoint(...); to start a "
        f"{cls.__name__} from its weights, use {cls.__name__}(...).load_state_dict(checkpoint['state_dict'])"
    )


def checkpoint_file_problem(path: str | os.PathLike) -> str | None:
    """What is wrong with the file at ``path`` as a ``torch.save`` checkpoint, or ``None`` if its container looks
    intact (a zip archive with a ``data.pkl`` whose members pass their CRC check, or torch's legacy format).

    >>> import tempfile
    >>> garbage = Path(tempfile.mkdtemp()) / "garbage.ckpt"
    >>> _ = garbage.write_bytes(b"not a checkpoint")
    >>> checkpoint_file_problem(garbage)
    'it is not a zip archive as torch.save writes (16 bytes): truncated, or not a checkpoint at all'
    """
    path = Path(path)
    if not path.is_file():
        return None  # a missing file has its own, clear error
    size = path.stat().st_size
    if size == 0:
        return "the file is empty"
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as handle:
            if handle.read(len(_LEGACY_MAGIC)) == _LEGACY_MAGIC:
                return None
        return f"it is not a zip archive as torch.save writes ({size} bytes): truncated, or not a checkpoint at all"
    try:
        with zipfile.ZipFile(path) as archive:
            if not any(name.endswith("data.pkl") for name in archive.namelist()):
                return "it is a zip archive without the data.pkl that torch.save writes"
            damaged = archive.testzip()  # reads every member and checks its CRC
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        return f"its zip archive is damaged ({err})"
    return None if damaged is None else f"its member {damaged!r} is corrupted (CRC mismatch)"


def unreadable_checkpoint_error(path: object, error: BaseException) -> CheckpointReadError | None:
    """After ``error`` was raised reading ``path``: a :class:`CheckpointReadError` naming the file if the file
    itself is broken, else ``None`` (the original error is the one to show)."""
    if not isinstance(path, (str, os.PathLike)):
        return None  # a file object or URL: nothing to inspect
    problem = checkpoint_file_problem(path)
    if problem is None:
        return None
    return CheckpointReadError(
        f"'{path}' is not a readable checkpoint: {problem}. Reading it failed with "
        f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else '(no message)'}"
    )


def explain_load_failure(cls: type, path: object, error: BaseException) -> Exception | None:
    """After ``cls.load_from_checkpoint(path)`` raised ``error``: the clearer error to raise instead, or ``None``.

    A broken file gives a :class:`CheckpointReadError`. A checkpoint written through ``LightningCLI`` by another
    variant makes Lightning refuse to build that class (a code-execution guard whose message does not say why): it
    gives the :class:`CheckpointClassError` that :func:`check_checkpoint_class` raises for any other checkpoint.
    """
    clearer = unreadable_checkpoint_error(path, error)
    if clearer is not None or not isinstance(path, (str, os.PathLike)):
        return clearer
    import torch

    try:  # only on this failure path: the file is read a second time
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        check_checkpoint_class(cls, checkpoint)
    except CheckpointClassError as mismatch:
        return mismatch
    except Exception:  # unreadable this way too: the original error stands
        return None
    return None


class CheckedCheckpointIO(CheckpointIO):
    """A ``CheckpointIO`` that delegates to another one, turns read failures of broken files into
    :class:`CheckpointReadError` and writes local files atomically. ``GAN`` installs it on its trainer's strategy
    (see :func:`check_reads_of`).

    >>> from lightning.pytorch.plugins import TorchCheckpointIO
    >>> type(CheckedCheckpointIO(TorchCheckpointIO()).inner).__name__
    'TorchCheckpointIO'
    """

    def __init__(self, inner: CheckpointIO) -> None:
        super().__init__()
        self.inner = inner

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        if "://" in str(path):  # a URL: the inner CheckpointIO's own way
            self.inner.save_checkpoint(checkpoint, path, storage_options=storage_options)
            return
        # Written next to the target, then renamed over it: a process killed mid-write (SIGKILL, the OOM killer)
        # leaves the previous file whole. (Lightning's own atomic save stages in the system temp folder and copies
        # across file systems, which is not atomic.) The name does not end in .ckpt: never taken for a checkpoint.
        target = Path(path)
        staged = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            self.inner.save_checkpoint(checkpoint, staged, storage_options=storage_options)
            with open(staged, "rb") as handle:
                os.fsync(handle.fileno())  # on disk before the rename makes it the checkpoint
            os.replace(staged, target)
        finally:
            staged.unlink(missing_ok=True)

    def load_checkpoint(self, path: Any, map_location: Any | None = None, weights_only: bool | None = None) -> Any:
        try:
            return self.inner.load_checkpoint(path, map_location=map_location, weights_only=weights_only)
        except Exception as err:
            clearer = unreadable_checkpoint_error(path, err)
            if clearer is None:
                raise
            raise clearer from err

    def remove_checkpoint(self, path: Any) -> None:
        self.inner.remove_checkpoint(path)

    def teardown(self) -> None:
        self.inner.teardown()


def check_reads_of(strategy: Any) -> None:
    """Wrap ``strategy.checkpoint_io`` in :class:`CheckedCheckpointIO` (once): ``Trainer.fit(ckpt_path=...)`` of a
    broken file then names the file. Call it before the trainer restores a checkpoint (a module's ``setup``)."""
    current = strategy.checkpoint_io
    if not isinstance(current, CheckedCheckpointIO):
        strategy.checkpoint_io = CheckedCheckpointIO(current)


def latest_checkpoint(root: str | os.PathLike) -> Path | None:
    """The newest checkpoint of the newest run under ``root``: in the highest ``version_N/checkpoints/`` holding a
    ``.ckpt`` file, its ``last.ckpt`` if there is one, else its most recently written ``.ckpt``; ``None`` if none.

    Each Lightning run logs into a new ``version_N`` folder, so "the last checkpoint" of a recipe is in the
    newest run folder that saved one.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for version, name in ((0, "last.ckpt"), (2, "last.ckpt"), (10, "epoch=4-step=50.ckpt")):
    ...     (root / f"version_{version}" / "checkpoints").mkdir(parents=True)
    ...     _ = (root / f"version_{version}" / "checkpoints" / name).write_bytes(b"")
    >>> (root / "version_11").mkdir()  # a run that never saved
    >>> latest_checkpoint(root).relative_to(root).as_posix()
    'version_10/checkpoints/epoch=4-step=50.ckpt'
    """
    root = Path(root)
    runs = []
    for folder in root.iterdir() if root.is_dir() else ():
        match = re.fullmatch(r"version_(\d+)", folder.name)
        saved = sorted((folder / "checkpoints").glob("*.ckpt")) if match else []
        if saved:
            runs.append((int(match.group(1)), saved))
    if not runs:
        return None
    saved = max(runs)[1]
    last = [path for path in saved if path.name == "last.ckpt"]
    return last[0] if last else max(saved, key=lambda path: path.stat().st_mtime)
