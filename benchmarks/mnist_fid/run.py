"""Train, evaluate and tabulate the MNIST FID benchmark: one JSON per (row, seed), skipped when already done."""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset
from torchvision.utils import save_image

from benchmarks.harness.environment import environment
from benchmarks.mnist_fid.nets import InfoGANDiscriminator, InfoGANGenerator
from benchmarks.mnist_fid.protocol import BATCH_SIZE, DIFFERENCES, EPOCHS, LATENT_DIM, NUM_EVAL, PUBLISHED, ROWS, TITLES
from lightning_gans import GAN, Optimization, Regularization
from lightning_gans.convert import to_unit_range
from lightning_gans.data.mnist_files import load_mnist_arrays
from lightning_gans.evaluation import FeatureMetrics, extract_features, get_feature_extractor
from lightning_gans.evaluation.real import RealFeatureCache
from lightning_gans.sampling import sample_from

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[2] / "shared" / "data" / "mnist"


def _images(data_dir: Path, split: str, limit: int | None) -> torch.Tensor:
    images, _ = load_mnist_arrays(data_dir, split)
    images = images[:limit] if limit else images
    return images.unsqueeze(1).float() / 127.5 - 1.0  # uint8 (N, 28, 28) -> [-1, 1] (N, 1, 28, 28)


class TrainingClock(L.Callback):
    """Seconds spent training and the epoch of the first resume, carried in the checkpoint so that a run resumed
    any number of times reports its whole training time and that it was resumed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.resumed_at_epoch: int | None = None
        self._since = 0.0

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._since = time.perf_counter()
        if trainer.current_epoch > 0 and self.resumed_at_epoch is None:  # restored from a checkpoint
            self.resumed_at_epoch = trainer.current_epoch

    def _lap(self) -> None:
        now = time.perf_counter()
        self.seconds += now - self._since
        self._since = now

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._lap()  # before ModelCheckpoint saves this epoch (callbacks run in order)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._lap()

    def state_dict(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "resumed_at_epoch": self.resumed_at_epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.seconds = float(state_dict["seconds"])
        # A run restored at its last epoch skips on_train_start, so an earlier resume must come from here.
        self.resumed_at_epoch = state_dict.get("resumed_at_epoch")


def train(row: str, seed: int, images: torch.Tensor, epochs: int, work_dir: Path | None = None) -> tuple[GAN, dict]:
    """The row's model trained for ``epochs`` over ``images``; returns it and how the training went.

    With ``work_dir``, a checkpoint is written there after every epoch and a later call resumes from it, so a stopped
    run loses at most one epoch. The returned dict holds the training seconds (summed over resumed runs) and the
    epoch a resumed run started from (``None`` when trained in one go).
    """
    s = ROWS[row]
    L.seed_everything(seed, verbose=False)
    model = GAN(
        generator=InfoGANGenerator(LATENT_DIM, layers=s["layers"]),
        discriminator=InfoGANDiscriminator(batch_norm=s["d_bn"], layers=s["layers"]),
        latent_dim=LATENT_DIM,
        loss=s["loss"],
        optimization=Optimization(
            lr_g=s["lr"],
            lr_d=s["lr"],
            betas_g=(s["beta1"], s["beta2"]),
            betas_d=(s["beta1"], s["beta2"]),
            n_critic=s["n_critic"],
        ),
        regularization=Regularization(gp_weight=s["gp_weight"], weight_clip=s["weight_clip"]),
        noise_seed=seed,
    )
    shuffle = torch.Generator().manual_seed(seed)
    loader = DataLoader(TensorDataset(images), batch_size=BATCH_SIZE, shuffle=True, drop_last=True, generator=shuffle)
    clock = TrainingClock()
    callbacks: list[L.Callback] = [clock]
    resume = None
    if work_dir is not None:
        # One file, replaced after every epoch (a "last" checkpoint alone is only written at the end of fit).
        callbacks.append(ModelCheckpoint(dirpath=work_dir, filename="latest", save_top_k=1, every_n_epochs=1))
        latest = work_dir / "latest.ckpt"
        resume = latest if latest.is_file() else None
    trainer = L.Trainer(
        accelerator="auto",
        devices=1,
        max_epochs=epochs,
        logger=False,
        callbacks=callbacks,
        enable_checkpointing=work_dir is not None,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, loader, ckpt_path=resume)
    return model, {"train_seconds": round(clock.seconds, 1), "resumed_at_epoch": clock.resumed_at_epoch}


def run_name(row: str, seed: int) -> str:
    """The stem of a run's files: its JSON and picture in the results, its checkpoint folder in the work dir.

    >>> run_name("wgan_gp", 3)
    'wgan_gp_seed3'
    """
    return f"{row}_seed{seed}"


def real_features(args: argparse.Namespace, extractor) -> torch.Tensor:
    """Inception features of the first ``num_eval`` test images, cached on disk by extractor hash and count."""
    key = ("mnist_test", args.num_eval, extractor.name, (extractor.weights_sha256 or "none")[:16])

    def compute() -> dict[str, torch.Tensor]:
        test = _images(args.data_dir, "test", args.num_eval)
        return {"features": extract_features(extractor, test.to(args.device), args.eval_batch)[0].cpu()}

    return RealFeatureCache(args.cache_dir).get(key, compute)["features"]


def run_one(row: str, seed: int, args: argparse.Namespace) -> dict:
    settings = {
        **ROWS[row],
        "batch_size": BATCH_SIZE,
        "latent_dim": LATENT_DIM,
        "epochs": args.epochs,
        "train_images": args.train_limit or 60_000,
        "num_eval": args.num_eval,
    }
    env = environment()  # the code as it was when the run started
    images = _images(args.data_dir, "train", args.train_limit)
    model, training = train(row, seed, images, args.epochs, args.work_dir / run_name(row, seed))
    start = time.perf_counter()
    extractor = get_feature_extractor("inception", args.extractor_weights).to(args.device)
    real = real_features(args, extractor)
    fake = sample_from(model.to(args.device), args.num_eval, seed=10_000 + seed, batch_size=args.eval_batch)
    save_image(
        to_unit_range(fake[:64].cpu()), args.results / f"{run_name(row, seed)}.png", nrow=8, padding=2, pad_value=1.0
    )
    metric = FeatureMetrics(("fid",))
    metric.update(real, real=True)
    metric.update(extract_features(extractor, fake, args.eval_batch)[0].cpu(), real=False)
    fid = metric.compute()["fid"]
    full = (args.epochs, args.train_limit, args.num_eval) == (EPOCHS, None, NUM_EVAL)
    return {
        "row": row,
        "title": TITLES[row],
        "seed": seed,
        "fid": fid,
        "full_protocol": full,
        "settings": settings,
        "generator_steps": int(model.generator_steps),
        **training,
        "eval_seconds": round(time.perf_counter() - start, 1),
        "num_fake": args.num_eval,
        "num_real": len(real),
        "extractor": extractor.provenance(),
        "published": PUBLISHED[row],
        "protocol_differences": list(DIFFERENCES),
        "device": str(args.device),
        "environment": env,
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def table(results: Path, include_partial: bool = False) -> str:
    """A Markdown table of every result JSON in ``results`` next to Lucic et al.'s numbers."""
    runs: dict[str, list[dict]] = {row: [] for row in ROWS}
    for path in sorted(results.glob("*.json")):
        record = json.loads(path.read_text())
        if record.get("row") in runs and (record["full_protocol"] or include_partial):
            runs[record["row"]].append(record)
    lines = [
        "| model | ours: FID (mean ± std over seeds) | seeds | train min / run | eval min / run | Lucic et al. 2018 |",
        "|---|---|---|---|---|---|",
    ]
    for row, records in runs.items():
        fids = [r["fid"] for r in records]
        if len(fids) > 1:
            ours = f"{statistics.mean(fids):.1f} ± {statistics.pstdev(fids):.1f}"
        else:  # no spread from a single seed
            ours = f"{fids[0]:.1f}" if fids else "not run"
        train_min = f"{statistics.mean(r['train_seconds'] for r in records) / 60:.0f}" if records else "-"
        eval_min = f"{statistics.mean(r['eval_seconds'] for r in records) / 60:.0f}" if records else "-"
        mean, std = PUBLISHED[row]
        lines.append(f"| {TITLES[row]} | {ours} | {len(fids)} | {train_min} | {eval_min} | {mean} ± {std} |")
    notes = "\n".join(f"- {d}" for d in DIFFERENCES)
    return "\n".join(lines) + f"\n\nProtocol differences:\n{notes}\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mnist_fid", description=__doc__)
    parser.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--train-limit", type=int, default=None, help="first N training images (tiny runs only)")
    parser.add_argument("--num-eval", type=int, default=NUM_EVAL, help="generated and test images for FID")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--results", type=Path, default=HERE / "results", help="one JSON per (row, seed)")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "lightning_gans" / "mnist_fid")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path.home() / ".cache" / "lightning_gans" / "mnist_fid_runs",
        help="per-epoch checkpoints of unfinished runs (a stopped run resumes from its last epoch)",
    )
    parser.add_argument("--extractor-weights", default=None, help="Inception weights (default: found offline)")
    parser.add_argument("--eval-batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1, help="torch threads on a CPU")
    parser.add_argument("--force", action="store_true", help="re-run (row, seed) pairs that have a JSON")
    parser.add_argument("--table", action="store_true", help="only rebuild RESULTS.md from the JSONs")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.results.mkdir(parents=True, exist_ok=True)
    if not args.table:
        for row in args.rows:
            for seed in args.seeds:
                path = args.results / f"{run_name(row, seed)}.json"
                if path.is_file() and not args.force:
                    print(f"{path.name}: done before (FID {json.loads(path.read_text())['fid']:.2f}), skipped")
                    continue
                record = run_one(row, seed, args)
                path.write_text(json.dumps(record, indent=2) + "\n")  # written at once: a crash loses one run only
                shutil.rmtree(args.work_dir / run_name(row, seed), ignore_errors=True)  # its checkpoints are spent
                print(f"{path.name}: FID {record['fid']:.2f} ({record['train_seconds']} s training)")
    text = table(args.results, include_partial=args.results != HERE / "results")
    (args.results / "RESULTS.md").write_text("# MNIST FID (Lucic et al. protocol)\n\n" + text)
    print(text)
