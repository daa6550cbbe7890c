"""What the engine says about bad real batches: too small for a pack, wrong dtype or range, non-finite values."""

import signal

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import (
    DCGAN,
    GAN,
    ConditionalGAN,
    GANDivergenceError,
    NetworkOptions,
    PacGAN,
    Regularization,
    VanillaGAN,
)
from lightning_gans.data import DigitsDataModule
from lightning_gans.nets import MLPDiscriminator, MLPGenerator


@pytest.fixture
def deadline():
    """Fail instead of hanging: the run must end within 60 s."""

    def expired(signum, frame):
        raise TimeoutError("the fit did not end within 60 s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def trainer(tmp_path=None, callbacks=(), **kwargs):
    return L.Trainer(
        accelerator="cpu",
        logger=False,
        enable_checkpointing=bool(callbacks),
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=list(callbacks),
        **kwargs,
    )


def test_a_batch_smaller_than_pack_raises_at_the_first_step(deadline):
    model = PacGAN(data_dim=2, networks=NetworkOptions(hidden_dim=8, pack=4))
    data = DataLoader(TensorDataset(torch.randn(64, 2)), batch_size=1)
    with pytest.raises(ValueError, match=r"a batch of 1 samples cannot form one group of pack=4"):
        trainer(max_steps=10).fit(model, data)
    assert model.discriminator_steps == 0


def test_a_short_last_batch_raises_too_instead_of_silent_no_op_steps(deadline):
    model = PacGAN(data_dim=2, networks=NetworkOptions(hidden_dim=8, pack=4))
    data = DataLoader(TensorDataset(torch.randn(18, 2)), batch_size=8)  # batches of 8, 8 and 2
    with pytest.raises(ValueError, match=r"batch of 2 samples .* pack=4 .*drop_last=True"):
        trainer(max_steps=100).fit(model, data)
    assert model.discriminator_steps == 2  # the two full batches trained


def test_a_remainder_beyond_whole_packs_is_dropped():
    model = PacGAN(data_dim=2, networks=NetworkOptions(hidden_dim=8, pack=4))
    trainer(max_steps=4).fit(model, DataLoader(TensorDataset(torch.randn(40, 2)), batch_size=10))
    assert model.images_seen == 2 * 8  # 10 samples -> 2 packs of 4


@pytest.mark.parametrize(
    "images, error, message",
    [
        (
            torch.randint(0, 256, (16, 1, 28, 28), dtype=torch.uint8),
            TypeError,
            r"expects real samples as floats.*uint8",
        ),
        (torch.rand(16, 1, 28, 28) * 255, ValueError, r"expects images as floats in \[-1, 1\].*x / 127.5 - 1"),
    ],
    ids=["uint8", "0_255"],
)
def test_images_outside_the_engines_convention_are_named_on_the_first_batch(images, error, message):
    model = VanillaGAN(image_size=28, networks=NetworkOptions(base_width=4))
    with pytest.raises(error, match=message):
        trainer(max_steps=2).fit(model, DataLoader(TensorDataset(images), batch_size=8))


def test_images_in_zero_one_train_with_a_warning():  # possibly right (data never darker than mid-grey): not refused
    model = VanillaGAN(image_size=28, networks=NetworkOptions(base_width=4))
    images = torch.linspace(0, 1, 16 * 28 * 28).reshape(16, 1, 28, 28)
    with pytest.warns(
        UserWarning, match=r"first batch of images holds values in \[0, 0.5\].*expects \[-1, 1\].*2 \* x - 1"
    ):
        trainer(max_steps=2).fit(model, DataLoader(TensorDataset(images), batch_size=8))
    assert model.generator_steps == 1


def test_non_finite_data_is_blamed_on_the_data_not_the_optimizer(tmp_path):
    data = torch.randn(256, 2)
    data[16 * 5 + 3, 1] = float("inf")  # one value in batch 5
    checkpoint = ModelCheckpoint(dirpath=tmp_path, every_n_train_steps=4, save_last=True)
    model = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16))
    with pytest.raises(GANDivergenceError) as error:
        trainer(tmp_path, [checkpoint], max_steps=40).fit(model, DataLoader(TensorDataset(data), batch_size=16))
    message = str(error.value)
    assert "the data hold non-finite values: the real batch of generator step 5, discriminator step 5" in message
    assert "optimizer is not at fault" in message and "lower lr_d" not in message
    saved = torch.load(checkpoint.last_model_path, weights_only=True)  # written before the bad batch
    assert saved["global_step"] == 8


def test_non_finite_data_under_the_skip_policy_names_the_data():
    data = torch.full((64, 2), float("nan"))
    model = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16), on_nonfinite="skip")
    with pytest.raises(GANDivergenceError, match="consecutive discriminator updates skipped.*the data hold non-finite"):
        trainer(max_steps=40).fit(model, DataLoader(TensorDataset(data), batch_size=4))


# ----------------------------------------------------------------- errors from deep inside torch, named up front
def test_float64_data_are_named_before_the_first_step():
    model = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=8))
    data = DataLoader(TensorDataset(torch.randn(64, 2, dtype=torch.float64)), batch_size=8)
    with pytest.raises(TypeError, match=r"first batch is torch.float64 but the networks' weights are torch.float32"):
        trainer(max_steps=2).fit(model, data)
    assert model.discriminator_steps == 0


@pytest.mark.parametrize("bad_label", [12, -1])
def test_labels_outside_num_classes_in_the_data_are_named(bad_label):
    model = ConditionalGAN(num_classes=10, image_size=28, networks=NetworkOptions(base_width=4))
    labels = torch.arange(32) % 10
    labels[20] = bad_label  # in the third batch: every batch is looked at (on the CPU, without a device sync)
    images = torch.rand(32, 1, 28, 28) * 2 - 1
    with pytest.raises(ValueError, match=rf"labels must be class ids in \[0, 9\] \(num_classes=10\).*{bad_label}"):
        trainer(max_steps=20).fit(model, DataLoader(TensorDataset(images, labels), batch_size=8))
    assert model.discriminator_steps == 2


class TwoLogits(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(2, 2)

    def forward(self, x):
        return self.net(x)  # (N, 2): two "logits" per sample


def test_a_discriminator_with_two_outputs_per_sample_is_refused():
    model = GAN(MLPGenerator(latent_dim=4, data_dim=2), TwoLogits(), latent_dim=4)
    with pytest.raises(ValueError, match=r"one logit per sample, shape \(8,\) or \(8, 1\), got \(8, 2\)"):
        trainer(max_steps=2).fit(model, DataLoader(TensorDataset(torch.randn(64, 2)), batch_size=8))


def test_a_generator_that_does_not_take_latent_dim_inputs_is_named():
    model = GAN(MLPGenerator(latent_dim=4, data_dim=2), MLPDiscriminator(data_dim=2), latent_dim=8)
    with pytest.raises(ValueError, match=r"generator fails on latent codes of shape \(2, 8\) \(latent_dim=8\)"):
        trainer(max_steps=2).fit(model, DataLoader(TensorDataset(torch.randn(64, 2)), batch_size=8))
    assert model.discriminator_steps == 0


def test_diffaugment_on_vector_data_is_named_before_the_first_step():
    model = VanillaGAN(
        data_dim=2, networks=NetworkOptions(hidden_dim=8), regularization=Regularization(augment="color")
    )
    with pytest.raises(ValueError, match=r"regularization.augment='color' \(DiffAugment\) transforms images"):
        trainer(max_steps=2).fit(model, DataLoader(TensorDataset(torch.randn(64, 2)), batch_size=8))


def test_an_empty_dataset_is_an_error_not_a_finished_fit():
    model = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=8))
    with pytest.raises(ValueError, match=r"training data are empty: the train dataloader gave 0 batches"):
        trainer(max_steps=2).fit(model, DataLoader(TensorDataset(torch.randn(0, 2)), batch_size=8))


def test_a_data_module_of_another_image_size_than_the_model_is_named(tmp_path):
    # With a logger, Lightning's own "Error while merging hparams" came first; without, a shape error at step 1.
    model = DCGAN(image_size=28, networks=NetworkOptions(base_width=4))
    fit = L.Trainer(accelerator="cpu", max_steps=2, default_root_dir=tmp_path, enable_progress_bar=False)
    with pytest.raises(ValueError, match=r"disagree on image_size: the model has 28, the data 32"):
        fit.fit(model, DigitsDataModule(image_size=32, batch_size=8))
