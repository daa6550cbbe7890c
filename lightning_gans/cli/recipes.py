"""The shipped recipes (``lightning_gans/configs/*.yaml``, package data): where they are and how a name finds one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["CONFIG_DIR", "describe_config", "list_configs", "load_recipe", "resolve_config"]

#: Where the shipped recipes live (package data, so they are installed with the package).
CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"  # lightning_gans/configs


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


def load_recipe(path: str | Path) -> dict[str, Any]:
    """The settings of a recipe file; a ``ValueError`` naming the file (and the line) when it is not a YAML mapping.

    >>> load_recipe(list_configs()["ring_fast"])["model"]["class_path"]
    'lightning_gans.VanillaGAN'
    >>> import tempfile
    >>> broken = Path(tempfile.mkdtemp()) / "broken.yaml"
    >>> _ = broken.write_text("model:\\n  class_path: x\\n  - oops\\n")
    >>> load_recipe(broken)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: .../broken.yaml is not valid YAML (line 3, column 3): expected <block end>, but found '-'
    """
    path = Path(path)
    try:
        settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:  # its own message says "<unicode string>", not which file
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).strip().splitlines()[0]
        raise ValueError(f"{path} is not valid YAML{where}: {problem}") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"cannot read the recipe {path}: {err}") from err
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise ValueError(f"{path} must hold a YAML mapping (model:, data:, trainer:), got a {type(settings).__name__}")
    return settings
