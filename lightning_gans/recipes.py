"""The shipped recipes (``lightning_gans/configs/*.yaml``, package data): where they are and how a name finds one."""

from __future__ import annotations

from pathlib import Path

__all__ = ["CONFIG_DIR", "describe_config", "list_configs", "resolve_config"]

#: Where the shipped recipes live (package data, so they are installed with the package).
CONFIG_DIR = Path(__file__).resolve().parent / "configs"


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
