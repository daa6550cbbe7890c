"""Option groups: frozen dataclasses that remember which fields their caller set.

A variant's signature holds its own instance of each group (``WGANGP``'s ``Optimization`` has ``n_critic=5`` and
betas ``(0, 0.9)``). A user who passes ``Optimization(lr_g=3e-4)`` means "this rate, the rest as the variant has
it", so the variant takes :func:`merged`: its own instance with the fields the user set. The command line means the
same (it merges a changed field into the variant's defaults).

>>> from dataclasses import dataclass
>>> @option_group
... class Example:
...     rate: float = 1.0
...     steps: int = 1
>>> fields_set(Example(steps=5))
frozenset({'steps'})
>>> merged(Example(rate=0.1, steps=5), Example(rate=0.3))  # the variant's steps stay
Example(rate=0.3, steps=5)
>>> merged(Example(rate=0.1, steps=5), {"steps": 2})  # a mapping sets exactly its keys
Example(rate=0.1, steps=2)

``dataclasses.replace`` passes every field to the constructor, so a replaced group has every field set:
``replace(Optimization(), lr_g=1e-3)`` also sets the engine's ``n_critic=1``. Write ``Optimization(lr_g=1e-3)``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

G = TypeVar("G")
_SET = "_fields_set"  # an instance attribute that is not a dataclass field: eq, hash and asdict ignore it


def option_group(cls: type[G]) -> type[G]:
    """Make ``cls`` a frozen dataclass whose instances remember the fields given to their constructor."""
    cls = dataclass(frozen=True)(cls)
    names = tuple(f.name for f in fields(cls) if f.init)
    init = cls.__init__

    @functools.wraps(init)  # inspect.signature (help, jsonargparse) still shows the dataclass's own signature
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        object.__setattr__(self, _SET, frozenset(names[: len(args)]) | frozenset(kwargs))

    cls.__init__ = __init__  # type: ignore[method-assign]
    return cls


def fields_set(group: Any) -> frozenset[str]:
    """The fields given to ``group``'s constructor (every field when that is not known)."""
    return group.__dict__.get(_SET, frozenset(f.name for f in fields(group)))


def as_options(kind: type[G], value: G | Mapping[str, Any]) -> G:
    """``value`` itself if it is a ``kind``, or a ``kind`` built from a mapping of its fields (as checkpoints store
    it); the mapping's keys are the fields set.

    >>> from lightning_gans.options import Regularization
    >>> as_options(Regularization, {"gp_weight": 10.0}).gp_weight
    10.0
    >>> as_options(Regularization, {"gp": 10.0})
    Traceback (most recent call last):
    ...
    ValueError: Regularization has no field(s) ['gp']; its fields are ['gp_weight', 'r1_weight', 'r1_interval', 'weight_clip', 'label_smoothing', 'instance_noise', 'instance_noise_steps', 'augment']
    """
    if isinstance(value, kind):
        return value
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {f.name for f in fields(kind)})
        if unknown:
            raise ValueError(
                f"{kind.__name__} has no field(s) {unknown}; its fields are {[f.name for f in fields(kind)]}"
            )
        return kind(**value)
    raise TypeError(f"expected a {kind.__name__} (or a mapping of its fields), got {type(value).__name__}")


def merged(default: G, value: G | Mapping[str, Any]) -> G:
    """``default`` with the fields that ``value``'s caller set (a variant's defaults plus the user's changes)."""
    value = as_options(type(default), value)
    changes = {name: getattr(value, name) for name in fields_set(value)}
    return replace(default, **changes) if changes else default
