"""The ``lightning-gans`` command: train any GAN of this library from a YAML recipe with Lightning's CLI.

``lightning-gans fit --config dcgan_digits`` trains the recipe shipped as ``lightning_gans/configs/dcgan_digits.yaml``
(a recipe is found by file path or by bare name). Every ``LightningCLI`` feature works: ``--print_config``,
overrides such as ``--trainer.max_steps=100`` or ``--model.init_args.optimization.lr_d=1e-4``, and ``--model WGANGP`` to switch
variants. ``lightning-gans`` alone prints an overview, ``lightning-gans configs`` lists the recipes and
``lightning-gans configs NAME`` prints one.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from jsonargparse import ArgumentError
from lightning.fabric.utilities.rank_zero import rank_zero_only
from lightning.pytorch import LightningDataModule, Trainer
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI
from lightning.pytorch.utilities import rank_zero_info

from lightning_gans.callbacks.health import GANHealthMonitor
from lightning_gans.callbacks.last_checkpoint import KeepLastCheckpoint
from lightning_gans.callbacks.samples import SampleGridCallback
from lightning_gans.cli.recipes import CONFIG_DIR, describe_config, list_configs, load_recipe, resolve_config
from lightning_gans.cli.summary import run_summary
from lightning_gans.cli.support import (
    CLIError,
    condense_parse_error,
    explain_instantiation_error,
    log_root_of,
    report_rank_error,
    resume_problem,
)
from lightning_gans.engine import checkpoints
from lightning_gans.engine.batches import check_data_matches
from lightning_gans.gan import GAN

__all__ = [
    "CONFIG_DIR",
    "DEFAULT_THREADS",
    "GANCLI",
    "TRACEBACK_ENV",
    "describe_config",
    "list_configs",
    "main",
    "overview",
    "resolve_config",
    "resolve_threads",
]

_CONFIG_FLAGS = ("--config", "-c")
#: Set to 1 to see the full traceback of a configuration error instead of its one-line message.
TRACEBACK_ENV = "LIGHTNING_GANS_TRACEBACK"
#: Identifies one ``fit`` across the processes DDP starts (they inherit it): each rank's errors are reported once.
RUN_ID_ENV = "LIGHTNING_GANS_RUN_ID"
#: torch's intra-op CPU threads for a run when neither ``--threads`` nor ``OMP_NUM_THREADS`` is given. Measured on a
#: 2-core CPU (benchmarks/RESULTS.md, "CPU threads"): one thread was as fast as torch's default of one per core when
#: the machine was idle and up to 9x faster beside another busy process.
DEFAULT_THREADS = 1
_THREADS_HELP = (
    "torch's intra-op CPU threads for this run (torch.set_num_threads; also exported as OMP_NUM_THREADS for worker "
    f"and DDP processes). Default: $OMP_NUM_THREADS when set, else {DEFAULT_THREADS}: the small networks of the "
    "recipes run fastest on one thread per process, and torch's own default (one per core) ran grid_fast 9x slower "
    "beside another busy process (benchmarks/RESULTS.md). Try more for large networks on an otherwise idle CPU."
)


def resolve_threads(value: object, environ: Mapping[str, str] = os.environ) -> int:
    """The CPU thread count of a run: ``--threads``, else ``$OMP_NUM_THREADS``, else :data:`DEFAULT_THREADS`.

    >>> resolve_threads(None, {}), resolve_threads(None, {"OMP_NUM_THREADS": "2"}), resolve_threads(3, {})
    (1, 2, 3)
    >>> resolve_threads(0, {})
    Traceback (most recent call last):
    ...
    lightning_gans.cli.support.CLIError: --threads must be an int >= 1, got 0
    """
    source = "--threads"
    if value is None and environ.get("OMP_NUM_THREADS", "").strip():
        source, value = "OMP_NUM_THREADS", environ["OMP_NUM_THREADS"].strip()
        value = int(value) if value.isdigit() else value
    if value is None:
        return DEFAULT_THREADS
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CLIError(
            f"{source} must be an int >= 1, got {value!r}", hint="lightning-gans fit --help explains --threads"
        )
    return value


def _say(line: str) -> None:
    if rank_zero_only.rank == 0:  # under DDP every process parses the command line: one of them speaks
        print(line)


def _distributed() -> bool:
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _resolve_config_args(args: Sequence[str]) -> list[str]:
    """Replace the value of every ``--config`` / ``-c`` / ``--config=`` argument with :func:`resolve_config`'s, and
    read each file once (:func:`load_recipe`: malformed YAML is named with its file and line)."""
    out: list[str] = []
    expect_value = False

    def checked(value: str) -> str:
        path = resolve_config(value)
        load_recipe(path)
        return path

    for arg in args:
        if expect_value:
            out.append(checked(arg))
            expect_value = False
        elif arg in _CONFIG_FLAGS:
            out.append(arg)
            expect_value = True
        elif arg.startswith("--config="):
            out.append("--config=" + checked(arg.split("=", 1)[1]))
        else:
            out.append(arg)
    return out


CONFIGS_USAGE = """usage: lightning-gans configs [RECIPE]

Without RECIPE: the shipped recipes, one line each. With RECIPE (a name from that list or a YAML file): the recipe
itself, commented, to copy and edit, e.g. lightning-gans configs dcgan_digits > my_recipe.yaml"""


def _is_local_path(ckpt_path: object) -> bool:
    """A ``--ckpt_path`` value naming a file here: not Lightning's keywords ("last", "best", "hpc", "registry...")
    nor a remote URL."""
    text = str(ckpt_path)
    return text not in ("last", "best", "hpc") and not text.startswith("registry") and "://" not in text


def _recipe_table(indent: str = "") -> str:
    recipes = list_configs()
    width = max((len(name) for name in recipes), default=0)
    return "\n".join(f"{indent}{name:<{width}}  {describe_config(path)}" for name, path in recipes.items())


def overview() -> str:
    """What ``lightning-gans`` prints when called without arguments.

    >>> text = overview()
    >>> text.splitlines()[0]
    'lightning-gans: train GANs with PyTorch Lightning and see when they collapse.'
    >>> "lightning-gans fit --config dcgan_digits" in text
    True
    """
    return f"""lightning-gans: train GANs with PyTorch Lightning and see when they collapse.

Usage:
  lightning-gans fit --config RECIPE [--trainer.max_epochs=N ...]  train a recipe (a name below or a YAML file)
  lightning-gans fit --config RECIPE --ckpt_path last              resume the latest run of the recipe
  lightning-gans fit --config RECIPE --ckpt_path FILE.ckpt         resume from a given checkpoint
  lightning-gans fit --config RECIPE --print_config                the recipe with every default filled in
  lightning-gans fit --help                                        every option (model, data, trainer)
  lightning-gans configs [RECIPE]                                  list the recipes, or print one to copy and edit
  lightning-gans evaluate CHECKPOINT [--num-samples N ...]         FID / KID / PR (or modes) of a trained model
  lightning-gans sample CHECKPOINT --out grid.png [--labels 3 ...] a PNG grid or a tensor file of samples

Shipped recipes (in {CONFIG_DIR}):
{_recipe_table(indent="  ")}

Example (no download, a few minutes on a CPU; samples and metrics in outputs/dcgan_digits/):
  lightning-gans fit --config dcgan_digits

Override any value on the command line, e.g. --model.init_args.optimization.lr_d=1e-4, or switch the variant with
--model WGANGP (any subclass of lightning_gans.GAN or its full class path)."""


class GANCLI(LightningCLI):
    """``LightningCLI`` over any :class:`~lightning_gans.GAN` subclass and any ``LightningDataModule``.

    ``--config`` / ``-c`` values may be shipped recipe names (see :func:`resolve_config`). Config files are saved
    next to the logs (overwritten on re-runs into the same folder). ``args`` defaults to ``sys.argv[1:]``.

    Every run with checkpointing on keeps ``last.ckpt`` at most one epoch or 5 minutes old
    (:class:`~lightning_gans.callbacks.last_checkpoint.KeepLastCheckpoint`, added unless the config has one).
    ``--ckpt_path`` resumes the model the command line and the recipe describe (not the checkpoint's own): new
    learning rates and betas are applied, any other setting that differs from the checkpoint's is refused, naming it.

    >>> args = ["--config=ring_fast", "--model.init_args.networks.hidden_dim=8", "--trainer.logger=false"]
    >>> cli = GANCLI(args=args, run=False)
    >>> type(cli.model).__name__, cli.model.hparams.networks["hidden_dim"], cli.datamodule.dataset
    ('VanillaGAN', 8, 'ring')
    """

    def __init__(self, args: Sequence[str] | None = None, run: bool = True) -> None:
        super().__init__(
            GAN,
            LightningDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            save_config_kwargs={"overwrite": True},
            parser_kwargs={"description": "Train GANs with PyTorch Lightning. Recipes: lightning-gans configs."},
            args=None if args is None else list(args),
            run=run,
        )

    def init_parser(self, **kwargs: object) -> LightningArgumentParser:
        # No abbreviations: argparse would take --trainer.max_epoch for --trainer.max_epochs without a word, and a
        # typo would then pass unnoticed; refused, it gets a "did you mean" hint (cli_support.suggest_option).
        parser = super().init_parser(**{"allow_abbrev": False, **kwargs})
        parser.exit_on_error = False  # errors raise: main() prints the one line that matters, not the usage block
        return parser

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_argument("--threads", type=int | None, default=None, help=_THREADS_HELP)
        parser.add_argument(
            "--default_callbacks",
            type=bool,
            default=True,
            help="a configuration without callbacks (a run started without a recipe) gets a SampleGridCallback (a grid "
            "every epoch and at the end) and a GANHealthMonitor; false: none",
        )

    def before_instantiate_classes(self) -> None:
        """Set torch's CPU threads (``--threads``) before anything runs; the saved config.yaml records the number."""
        if self.subcommand is None:  # run=False: the caller drives the trainer (and its threads) itself
            return
        section = self.config[self.subcommand]
        threads = section["threads"] = resolve_threads(section.get("threads"))
        torch.set_num_threads(threads)
        os.environ["OMP_NUM_THREADS"] = str(threads)  # worker and DDP processes; Lightning's DDP launch keeps it
        rank_zero_info(f"torch CPU threads: {threads} (--threads; lightning-gans fit --help says why)")

    def parse_arguments(self, parser: LightningArgumentParser, args: Sequence[str] | None) -> None:
        """Parse ``args`` (default ``sys.argv[1:]``) into ``self.config``, recipe names resolved to files,
        ``--ckpt_path last`` resolved to the latest run's ``last.ckpt``."""
        try:
            self.config = parser.parse_args(_resolve_config_args(sys.argv[1:] if args is None else args))
        except ArgumentError as err:
            raise CLIError(condense_parse_error(str(err), self._known_options())) from err
        subcommand = self.config.get("subcommand")
        if subcommand is None:
            return
        section = self.config[subcommand]
        for key in ("optimizer", "lr_scheduler"):  # LightningCLI's; unused by the engine (it failed at the first step)
            if section.get(key) is not None:
                given = getattr(section[key], "class_path", section[key])
                raise CLIError(
                    f"--{key} does not apply to these GANs: they build both optimizers (and schedules) from the "
                    "model's optimization group: --model.init_args.optimization.optimizer=adam|rmsprop, .lr_d=1e-4, "
                    f".lr_decay=linear, ...; got --{key} {given}",
                    hint="lightning-gans fit --help lists the optimization options",
                )
        root = log_root_of(section) if section.get("ckpt_path") == "last" else None
        if root is not None:  # elsewhere the checkpoint folder is fixed and Lightning's own "last" finds it
            section["ckpt_path"] = self._latest_checkpoint(root)
        ckpt_path = section.get("ckpt_path")
        if ckpt_path and _is_local_path(ckpt_path) and not Path(ckpt_path).expanduser().is_file():
            raise CLIError(
                f"--ckpt_path '{ckpt_path}': no such file; give a .ckpt file, or 'last' to resume the latest run of "
                "the recipe",
                hint="lightning-gans fit --config RECIPE --ckpt_path last finds the latest checkpoint",
            )
        problem = checkpoints.checkpoint_file_problem(section["ckpt_path"]) if section.get("ckpt_path") else None
        if problem:
            raise CLIError(f"--ckpt_path '{section['ckpt_path']}' is not a readable checkpoint: {problem}")

    def _known_options(self) -> list[str]:
        keys: set[str] = set()
        for parser in (self.parser, *getattr(self, "_subcommand_parsers", {}).values()):
            keys.update(dest for action in parser._actions for dest in [action.dest] if dest and dest != "help")
        return sorted(keys)

    @staticmethod
    def _latest_checkpoint(root: Path) -> str | None:
        # Every run logs into a new version_N folder, so Lightning's own "last" (this run's folder) finds nothing.
        found = checkpoints.latest_checkpoint(root)
        if found is None:
            _say(f"--ckpt_path last: no checkpoint of a previous run under {root}: training from the start")
            return None
        _say(f"--ckpt_path last: resuming from {found}")
        return str(found)

    def _parse_ckpt_path(self) -> None:
        # LightningCLI rebuilds the model from the checkpoint's hyperparameters, silently replacing what the recipe
        # and the command line say (`--model`, new rates): the model is built as the command says instead, and
        # before_fit refuses what cannot change on resume. Only a command that names no model takes the checkpoint's.
        subcommand = self.config.get("subcommand")
        model = self.config[subcommand].get("model") if subcommand else None
        if model is None or not model.get("class_path"):
            super()._parse_ckpt_path()

    def instantiate_classes(self) -> None:
        try:
            super().instantiate_classes()
        except Exception as err:  # a wrong value in the recipe or on the command line: say which, in one line
            raise explain_instantiation_error(err) from err

    def instantiate_trainer(self, **kwargs: object) -> Trainer:
        trainer = super().instantiate_trainer(**kwargs)
        section = self.config[self.subcommand] if self.subcommand else self.config
        if section.get("default_callbacks", True) and not section["trainer"].get("callbacks"):
            # Without a recipe a run still shows its samples and is watched for collapse and vanishing gradients.
            trainer.callbacks[:0] = [SampleGridCallback(every_n_epochs=1), GANHealthMonitor()]
        if trainer.checkpoint_callback is not None and not any(
            isinstance(c, KeepLastCheckpoint) for c in trainer.callbacks
        ):
            trainer.callbacks.append(KeepLastCheckpoint())  # a killed run loses at most an epoch or 5 minutes
        return trainer

    def before_fit(self) -> None:
        try:  # e.g. --data.init_args.image_size=32 for a 28-px model: one line, before Lightning's hparams merge fails
            check_data_matches(self.model.hparams, getattr(self.datamodule, "hparams", {}))
        except ValueError as err:
            raise CLIError(str(err), hint="the values come from the recipe or an override on the command line") from err
        section = self.config[self.subcommand]
        if section.get("ckpt_path"):  # each setting that cannot change on resume, named before any process starts
            problem = resume_problem(section["ckpt_path"], self.model, section.get("model"))
            if problem:
                raise CLIError(problem, hint="a resumed run keeps the settings that define it")
        if rank_zero_only.rank == 0:  # the ranks that DDP starts inherit it: their errors are reported once
            os.environ[RUN_ID_ENV] = f"{os.getpid()}-{time.time_ns()}"
        self._fit_started = time.perf_counter()

    def after_fit(self) -> None:
        if self.trainer.is_global_zero:
            seconds = time.perf_counter() - self._fit_started
            hint = "add --ckpt_path last to the same command (continues the latest run of this recipe)"
            print(run_summary(self.trainer, seconds=seconds, resume_hint=hint))


def main(args: Sequence[str] | None = None) -> int:
    """Entry point of ``lightning-gans``; ``args`` defaults to ``sys.argv[1:]``. Returns the exit status.

    >>> main(["configs"])  # doctest: +ELLIPSIS
    conditional_digits ... Conditional DCGAN ...
    ...
    0
    >>> main(["configs", "ring_fast"])  # doctest: +ELLIPSIS
    # Fast ring-8 recipe: all 8 modes, sharp and balanced, in about a CPU-minute and a half.
    ...
    0
    """
    args = list(sys.argv[1:] if args is None else args)
    if not args:
        print(overview())
        return 0
    if args[0] in ("evaluate", "sample"):  # checkpoint -> numbers / pictures (lightning_gans.cli.evaluate)
        from lightning_gans.cli.evaluate import evaluate_main, sample_main

        return (evaluate_main if args[0] == "evaluate" else sample_main)(args[1:])
    if args[0] == "configs":
        if len(args) > 1 and args[1] in ("-h", "--help"):
            print(CONFIGS_USAGE)
            return 0
        try:
            if len(args) > 2:
                raise ValueError(f"configs takes at most one RECIPE, got {' '.join(args[1:])}")
            print(_recipe_table() if len(args) == 1 else Path(resolve_config(args[1])).read_text(encoding="utf-8"))
        except ValueError as err:
            print(f"lightning-gans: error: {err}", file=sys.stderr)
            return 2
        return 0
    try:
        _resolve_config_args(args)  # a wrong recipe name: a one-line error instead of a traceback
    except ValueError as err:
        print(f"lightning-gans: error: {err}", file=sys.stderr)
        return 2
    traceback = os.environ.get(TRACEBACK_ENV, "") not in ("", "0")
    try:
        GANCLI(args=args)
    except CLIError as err:
        if traceback:
            raise
        print(f"lightning-gans: error: {err}", file=sys.stderr)
        print(f"({err.hint}; {TRACEBACK_ENV}=1 shows the full traceback)", file=sys.stderr)
        return 2
    except Exception as err:
        # Under DDP every rank raises, usually the same error: one line per different error, not one traceback per
        # process. (One process: Python's traceback, as before.)
        if traceback or not _distributed():
            raise
        report_rank_error(err, rank_zero_only.rank, os.environ.get(RUN_ID_ENV, ""), TRACEBACK_ENV)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
