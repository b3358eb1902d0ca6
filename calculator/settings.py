"""A run's settings with their defaults applied (METHOD 2)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Settings:
    """Run settings with defaults applied (METHOD 2)."""

    base_year: str
    appraisal_years: int
    discount: str | float
    apply_optimism_bias: bool
    seed: int
    bootstrap_resamples: int
    simulations: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
