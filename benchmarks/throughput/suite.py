"""Training throughput of the engine (``Trainer.fit`` on a :class:`lightning_gans.GAN`) against a bare PyTorch loop.

Both sides use the *same* networks (same constructors, same seed), the same losses and penalty (imported from
``lightning_gans.losses`` / ``lightning_gans.regularizers``), the same optimizers and settings, the same synthetic
in-memory data (a ``TensorDataset`` behind the same ``DataLoader`` settings) and the same number of batches, in the
same process. The bare loop is a careful hand-written loop: it does the algorithmic work the engine does (one
generator forward per DCGAN iteration reused for the G step, D frozen during the G backward, ``zero_grad`` to None)
and nothing else (no gradient norms, no logging, no divergence check), so the ratio measures what the engine and
Lightning cost on top.

What is timed: the steady state, paired batch by batch. One ``Trainer.fit`` runs ``warmup + steps`` batches and,
after each engine batch, a callback runs one batch of the bare loop (its own nets, optimizers and data iterator).
Engine time per batch: from the end of the previous bare batch to the end of this ``training_step`` (Lightning's
loop, data fetching, hooks, logging, the step); bare time: the bare batch (fetch and step) right after. Alternating
at every batch means both sides see the same state of a busy shared machine, which separate runs do not. The first
``warmup`` batches are not timed; the Trainer's one-time setup is reported separately as ``engine_setup_s``.
"Images" are real images through the discriminator: ``batch_size`` per batch (for WGAN-GP one batch = one critic
step, plus a G step every 5th batch). Each case is run ``repeats`` times; the ratio is the median of the runs'
ratios (bare time / engine time = our images/s / bare images/s), with CPU time (``time.process_time``) as a second
measure. ``--threads 1`` avoids intra-op threads spinning while descheduled on a busy machine.
The last case is an overhead probe, not a workload: tiny MLPs on 2-D points, where a step costs a few milliseconds,
so that the per-batch cost of the engine and of Lightning (logging, hooks) shows up in absolute terms.

Peak memory: on CUDA, ``torch.cuda.max_memory_allocated`` during the run (tensors only). On CPU, the increase of the
process's peak resident set size (``VmHWM`` on Linux) over its value just before training, in a fresh child process
per run, since the peak of a process never goes down.

    python -m benchmarks.throughput            # all cases, 3 repeats of 10 timed batches
    python -m benchmarks.throughput --quick    # smoke run: 1 repeat of 3 batches, DCGAN batch 128 left out
    python -m benchmarks.throughput --device cuda --steps 50 --warmup 10   # on a GPU

Writes ``benchmarks/results/throughput.json`` and ``throughput.md`` and prints the markdown table.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import lightning
import torch
from lightning import Callback, Trainer
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from benchmarks.harness import ROOT, describe_commit, environment
from lightning_gans import DCGAN, GAN, WGANGP, VanillaGAN
from lightning_gans.losses import cross_entropy_d_loss, non_saturating_g_loss, wasserstein_d_loss, wasserstein_g_loss
from lightning_gans.nets import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
from lightning_gans.regularizers import gradient_penalty

RESULTS_DIR = ROOT / "benchmarks" / "results"
IMAGE_SIZE, CHANNELS, LATENT_DIM, BASE_WIDTH = 32, 3, 100, 64  # DCGAN at CIFAR-10 size, the paper's widths
MLP_LATENT_DIM, MLP_HIDDEN = 8, 64  # the overhead probe: a step so cheap that the per-batch overhead shows


@dataclass(frozen=True)
class Case:
    """One benchmark setting; the optimizer settings are the papers' (and the variants' defaults)."""

    name: str
    variant: str  # "dcgan", "wgangp" or "mlp" (the non-saturating GAN on 2-D points, tiny MLPs)
    batch_size: int
    scale: int = 1  # batches per timed "step" and warm-up batch: cheap steps need many to be measurable

    @property
    def is_wgan(self) -> bool:
        return self.variant == "wgangp"

    @property
    def latent_dim(self) -> int:
        return MLP_LATENT_DIM if self.variant == "mlp" else LATENT_DIM

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return (2,) if self.variant == "mlp" else (CHANNELS, IMAGE_SIZE, IMAGE_SIZE)

    @property
    def n_critic(self) -> int:
        return 5 if self.is_wgan else 1

    @property
    def adam(self) -> dict:
        return dict(lr=1e-4, betas=(0.0, 0.9)) if self.is_wgan else dict(lr=2e-4, betas=(0.5, 0.999))


CASES = {
    "dcgan_b64": Case("DCGAN 32px, batch 64", "dcgan", 64),
    "dcgan_b128": Case("DCGAN 32px, batch 128", "dcgan", 128),
    "wgangp_b64": Case("WGAN-GP 32px, batch 64", "wgangp", 64),
    "mlp_b256": Case("overhead probe: MLP GAN on 2-D points, batch 256", "mlp", 256, scale=40),
}


def case_networks(case: Case, seed: int = 0) -> tuple[nn.Module, nn.Module]:
    """The generator and discriminator of ``case``, identical for both sides (same constructors, same seed)."""
    torch.manual_seed(seed)
    if case.variant == "mlp":
        return MLPGenerator(MLP_LATENT_DIM, 2, MLP_HIDDEN, 3), MLPDiscriminator(2, MLP_HIDDEN, 3)
    generator = DCGANGenerator(LATENT_DIM, IMAGE_SIZE, CHANNELS, BASE_WIDTH)
    # WGAN-GP's critic uses layer norm: BatchNorm breaks the per-sample gradient penalty (as the variant's default).
    discriminator = DCGANDiscriminator(IMAGE_SIZE, CHANNELS, BASE_WIDTH, norm="layer" if case.is_wgan else "batch")
    return generator, discriminator


def case_loader(case: Case, num_batches: int, seed: int = 0) -> DataLoader:
    """Synthetic samples in [-1, 1], in memory, shuffled with a seeded generator; exactly ``num_batches`` batches."""
    data = torch.rand(num_batches * case.batch_size, *case.sample_shape, generator=torch.Generator().manual_seed(seed))
    dataset = TensorDataset(data * 2 - 1)
    return DataLoader(
        dataset, batch_size=case.batch_size, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(seed)
    )


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# ------------------------------------------------------------------------------------------------ bare PyTorch loop
class BareLoop:
    """The bare PyTorch loop, one batch per :meth:`step`: the engine's algorithmic work and nothing else."""

    def __init__(self, case: Case, num_batches: int, device: torch.device, seed: int = 0) -> None:
        self.case, self.device, self.index = case, device, 0
        self.generator, self.discriminator = (net.to(device) for net in case_networks(case, seed))
        self.opt_g = torch.optim.Adam(self.generator.parameters(), **case.adam)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), **case.adam)
        self.noise = torch.Generator(device=device).manual_seed(seed)
        self.batches = iter(case_loader(case, num_batches, seed))

    def step(self) -> None:
        """Fetch the next batch; one D update, and a G update every ``n_critic`` batches."""
        case, generator, discriminator = self.case, self.generator, self.discriminator
        (real,) = next(self.batches)
        real = real.to(self.device, non_blocking=True)
        z = torch.randn(real.shape[0], case.latent_dim, device=self.device, generator=self.noise)
        # D step. DCGAN keeps the graph of this fake for the G step (one G forward per iteration); WGAN-GP's G step
        # comes every 5th batch with its own fresh fake, so this one needs no graph.
        with torch.set_grad_enabled(not case.is_wgan):
            fake = generator(z)
        real_logits, fake_logits = discriminator(real), discriminator(fake.detach())
        if case.is_wgan:
            loss_d = wasserstein_d_loss(real_logits, fake_logits)
            loss_d = loss_d + 10.0 * gradient_penalty(discriminator, real, fake, None, self.noise)
        else:
            loss_d = cross_entropy_d_loss(real_logits, fake_logits)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        self.index += 1
        if self.index % case.n_critic == 0:  # G step, D frozen: its backward computes no D weight gradients
            if case.is_wgan:
                fake = generator(torch.randn(real.shape[0], case.latent_dim, device=self.device, generator=self.noise))
            discriminator.requires_grad_(False)
            fake_logits = discriminator(fake)
            loss_g = wasserstein_g_loss(fake_logits) if case.is_wgan else non_saturating_g_loss(fake_logits)
            self.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_g.step()
            discriminator.requires_grad_(True)


# ------------------------------------------------------------------------------------- the engine, paired with it
class _Paired(Callback):
    """After each engine batch, run one bare batch; clock both (wall and CPU) from the end of batch ``warmup - 1``.

    Engine time of batch ``i``: from the end of the bare batch after batch ``i - 1`` to the end of ``training_step``
    ``i``, i.e. the loop, data fetching, hooks and the step. Bare time: the bare batch (fetch and step) right after.
    """

    def __init__(self, bare: BareLoop, warmup: int) -> None:
        self.bare, self.warmup = bare, warmup
        self.engine, self.bare_times = [], []  # (wall, cpu) per timed batch
        self.mark: tuple[float, float] | None = None

    def _now(self) -> tuple[float, float]:
        _sync(self.bare.device)
        return time.perf_counter(), time.process_time()

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: lightning.LightningModule, outputs, batch, batch_idx: int
    ) -> None:
        engine_end = self._now()
        self.bare.step()
        bare_end = self._now()
        if batch_idx >= self.warmup:
            self.engine.append((engine_end[0] - self.mark[0], engine_end[1] - self.mark[1]))
            self.bare_times.append((bare_end[0] - engine_end[0], bare_end[1] - engine_end[1]))
        self.mark = bare_end


def build_engine(case: Case, seed: int = 0) -> lightning.LightningModule:
    """The library's variant wrapped around the same networks, with the same optimizer settings."""
    generator, discriminator = case_networks(case, seed)
    variant = {"dcgan": DCGAN, "wgangp": WGANGP, "mlp": VanillaGAN}[case.variant]
    paper = variant.defaults()  # the variant's options
    model = GAN(
        generator,
        discriminator,
        case.latent_dim,
        loss=paper["loss"],
        optimization=paper["optimization"],
        regularization=paper["regularization"],
        noise_seed=seed,
    )
    opt = model.optimization  # the variants' defaults are the benchmark's settings; fail loudly if they ever drift
    assert (opt.lr_d, tuple(opt.betas_d), opt.n_critic) == (case.adam["lr"], case.adam["betas"], case.n_critic), opt
    return model


def _trainer(batches: int, device: torch.device, callbacks: list[Callback]) -> Trainer:
    return Trainer(
        accelerator=device.type,
        devices=1,
        max_epochs=1,
        limit_train_batches=batches,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=callbacks,
    )


def run_paired(case: Case, warmup: int, steps: int, device: torch.device, seed: int = 0) -> dict[str, float]:
    """``Trainer.fit`` for ``warmup + steps`` batches, a bare batch after each; seconds of the last ``steps`` of each."""
    model, bare = build_engine(case, seed), BareLoop(case, warmup + steps, device, seed)
    paired = _Paired(bare, warmup)
    began = time.perf_counter()
    _trainer(warmup + steps, device, [paired]).fit(model, train_dataloaders=case_loader(case, warmup + steps, seed))
    total = time.perf_counter() - began
    assert model.discriminator_steps == bare.index == warmup + steps, (model.discriminator_steps, bare.index)
    (engine_s, engine_cpu), (bare_s, bare_cpu) = (map(sum, zip(*times)) for times in (paired.engine, paired.bare_times))
    per_batch = (engine_s + bare_s) / steps
    return {
        "engine": engine_s,
        "engine_cpu": engine_cpu,
        "bare": bare_s,
        "bare_cpu": bare_cpu,
        "setup": total - per_batch * (warmup + steps),
    }


def run_alone(case: Case, impl: str, warmup: int, steps: int, device: torch.device, seed: int = 0) -> None:
    """One side alone (for the memory probe): the bare loop or ``Trainer.fit``, ``warmup + steps`` batches."""
    if impl == "bare":
        bare = BareLoop(case, warmup + steps, device, seed)
        for _ in range(warmup + steps):
            bare.step()
    else:
        _trainer(warmup + steps, device, []).fit(build_engine(case, seed), case_loader(case, warmup + steps, seed))


# ------------------------------------------------------------------------------------------------------ memory probe
def _peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB.

    Linux: ``VmHWM`` of ``/proc/self/status``, the peak of this process image only (``getrusage``'s ``ru_maxrss``
    carries the parent's peak over ``fork`` + ``exec``, which would hide a child's smaller peak). Elsewhere
    ``ru_maxrss`` (KiB on Linux, bytes on macOS).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def peak_memory(case_key: str, impl: str, warmup: int, steps: int, device: torch.device) -> float:
    """Peak memory of one run in MiB (see the module docstring for what is measured on CPU and CUDA)."""
    case = CASES[case_key]
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        run_alone(case, impl, warmup, steps, device)
        return (torch.cuda.max_memory_allocated(device) - before) / 2**20
    command = [
        sys.executable,
        "-m",
        "benchmarks.throughput",
        "--memory-probe",
        case_key,
        impl,
        "--warmup",
        str(warmup),
        "--steps",
        str(steps),
    ]
    command += ["--threads", str(torch.get_num_threads())]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return float(output.strip().splitlines()[-1])


def _memory_probe_main(case_key: str, impl: str, warmup: int, steps: int) -> None:
    case = CASES[case_key]
    case_networks(case), case_loader(case, 1)  # touch the allocator and import paths before the baseline
    before = _peak_rss_mib()
    run_alone(case, impl, warmup, steps, torch.device("cpu"))
    print(f"{_peak_rss_mib() - before:.1f}")


# --------------------------------------------------------------------------------------------------------- the suite
def measure(case_key: str, warmup: int, steps: int, repeats: int, device: torch.device) -> dict:
    """``repeats`` paired runs of one case; medians over runs, ratio = median of the runs' bare/engine time ratios."""
    case = CASES[case_key]
    warmup, steps = warmup * case.scale, steps * case.scale
    run_paired(case, warmup, 1, device)  # untimed: first-call kernel and allocator set-up
    runs = []
    for repeat in range(repeats):
        runs.append(run_paired(case, warmup, steps, device))
        r = runs[-1]
        print(
            f"  {case_key} run {repeat + 1}/{repeats}: bare {r['bare']:.2f} s, engine {r['engine']:.2f} s", flush=True
        )
    med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    ratios = [r["bare"] / r["engine"] for r in runs]  # our/bare images per second = bare time / our time
    images = steps * case.batch_size
    return {
        "case": case_key,
        **asdict(case),
        "timed_batches": steps,
        "warmup_batches": warmup,
        "repeats": repeats,
        "runs": runs,
        "bare_images_per_s": images / med["bare"],
        "engine_images_per_s": images / med["engine"],
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "cpu_time_ratio": statistics.median(r["bare_cpu"] / r["engine_cpu"] for r in runs),
        "bare_ms_per_batch": 1000 * med["bare"] / steps,
        "overhead_ms_per_batch": 1000 * statistics.median((r["engine"] - r["bare"]) / steps for r in runs),
        "cpu_overhead_ms_per_batch": 1000 * statistics.median((r["engine_cpu"] - r["bare_cpu"]) / steps for r in runs),
        "engine_setup_s": med["setup"],
    }


def run_environment(device: torch.device) -> dict:
    """The harness's machine and version record, plus what a throughput figure also depends on."""
    info = environment()
    info.update(
        device=str(device),
        commit=describe_commit(info["git"]),
        load_average_at_start=os.getloadavg()[0],
        gpu=torch.cuda.get_device_name(device) if device.type == "cuda" else None,
    )
    return info


def markdown_table(results: list[dict], memory_note: str) -> str:
    """The results as a markdown table."""
    lines = [
        "| case | our img/s | bare img/s | ratio our/bare (min–max) | CPU-time ratio | bare ms/batch | overhead CPU ms/batch "
        "| our peak MiB | bare peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['name']} | {r['engine_images_per_s']:.1f} | {r['bare_images_per_s']:.1f} | "
            f"{r['ratio']:.3f} ({r['ratio_min']:.3f}–{r['ratio_max']:.3f}) | {r['cpu_time_ratio']:.3f} | "
            f"{r['bare_ms_per_batch']:.1f} | {r['cpu_overhead_ms_per_batch']:+.1f} | "
            f"{r.get('engine_peak_mib', float('nan')):.0f} | {r.get('bare_peak_mib', float('nan')):.0f} |"
        )
    return "\n".join(lines) + f"\n\nPeak memory: {memory_note}\n"


def main(argv: list[str] | None = None) -> int:
    """Run the suite; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: DCGAN b64, WGAN-GP, probe; 1 repeat of 3 batches"
    )
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=None, help="cases to run (default: all)")
    parser.add_argument("--steps", type=int, default=None, help="timed batches per run (default 10, quick 3)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed batches at the start of every run")
    parser.add_argument("--repeats", type=int, default=None, help="paired runs per case (default 3, quick 1)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", help="cpu or cuda")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for throughput.json / throughput.md")
    parser.add_argument("--memory-probe", nargs=2, metavar=("CASE", "IMPL"), help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)  # no "GPU available" banners per run
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*LeafSpec.*")  # a deprecation inside Lightning, not ours
    steps = args.steps or (3 if args.quick else 10)
    if args.memory_probe:
        _memory_probe_main(*args.memory_probe, args.warmup, steps)
        return 0
    repeats = args.repeats or (1 if args.quick else 3)
    cases = args.cases or (["dcgan_b64", "wgangp_b64", "mlp_b256"] if args.quick else list(CASES))
    device = torch.device(args.device)
    env = run_environment(device)
    print(
        f"throughput: {cases}, {repeats} repeat(s) x {steps} timed batches after {args.warmup} warm-up, on {device}",
        flush=True,
    )
    results = [measure(key, args.warmup, steps, repeats, device) for key in cases]
    if device.type == "cuda":
        memory_note = (
            "torch.cuda.max_memory_allocated during one run, minus what was allocated before it (tensors only)."
        )
    else:
        memory_note = (
            "increase of the peak resident set size (VmHWM of /proc/self/status) of a fresh process over its value just "
            "before training (networks, optimizer state, activations, allocator caches; the same process imports "
            f"everything first), {args.warmup + steps} batches."
        )
    if not args.no_memory:
        for r in results:
            for impl in ("engine", "bare"):
                r[f"{impl}_peak_mib"] = peak_memory(r["case"], impl, args.warmup, steps, device)
    table = markdown_table(results, memory_note)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "throughput.json").write_text(
        json.dumps({"environment": env, "quick": args.quick, "results": results}, indent=2) + "\n"
    )
    header = (
        f"# Training throughput: engine (Trainer.fit) vs bare PyTorch loop\n\n"
        f"Command: `{' '.join(['python -m benchmarks.throughput', *(sys.argv[1:] if argv is None else argv)])}` — {device}"
        f"{' (' + env['gpu'] + ')' if device.type == 'cuda' and env.get('gpu') else ''}, "
        f"{env['cpu_count']} CPUs, torch {env['torch']} ({env['torch_threads']} threads), lightning {env['lightning']}, "
        f"commit {env['commit'] or 'unknown'}, load average at start {env['load_average_at_start']:.1f}.\n"
        f"{repeats} run(s) per case of {steps} timed batches (after {args.warmup} warm-up batches; the overhead probe "
        f"{CASES['mlp_b256'].scale}x as many), engine and bare loop alternating batch by batch in the same process; "
        "ratio = median over runs of bare time / our time (our images/s / bare images/s; 1.0 = no overhead); "
        "CPU-time ratio: the same with the process's CPU time.\n\n"
    )
    (args.out / "throughput.md").write_text(header + table)
    print("\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
