"""``lightning-gans fit --threads``: torch's CPU thread count is chosen by the command, not left to chance."""

from __future__ import annotations

import pytest
import torch
import yaml

from lightning_gans.cli import DEFAULT_THREADS, main
from lightning_gans.gan import GAN


@pytest.fixture
def threads_seen(monkeypatch):
    """torch.get_num_threads() at every training step of the fits run in the test; threads and env restored after."""
    seen: list[int] = []
    original = GAN.training_step

    def spy(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(GAN, "training_step", spy)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # restored at teardown (the CLI exports the value it sets)
    before = torch.get_num_threads()
    yield seen
    torch.set_num_threads(before)


def _fit(tmp_path, *extra: str) -> int:
    args = ["fit", "--config=ring_fast", "--trainer.max_steps=2", "--trainer.enable_progress_bar=false"]
    args += [f"--trainer.default_root_dir={tmp_path}", f"--trainer.logger.init_args.save_dir={tmp_path}", *extra]
    return main(args)


def test_threads_option_sets_torch_threads_inside_the_fit_and_in_the_saved_config(tmp_path, threads_seen):
    torch.set_num_threads(1)
    assert _fit(tmp_path, "--threads=2") == 0
    assert threads_seen and set(threads_seen) == {2}
    (saved,) = tmp_path.rglob("config.yaml")
    assert yaml.safe_load(saved.read_text())["threads"] == 2


def test_default_is_one_thread_whatever_torch_chose(tmp_path, threads_seen):
    torch.set_num_threads(2)  # torch's own default on a 2-core machine
    assert DEFAULT_THREADS == 1
    assert _fit(tmp_path) == 0
    assert threads_seen and set(threads_seen) == {1}


def test_omp_num_threads_is_the_default_when_set(tmp_path, threads_seen, monkeypatch):
    torch.set_num_threads(1)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert _fit(tmp_path) == 0
    assert threads_seen and set(threads_seen) == {2}


@pytest.mark.parametrize(
    ("extra", "env", "message"),
    [
        (["--threads=0"], None, "--threads must be an int >= 1, got 0"),
        (["--threads=-2"], None, "--threads must be an int >= 1, got -2"),
        (["--threads=two"], None, "threads: Expected a <class 'int'>; given value: two"),
        ([], "many", "OMP_NUM_THREADS must be an int >= 1, got 'many'"),
    ],
)
def test_bad_thread_counts_give_a_one_line_error(tmp_path, threads_seen, monkeypatch, capsys, extra, env, message):
    if env is not None:
        monkeypatch.setenv("OMP_NUM_THREADS", env)
    assert _fit(tmp_path, *extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == f"lightning-gans: error: {message}"
    assert len(err) == 2 and "Traceback" not in "\n".join(err)
    assert not threads_seen  # nothing was trained
