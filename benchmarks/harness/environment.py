"""What produced a result: the git state of the code and the machine, recorded the same way by every benchmark."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# The code that produces the numbers. Results and docs may change without making a run "dirty".
CODE_PATHS = ("lightning_gans", "benchmarks", "pyproject.toml", ":(exclude)benchmarks/results")


def _git(root: Path, *command: str) -> str:
    try:
        done = subprocess.run(["git", *command], cwd=root, capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return done.stdout.rstrip()  # not strip(): a status line starts with a space (" M path")


def git_state(root: Path = ROOT) -> dict[str, Any]:
    """The commit and whether the code differs from it.

    ``dirty`` is True when a tracked file of the code in the checkout at ``root`` (``lightning_gans/``, ``benchmarks/`` except its results,
    ``pyproject.toml``) is modified or a new, not ignored file exists there; ``changed`` lists those paths.
    ``commit`` is ``"unknown"`` outside a git checkout.

    >>> state = git_state()
    >>> sorted(state), isinstance(state["dirty"], bool)
    (['changed', 'commit', 'dirty'], True)
    """
    commit = _git(root, "rev-parse", "HEAD") or "unknown"
    lines = _git(root, "status", "--porcelain", "--untracked-files=all", "--", *CODE_PATHS).splitlines()
    changed = sorted(line[3:] for line in lines if line.strip())
    return {"commit": commit, "dirty": bool(changed), "changed": changed}


def describe_commit(state: dict[str, Any]) -> str:
    """``"abc1234"`` or ``"abc1234+uncommitted"``: the short form used in tables.

    >>> describe_commit({"commit": "abc1234def", "dirty": True, "changed": ["x.py"]})
    'abc1234+uncommitted'
    """
    return state["commit"][:7] + ("+uncommitted" if state["dirty"] else "")


def cpu_name() -> str:
    """The CPU model (``/proc/cpuinfo`` on Linux), else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict[str, Any]:
    """Machine, versions, torch threads and git state of this process, as stored with every run.

    >>> env = environment()
    >>> {"python", "torch", "lightning", "cpu", "cpu_count", "torch_threads", "git"} <= set(env)
    True
    """
    import lightning
    import torch

    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "lightning": lightning.__version__,
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "git": git_state(),
    }
    return info
