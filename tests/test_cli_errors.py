"""Mistakes on the ``lightning-gans`` command line, each answered in one line before anything trains."""

from __future__ import annotations

import pytest

from lightning_gans.cli import TRACEBACK_ENV, main


@pytest.fixture(autouse=True)
def one_line_errors(monkeypatch):
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) <= 2 and "Traceback" not in "\n".join(err), err  # the error and, at most, its hint
    return err[0]


def test_lightnings_optimizer_flag_is_refused_with_the_models_own_options(capsys):
    # It used to fail at the first step: "cannot unpack non-iterable LightningAdam object".
    assert main(["fit", "--config", "dcgan_digits", "--optimizer", "Adam", "--trainer.logger=false"]) == 2
    error = _error(capsys)
    assert "--optimizer does not apply" in error and "--model.init_args.optimization.optimizer=adam" in error
    assert "torch.optim.Adam" in error


def test_configs_help_prints_its_usage(capsys):
    assert main(["configs", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: lightning-gans configs [RECIPE]")


def test_a_malformed_recipe_is_named_with_its_line(capsys, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("model:\n  class_path: lightning_gans.DCGAN\n  - init_args: {}\n")
    assert main(["fit", "--config", str(broken)]) == 2
    assert f"{broken} is not valid YAML (line 3, column 3)" in _error(capsys)


def test_a_missing_ckpt_path_file_is_one_line(capsys, tmp_path):
    missing = tmp_path / "nowhere.ckpt"
    assert main(["fit", "--config", "ring_fast", "--ckpt_path", str(missing), "--trainer.logger=false"]) == 2
    assert f"--ckpt_path '{missing}': no such file" in _error(capsys)


def test_a_data_image_size_other_than_the_models_is_one_line(capsys, tmp_path):
    # It used to end in Lightning's "Error while merging hparams" traceback.
    args = [
        "fit",
        "--config",
        "dcgan_digits",
        "--data.init_args.image_size=28",
        f"--trainer.default_root_dir={tmp_path}",
    ]
    assert main([*args, f"--trainer.logger.init_args.save_dir={tmp_path}"]) == 2
    error = _error(capsys)
    assert "disagree on image_size: the model has 32, the data 28" in error
    assert "--model.init_args.image_size and --data.init_args.image_size" in error


def test_an_abbreviated_option_is_refused_with_the_full_name(capsys):
    # argparse took --trainer.max_epoch for --trainer.max_epochs without a word; docs/getting-started.md promises a hint.
    assert main(["fit", "--config", "ring_fast", "--trainer.max_epoch=1", "--trainer.logger=false"]) == 2
    error = _error(capsys)
    assert "--trainer.max_epoch" in error and "did you mean '--trainer.max_epochs'?" in error
