"""What a diagnosis is: its kinds, its record, the warning it raises and the text of that warning."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

VANISHING_GRADIENTS = "vanishing_gradients"
MODE_COLLAPSE = "mode_collapse"
WITHIN_CLASS_COLLAPSE = "mode_collapse_within_classes"
OFF_DATA = "samples_off_data"
KINDS = (VANISHING_GRADIENTS, MODE_COLLAPSE, WITHIN_CLASS_COLLAPSE, OFF_DATA)
TITLES = {
    VANISHING_GRADIENTS: "vanishing gradients (the discriminator wins, the generator learns nothing)",
    MODE_COLLAPSE: "mode collapse (the generator covers few modes of the data)",
    WITHIN_CLASS_COLLAPSE: "mode collapse within classes (the generator ignores its noise: about one output per class)",
    OFF_DATA: "samples off the data at the end of training (smeared between the modes instead of on them)",
}


class GANHealthWarning(UserWarning):
    """Warning category of a health diagnosis; filter it like any warning.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("mode collapse", GANHealthWarning)
    >>> caught[0].category.__name__
    'GANHealthWarning'
    """


@dataclass
class Diagnosis:
    """One diagnosed failure: ``kind`` (one of :data:`KINDS`), the generator ``step`` of the check that confirmed
    it, ``first_step`` where the evidence began, ``evidence`` (signal -> value at ``step``), the human-readable
    ``reasons``, and, once the monitor has written them, the ``remedies`` and the full warning ``message``.

    The rules create it (without remedies); the monitor completes it. It is the one record type of a diagnosis.

    >>> Diagnosis("mode_collapse", step=900, first_step=700, evidence={"diversity_ratio": 0.01}).to_dict()["kind"]
    'mode_collapse'
    """

    kind: str
    step: int
    first_step: int
    evidence: dict[str, float]
    reasons: list[str] = field(default_factory=list)
    remedies: list[str] = field(default_factory=list)
    message: str = ""

    def to_dict(self) -> dict:
        """Plain-data form (for checkpoints and benchmark reports)."""
        return asdict(self)


def format_message(diagnosis: Diagnosis, global_step: int | None = None) -> str:
    """The warning text: failure, evidence with figures and steps, numbered remedies.

    >>> d = Diagnosis("mode_collapse", 900, 700, {"diversity_ratio": 0.01}, ["diversity ratio 0.01 < 0.2"], ["pack=2"])
    >>> print(format_message(d).splitlines()[0])
    GANHealthMonitor: mode collapse (the generator covers few modes of the data) at generator step 900.
    """
    where = f"generator step {diagnosis.step}" + (f" (global step {global_step})" if global_step is not None else "")
    lines = [f"GANHealthMonitor: {TITLES[diagnosis.kind]} at {where}."]
    lines.append(f"Evidence, sustained since generator step {diagnosis.first_step}:")
    lines += [f"  - {reason}" for reason in diagnosis.reasons]
    lines.append("Remedies in lightning_gans:")
    lines += [f"  {i}. {remedy}" for i, remedy in enumerate(diagnosis.remedies, 1)]
    return "\n".join(lines)
