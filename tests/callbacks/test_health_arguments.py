"""GANHealthMonitor's arguments: refused at construction, with the argument the user actually set."""

import pytest

from lightning_gans.callbacks import GANHealthMonitor


def test_a_probe_too_large_to_measure_is_refused_at_construction():
    # 100,000 samples would ask for an 80 GB distance matrix at the first check.
    with pytest.raises(ValueError, match=r"probe_size must be an int in \[2, 4096\], got 100000"):
        GANHealthMonitor(probe_size=100_000)
    assert GANHealthMonitor(probe_size=4096).probe_size == 4096


def test_a_short_check_interval_needs_no_grad_window():
    monitor = GANHealthMonitor(check_every_n_steps=2)  # grad_window never set: its default follows
    assert monitor.grad_window == 2
    assert GANHealthMonitor().grad_window == 4


def test_a_grad_window_longer_than_the_interval_names_both():
    with pytest.raises(ValueError, match=r"grad_window must be an int in \[1, check_every_n_steps=2\].*got 3"):
        GANHealthMonitor(check_every_n_steps=2, grad_window=3)
