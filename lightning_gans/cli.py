"""The ``lightning-gans`` command: train any GAN of this library from a YAML recipe with Lightning's CLI.

``lightning-gans fit --config dcgan_digits`` trains the recipe shipped as ``lightning_gans/configs/dcgan_digits.yaml``
(a recipe is found by file path or by bare name). Every ``LightningCLI`` feature works: ``--print_config``,
overrides such as ``--trainer.max_steps=100`` or ``--model.init_args.lr_d=1e-4``, and ``--model WGANGP`` to switch
variants. ``lightning-gans`` alone prints an overview, ``lightning-gans configs`` lists the recipes and
``lightning-gans configs NAME`` prints one.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from lightning.pytorch import LightningDataModule
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from lightning_gans.gan import GAN

__all__ = ["CONFIG_DIR", "GANCLI", "describe_config", "list_configs", "main", "overview", "resolve_config"]

#: Where the shipped recipes live (package data, so they are installed with the package).
CONFIG_DIR = Path(__file__).resolve().parent / "configs"
_CONFIG_FLAGS = ("--config", "-c")


def list_configs() -> dict[str, Path]:
    """The shipped recipes, ``{name: path}`` sorted by name.

    >>> recipes = list_configs()
    >>> "dcgan_digits" in recipes and recipes["dcgan_digits"].name
    'dcgan_digits.yaml'
    """
    return {path.stem: path for path in sorted(CONFIG_DIR.glob("*.yaml"))}


def describe_config(path: str | Path) -> str:
    """The one-line description of a recipe: its first comment line.

    >>> describe_config(list_configs()["dcgan_digits"])[:5]
    'DCGAN'
    """
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
        if line.strip():
            break
    return ""


def resolve_config(value: str) -> str:
    """Map a ``--config`` value to a file: an existing path is kept, a recipe name becomes the shipped file.

    ``"dcgan_digits"``, ``"dcgan_digits.yaml"`` and ``"configs/dcgan_digits.yaml"`` (from any working directory)
    all resolve to the shipped recipe. Anything else raises a ``ValueError`` listing the recipes.

    >>> resolve_config("dcgan_digits") == str(list_configs()["dcgan_digits"])
    True
    >>> resolve_config("no_such_recipe")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --config must be a YAML file or a shipped recipe name (conditional_digits, conditional_mnist, ...), got 'no_such_recipe'
    """
    if Path(value).expanduser().is_file():
        return value
    name = Path(value).name
    for suffix in (".yaml", ".yml"):
        name = name.removesuffix(suffix)
    recipes = list_configs()
    if name in recipes:
        return str(recipes[name])
    raise ValueError(f"--config must be a YAML file or a shipped recipe name ({', '.join(recipes)}), got {value!r}")


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
  lightning-gans fit --config RECIPE --ckpt_path FILE.ckpt         resume it (e.g. <log dir>/checkpoints/last.ckpt)
  lightning-gans fit --config RECIPE --print_config                the recipe with every default filled in
  lightning-gans fit --help                                        every option (model, data, trainer)
  lightning-gans configs [RECIPE]                                  list the recipes, or print one to copy and edit

Shipped recipes (in {CONFIG_DIR}):
{_recipe_table(indent="  ")}

Example (no download, a few minutes on a CPU; samples and metrics in outputs/dcgan_digits/):
  lightning-gans fit --config dcgan_digits

Override any value on the command line, e.g. --model.init_args.lr_d=1e-4, or switch the variant with
--model WGANGP (any subclass of lightning_gans.GAN or its full class path)."""


class GANCLI(LightningCLI):
    """``LightningCLI`` over any :class:`~lightning_gans.GAN` subclass and any ``LightningDataModule``.

    ``--config`` / ``-c`` values may be shipped recipe names (see :func:`resolve_config`). Config files are saved
    next to the logs (overwritten on re-runs into the same folder). ``args`` defaults to ``sys.argv[1:]``.

    >>> cli = GANCLI(args=["--config=gan_ring", "--model.init_args.hidden_dim=8", "--trainer.logger=false"], run=False)
    >>> type(cli.model).__name__, cli.model.hparams.hidden_dim, cli.datamodule.dataset
    ('GAN', 8, 'ring')
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

    def parse_arguments(self, parser: LightningArgumentParser, args: Sequence[str] | None) -> None:
        """Parse ``args`` (default ``sys.argv[1:]``) into ``self.config``, recipe names resolved to files."""
        self.config = parser.parse_args(_resolve_config_args(sys.argv[1:] if args is None else args))


def main(args: Sequence[str] | None = None) -> int:
    """Entry point of ``lightning-gans``; ``args`` defaults to ``sys.argv[1:]``. Returns the exit status.

    >>> main(["configs"])  # doctest: +ELLIPSIS
    conditional_digits ... Conditional DCGAN ...
    ...
    0
    >>> main(["configs", "gan_ring"])  # doctest: +ELLIPSIS
    # Vanilla GAN (non-saturating loss, MLPs) on the ring of 8 Gaussians.
    ...
    0
    """
    args = list(sys.argv[1:] if args is None else args)
    if not args:
        print(overview())
        return 0
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
    GANCLI(args=args)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
