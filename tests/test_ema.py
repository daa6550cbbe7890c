"""The generator EMA: a warm-up decay, so the untrained initial weights fade quickly."""

import math

import torch
from torch import nn

from lightning_gans.engine.ema import GeneratorEMA, warmup_decay


def test_warmup_decay_is_the_closed_form():
    assert [warmup_decay(0.999, n) for n in (0, 1, 8)] == [0.1, 2 / 11, 0.5]
    assert warmup_decay(0.999, 10**6) == 0.999  # capped at the decay once n is large


def test_the_initial_weights_fade_far_faster_than_with_a_fixed_decay():
    # G's weights jump from w0 = 1 to w1 = 0 and stay there: after the first (copying) update the average holds a
    # share prod(d_n) of w0. A fixed 0.999 keeps 0.999^999 = 37 % after 1,000 updates; the warm-up keeps
    # prod_{n=1}^{999} (1 + n)/(10 + n) = 10! * 1000! / 1009! (well under 1e-20).
    generator = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        generator.weight.fill_(1.0)
    ema = GeneratorEMA(generator, decay=0.999)
    ema.update(generator, num_updates=0)
    with torch.no_grad():
        generator.weight.fill_(0.0)
    for n in range(1, 1000):
        ema.update(generator, num_updates=n)
    expected = math.exp(math.lgamma(11) + math.lgamma(1001) - math.lgamma(1010))
    assert math.isclose(float(ema.module.weight), expected, rel_tol=1e-3)
    assert float(ema.module.weight) < 1e-6 < 0.999**999
    assert int(ema.n_averaged) == 1000


def test_buffers_follow_and_integer_buffers_are_copied():
    generator = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    ema = GeneratorEMA(generator, decay=0.5)
    generator.train()
    generator(torch.randn(8, 2))  # running stats and num_batches_tracked move
    ema.update(generator, num_updates=0)
    assert torch.equal(ema.module[1].running_mean, generator[1].running_mean)
    assert int(ema.module[1].num_batches_tracked) == 1
