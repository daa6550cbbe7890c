"""The ``lightning-gans`` command: overview, recipe listing, recipe lookup by name, variant switching."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lightning_gans import GAN, WGANGP
from lightning_gans.cli import CONFIG_DIR, GANCLI, describe_config, list_configs, main, overview, resolve_config

EXPECTED_RECIPES = {
    "gan_ring",
    "gan_grid",
    "gan_minimax_grid",
    "pacgan_grid",
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
    shipped = str(list_configs()["gan_ring"])
    assert resolve_config("gan_ring") == shipped
    assert resolve_config("gan_ring.yaml") == shipped
    own = tmp_path / "mine.yaml"
    own.write_text("trainer: {max_steps: 1}\n")
    assert resolve_config(str(own)) == str(own)  # an existing file always wins
    monkeypatch.chdir(tmp_path)  # `configs/gan_ring.yaml` does not exist here: the shipped recipe is used
    assert resolve_config("configs/gan_ring.yaml") == shipped


def test_unknown_config_is_a_clear_error(capsys):
    with pytest.raises(ValueError, match=r"shipped recipe name \(conditional_digits, .*wgangp_grid\), got 'nope'"):
        resolve_config("nope")
    assert main(["fit", "--config", "nope"]) == 2
    assert "lightning-gans: error: --config must be a YAML file or a shipped recipe name" in capsys.readouterr().err


@pytest.mark.parametrize("form", ["--config={}", "-c {}", "--config {}"])
def test_all_config_flag_forms_resolve_names(form):
    args = [a.format("gan_ring") for a in form.split()]
    cli = GANCLI(args=[*args, "--trainer.logger=false"], run=False)
    assert type(cli.model) is GAN and cli.model.hparams.data_dim == 2
    assert type(cli.datamodule).__name__ == "ToyDataModule" and cli.datamodule.dataset == "ring"


def test_model_can_be_switched_by_class_name_keeping_the_recipe_arguments():
    cli = GANCLI(args=["--config", resolve_config("gan_grid"), "--model=WGANGP", "--trainer.logger=false"], run=False)
    assert type(cli.model) is WGANGP
    assert (
        cli.model.hparams.n_critic == 5 and cli.model.hparams.data_dim == 2
    )  # the variant's defaults + the recipe's shape


def test_print_config_shows_the_resolved_recipe(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--config", "dcgan_digits", "--print_config"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "class_path: lightning_gans.DCGAN" in out and "class_path: lightning_gans.data.DigitsDataModule" in out
    assert "generator: null" in out  # nn.Module | None arguments parse (as null)


def test_documented_repo_path_exists():
    # `lightning-gans fit --config configs/<recipe>.yaml` from a checkout: configs/ points at the shipped recipes.
    repo_configs = Path(__file__).resolve().parents[1] / "configs"
    assert {p.stem for p in repo_configs.glob("*.yaml")} == set(list_configs())
