"""Random inspection plans (双随机抽查): random subjects per risk class, random inspectors.

A plan is a pure function of its inputs and a seed, so anyone holding the logged seed, the
evaluation run and the inspector pool can redraw it and check that nobody picked the targets
or the inspectors by hand.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Draw:
    subject_id: str
    risk_class: str
    inspector_id: str


def new_seed() -> int:
    """A fresh seed from the OS; it is logged with the plan, which is what makes it auditable."""
    return secrets.randbits(63)


def draw_plan(
    subjects: Sequence[tuple[str, str]],
    pool: Sequence[str],
    ratios: Mapping[str, float],
    inspectors_per_check: int,
    seed: int,
) -> list[Draw]:
    """Sample `ceil(ratio × n)` subjects per risk class, then inspectors for each subject.

    Inputs are sorted before sampling so the draw depends only on their content and the seed,
    not on the order a database happened to return rows in.
    """
    inspectors = sorted(set(pool))
    if len(inspectors) < inspectors_per_check:
        raise ValueError(
            f"检查人员不足 / inspector pool has {len(inspectors)}, "
            f"each check needs {inspectors_per_check}"
        )
    rng = random.Random(seed)
    by_class: dict[str, list[str]] = {}
    for subject_id, risk_class in sorted(subjects):
        by_class.setdefault(risk_class, []).append(subject_id)
    draws: list[Draw] = []
    for risk_class in sorted(ratios):
        members = by_class.get(risk_class, [])
        count = min(len(members), math.ceil(ratios[risk_class] * len(members)))
        for subject_id in rng.sample(members, count):
            draws.extend(
                Draw(subject_id, risk_class, inspector)
                for inspector in rng.sample(inspectors, inspectors_per_check)
            )
    return draws
