"""EvaluationCallback on a LightningModule that is not ours, with real Trainers on CPU."""

from __future__ import annotations

import json
import math

import lightning as L
import pytest
import torch
import yaml
from lightning.pytorch.loggers import CSVLogger
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans.callbacks.evaluation import EvaluationCallback
from lightning_gans.evaluation import evaluate_generator, get_feature_extractor
from lightning_gans.sampling import sample_from

NUM, BATCH = 64, 32


class PlainGAN(L.LightningModule):
    """Not ours: a ``generator``, a ``latent_dim`` and its own (automatic-optimization) training step.

    Outputs stay below 0.9, so a pixel at 1.0 marks a real image (see :class:`Counting`).
    """

    def __init__(self, num_classes: int | None = None) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.latent_dim, self.num_classes = 4, num_classes
        self.generator = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Unflatten(1, (1, 8, 8)))

    def training_step(self, batch, batch_idx):
        fake = 0.9 * self.generator(torch.randn(len(batch[0]), 4))
        return (fake.mean() - batch[0].mean()) ** 2 + fake.var()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.05)


def _data(n: int = 96) -> TensorDataset:
    images = torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(1)) * 2 - 1
    images[:, 0, 0, 0] = 1.0  # the real-image marker
    return TensorDataset(images)


def _trainer(tmp_path, callback, max_epochs=1, **kwargs) -> L.Trainer:
    options = dict(logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    options.update(kwargs)
    return L.Trainer(
        accelerator="cpu", max_epochs=max_epochs, default_root_dir=tmp_path, callbacks=[callback], **options
    )


def _fit(trainer: L.Trainer, module: L.LightningModule, data: TensorDataset | None = None) -> None:
    trainer.fit(module, DataLoader(data or _data(), batch_size=BATCH, shuffle=True))


def test_callback_agrees_with_torch_fidelity_on_a_plain_module(tmp_path, tiny_features) -> None:
    callback = EvaluationCallback(
        num_samples=NUM, feature_extractor=tiny_features, batch_size=BATCH, kid_subset_size=32
    )
    module, logger = PlainGAN(), CSVLogger(tmp_path)
    trainer = _trainer(tmp_path, callback, max_epochs=2, logger=logger)
    _fit(trainer, module)
    values = {k: trainer.callback_metrics[k].item() for k in callback.names.values()}
    assert set(values) == {"val/fid_64", "val/kid_64", "val/is_64", "val/precision_64", "val/recall_64"}

    # The same samples (seed 0, rank 0) and real images (the first 64), through torch-fidelity.
    fake = sample_from(module, NUM, seed=0, batch_size=BATCH)
    real = _data()[:NUM][0]
    reference = evaluate_generator(fake, real, num_samples=NUM, metrics=("fid", "pr"), feature_extractor=tiny_features)
    assert values["val/fid_64"] == pytest.approx(reference["fid"], rel=1e-3)
    assert values["val/precision_64"] == reference["precision"]
    assert values["val/recall_64"] == reference["recall"]

    record = json.loads((tmp_path / "lightning_logs" / "version_0" / "evaluation.json").read_text())
    provenance = record["provenance"]
    assert provenance["extractor_sha256"] == get_feature_extractor(tiny_features).weights_sha256
    assert (provenance["num_real"], provenance["num_fake"], provenance["seed"]) == (NUM, NUM, 0)
    assert [e["epoch"] for e in record["evaluations"]] == [0, 1]
    assert record["evaluations"][-1]["val/fid_64"] == pytest.approx(values["val/fid_64"])
    assert "val/kid_64_std" in record["evaluations"][-1]
    csv_header = (tmp_path / "lightning_logs" / "version_0" / "metrics.csv").read_text().splitlines()[0]
    assert "val/fid_64" in csv_header
    hparams = yaml.safe_load((tmp_path / "lightning_logs" / "version_0" / "hparams.yaml").read_text())
    assert hparams["eval/extractor"] == "TinyFeatures" and hparams["eval/num_real"] == NUM


class Counting(nn.Module):
    """Wraps a feature module and counts forward passes over real images (pixel (0, 0) at 1.0)."""

    num_features = 8

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner, self.real_calls, self.fake_calls = inner, 0, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if bool((x[:, 0, 0, 0] == 1.0).all()):
            self.real_calls += 1
        else:
            self.fake_calls += 1
        return self.inner(x)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner.logits(x)


def test_real_statistics_are_computed_once_and_training_rng_is_untouched(tmp_path, tiny_features) -> None:
    counting = Counting(tiny_features)
    callback = EvaluationCallback(num_samples=NUM, feature_extractor=counting, batch_size=BATCH, kid_subset_size=32)
    module = PlainGAN()
    trainer = _trainer(tmp_path, callback, max_epochs=3)
    _fit(trainer, module)
    per_pass = math.ceil(NUM / BATCH)
    assert len(callback.history) == 3
    assert counting.real_calls == per_pass  # once, not once per epoch
    assert counting.fake_calls == 3 * per_pass + 1  # + the fit-start check of the samples

    state = torch.get_rng_state()
    again = callback.evaluate(trainer, module)
    assert torch.equal(torch.get_rng_state(), state)
    assert again["val/fid_64"] == pytest.approx(callback.history[-1]["val/fid_64"])  # fixed seeds
    assert counting.real_calls == per_pass


def test_real_features_cached_on_disk_for_a_second_trainer(tmp_path, tiny_features) -> None:
    cache = tmp_path / "cache"
    options = dict(num_samples=NUM, batch_size=BATCH, kid_subset_size=32, metrics=("fid", "pr"))
    first = EvaluationCallback(
        **options, feature_extractor=Counting(tiny_features), real_cache_dir=cache, dataset_name="toy"
    )
    _fit(_trainer(tmp_path / "a", first), PlainGAN())
    files = list(cache.glob("*.pt"))
    assert len(files) == 1 and "toy" in files[0].name and "64" in files[0].name

    counting = Counting(tiny_features)
    second = EvaluationCallback(**options, feature_extractor=counting, real_cache_dir=cache, dataset_name="toy")
    _fit(_trainer(tmp_path / "b", second), PlainGAN())
    assert counting.real_calls == 0 and counting.fake_calls > 0
    assert second.provenance["real_cache_file"] == str(files[0])
    # Same weights, same data: the numbers agree with the run that filled the cache.
    assert second.history[0]["val/fid_64"] == pytest.approx(first.history[0]["val/fid_64"], rel=1e-6)


def test_every_n_steps_and_class_balanced_labels_for_conditional_modules(tmp_path, tiny_features) -> None:
    labels_seen = []

    class Conditional(PlainGAN):
        def sample(self, n, labels=None):  # the `sample(n, labels)` side of the protocol
            labels_seen.append(labels)
            return 0.9 * self.generator(torch.randn(n, 4) + labels.float().unsqueeze(1))

    callback = EvaluationCallback(
        metrics=("fid",), num_samples=NUM, every_n_steps=2, feature_extractor=tiny_features, batch_size=BATCH
    )
    _fit(_trainer(tmp_path, callback, max_steps=6, max_epochs=-1), Conditional(num_classes=3), _data(6 * BATCH))
    assert [entry["step"] for entry in callback.history] == [2, 4, 6]
    labels = torch.cat(labels_seen[1:3])  # one evaluation (after the fit-start check): 64 samples in batches of 32
    assert torch.equal(labels, torch.arange(NUM) % 3)


def test_bad_arguments_are_named(tmp_path, tiny_features) -> None:
    with pytest.raises(ValueError, match="metrics"):
        EvaluationCallback(metrics=("fid", "ppl"))
    with pytest.raises(ValueError, match="give one of"):
        EvaluationCallback(every_n_epochs=1, every_n_steps=10)
    with pytest.raises(ValueError, match="dataset_name"):
        EvaluationCallback(real_cache_dir=tmp_path)
    with pytest.raises(ValueError, match="feature_extractor"):
        EvaluationCallback(feature_extractor="vgg")
    with pytest.raises(ValueError, match="num_samples"):
        EvaluationCallback(num_samples=1)

    class NoLogits(nn.Module):
        num_features = 2

        def forward(self, x):
            return x.flatten(1)[:, :2]

    callback = EvaluationCallback(metrics=("is",), feature_extractor=NoLogits())
    with pytest.raises(ValueError, match="no logits"):
        _fit(_trainer(tmp_path, callback), PlainGAN())
    with pytest.raises(TypeError, match="cannot draw samples"):
        _fit(_trainer(tmp_path, EvaluationCallback(feature_extractor=tiny_features)), NotAGenerator())


class NotAGenerator(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(2, 2)

    def training_step(self, batch, batch_idx):
        return self.layer(batch[0].flatten(1)[:, :2]).sum()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_ddp_ranks_draw_their_share_and_the_metrics_sync(tmp_path, tiny_features) -> None:
    callback = EvaluationCallback(
        metrics=("fid", "pr"), num_samples=NUM, feature_extractor=tiny_features, batch_size=BATCH
    )
    module = PlainGAN()
    trainer = _trainer(tmp_path, callback, devices=2, strategy="ddp_fork", max_epochs=1)
    _fit(trainer, module)  # weights and callback_metrics come back from rank 0
    fid = trainer.callback_metrics["val/fid_64"].item()
    # Rank r drew 32 samples with seed r; the real images are the first 64, split between the ranks.
    fake = torch.cat([sample_from(module, NUM // 2, seed=rank, batch_size=BATCH) for rank in (0, 1)])
    real = _data()[:NUM][0]
    reference = evaluate_generator(fake, real, num_samples=NUM, metrics=("fid",), feature_extractor=tiny_features)
    assert fid == pytest.approx(reference["fid"], rel=1e-3)
    record = json.loads((tmp_path / "evaluation.json").read_text())
    assert record["provenance"]["fake_seeds"] == [0, 1] and record["provenance"]["num_real"] == NUM
