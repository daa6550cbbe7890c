"""The ``lightning-gans`` command: overview, recipe listing, recipe lookup by name, variant switching."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from lightning_gans import WGANGP, VanillaGAN
from lightning_gans.cli import (
    CONFIG_DIR,
    GANCLI,
    TRACEBACK_ENV,
    describe_config,
    list_configs,
    main,
    overview,
    resolve_config,
)

EXPECTED_RECIPES = {
    "ring_fast",
    "grid_fast",
    "gan_minimax_grid",
    "lsgan_grid",
    "wgangp_grid",
    "dcgan_digits",
    "wgangp_digits",
    "conditional_digits",
    "conditional_mnist",
    "dcgan_mnist",
    "dcgan_stacked_mnist",
    "wgangp_cifar10",
}


def test_every_recipe_is_shipped_with_a_description():
    recipes = list_configs()
    assert EXPECTED_RECIPES <= set(recipes)
    for name, path in recipes.items():
        assert path.parent == CONFIG_DIR
        description = describe_config(path)
        assert len(description) > 20, f"{name} has no one-line description on its first line"


def test_no_arguments_prints_the_overview_and_exits_0(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.strip() == overview().strip()
    for name in EXPECTED_RECIPES:
        assert name in out  # every recipe, with its description
    assert describe_config(list_configs()["dcgan_digits"]) in out
    for text in ("lightning-gans fit --config", "lightning-gans configs", "--help", "--ckpt_path"):
        assert text in out


def test_entry_point_without_arguments_is_not_an_argparse_error():
    # The real process: exit status 0 and the overview on stdout (LightningCLI alone would exit 2 with a usage error).
    done = subprocess.run([sys.executable, "-m", "lightning_gans.cli"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("lightning-gans: train GANs")
    assert "dcgan_digits" in done.stdout


def test_configs_subcommand_lists_names_and_descriptions(capsys):
    assert main(["configs"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == sorted(list_configs())
    assert EXPECTED_RECIPES <= {line.split()[0] for line in lines}
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)


def test_configs_subcommand_prints_one_recipe(capsys):
    assert main(["configs", "dcgan_digits"]) == 0
    assert capsys.readouterr().out.strip() == list_configs()["dcgan_digits"].read_text().strip()
    assert main(["configs", "nope"]) == 2
    assert "shipped recipe name" in capsys.readouterr().err


def test_resolve_config_by_name_path_and_foreign_relative_path(tmp_path, monkeypatch):
    shipped = str(list_configs()["ring_fast"])
    assert resolve_config("ring_fast") == shipped
    assert resolve_config("ring_fast.yaml") == shipped
    own = tmp_path / "mine.yaml"
    own.write_text("trainer: {max_steps: 1}\n")
    assert resolve_config(str(own)) == str(own)  # an existing file always wins
    monkeypatch.chdir(tmp_path)  # `configs/ring_fast.yaml` does not exist here: the shipped recipe is used
    assert resolve_config("configs/ring_fast.yaml") == shipped


def test_unknown_config_is_a_clear_error(capsys):
    with pytest.raises(ValueError, match=r"shipped recipe name \(conditional_digits, .*wgangp_grid\), got 'nope'"):
        resolve_config("nope")
    assert main(["fit", "--config", "nope"]) == 2
    assert "lightning-gans: error: --config must be a YAML file or a shipped recipe name" in capsys.readouterr().err


@pytest.mark.parametrize("form", ["--config={}", "-c {}", "--config {}"])
def test_all_config_flag_forms_resolve_names(form):
    args = [a.format("ring_fast") for a in form.split()]
    cli = GANCLI(args=[*args, "--trainer.logger=false"], run=False)
    assert type(cli.model) is VanillaGAN and cli.model.hparams.data_dim == 2
    assert type(cli.datamodule).__name__ == "ToyDataModule" and cli.datamodule.dataset == "ring"


def test_model_can_be_switched_by_class_name_keeping_the_recipe_arguments():
    cli = GANCLI(args=["--config", resolve_config("grid_fast"), "--model=WGANGP", "--trainer.logger=false"], run=False)
    assert type(cli.model) is WGANGP
    # the variant's defaults (n_critic, betas, penalty) + what the recipe sets (shape, learning rates, decay)
    optimization = cli.model.optimization
    assert optimization.n_critic == 5 and optimization.betas_g == (0.0, 0.9) and cli.model.hparams.data_dim == 2
    assert optimization.lr_g == 1e-3 and optimization.lr_decay == "linear"
    assert cli.model.regularization.gp_weight == 10.0 and cli.model.hparams.networks["hidden_dim"] == 256


def test_print_config_shows_the_resolved_recipe(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--config", "dcgan_digits", "--print_config"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "class_path: lightning_gans.DCGAN" in out and "class_path: lightning_gans.data.DigitsDataModule" in out


def _nulls(tree, path=()):
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _nulls(value, (*path, key))
    elif tree is None:
        yield path


@pytest.mark.parametrize("recipe", list_configs())
def test_print_config_prints_null_only_for_settings_that_are_none(recipe, capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--config", recipe, "--print_config"])
    printed = yaml.safe_load(capsys.readouterr().out)["model"]["init_args"]
    model = GANCLI(args=["--config", recipe, "--trainer.logger=false"], run=False).model
    for group in ("loss", "optimization", "regularization", "networks", "latent_dim", "noise_seed"):
        assert printed.get(group) is not None, group  # the settings that define the training are all shown
    for path in _nulls(printed):  # and a null is printed only where the model really has no value
        value = model.hparams
        for key in path:
            value = value[key]
        assert value is None, (recipe, path, value)
    assert printed["optimization"]["n_critic"] == model.optimization.n_critic
    assert printed["loss"] == model.loss.name


def test_documented_repo_path_exists():
    # `lightning-gans fit --config configs/<recipe>.yaml` from a checkout: configs/ points at the shipped recipes.
    repo_configs = Path(__file__).resolve().parents[1] / "configs"
    assert {p.stem for p in repo_configs.glob("*.yaml")} == set(list_configs())


def test_invalid_value_is_one_short_error_not_a_traceback(capsys, monkeypatch):
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)
    assert (
        main(["fit", "--config", "dcgan_digits", "--model.init_args.optimization.n_critic=0", "--trainer.logger=false"])
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("lightning-gans: error: n_critic must be an int >= 1, got 0")
    assert "Optimization" in err[0] and len(err) == 2 and TRACEBACK_ENV in err[1]
    monkeypatch.setenv(TRACEBACK_ENV, "1")  # the full traceback on request
    with pytest.raises(Exception, match="n_critic must be an int >= 1, got 0"):
        main(["fit", "--config", "dcgan_digits", "--model.init_args.optimization.n_critic=0", "--trainer.logger=false"])


def test_yaml_key_typo_is_one_short_error_with_a_suggestion(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)
    typo = tmp_path / "typo.yaml"
    typo.write_text("trainer:\n  max_epoch: 1\n")
    assert main(["fit", "--config", "dcgan_digits", "--config", str(typo)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "usage:" not in "\n".join(err)
    assert "'trainer.max_epoch'" in err[0] and "did you mean 'trainer.max_epochs'?" in err[0]


def test_ckpt_path_last_resumes_the_latest_run_and_the_run_ends_with_a_summary(capsys, tmp_path, monkeypatch):
    # Each run logs into a new version_N folder: "last" must find the previous run's checkpoint, not this run's.
    from lightning_gans.callbacks.digits_quality import digits_classifier

    monkeypatch.chdir(tmp_path)
    digits_classifier("outputs/dcgan_digits/digits_classifier.pt", epochs=1)  # the recipe's would train 6 epochs
    args = ["fit", "--config", "dcgan_digits", "--trainer.max_epochs=5", "--trainer.limit_train_batches=2"]
    args += [
        "--trainer.enable_progress_bar=false",
        "--data.init_args.batch_size=8",
        "--model.init_args.networks.base_width=4",
    ]
    assert main(args) == 0
    first = capsys.readouterr().out
    run = Path("outputs/dcgan_digits/version_0")
    assert first.splitlines()[-7].startswith("Finished: 5 epochs, 10 generator steps in ")
    for line in (
        f"pictures:    {run / 'samples' / 'samples_epoch004_step0000010.png'}",
        f"metrics:     {run / 'metrics.csv'}",
        f"checkpoint:  {run / 'checkpoints' / 'last.ckpt'}",
        "quality:     Fréchet distance in digit-classifier features (lower is better): generated vs real ",
        f"(details in {run / 'quality.json'})",
        "resume:      add --ckpt_path last to the same command",
    ):
        assert line in first
    assert (run / "checkpoints" / "last.ckpt").is_file() and (run / "metrics.csv").is_file()
    assert main([*args, "--trainer.max_epochs=6", "--ckpt_path", "last"]) == 0
    second = capsys.readouterr().out
    assert f"--ckpt_path last: resuming from {run / 'checkpoints' / 'last.ckpt'}" in second
    resumed = torch.load("outputs/dcgan_digits/version_1/checkpoints/last.ckpt", weights_only=True)
    assert resumed["epoch"] == 6 and resumed["lightning_gans"]["generator_steps"] == 12  # 5 epochs before, 1 here


def test_unreadable_ckpt_path_is_one_short_error(capsys, tmp_path):
    broken = tmp_path / "broken.ckpt"
    broken.write_bytes(b"this is not a checkpoint\n")
    assert main(["fit", "--config", "ring_fast", "--ckpt_path", str(broken), "--trainer.logger=false"]) == 2
    assert f"--ckpt_path '{broken}' is not a readable checkpoint" in capsys.readouterr().err


def _tiny_ring(*extra):
    return [
        "fit",
        "--config",
        "ring_fast",
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=2",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        "--data.init_args.batch_size=16",
        "--model.init_args.networks.hidden_dim=8",
        *extra,
    ]


def test_ckpt_path_last_with_a_new_learning_rate_trains_at_it_and_says_so(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    assert main(_tiny_ring()) == 0
    with caplog.at_level("INFO", logger="lightning.pytorch.utilities.rank_zero"):
        assert (
            main(
                _tiny_ring("--trainer.max_epochs=2", "--ckpt_path", "last", "--model.init_args.optimization.lr_d=1e-5")
            )
            == 0
        )
    assert "resuming with this run's optimization.lr_d 0.004 -> 1e-05 (in place of the checkpoint's)" in caplog.text
    resumed = torch.load("outputs/ring_fast/version_1/checkpoints/last.ckpt", weights_only=True)
    assert resumed["hyper_parameters"]["optimization"]["lr_d"] == 1e-5
    assert resumed["lr_schedulers"][1]["base_lrs"] == [1e-5]  # D's schedule now decays from the new rate
    assert resumed["optimizer_states"][1]["param_groups"][0]["lr"] == pytest.approx(1e-5, rel=1e-3)
    saved = yaml.safe_load(Path("outputs/ring_fast/version_1/config.yaml").read_text())
    assert saved["model"]["init_args"]["optimization"]["lr_d"] == 1e-5  # what the run records is what it trains


@pytest.mark.parametrize(
    "override, said",
    [
        (
            ["--model=WGANGP", "--model.init_args.optimization.lr_d=1e-6"],
            "holds a lightning_gans.variants.VanillaGAN run, but this command builds a lightning_gans.variants.WGANGP "
            "(--model or the recipe's model.class_path): resume with --model lightning_gans.variants.VanillaGAN, or "
            "start a new run without --ckpt_path",
        ),
        (
            ["--model.init_args.optimization.n_critic=2"],
            "settings that differ from the checkpoint's: optimization.n_critic 1 -> 2.",
        ),
        (["--model.init_args.noise_seed=5"], "noise_seed 0 -> 5"),
    ],
)
def test_ckpt_path_last_with_a_setting_that_defines_the_run_is_one_line_refusal(
    tmp_path, monkeypatch, capsys, override, said
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)
    assert main(_tiny_ring()) == 0
    capsys.readouterr()
    assert main(_tiny_ring("--ckpt_path", "last", *override)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[0].startswith("lightning-gans: error: ") and said in err[0], err
    assert not Path("outputs/ring_fast/version_1/checkpoints").exists()  # refused before training


@pytest.mark.parametrize("recipe", ["dcgan_digits", "ring_fast", "wgangp_cifar10"])
def test_every_run_keeps_a_fresh_last_checkpoint_unless_checkpointing_is_off(recipe, tmp_path):
    from lightning_gans.callbacks.last_checkpoint import KeepLastCheckpoint

    cli = GANCLI(args=["--config", recipe, "--trainer.logger=false"], run=False)
    kept = [c for c in cli.trainer.callbacks if isinstance(c, KeepLastCheckpoint)]
    assert len(kept) == 1 and kept[0].every_minutes == 5.0 and kept[0].every_n_epochs == 1
    off = tmp_path / "off.yaml"
    off.write_text("trainer:\n  enable_checkpointing: false\n  callbacks: []\n  logger: false\n")
    cli = GANCLI(args=["--config", recipe, "--config", str(off)], run=False)
    assert not any(isinstance(c, KeepLastCheckpoint) for c in cli.trainer.callbacks)


def test_a_run_without_a_recipe_gets_sample_pictures_and_the_health_monitor(tmp_path, monkeypatch) -> None:
    from lightning_gans.callbacks import GANHealthMonitor, SampleGridCallback
    from lightning_gans.cli import GANCLI

    monkeypatch.chdir(tmp_path)
    plain = ["--model=VanillaGAN", "--model.data_dim=2", "--data=lightning_gans.data.ToyDataModule"]
    kinds = {type(c) for c in GANCLI(args=plain, run=False).trainer.callbacks}
    assert {SampleGridCallback, GANHealthMonitor} <= kinds
    off = {type(c) for c in GANCLI(args=[*plain, "--default_callbacks=false"], run=False).trainer.callbacks}
    assert not {SampleGridCallback, GANHealthMonitor} & off
    recipe = {type(c) for c in GANCLI(args=["--config=ring_fast"], run=False).trainer.callbacks}
    assert GANHealthMonitor not in recipe  # a recipe's own callback list is what it trains with
