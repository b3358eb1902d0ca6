"""Optimism bias by confidence grade (METHOD 1.3).

OB lowers benefits, ``x (1 - OB)``, and raises costs, ``x (1 + OB)``; an offset (a cost
saved elsewhere) is a benefit-like saving and is lowered, ``x (1 - OB)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

GRADES = (1, 2, 3, 4, 5, 6)


@dataclass(frozen=True)
class OptimismBiasTable:
    """Grade 1..6 -> optimism bias as a fraction (0.4 is 40%)."""

    name: str
    version: str
    by_grade: Mapping[int, float]
    sha256: str = ""

    def lookup(self, grades: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """OB for each grade in ``grades`` (integers 1..6), vectorised."""
        table = np.zeros(max(GRADES) + 1)
        for grade, ob in self.by_grade.items():
            table[grade] = ob
        return table[np.asarray(grades, dtype=np.int64)]
