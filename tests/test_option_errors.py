"""Bad values of the option groups and the engine's flags are refused when they are given, in one line that names
the argument, what is allowed and what was received (a truthy string never switches a feature on)."""

from __future__ import annotations

import pytest

from lightning_gans import NetworkOptions, Optimization, VanillaGAN


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: VanillaGAN(data_dim=2, compile="no"), TypeError, r"compile must be True or False, got 'no' \(str\)"),
        (lambda: VanillaGAN(data_dim=2, channels_last=1), TypeError, "channels_last must be True or False, got 1"),
        (lambda: NetworkOptions(minibatch_stddev="no"), TypeError, "minibatch_stddev must be True or False, got 'no'"),
        (lambda: NetworkOptions(spectral_norm="yes"), TypeError, "spectral_norm must be True or False, got 'yes'"),
        (
            lambda: VanillaGAN(data_dim=2, noise_seed=1.5),
            TypeError,
            r"noise_seed must be an int >= 0, got 1.5 \(float\)",
        ),
        (lambda: VanillaGAN(data_dim=2, noise_seed=-1), ValueError, "noise_seed must be an int >= 0, got -1"),
        (
            lambda: Optimization(betas_g=0.5),
            TypeError,
            r"betas_g must be two numbers \(beta1, beta2\) in \[0, 1\), e.g. \(0.5, 0.999\); got 0.5 \(float\)",
        ),
        (lambda: Optimization(betas_d="0.5,0.9"), TypeError, "betas_d must be two numbers"),
        (
            lambda: Optimization(lr_decay_steps=100),
            ValueError,
            r"lr_decay_steps applies with lr_decay='linear' or 'cosine'; got lr_decay_steps=100 with lr_decay=None",
        ),
    ],
)
def test_bad_options_are_refused_at_once_naming_the_argument(build, error, message) -> None:
    with pytest.raises(error, match=message) as refused:
        build()
    assert "\n" not in str(refused.value)


def test_good_options_still_pass() -> None:
    assert Optimization(betas_g=[0.0, 0.9]).betas_g == (0.0, 0.9)  # a YAML list becomes the tuple
    assert Optimization(lr_decay="linear", lr_decay_steps=10).lr_decay_steps == 10
    assert VanillaGAN(data_dim=2, compile=False, noise_seed=3).hparams.noise_seed == 3
