"""Discount schedules and discount factors (METHOD 1.4, HM Treasury Green Book).

    DF(0) = 1,   DF(t) = DF(t-1) / (1 + r(t))

with ``r(t)`` the rate of the band containing year ``t``.  Year 0 is undiscounted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DiscountBand:
    """Rate ``rate`` applies to years ``first`` to ``last`` inclusive (``last`` None: no end)."""

    first: int
    last: int | None
    rate: float


@dataclass(frozen=True)
class DiscountSchedules:
    """Named declining discount schedules (``standard``, ``health``...) from a data file."""

    name: str
    version: str
    schedules: Mapping[str, Sequence[DiscountBand]]
    sha256: str = ""

    def rates(self, schedule: str, years: int) -> FloatArray:
        """r(t) for t = 0..years-1 under ``schedule``."""
        bands = self.schedules[schedule]
        t = np.arange(years)
        out = np.full(years, np.nan)
        for band in bands:
            last = years if band.last is None else band.last
            out[(t >= band.first) & (t <= last)] = band.rate
        return out


def discount_factors(rates: FloatArray) -> FloatArray:
    """Discount factors from per-year rates: ``DF(0) = 1``, ``DF(t) = DF(t-1) / (1 + r(t))``.

    ``rates`` has shape ``(..., T)``; ``rates[..., 0]`` is ignored because year 0 is not
    discounted.  Works row-wise on a 2-D array, one schedule per row.

    Examples
    --------
    >>> discount_factors(np.full(3, 0.035)).round(6).tolist()
    [1.0, 0.966184, 0.933511]
    """
    rates = np.asarray(rates, dtype=np.float64)
    growth = 1.0 + rates
    growth[..., 0] = 1.0
    return np.asarray(1.0 / np.cumprod(growth, axis=-1), dtype=np.float64)


def flat_rate_factors(rate: float, years: int) -> FloatArray:
    """Discount factors at one flat ``rate``: ``(1 + rate) ** -t``."""
    return discount_factors(np.full(years, float(rate)))
