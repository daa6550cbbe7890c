"""The one family of argument checks: each names the argument, what is allowed and what was received.

One exception type per kind of mistake, everywhere in the library: ``TypeError`` when the value has the wrong type
(a string where a number belongs, a bool where an int belongs), ``ValueError`` when the type is right but the value
is not allowed (out of range, not one of the choices). Each check returns the value (converted where it says so), so
a constructor reads ``self.pack = check_int("pack", pack, minimum=1)``.

>>> check_int("n_critic", 0, minimum=1)
Traceback (most recent call last):
...
ValueError: n_critic must be an int >= 1, got 0
>>> check_int("n_critic", "5", minimum=1)
Traceback (most recent call last):
...
TypeError: n_critic must be an int >= 1, got '5' (str)
>>> check_number("ema_decay", 1.0, low=0.0, high=1.0, high_inclusive=False)
Traceback (most recent call last):
...
ValueError: ema_decay must be a number in [0.0, 1.0), got 1.0
>>> check_choice("loss", "wgan", ("hinge", "wasserstein"))
Traceback (most recent call last):
...
ValueError: loss must be one of 'hinge', 'wasserstein'; got 'wgan'
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` if it is an ``int`` (bools rejected) within ``[minimum, maximum]``, else raise."""
    bounds = _describe_bounds(minimum, maximum, True, True)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int{bounds}, got {value!r} ({type(value).__name__})")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an int{bounds}, got {value}")
    return value


def check_number(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``float(value)`` if it is a finite real number within the bounds, else raise."""
    bounds = _describe_bounds(low, high, low_inclusive, high_inclusive)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number{bounds}, got {value!r} ({type(value).__name__})")
    number = float(value)
    too_low = low is not None and (number < low if low_inclusive else number <= low)
    too_high = high is not None and (number > high if high_inclusive else number >= high)
    if not math.isfinite(number) or too_low or too_high:
        raise ValueError(
            f"{name} must be a{'' if low is not None and high is not None else ' finite'} number{bounds}, got {value}"
        )
    return number


def check_positive_number(name: str, value: Any) -> float:
    """Return ``float(value)`` if it is a finite number > 0, else raise (learning rates, widths of noise, ...)."""
    return check_number(name, value, low=0.0, low_inclusive=False)


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a ``bool``; a string such as ``"no"`` is refused, not read as true.

    >>> check_bool("compile", "no")
    Traceback (most recent call last):
    ...
    TypeError: compile must be True or False, got 'no' (str)
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return value


def check_choice(name: str, value: T, allowed: Sequence[T]) -> T:
    """Return ``value`` if it is one of ``allowed``, else raise a ``ValueError`` listing them."""
    if isinstance(value, bool) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def check_dir(name: str, value: Any) -> Path:
    """Return ``value`` as a ``Path`` if it is a string or path-like, else raise a ``TypeError``."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a folder path (str or os.PathLike), got {value!r} ({type(value).__name__})")
    return Path(value).expanduser()


def _describe_bounds(low: float | None, high: float | None, low_inclusive: bool, high_inclusive: bool) -> str:
    if low is not None and high is not None:
        return f" in {'[' if low_inclusive else '('}{low}, {high}{']' if high_inclusive else ')'}"
    if low is not None:
        return f" {'>=' if low_inclusive else '>'} {low}"
    if high is not None:
        return f" {'<=' if high_inclusive else '<'} {high}"
    return ""
