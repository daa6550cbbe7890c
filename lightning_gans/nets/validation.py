"""Argument checks shared by the network constructors."""

from __future__ import annotations


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an int >= 1, else raise a ``ValueError`` naming the argument.

    >>> check_positive_int("hidden_dim", 0)
    Traceback (most recent call last):
    ...
    ValueError: hidden_dim must be an integer >= 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return value
