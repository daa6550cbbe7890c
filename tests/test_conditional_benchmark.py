"""The conditional benchmark's measurements on planted generators, and its table built from run records.

A planted generator that emits one image per class must score a within-class ratio of 0 and a high intra-FID; one
that returns real images of the requested class must score a ratio near 1 and full class accuracy.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder at the repository root, not an installed package
    sys.path.insert(0, str(ROOT))

pytest.importorskip("sklearn")

from benchmarks.conditional.measure import (  # noqa: E402
    DigitsClassifier,
    class_accuracy,
    diversity_ratio,
    generate,
    intra_fid,
    take_per_class,
)
from benchmarks.conditional.report import markdown_table, write_report  # noqa: E402
from benchmarks.conditional.run import ConditionalSpec  # noqa: E402
from benchmarks.harness import ResultStore  # noqa: E402
from lightning_gans.data.digits import load_digits_tensors  # noqa: E402
from lightning_gans.evaluation.features import get_feature_extractor  # noqa: E402

REAL, REAL_LABELS = load_digits_tensors(28)


class Planted(nn.Module):
    """Returns real digits of the requested class (``copies=False``) or always the first one (``copies=True``)."""

    def __init__(self, copies: bool) -> None:
        super().__init__()
        self.copies, self.latent_dim, self.num_classes = copies, 4, 10
        self.generator = nn.Identity()

    def sample(self, n: int, labels: torch.Tensor) -> torch.Tensor:
        out = []
        for label in labels.tolist():
            members = (REAL_LABELS == label).nonzero().flatten()
            index = 0 if self.copies else int(torch.randint(len(members), ()))
            out.append(REAL[members[index]])
        return torch.stack(out)


class Pixels4x4(nn.Module):
    """16 features: the uint8 image shrunk to 4x4 (a feature network for torchmetrics' FID)."""

    num_features = 16

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return nn.functional.adaptive_avg_pool2d(images.float(), 4).flatten(1)


def test_measurements_tell_a_collapsed_generator_from_a_faithful_one():
    torch.manual_seed(0)
    svm = DigitsClassifier.fit(seed=0)
    assert class_accuracy(svm.predict, REAL[svm.holdout_index], REAL_LABELS[svm.holdout_index]) > 0.95
    real, real_labels = take_per_class(REAL, REAL_LABELS, 40, 10, seed=1)
    extractor = get_feature_extractor(Pixels4x4())
    scores = {}
    for copies in (True, False):
        fake, fake_labels = generate(Planted(copies), 40, 10, seed=0)
        scores[copies] = (
            diversity_ratio(fake, fake_labels, real, real_labels, 10)["ratio"],
            class_accuracy(svm.predict, fake, fake_labels),
            intra_fid(extractor, real, real_labels, fake, fake_labels, 10)["mean"],
        )
    (collapsed_ratio, _, collapsed_fid), (faithful_ratio, faithful_accuracy, faithful_fid) = scores[True], scores[False]
    assert collapsed_ratio == 0.0 and 0.7 < faithful_ratio < 1.3
    assert faithful_accuracy > 0.9
    assert collapsed_fid > 2 * faithful_fid > 0


def _record(seed: int, ratio: float) -> dict:
    return {
        "dataset": "digits",
        "seed": seed,
        "recipe": "conditional_digits",
        "command": "OMP_NUM_THREADS=1 python -m lightning_gans.cli fit --config conditional_digits",
        "train_seconds": 60.0,
        "train_cpu_seconds": 55.0,
        "class_accuracy": 0.97,
        "class_accuracy_real": 0.98,
        "within_class_std": {"ratio": ratio, "fake_std": ratio / 4, "real_std": 0.25},
        "intra_fid": {"mean": 100.0 + seed},
    }


def test_report_builds_the_table_from_run_records(tmp_path):
    store = ResultStore(tmp_path / "runs")
    for seed, ratio in ((0, 0.8), (1, 0.9)):
        store.save(ConditionalSpec("digits", seed, "w", "d", "c").key, _record(seed, ratio))
    runs = store.records("conditional", "shipped")
    table = markdown_table(runs)
    assert "| scikit-learn digits (28 px) | 0, 1 | 0.970 ± 0.000 (0.980) | 0.850 ± 0.050 | 100.500 ± 0.500 |" in table
    assert "conditional_digits" in write_report(runs, tmp_path).read_text()


def test_suite_stores_each_run_skips_stored_ones_and_draws_the_seed0_grid(tmp_path, monkeypatch):
    from benchmarks.conditional import run, suite

    calls = []

    def fake_run(spec):  # the harness's entry point, without the minutes of training
        calls.append((spec.dataset, spec.seed))
        return {**_record(spec.seed, 0.8), "_grid": torch.zeros(100, 1, 28, 28)}

    monkeypatch.setattr(run, "run_spec", fake_run)
    (tmp_path / "classifier.pt").write_bytes(b"")  # present: no classifier is trained
    argv = ["--datasets", "digits", "--seeds", "0,1", "--jobs", "1", "--out", str(tmp_path / "out")]
    argv += ["--results", str(tmp_path / "runs"), "--classifier", str(tmp_path / "classifier.pt")]
    assert suite.main(argv) == 0 and calls == [("digits", 0), ("digits", 1)]
    stored = ResultStore(tmp_path / "runs").records("conditional", "shipped")
    assert [r["key"]["seed"] for r in stored] == [0, 1] and "_grid" not in stored[0]
    assert stored[0]["environment"]["git"]["commit"] and stored[0]["run_wall_s"] >= 0
    assert (tmp_path / "out" / "digits_grid.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| digits seed 1 |" in (tmp_path / "out" / "conditional.md").read_text()
    assert suite.main(argv) == 0 and len(calls) == 2  # everything stored: nothing runs again
