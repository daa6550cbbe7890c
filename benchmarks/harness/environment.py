"""What produced a result: the git state of the code and the machine, recorded the same way by every benchmark,
and read back the same way by every report (:func:`describe_environment`, or its parts :func:`describe_machines`,
:func:`describe_versions`, :func:`describe_commits`, :func:`describe_load`)."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence
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
    return state["commit"][:7] + ("+uncommitted" if state.get("dirty") else "")  # a converted record may not know


def cpu_name() -> str:
    """The CPU model (``/proc/cpuinfo`` on Linux), else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> float | None:
    """The 1-minute load average of the machine (None where the system does not tell): how busy it was."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def environment() -> dict[str, Any]:
    """Machine, versions, torch threads, load average and git state of this process, as stored with every run.

    >>> env = environment()
    >>> {"python", "torch", "lightning", "cpu", "cpu_count", "torch_threads", "load_average", "git"} <= set(env)
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
        "load_average": load_average(),
        "git": git_state(),
    }
    return info


# ------------------------------------------------------------------------------ reading the records back, in reports
def _environments(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r.get("environment") or {} for r in records]


def describe_machines(records: Sequence[dict[str, Any]]) -> list[str]:
    """The distinct machines of stored runs: ``"2-core CPU (name), 1 torch thread(s)"`` (and the GPU, if any).

    >>> describe_machines([{"environment": {"cpu_count": 2, "cpu": "x86_64", "torch_threads": 1, "gpu": None}}])
    ['2-core CPU (x86_64), 1 torch thread(s)']
    """
    found = set()
    for e in _environments(records):
        text = (f"{e['cpu_count']}-core CPU" if e.get("cpu_count") else "CPU") + f" ({e.get('cpu')})"
        if e.get("torch_threads") is not None:  # not known for runs converted from an older record
            text += f", {e['torch_threads']} torch thread(s)"
        found.add(text + (f", GPU {e['gpu']}" if e.get("gpu") else ""))
    return sorted(found)


def describe_versions(records: Sequence[dict[str, Any]], python: bool = True) -> list[str]:
    """The distinct ``"Python x, torch y, lightning z"`` of stored runs (``python=False``: torch and lightning).

    >>> describe_versions([{"environment": {"python": "3.11", "torch": "2.14", "lightning": "2.6"}}], python=False)
    ['torch 2.14, lightning 2.6']
    """
    found = set()
    for e in _environments(records):
        names = (("Python", "python"),) * python + (("torch", "torch"), ("lightning", "lightning"))
        # A record converted from an older format may not know every version: say what it knows.
        found.add(", ".join(f"{name} {e[key]}" for name, key in names if e.get(key) is not None))
    return sorted(found)


def describe_commits(records: Sequence[dict[str, Any]]) -> list[str]:
    """The distinct commits of stored runs (:func:`describe_commit`).

    >>> describe_commits([{"environment": {"git": {"commit": "abc1234def", "dirty": False}}}, {"environment": {}}])
    ['abc1234']
    """
    return sorted({describe_commit(e["git"]) for e in _environments(records) if e.get("git")})


def describe_load(records: Sequence[dict[str, Any]]) -> str:
    """The range of the 1-minute load average at the start of stored runs, ``"5.1-7.3"`` (``"unknown"`` if none).

    >>> describe_load([{"environment": {"load_average": 7.25}}, {"environment": {"load_average": 5.1}}])
    '5.1-7.2'
    """
    loads = [e["load_average"] for e in _environments(records) if e.get("load_average") is not None]
    if not loads:
        return "unknown"
    low, high = f"{min(loads):.1f}", f"{max(loads):.1f}"
    return low if low == high else f"{low}-{high}"


def describe_environment(records: Sequence[dict[str, Any]]) -> str:
    """One provenance line for a report: machines; versions; commits; load average at the runs' start.

    >>> env = {"cpu_count": 2, "cpu": "x86_64", "torch_threads": 1, "python": "3.11", "torch": "2.14",
    ...        "lightning": "2.6", "load_average": 6.8, "git": {"commit": "fac4929", "dirty": False}}
    >>> describe_environment([{"environment": env}])
    '2-core CPU (x86_64), 1 torch thread(s); Python 3.11, torch 2.14, lightning 2.6; commit fac4929; load average at start 6.8'
    """
    return (
        f"{'; '.join(describe_machines(records))}; {'; '.join(describe_versions(records))}; "
        f"commit {', '.join(describe_commits(records)) or 'not recorded'}; load average at start {describe_load(records)}"
    )
