"""Financial years, GDP deflators and rebasing to a base year's prices (METHOD 1.2).

Every figure is stored at its original price year and rebased when a calculation runs:

    v_base = value * D(base_year) / D(price_year)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from .errors import InvalidPriceYear, PriceYearNotInTable

_SHORT = re.compile(r"^\s*(\d{4})\s*[-/\u2013]\s*(\d{2})\s*$")
_LONG = re.compile(r"^\s*(\d{4})\s*[-/\u2013]\s*(\d{4})\s*$")
_SINGLE = re.compile(r"^\s*(\d{4})(?:\.0+)?\s*$")


def financial_year(start: int) -> str:
    """The canonical label of the financial year starting in April of ``start``.

    >>> financial_year(2013), financial_year(1999)
    ('2013-14', '1999-00')
    """
    return f"{start}-{(start + 1) % 100:02d}"


def parse_price_year(value: object) -> str:
    """Read a price year as METHOD 1.1 allows and return it as ``YYYY-YY``.

    Accepted: ``2013-14``, ``2013/14``, ``2013-2014`` and ``2013`` (meaning 2013-14),
    also the number 2013 (as spreadsheets give it).  The two years must be consecutive.

    >>> [parse_price_year(v) for v in ("2013-14", "2013/14", "2013-2014", 2013, "2013")]
    ['2013-14', '2013-14', '2013-14', '2013-14', '2013-14']
    """
    if isinstance(value, bool):
        raise InvalidPriceYear(value)
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if not number.is_integer() or not 1900 <= number <= 2199:
            raise InvalidPriceYear(value)
        return financial_year(int(number))
    if not isinstance(value, str):
        raise InvalidPriceYear(value)
    if m := _SHORT.match(value):
        start, end = int(m.group(1)), int(m.group(2))
        if (start + 1) % 100 != end:
            raise InvalidPriceYear(value)
        return financial_year(start)
    if m := _LONG.match(value):
        start, end = int(m.group(1)), int(m.group(2))
        if end != start + 1:
            raise InvalidPriceYear(value)
        return financial_year(start)
    if m := _SINGLE.match(value):
        start = int(m.group(1))
        if not 1900 <= start <= 2199:
            raise InvalidPriceYear(value)
        return financial_year(start)
    raise InvalidPriceYear(value)


def year_start(label: str) -> int:
    """The calendar year a canonical financial year label starts in (``2013-14`` -> 2013)."""
    return int(label[:4])


@dataclass(frozen=True)
class DeflatorTable:
    """A GDP deflator series by financial year, with the name it is cited by.

    ``index`` maps canonical financial years (``2013-14``) to index values (any base).
    """

    name: str
    version: str
    index: dict[str, float]
    sha256: str = ""

    @property
    def latest_year(self) -> str:
        """The latest financial year in the table: the default base year (METHOD 2)."""
        return max(self.index, key=year_start)

    def factor(self, price_year: str, base_year: str) -> float:
        """D(base_year) / D(price_year): multiply a value at ``price_year`` prices by this."""
        return self.index_of(base_year) / self.index_of(price_year)

    def index_of(self, year: str) -> float:
        try:
            return self.index[year]
        except KeyError:
            raise PriceYearNotInTable(year, f"{self.name} {self.version}") from None

    def factors(self, price_years: Iterable[str], base_year: str) -> npt.NDArray[np.float64]:
        """Vectorised :meth:`factor` for many price years (looked up once per distinct year)."""
        years = np.asarray(
            price_years if isinstance(price_years, np.ndarray) else list(price_years), dtype=object
        )
        if years.size == 0:
            return np.zeros(0)
        inverse, unique = pd.factorize(years)  # hashing: no sort of 200,000 strings
        base = self.index_of(base_year)
        per_year = np.array([base / self.index_of(str(y)) for y in unique], dtype=np.float64)
        return per_year[inverse]

    def missing(self, price_years: Iterable[str]) -> list[str]:
        """Those of ``price_years`` that the table has no index for, each once."""
        return sorted({y for y in price_years if y not in self.index})
