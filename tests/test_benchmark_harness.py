"""The shared benchmark harness: git state recorded one way, the resumable parallel runner, the per-run store."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.harness import ResultStore, RunKey, git_state, run_all


def _git(root: Path, *command: str) -> None:
    subprocess.run(["git", *command], cwd=root, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git command")
def test_dirty_means_the_code_differs_from_the_commit(tmp_path: Path) -> None:
    for path in ("lightning_gans/gan.py", "benchmarks/suite.py", "benchmarks/results/old.md", "docs/page.md"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x = 1\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    clean = git_state(tmp_path)
    assert not clean["dirty"] and len(clean["commit"]) == 40
    # Results and docs are outputs: changing or adding them does not make the code dirty.
    (tmp_path / "benchmarks/results/old.md").write_text("new table\n")
    (tmp_path / "benchmarks/results/runs.json").write_text("{}\n")
    (tmp_path / "docs/page.md").write_text("edited\n")
    assert not git_state(tmp_path)["dirty"]
    # An edited library file or a new benchmark file does.
    (tmp_path / "lightning_gans/gan.py").write_text("x = 2\n")
    (tmp_path / "benchmarks/new.py").write_text("y = 1\n")
    state = git_state(tmp_path)
    assert state["dirty"] and state["changed"] == ["benchmarks/new.py", "lightning_gans/gan.py"]
    assert state["commit"] == clean["commit"]


@dataclass(frozen=True)
class _Spec:
    seed: int

    @property
    def key(self) -> RunKey:
        return RunKey("demo", "p", "square", self.seed)


def _square(spec: _Spec) -> dict:
    import torch

    return {"value": spec.seed**2, "pid": os.getpid(), "threads": torch.get_num_threads(), "_big": [0] * 10}


def test_runner_stores_each_run_skips_stored_ones_and_uses_worker_processes(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    store.save(_Spec(0).key, {"value": -1})  # a run already stored: never recomputed
    results = list(run_all([_Spec(s) for s in range(4)], _square, store, jobs=2, threads=1))
    assert sorted((spec.seed, fresh) for spec, _, fresh in results) == [(0, False), (1, True), (2, True), (3, True)]
    fresh = [record for _, record, is_new in results if is_new]
    assert {r["pid"] for r in fresh} - {os.getpid()} and all(r["threads"] == 1 for r in fresh)
    assert all(r["run_wall_s"] > 0 and r["environment"]["git"]["commit"] for r in fresh)
    stored = {r["key"]["seed"]: r for r in store.records("demo")}
    assert [stored[s]["value"] for s in range(4)] == [-1, 1, 4, 9]
    assert "_big" not in stored[1] and "_big" in fresh[0]  # "_" keys go back to the caller, never to disk
    again = list(run_all([_Spec(s) for s in range(4)], _square, store, jobs=2))
    assert not any(is_new for _, _, is_new in again)


def test_force_runs_stored_specs_again_and_stored_keeps_the_plan_order(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    store.save(_Spec(0).key, {"value": -1})
    specs = [_Spec(2), _Spec(0), _Spec(1)]
    assert [r["value"] for r in store.stored(specs)] == [-1]  # only what is stored, nothing run
    forced = list(run_all(specs[:2], _square, store, jobs=1, force=True))
    assert all(fresh for _, _, fresh in forced)
    assert [r["value"] for r in store.stored(specs)] == [4, 0]  # overwritten; seed 1 still missing
    assert "load_average" in store.load(_Spec(0).key)["environment"]  # how busy the machine was (None if unknown)
