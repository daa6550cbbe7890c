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
from collections.abc import Sequence
from pathlib import Path

from jsonargparse import ArgumentError
from lightning.pytorch import LightningDataModule
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from lightning_gans import checkpoints
from lightning_gans.cli_support import CLIError, condense_parse_error, explain_instantiation_error, log_root_of
from lightning_gans.gan import GAN
from lightning_gans.recipes import CONFIG_DIR, describe_config, list_configs, resolve_config
from lightning_gans.run_summary import run_summary

__all__ = [
    "CONFIG_DIR",
    "GANCLI",
    "TRACEBACK_ENV",
    "describe_config",
    "list_configs",
    "main",
    "overview",
    "resolve_config",
]

_CONFIG_FLAGS = ("--config", "-c")
#: Set to 1 to see the full traceback of a configuration error instead of its one-line message.
TRACEBACK_ENV = "LIGHTNING_GANS_TRACEBACK"


def _resolve_config_args(args: Sequence[str]) -> list[str]:
    """Replace the value of every ``--config`` / ``-c`` / ``--config=`` argument with :func:`resolve_config`'s."""
    out: list[str] = []
    expect_value = False
    for arg in args:
        if expect_value:
            out.append(resolve_config(arg))
            expect_value = False
        elif arg in _CONFIG_FLAGS:
            out.append(arg)
            expect_value = True
        elif arg.startswith("--config="):
            out.append("--config=" + resolve_config(arg.split("=", 1)[1]))
        else:
            out.append(arg)
    return out


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
        parser = super().init_parser(**kwargs)
        parser.exit_on_error = False  # errors raise: main() prints the one line that matters, not the usage block
        return parser

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
        root = log_root_of(section) if section.get("ckpt_path") == "last" else None
        if root is not None:  # elsewhere the checkpoint folder is fixed and Lightning's own "last" finds it
            section["ckpt_path"] = self._latest_checkpoint(root)
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
            print(f"--ckpt_path last: no checkpoint of a previous run under {root}: training from the start")
            return None
        print(f"--ckpt_path last: resuming from {found}")
        return str(found)

    def instantiate_classes(self) -> None:
        try:
            super().instantiate_classes()
        except Exception as err:  # a wrong value in the recipe or on the command line: say which, in one line
            raise explain_instantiation_error(err) from err

    def before_fit(self) -> None:
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
    if args[0] in ("evaluate", "sample"):  # checkpoint -> numbers / pictures (lightning_gans.cli_eval)
        from lightning_gans.cli_eval import evaluate_main, sample_main

        return (evaluate_main if args[0] == "evaluate" else sample_main)(args[1:])
    if args[0] == "configs":
        try:
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
    try:
        GANCLI(args=args)
    except CLIError as err:
        if os.environ.get(TRACEBACK_ENV, "") not in ("", "0"):
            raise
        print(f"lightning-gans: error: {err}", file=sys.stderr)
        print(f"({err.hint}; {TRACEBACK_ENV}=1 shows the full traceback)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
