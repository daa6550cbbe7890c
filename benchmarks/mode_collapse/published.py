"""Published numbers the shared-settings comparison is set beside, taken from the protocols' published rows.

2-D mixtures: PacGAN Table 1 (10 trials). Stacked MNIST: DCGAN as reported by VEEGAN, PacDCGAN2 from PacGAN
Table 2, the small-discriminator rows from PacGAN Table 3 (D = 1/4 G). The full published tables, with every row
and its standard error, are in :mod:`benchmarks.mode_collapse.protocols`.
"""

from __future__ import annotations

from benchmarks.mode_collapse.protocols import PROTOCOLS, PublishedRow

# (dataset, our shared-settings recipe) -> (protocol, its recipe, or the model of one of its extra published rows)
_MATCHES = {
    ("ring", "gan"): ("pacgan_table1_ring", "gan"),
    ("ring", "pacgan4"): ("pacgan_table1_ring", "pacgan4"),
    ("grid", "gan"): ("pacgan_table1_grid", "gan"),
    ("grid", "pacgan4"): ("pacgan_table1_grid", "pacgan4"),
    ("stacked_mnist", "gan"): ("pacgan_table2", "DCGAN (as reported by VEEGAN)"),
    ("stacked_mnist", "pacgan2"): ("pacgan_table2", "pacdcgan2"),
    ("stacked_mnist", "gan_small_d"): ("pacgan_table3_d_quarter", "dcgan"),
    ("stacked_mnist", "pacgan4_small_d"): ("pacgan_table3_d_quarter", "pacdcgan4"),
}


def published_for(dataset: str, recipe: str) -> PublishedRow | None:
    """The published result matching our shared-settings ``recipe`` on ``dataset``, if there is one.

    >>> published_for("grid", "pacgan4").metrics["modes"]
    (24.8, 0.2)
    >>> published_for("stacked_mnist", "gan").source, published_for("grid", "lsgan") is None
    ('VEEGAN', True)
    """
    match = _MATCHES.get((dataset, recipe))
    if match is None:
        return None
    protocol = PROTOCOLS[match[0]]
    for row in protocol.recipes:
        if row.name == match[1]:
            return row.published
    return next(row for row in protocol.extra_published if row.model == match[1])
