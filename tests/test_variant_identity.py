"""A variant stays itself when one field of one option group changes (Python and command line alike).

For every variant and every field of every option group: the variant built with only that field given has that
field changed and every other field at the *variant's* default; or, where the change cannot make a model of that
variant (WGAN-GP without its penalty, PacGAN without packing, ...), construction is refused with a message that
names the setting and the way out.
"""

from __future__ import annotations

from dataclasses import fields

import pytest

from lightning_gans import GAN, NetworkOptions, Optimization, Regularization
from lightning_gans.variants import SNGAN, VARIANTS, WGAN, WGANGP, PacGAN

GROUPS = {"networks": NetworkOptions, "optimization": Optimization, "regularization": Regularization}


def _another(field: str, default):
    """A valid value of ``field`` that differs from ``default``."""
    choices = {
        "architecture": ("dcgan", "resnet"),
        "base_width": (8, 16),
        "hidden_dim": (16, 32),
        "num_layers": (2, 4),
        "d_norm": ("instance", "none"),
        "minibatch_stddev": (True, False),
        "spectral_norm": (True, False),
        "pack": (2, 3),
        "optimizer": ("rmsprop", "adam"),
        "lr_g": (3e-3, 3e-4),
        "lr_d": (3e-3, 3e-4),
        "betas_g": ((0.2, 0.95), (0.3, 0.95)),
        "betas_d": ((0.2, 0.95), (0.3, 0.95)),
        "n_critic": (3, 2),
        "g_steps": (2, 3),
        "update": ("simultaneous", "alternating"),
        "grad_clip_norm": (1.0, 2.0),
        "lr_decay": ("linear", "cosine"),
        "lr_decay_steps": (100, 200),
        "gp_weight": (5.0, 0.0),
        "r1_weight": (1.0, 2.0),
        "r1_interval": (4, 2),
        "weight_clip": (0.05, None),
        "label_smoothing": (0.1, 0.2),
        "instance_noise": (0.1, 0.2),
        "instance_noise_steps": (10, 20),
        "augment": ("translation", None),
    }[field]
    return choices[0] if choices[0] != default else choices[1]


# The single-field changes that cannot make a model of the variant, and the words of the refusal.
REFUSED = {
    ("WGAN", "optimization", "optimizer"): "WGAN is defined by optimization.optimizer='rmsprop'",
    ("SNGAN", "networks", "spectral_norm"): "SNGAN is defined by networks.spectral_norm=True",
    # Pairs of fields that only make sense together: the refusal names the partner.
    **{(v.__name__, "optimization", "lr_decay"): "lr_decay_steps" for v in VARIANTS},
    **{(v.__name__, "optimization", "lr_decay_steps"): "lr_decay_steps applies with lr_decay" for v in VARIANTS},
    **{
        (v, "optimization", "g_steps"): "n_critic and g_steps cannot both exceed 1" for v in ("WGANGP", "WGAN", "SNGAN")
    },
    **{(v, "optimization", "update"): "update='simultaneous'" for v in ("WGANGP", "WGAN", "SNGAN")},
    # One-sided label smoothing has no meaning for a critic's unbounded scores.
    **{(v, "regularization", "label_smoothing"): "label_smoothing applies" for v in ("WGANGP", "WGAN", "SNGAN")},
    # A gradient penalty through BatchNorm's batch statistics is not a per-sample penalty.
    **{
        (v, "regularization", "gp_weight"): "gp_weight > 0 with d_norm='batch'"
        for v in ("VanillaGAN", "DCGAN", "LSGAN", "WGAN", "ConditionalGAN", "PacGAN")
    },
    # The ResNet nets have no minibatch std-dev layer; an MLP does not take images.
    ("SNGAN", "networks", "minibatch_stddev"): "minibatch_stddev is an option of",
}


def _data_args(variant) -> dict:
    args = {"image_size": 8 if variant is SNGAN else 28, "channels": 1}
    if variant.REQUIRES_NUM_CLASSES:
        args["num_classes"] = 3
    return args


def _cases():
    for variant in VARIANTS:
        for group, kind in GROUPS.items():
            for f in fields(kind):
                if f.name == "architecture":
                    continue  # a different architecture is a different network family, tested with its nets
                yield pytest.param(variant, group, f.name, id=f"{variant.__name__}-{group}.{f.name}")


@pytest.mark.parametrize(("variant", "group", "field"), list(_cases()))
def test_changing_one_field_keeps_every_other_at_the_variants_default(variant, group, field) -> None:
    defaults = variant.defaults()
    value = _another(field, getattr(defaults[group], field))
    small = {"networks": NetworkOptions(base_width=8)} if group != "networks" else {}

    def build():
        # The group is built inside: a refused pairing may already be refused by the group itself.
        extra = {"base_width": 8} if group == "networks" and field != "base_width" else {}
        return variant(**_data_args(variant), **small, **{group: GROUPS[group](**{field: value}, **extra)})

    refusal = REFUSED.get((variant.__name__, group, field))
    if refusal:
        with pytest.raises((ValueError, TypeError), match=refusal.replace("(", r"\(").replace(")", r"\)")):
            build()
        return
    model = build()
    built = {"networks": model.networks, "optimization": model.optimization, "regularization": model.regularization}
    for name, kind in GROUPS.items():
        for f in fields(kind):
            expected = getattr(defaults[name], f.name)
            if name == group and f.name == field:
                expected = value
            elif name == "networks" and f.name == "base_width" and group == "networks":
                expected = value if field == "base_width" else 8
            elif name == "networks" and f.name == "base_width":
                expected = 8
            assert getattr(built[name], f.name) == expected, (name, f.name)
    assert model.loss.name == defaults["loss"]
    assert model.hparams[group][field] == value  # recorded as trained
    _assert_defining_properties(model)


def _assert_defining_properties(model: GAN) -> None:
    if isinstance(model, WGANGP):
        assert model.loss.name == "wasserstein" and model.regularization.gp_weight > 0
    if isinstance(model, WGAN):
        assert model.regularization.weight_clip is not None and model.optimization.optimizer == "rmsprop"
    if isinstance(model, PacGAN):
        assert model.pack > 1
    if isinstance(model, SNGAN):
        assert model.networks.spectral_norm


def test_the_issues_examples_stay_their_variant() -> None:
    model = WGANGP(image_size=32, optimization=Optimization(lr_g=1e-4, lr_d=1e-4))
    assert model.optimization.n_critic == 5 and model.optimization.betas_d == (0.0, 0.9)
    assert SNGAN(image_size=8, networks=NetworkOptions(base_width=8)).networks.spectral_norm
    assert PacGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16)).pack == 4
    assert WGAN(data_dim=2, optimization=Optimization(lr_g=1e-4)).optimization.optimizer == "rmsprop"
    assert WGANGP(data_dim=2, regularization=Regularization(r1_weight=1.0)).regularization.gp_weight == 10.0
    # A mapping (as a YAML or a checkpoint holds it) sets exactly its keys.
    assert WGANGP(data_dim=2, optimization={"lr_g": 3e-4}).optimization.n_critic == 5


@pytest.mark.parametrize(
    ("variant", "arguments", "message"),
    [
        (WGANGP, {"regularization": Regularization(gp_weight=0.0)}, "use WGAN"),
        (WGANGP, {"loss": "hinge"}, "WGANGP is defined by loss='wasserstein'"),
        (WGAN, {"regularization": Regularization(weight_clip=None)}, "use WGANGP"),
        (PacGAN, {"networks": NetworkOptions(pack=1)}, "without packing use VanillaGAN"),
        (SNGAN, {"networks": NetworkOptions(spectral_norm=False), "image_size": 8}, "SNGAN is defined by"),
    ],
)
def test_switching_off_what_defines_a_variant_is_refused(variant, arguments, message) -> None:
    shape = {} if "image_size" in arguments else {"data_dim": 2}
    with pytest.raises(ValueError, match=message):
        variant(**shape, **arguments)


def test_variant_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError, match="positional"):
        WGANGP(2)  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional"):
        GAN(object(), object(), 8)  # type: ignore[misc]


def test_a_checkpoints_full_groups_rebuild_the_same_model(tmp_path) -> None:
    model = WGANGP(data_dim=2, optimization=Optimization(lr_d=3e-4), networks=NetworkOptions(hidden_dim=16))
    again = WGANGP(**dict(model.hparams))  # what load_from_checkpoint does with the saved hyperparameters
    assert again.optimization == model.optimization and again.networks == model.networks
