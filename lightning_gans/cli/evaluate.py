"""``lightning-gans evaluate`` and ``lightning-gans sample``: a trained checkpoint to numbers or pictures.

Both read a checkpoint written while training a recipe; the model class and the data module come from the run's
configuration: ``--config`` (a shipped recipe name or a YAML file), or by default the ``config.yaml`` that
``lightning-gans fit`` saved next to the run (``<log dir>/config.yaml`` for ``<log dir>/checkpoints/last.ckpt``).

    lightning-gans evaluate CHECKPOINT [--config RECIPE] [--num-samples 10000] [--metrics fid kid pr]
                            [--feature-extractor inception] [--extractor-weights FILE] [--json OUT]
    lightning-gans sample CHECKPOINT --out grid.png|samples.pt [--num-samples 64] [--labels 3 ...] [--seed 0]

``evaluate`` first says how long the requested count will take here (timed on a small batch), then prints a short
table and writes JSON (values + provenance: checkpoint hash, model, step, data, feature extractor, counts, seed,
versions). Image data get FID / KID / precision-recall (and IS when asked); data that define modes get the
mode-coverage metrics: 2-D mixtures (``mode_centers`` and ``std`` on the data module), and stacked MNIST (3-channel
samples, with ``--classifier`` or the run's stacked-MNIST ``ModeCoverageCallback`` classifier).

``sample`` writes pictures as the training callbacks do (:func:`~lightning_gans.callbacks.samples.render_samples`):
grids enlarged to a viewable size, 2-D samples over the data module's mode centres.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch
from lightning import LightningDataModule, LightningModule

from lightning_gans.checks import check_int
from lightning_gans.cli.recipes import load_recipe, resolve_config
from lightning_gans.engine.checkpoints import checkpoint_file_problem
from lightning_gans.evaluation.inception import file_sha256
from lightning_gans.evaluation.metrics import METRICS

__all__ = ["evaluate_main", "sample_main", "load_run"]


def _import(class_path: str, what: str, config: Path) -> type:
    """The class a run's config names; a one-line ``ValueError`` when it cannot be imported here (a user's own
    variant, defined in a module that is not on the path)."""
    module, _, name = class_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as err:
        raise ValueError(
            f"cannot import the {what} class {class_path!r} that {config} names ({type(err).__name__}: {err}); run "
            "from the folder that holds its module, or add that folder to PYTHONPATH"
        ) from err


def _run_config(checkpoint: Path, config: str | None) -> tuple[dict, Path]:
    if config is None:
        saved = checkpoint.resolve().parent.parent / "config.yaml"
        if not saved.is_file():
            raise ValueError(
                f"no --config given and no config.yaml next to the run ({saved}); pass --config RECIPE or --config FILE"
            )
        path = saved
    else:
        path = Path(resolve_config(config))
    return load_recipe(path), path


def load_run(checkpoint: str | Path, config: str | None = None) -> tuple[LightningModule, LightningDataModule, Path]:
    """The trained module (eval mode, CPU), the run's data module and the config file, from a checkpoint."""
    checkpoint = Path(checkpoint).expanduser()
    if not checkpoint.is_file():
        raise ValueError(f"checkpoint not found: {checkpoint}")
    problem = checkpoint_file_problem(checkpoint)  # before looking for the run's config next to it
    if problem:
        raise ValueError(f"{checkpoint} is not a checkpoint: {problem}")
    settings, path = _run_config(checkpoint, config)
    for section in ("model", "data"):
        if not isinstance(settings.get(section), dict) or "class_path" not in settings[section]:
            raise ValueError(f"{path} has no {section}.class_path: is it the config of a lightning-gans fit run?")
    model_cls = _import(settings["model"]["class_path"], "model", path)
    module = model_cls.load_from_checkpoint(str(checkpoint), map_location="cpu").eval()
    data = settings["data"]
    datamodule = _import(data["class_path"], "data", path)(**(data.get("init_args") or {}))
    return module, datamodule, path


def _provenance(checkpoint: Path, config: Path, module: LightningModule, datamodule: LightningDataModule) -> dict:
    import lightning_gans

    payload = torch.load(checkpoint, map_location="cpu", weights_only=False)
    return {
        "checkpoint": str(checkpoint.resolve()),
        "checkpoint_sha256": file_sha256(checkpoint),
        "config": str(config),
        "model": f"{type(module).__module__}.{type(module).__qualname__}",
        "global_step": payload.get("global_step"),
        "epoch": payload.get("epoch"),
        "generator_steps": int(getattr(module, "generator_steps", -1)),
        "uses_ema": getattr(module, "ema_generator", None) is not None,
        "data": f"{type(datamodule).__module__}.{type(datamodule).__qualname__}",
        "lightning_gans": lightning_gans.__version__,
        "torch": torch.__version__,
    }


def evaluate_main(argv: Sequence[str]) -> int:
    """``lightning-gans evaluate``: see the module docstring. Returns the exit status."""
    parser = argparse.ArgumentParser(prog="lightning-gans evaluate", description="Evaluate a trained checkpoint.")
    parser.add_argument("checkpoint", help="a .ckpt written by lightning-gans fit")
    parser.add_argument("--config", default=None, help="recipe name or YAML (default: the run's saved config.yaml)")
    parser.add_argument("--num-samples", type=int, default=10_000, help="generated samples and real images (10000)")
    parser.add_argument("--metrics", nargs="+", default=["fid", "kid", "pr"], choices=METRICS)
    parser.add_argument("--feature-extractor", default="inception", help="inception (default) or mnist_classifier")
    parser.add_argument("--extractor-weights", default=None, help="weights file of the feature extractor")
    parser.add_argument(
        "--kid-subset-size", type=int, default=None, help="KID subset size (default: 1000, at most half the samples)"
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="where to write the JSON (default: <checkpoint>.evaluation.json)")
    parser.add_argument(
        "--classifier", default=None, help="digit classifier for stacked-MNIST modes (default: the run's, if any)"
    )
    args = parser.parse_args(list(argv))
    checkpoint = Path(args.checkpoint).expanduser()
    try:
        module, datamodule, config = load_run(checkpoint, args.config)
        args.classifier = args.classifier or _run_classifier(config)
        values = _evaluate(module, datamodule, args)
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as err:
        print(f"lightning-gans evaluate: error: {err}", file=sys.stderr)
        return 2
    record = {
        "values": values.pop("values"),
        "provenance": {**_provenance(checkpoint, config, module, datamodule), **values},
    }
    out = Path(args.json) if args.json else checkpoint.with_suffix(".evaluation.json")
    out.write_text(json.dumps(record, indent=2, default=str) + "\n")
    width = max(len(k) for k in record["values"])
    print(f"{record['provenance']['model']} at generator step {record['provenance']['generator_steps']}, {checkpoint}")
    for key, value in record["values"].items():
        print(f"  {key:<{width}}  {value:.6g}")
    print(f"JSON with provenance: {out}")
    return 0


def _run_classifier(config: Path) -> str | None:
    """The digit classifier of the run's stacked-MNIST ModeCoverageCallback, when it has one."""
    settings = load_recipe(config)
    for callback in (settings.get("trainer") or {}).get("callbacks") or []:
        init = callback.get("init_args") or {}
        if callback.get("class_path", "").endswith("ModeCoverageCallback") and init.get("metric") == "stacked_mnist":
            return init.get("classifier")
    return None


def _kid_subset_size(args: argparse.Namespace) -> int:
    """``--kid-subset-size``, by default 1000 but at most half the samples: KID averages over random subsets of the
    samples, and subsets as large as the whole set are all that set (``kid_std`` 0: no spread to report).

    >>> _kid_subset_size(argparse.Namespace(kid_subset_size=None, num_samples=500, metrics=["kid"]))
    250
    >>> _kid_subset_size(argparse.Namespace(kid_subset_size=1000, num_samples=500, metrics=["kid"]))
    Traceback (most recent call last):
    ...
    ValueError: --kid-subset-size 1000 must be smaller than --num-samples 500: KID averages over random subsets of the samples, and subsets as large as the whole set are all alike (kid_std 0); pass --kid-subset-size 250 (or fewer), or more --num-samples
    """
    n = args.num_samples
    if args.kid_subset_size is None:
        return max(2, min(1000, n // 2))
    size = check_int("--kid-subset-size", args.kid_subset_size, minimum=2)
    if "kid" in args.metrics and size >= n:
        raise ValueError(
            f"--kid-subset-size {size} must be smaller than --num-samples {n}: KID averages over random subsets of the "
            f"samples, and subsets as large as the whole set are all alike (kid_std 0); pass --kid-subset-size "
            f"{max(2, n // 2)} (or fewer), or more --num-samples"
        )
    return size


def _duration(seconds: float) -> str:
    """A rough duration for people.

    >>> _duration(0.2), _duration(75), _duration(1500), _duration(7200)
    ('1 s', '75 s', '25 min', '2.0 h')
    """
    if seconds < 90:
        return f"{max(seconds, 1.0):.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _duration_estimate(module: LightningModule, extractor: torch.nn.Module, args: argparse.Namespace) -> str:
    """One line: how long sampling and feature extraction of the requested count will take on this device,
    extrapolated from a small timed batch (after a warm-up pass that pays the one-time costs)."""
    from lightning_gans.evaluation.features import extract_features
    from lightning_gans.sampling import sample_from

    device = next((p.device for p in module.parameters()), torch.device("cpu"))
    extractor = extractor.to(device)
    timed = min(args.batch_size, args.num_samples, 32)
    for n in (2, timed):  # the last pass is the timed one
        start = time.perf_counter()
        samples = sample_from(module, n, seed=args.seed)
        sampled = time.perf_counter()
        extract_features(extractor, samples, args.batch_size, device)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        done = time.perf_counter()
    # Each generated sample is drawn and passes the extractor; each real one passes it too (loading not counted).
    seconds = args.num_samples * ((done - start) + (done - sampled)) / timed
    return (
        f"evaluate: {args.num_samples} generated and up to {args.num_samples} real samples through "
        f"{getattr(extractor, 'name', type(extractor).__name__)} on {device}: about {_duration(seconds)} (timed on "
        f"{timed}; --num-samples sets the count)"
    )


def _evaluate(module: LightningModule, datamodule: LightningDataModule, args: argparse.Namespace) -> dict:
    from lightning_gans.evaluation import evaluate_generator, get_feature_extractor
    from lightning_gans.sampling import sample_from

    check_int("--num-samples", args.num_samples, minimum=1)
    values: dict[str, float] = {}
    extra: dict[str, object] = {}
    centers, std = getattr(datamodule, "mode_centers", None), getattr(datamodule, "std", None)
    probe = sample_from(module, 2, seed=args.seed)
    if probe.dim() == 2:  # points: the data define modes, image metrics do not apply
        if centers is None or std is None:
            raise ValueError(
                f"{type(datamodule).__name__} gives no mode_centers / std: nothing to evaluate 2-D samples with"
            )
        from lightning_gans.evaluation.coverage import coverage
        from lightning_gans.metrics import MixtureModeCoverage

        metric = MixtureModeCoverage(torch.as_tensor(centers), float(std))
        values.update(coverage(metric, module, args.num_samples, seed=args.seed))
        extra.update(mode_metric="MixtureModeCoverage (VEEGAN / PacGAN protocol)", num_fake=args.num_samples)
        return {"values": values, **extra}
    kid_subset_size = _kid_subset_size(args)
    extractor = get_feature_extractor(args.feature_extractor, args.extractor_weights)  # built once: timed, then used
    print(_duration_estimate(module, extractor, args), flush=True)
    datamodule.prepare_data()
    datamodule.setup("fit")
    result = evaluate_generator(
        module,
        datamodule.train_dataloader(),
        num_samples=args.num_samples,
        metrics=tuple(args.metrics),
        feature_extractor=extractor,
        batch_size=args.batch_size,
        seed=args.seed,
        kid_subset_size=kid_subset_size,
    )
    extra.update(result.pop("provenance"))
    values.update({k: float(v) for k, v in result.items() if isinstance(v, float) and math.isfinite(v)})
    if probe.shape[1] == 3 and args.classifier is not None:  # stacked MNIST: the 1,000 digit triples are the modes
        from lightning_gans.evaluation.coverage import coverage
        from lightning_gans.metrics import StackedMNISTModes, load_mnist_classifier

        metric = StackedMNISTModes(load_mnist_classifier(args.classifier))
        values.update(coverage(metric, module, args.num_samples, seed=args.seed, chunk=args.batch_size))
        extra.update(mode_metric="StackedMNISTModes (VEEGAN / PacGAN protocol)", mode_classifier=str(args.classifier))
    return {"values": values, **extra}


def sample_main(argv: Sequence[str]) -> int:
    """``lightning-gans sample``: see the module docstring. Returns the exit status."""
    parser = argparse.ArgumentParser(prog="lightning-gans sample", description="Draw samples from a checkpoint.")
    parser.add_argument("checkpoint", help="a .ckpt written by lightning-gans fit")
    parser.add_argument("--out", required=True, help="a .png (grid or scatter plot) or a .pt (tensor file)")
    parser.add_argument("--config", default=None, help="recipe name or YAML (default: the run's saved config.yaml)")
    parser.add_argument("--num-samples", type=int, default=64)
    parser.add_argument("--labels", type=int, nargs="+", default=None, help="classes (one for all, or one per sample)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--nrow", type=int, default=None, help="images per grid row (default: square; conditional: one per class)"
    )
    args = parser.parse_args(list(argv))
    checkpoint, out = Path(args.checkpoint).expanduser(), Path(args.out)
    try:
        if out.suffix.lower() not in (".png", ".pt"):
            raise ValueError(f"--out must end in .png or .pt, got {str(out)!r}")
        if args.nrow is not None:
            check_int("--nrow", args.nrow, minimum=1)
        module, datamodule, _ = load_run(checkpoint, args.config)
        samples, labels = _draw(module, args)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".pt":
            torch.save({"samples": samples, "labels": labels, "seed": args.seed, "checkpoint": str(checkpoint)}, out)
        else:
            from lightning_gans.callbacks.samples import render_samples, save_picture

            num_classes = getattr(module, "num_classes", None)
            nrow = args.nrow or (num_classes if num_classes and args.labels is None else None)  # a column per class
            centers = getattr(datamodule, "mode_centers", None)  # a known mixture: its modes under the samples
            save_picture(render_samples(samples, nrow, centers, title=checkpoint.name), out)
    except (ValueError, TypeError) as err:
        print(f"lightning-gans sample: error: {err}", file=sys.stderr)
        return 2
    print(f"{len(samples)} samples of shape {tuple(samples.shape[1:])} -> {out}")
    return 0


def _draw(module: LightningModule, args: argparse.Namespace) -> tuple[torch.Tensor, torch.Tensor | None]:
    from lightning_gans.sampling import check_num_samples, sample_from

    n = check_num_samples(args.num_samples, "--num-samples")
    num_classes = getattr(module, "num_classes", None)
    labels = None
    if args.labels is not None:
        if not num_classes:
            raise ValueError(f"--labels given, but {type(module).__name__} is unconditional (num_classes is None)")
        if len(args.labels) not in (1, n):
            raise ValueError(f"--labels must be one class or {n} (one per sample), got {len(args.labels)}")
        labels = torch.tensor(args.labels * (n if len(args.labels) == 1 else 1))
        if labels.min() < 0 or labels.max() >= num_classes:
            raise ValueError(f"--labels must lie in [0, {num_classes - 1}], got {args.labels}")
    elif num_classes:
        labels = torch.arange(n) % num_classes
    return sample_from(module, n, seed=args.seed, labels=labels), labels
