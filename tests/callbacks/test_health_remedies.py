"""The remedies the health monitor offers: read from a module's settings, tailored, formatted."""

from __future__ import annotations

import importlib
import re

import lightning.pytorch as pl
import pytest
from torch import nn

from lightning_gans import NetworkOptions, Optimization, VanillaGAN
from lightning_gans.callbacks.health.diagnosis import KINDS, Diagnosis, format_message
from lightning_gans.callbacks.health.remedies import module_settings, remedies_for
from lightning_gans.nets.mlp import MLPDiscriminator


class HparamsModule(pl.LightningModule):
    """A module with hyperparameters and a discriminator but no ``pack`` hyperparameter (read from D instead)."""

    def __init__(self, discriminator: nn.Module, loss: str = "non_saturating", lr_d: float = 2e-4) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["discriminator"])
        self.generator, self.discriminator = nn.Linear(2, 2), discriminator


def test_remedies_are_tailored_to_the_module_settings():
    minimax = remedies_for("vanishing_gradients", {"loss": "minimax", "lr_d": 2e-4, "lr_g": 1e-4})
    assert "loss='non_saturating'" in minimax[0] and any("lr_d=0.0002, lr_g=0.0001" in r for r in minimax)
    wgan_gp = remedies_for("vanishing_gradients", {"loss": "wasserstein", "gp_weight": 10.0, "spectral_norm": True})
    assert not any("WGANGP" in r or "r1_weight" in r or "spectral_norm" in r for r in wgan_gp)
    assert any("architecture='resnet'" in r for r in remedies_for("vanishing_gradients", {}, images=True))
    resnet = remedies_for("vanishing_gradients", {"architecture": "resnet"}, images=True)
    assert not any("architecture=" in r for r in resnet)
    images = remedies_for("mode_collapse", {"pack": 1}, images=True)
    assert images[0].startswith("networks=NetworkOptions(pack=2..4)") and any(
        "augment='color,translation,cutout'" in r for r in images
    )
    assert not any("augment=" in r for r in remedies_for("mode_collapse", {}, images=False))  # not for 2-D data
    # With the minimax loss, packing alone is not the first remedy: the loss switch comes with it.
    minimax_collapse = remedies_for("mode_collapse", {"loss": "minimax", "pack": 1})
    assert "loss='non_saturating' together with networks=NetworkOptions(pack=2..4)" in minimax_collapse[0]
    assert not any(r.startswith("networks=NetworkOptions(pack=") for r in minimax_collapse)
    packed_minimax = remedies_for("mode_collapse", {"loss": "minimax", "pack": 4})
    assert packed_minimax[0].startswith("switch loss='minimax' to loss='non_saturating':")
    with pytest.raises(ValueError, match="kind must be one of"):
        remedies_for("overfitting", {})


def test_module_settings_reads_our_gans_hyperparameters_and_any_discriminators_options():
    ours = VanillaGAN(
        data_dim=2,
        loss="minimax",
        optimization=Optimization(lr_d=1e-3),
        networks=NetworkOptions(pack=2, spectral_norm=True, minibatch_stddev=True),
    )
    settings = module_settings(ours)
    assert settings["ours"] and settings["loss"] == "minimax" and settings["pack"] == 2 and settings["lr_d"] == 1e-3
    assert settings["spectral_norm"] and settings["minibatch_layer"]
    # A foreign module's hyperparameters of the same names may mean something else: only its networks are read.
    foreign = module_settings(HparamsModule(MLPDiscriminator(2, pack=2, spectral_norm=True), loss="minimax"))
    assert not foreign["ours"] and foreign["loss"] is None and foreign["lr_d"] is None
    assert foreign["pack"] == 2 and foreign["spectral_norm"] and not foreign["minibatch_layer"]
    plain = module_settings(HparamsModule(MLPDiscriminator(2)))
    assert not plain["spectral_norm"] and not plain["minibatch_layer"] and plain["pack"] == 1


ARGUMENT = re.compile(
    r"\b(pack|augment|ema_decay|r1_weight|gp_weight|spectral_norm|instance_noise|label_smoothing|lr_d)="
)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("images", [False, True])
def test_remedies_for_a_foreign_module_name_techniques_and_where_they_live_not_our_arguments(kind, images):
    ours = remedies_for(kind, {"ours": True}, images=images)
    foreign = remedies_for(kind, {"ours": False}, images=images)
    assert any(ARGUMENT.search(r) for r in ours)  # our GAN: the arguments to set
    assert foreign and not any(ARGUMENT.search(r) for r in foreign), foreign
    assert all("lightning_gans." in r or "torch." in r for r in foreign if "BatchNorm" not in r)
    # Every place named exists (a renamed function would otherwise send users nowhere).
    for path in {p.rstrip(".,:;)") for r in foreign for p in re.findall(r"(?:lightning_gans|torch)\.[\w.]+", r)}:
        module_name, _, attribute = path.rpartition(".")
        try:
            target = importlib.import_module(path)
        except ModuleNotFoundError:
            target = getattr(importlib.import_module(module_name), attribute, None)
        assert target is not None, f"{path} named in a remedy does not exist"


def test_format_message_names_the_failure_the_evidence_and_numbered_remedies():
    remedies = ["switch to loss='non_saturating'", "add R1"]
    diagnosis = Diagnosis("vanishing_gradients", 1200, 900, {}, ["the discriminator is saturated"], remedies)
    lines = format_message(diagnosis, global_step=2400).splitlines()
    assert lines[0] == (
        "GANHealthMonitor: vanishing gradients (the discriminator wins, the generator learns nothing) "
        "at generator step 1200 (global step 2400)."
    )
    assert lines[1] == "Evidence, sustained since generator step 900:"
    assert lines[2] == "  - the discriminator is saturated"
    assert lines[-2:] == ["  1. switch to loss='non_saturating'", "  2. add R1"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_remedy_says_whether_it_helps_from_the_current_weights_or_needs_a_restart(kind):
    from lightning_gans.callbacks.health.remedies import TIMING

    endings = tuple(f"[{text}]" for text in TIMING.values())
    for ours in (True, False):
        for images in (False, True):
            remedies = remedies_for(kind, {"ours": ours, "loss": "minimax" if ours else None}, images=images)
            assert remedies and all(r.endswith(endings) for r in remedies), remedies


def test_a_new_network_or_a_loss_switch_after_a_collapse_needs_a_restart_while_ema_acts_now():
    collapse = remedies_for("mode_collapse", {"loss": "minimax", "pack": 1})
    assert collapse[0].startswith("switch loss='minimax'") and collapse[0].endswith("before the failure]")
    assert any(r.startswith("ema_decay=0.999") and r.endswith("[helps from the current weights]") for r in collapse)
    assert all(r.endswith("before the failure]") for r in collapse if "NetworkOptions(" in r)
