"""Helpers of the ``lightning-gans`` command: one-line errors (configuration, resume, DDP ranks) and the log folder
of a recipe."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "CLIError",
    "condense_parse_error",
    "explain_instantiation_error",
    "log_root_of",
    "report_rank_error",
    "resume_problem",
    "suggest_option",
]

_FILE_LOGGERS = ("CSVLogger", "TensorBoardLogger")  # loggers whose runs are <save_dir>/<name>/version_N


class CLIError(Exception):
    """A mistake in the command line or the recipe, shown as one line (plus ``hint``) instead of a traceback."""

    def __init__(self, message: str, hint: str = "lightning-gans fit --help lists every option") -> None:
        super().__init__(message)
        self.hint = hint


def _root_cause(error: BaseException) -> BaseException:
    # jsonargparse re-raises a failed constructor inside its own errors ("raise ... from err"): follow the chain.
    seen = {id(error)}
    while error.__cause__ is not None and id(error.__cause__) not in seen:
        error = error.__cause__
        seen.add(id(error))
    return error


def _failing_class(error: BaseException) -> str | None:
    """The class whose ``__init__`` raised ``error`` (the outermost such frame), e.g. ``lightning_gans.DCGAN``."""
    tb = error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == "__init__" and "self" in frame.f_locals:
            cls = type(frame.f_locals["self"])
            return f"{cls.__module__}.{cls.__qualname__}"
        tb = tb.tb_next
    return None


def explain_instantiation_error(error: BaseException) -> CLIError:
    """The :class:`CLIError` for an error raised while the CLI built the model, data, trainer or callbacks.

    >>> def build():
    ...     try:
    ...         raise ValueError("n_critic must be an integer >= 1, got 0")
    ...     except ValueError as err:
    ...         raise ValueError("Does not validate against any of the types") from err
    >>> try:
    ...     build()
    ... except ValueError as err:
    ...     print(explain_instantiation_error(err))
    n_critic must be an integer >= 1, got 0
    """
    cause = _root_cause(error)
    message = str(cause).strip() or type(cause).__name__
    where = _failing_class(cause)
    if where is not None:
        message = f"{message} (while creating {where})"
    return CLIError(message, hint="the value comes from the recipe or an override on the command line")


def suggest_option(message: str, known_options: Iterable[str]) -> str:
    """Add "did you mean ...?" to jsonargparse's "does not accept option 'x'" (a key in a YAML file) and
    "unrecognized arguments: --x" (the command line) messages when a close option exists.

    >>> suggest_option("Subcommand 'fit' does not accept option 'trainer.max_epoch'", ["trainer.max_epochs"])
    "Subcommand 'fit' does not accept option 'trainer.max_epoch'; did you mean 'trainer.max_epochs'?"
    >>> suggest_option("unrecognized arguments: --trainer.max_epoch=1", ["trainer.max_epochs"])
    "unrecognized arguments: --trainer.max_epoch=1; did you mean '--trainer.max_epochs'?"
    """
    message = message.strip()
    match = re.search(r"does not accept option '([^']+)'", message)
    if match is not None:
        return message + _did_you_mean(match.group(1), known_options)
    match = re.search(r"unrecognized arguments: --([^\s=]+)", message)
    if match is not None:
        return message + _did_you_mean(match.group(1), known_options, prefix="--")
    return message


_NOISE = (
    "Does not validate against any of the",
    "Subtypes:",
    "Errors:",
    "Given value type:",
    "Expected a <class 'NoneType'>",
)


def condense_parse_error(message: str, known_options: Iterable[str]) -> str:
    """jsonargparse's multi-line error for one key reduced to its informative lines, with "did you mean" hints.

    >>> print(condense_parse_error('''Parser key "trainer.max_epochs":
    ...   Does not validate against any of the Union subtypes
    ...   Subtypes: [<class 'int'>, <class 'NoneType'>]
    ...   Errors:
    ...     - Expected a <class 'int'>
    ...     - Expected a <class 'NoneType'>
    ...   Given value type: <class 'str'>
    ...   Given value: abc''', []))
    trainer.max_epochs: Expected a <class 'int'>; given value: abc
    """
    lines = [line.strip().removeprefix("- ").strip() for line in message.strip().splitlines()]
    header = re.fullmatch(r'Parser key "([^"]+)":', lines[0]) if lines else None
    if header is None:
        return suggest_option(message, known_options)
    given = next((line for line in lines if line.startswith("Given value:")), None)
    kept = [line for line in lines[1:] if line and not line.startswith(_NOISE) and line != given]
    text = f"{header.group(1)}: {'; '.join(kept)}"
    option = re.search(r"class_path '([^']+)':\s*Option '([^']+)' is not accepted", text)
    if option is not None:
        text += _did_you_mean(option.group(2), _init_arguments(option.group(1)))
    elif given is not None:
        text += f"; {given[0].lower()}{given[1:]}"
    return text


def _init_arguments(class_path: str) -> list[str]:
    import importlib
    import inspect

    module, _, name = class_path.rpartition(".")
    try:
        return list(inspect.signature(getattr(importlib.import_module(module), name)).parameters)
    except (ImportError, AttributeError, ValueError, TypeError):
        return []


def _did_you_mean(word: str, candidates: Iterable[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.75)
    return f"; did you mean '{prefix}{close[0]}'?" if close else ""


def _get(namespace: Any, key: str, default: Any = None) -> Any:
    getter = getattr(namespace, "get", None)
    return getter(key, default) if callable(getter) else default


def log_root_of(fit_config: Any) -> Path | None:
    """The folder holding a recipe's ``version_N`` run folders, from the ``fit`` section of a parsed config; ``None``
    when the runs are not numbered there (no logger, a fixed ``version``, a logger of another kind, or a
    ``ModelCheckpoint`` with its own ``dirpath``), where Lightning's own ``ckpt_path="last"`` applies.

    >>> from jsonargparse import Namespace
    >>> logger = Namespace(class_path="lightning.pytorch.loggers.CSVLogger", init_args=Namespace(save_dir="out", name=""))
    >>> log_root_of(Namespace(trainer=Namespace(logger=logger, callbacks=None))).as_posix()
    'out'
    """
    trainer = _get(fit_config, "trainer")
    for callback in _get(trainer, "callbacks") or []:
        if str(_get(callback, "class_path", "")).endswith("ModelCheckpoint"):
            if _get(_get(callback, "init_args"), "dirpath") is not None:
                return None
    default_root = Path(_get(trainer, "default_root_dir") or ".")
    logger = _get(trainer, "logger", True)
    if isinstance(logger, list):
        logger = logger[0] if logger else False
    if logger is False:
        return None
    if logger is True or logger is None:  # Lightning's default logger
        return default_root / "lightning_logs"
    if not str(_get(logger, "class_path", "")).endswith(_FILE_LOGGERS):
        return None
    args = _get(logger, "init_args")
    if _get(args, "version") is not None:
        return None
    name = _get(args, "name", "lightning_logs")
    root = Path(_get(args, "save_dir") or default_root)
    return root / name if name else root


def resume_problem(ckpt_path: str | os.PathLike, model: Any, model_config: Any = None) -> str | None:
    """Why ``model`` (built from the recipe and the command line) cannot resume ``ckpt_path``, in one line, or
    ``None``: another model class, or settings that differ from the checkpoint's and cannot change mid-run (see
    :mod:`lightning_gans.engine.resume`), including a ``noise_seed`` that ``model_config`` sets explicitly.

    >>> import tempfile, torch
    >>> from lightning_gans import VanillaGAN, WGANGP
    >>> from lightning_gans.engine.checkpoints import class_record
    >>> saved = VanillaGAN(data_dim=2)
    >>> path = Path(tempfile.mkdtemp()) / "run.ckpt"
    >>> torch.save({"hyper_parameters": dict(saved.hparams), "lightning_gans": class_record(saved)}, path)
    >>> resume_problem(path, VanillaGAN(data_dim=2)) is None
    True
    >>> print(resume_problem(path, VanillaGAN(data_dim=3)))  # doctest: +ELLIPSIS
    cannot resume with settings that differ from the checkpoint's: data_dim 2 -> 3. They define the run ...
    >>> print(resume_problem(path, WGANGP(data_dim=2)))  # doctest: +ELLIPSIS
    --ckpt_path ... holds a lightning_gans.variants.VanillaGAN run, but this command builds a ...WGANGP (--model ...
    """
    import torch

    from lightning_gans.engine.checkpoints import class_record
    from lightning_gans.engine.resume import refusal_message, resume_changes

    try:  # memory-mapped: only the few small records below are read
        checkpoint = torch.load(ckpt_path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:
        return None  # the trainer's own read says what is wrong with the file
    saved_class = (checkpoint.get("lightning_gans") or {}).get("class")
    built_class = class_record(model)["class"]
    if saved_class and saved_class != built_class:
        return (
            f"--ckpt_path {ckpt_path} holds a {saved_class} run, but this command builds a {built_class} (--model or "
            f"the recipe's model.class_path): resume with --model {saved_class}, or start a new run without --ckpt_path"
        )
    saved = checkpoint.get("hyper_parameters") or {}
    _, refused = resume_changes(saved, model.hparams)
    init_args = _get(model_config, "init_args")
    seed = _get(init_args, "noise_seed")
    if seed is not None and "noise_seed" in saved and seed != saved["noise_seed"]:
        refused.append(("noise_seed", saved["noise_seed"], seed))  # config.yaml would say it, the run would not
    if not refused:
        return None
    way_out = (
        "drop those overrides (the checkpoint's run has its settings in its config.yaml), or start a new run without "
        "--ckpt_path"
    )
    return refusal_message(refused, way_out)


def report_rank_error(error: BaseException, rank: int, run_id: str, traceback_env: str) -> None:
    """Print ``error`` of one DDP process as one line on stderr, unless another process of the same run (same
    ``run_id``) printed the same line: an error every rank raises is reported once.

    >>> import contextlib, io, uuid
    >>> run, out = uuid.uuid4().hex, io.StringIO()
    >>> with contextlib.redirect_stderr(out):
    ...     report_rank_error(ValueError("bad data"), 1, run, "TRACE")
    ...     report_rank_error(ValueError("bad data"), 0, run, "TRACE")
    >>> print(out.getvalue().strip())
    lightning-gans: error: ValueError: bad data (rank 1; TRACE=1 shows each rank's traceback)
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    message = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    if run_id:
        folder = Path(tempfile.gettempdir()) / "lightning-gans-errors"
        marker = folder / f"{run_id}-{hashlib.sha1(message.encode()).hexdigest()[:16]}"
        try:  # created by exactly one process: that one speaks
            folder.mkdir(exist_ok=True)
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        except OSError:
            pass  # no shared scratch folder: every process speaks
    print(
        f"lightning-gans: error: {message} (rank {rank}; {traceback_env}=1 shows each rank's traceback)",
        file=sys.stderr,
    )
