"""Conditional GAN benchmark: class accuracy, within-class diversity and intra-FID of the shipped conditional recipes.

Each (dataset, seed) trains the shipped recipe (``conditional_digits`` or ``conditional_mnist``) through the
``lightning-gans`` CLI with one torch thread (:mod:`benchmarks.conditional.run`), measures it
(:mod:`benchmarks.conditional.measure`) and is stored by the harness as one JSON file under ``--results``
(``conditional/shipped/<recipe>/seed<k>.json``); a stored run is skipped, so an interrupted benchmark resumes. The
table (``benchmarks/results/conditional/conditional.md``, :mod:`benchmarks.conditional.report`) is rebuilt from the
stored JSON every time; the seed-0 sample grids of new runs go next to it.

    python -m benchmarks.conditional                       # digits seeds 0,1,2 and MNIST seed 0
    python -m benchmarks.conditional --datasets mnist --seeds 1,2
    python -m benchmarks.conditional --report-only         # rebuild the table from the JSON files
    python -m benchmarks.conditional --datasets digits --checkpoint last.ckpt   # measure any checkpoint
"""
