"""What every rule of :mod:`calculator.checks` looks at: a run's typed tables and its
reference data, and how to locate a problem."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..agencies import AgencyNames
from ..places import Places
from ..reference import ReferenceData
from ..settings import Settings
from ..unit_costs import UnitCostTable


@dataclass
class CheckContext:
    """A run after every column is typed (:mod:`calculator.validate`).

    ``lists`` holds one typed table per list with ``_p`` and ``_row``; a rule that
    makes a spelling canonical (a unit cost code's case, an agency's name) replaces the
    column there, so the rules after it and the engine see one spelling.  ``table`` is
    the unit cost table the run uses (local rows laid over the reference table) and
    ``agencies`` the run's canonical agencies.
    """

    settings: Settings
    projects: pd.DataFrame
    lists: dict[str, pd.DataFrame]
    table: UnitCostTable
    reference: ReferenceData
    places: Places
    agencies: AgencyNames
    _counts: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict, repr=False)

    @property
    def years(self) -> int:
        """T, the number of appraisal years (years run 0 to T-1)."""
        return self.settings.appraisal_years

    def rows_per_project(self, list_name: str) -> npt.NDArray[np.int64]:
        """How many rows of ``list_name`` each project has, by project position."""
        if list_name not in self._counts:
            owners = self.lists[list_name]["_p"].to_numpy(dtype=np.int64)
            self._counts[list_name] = np.bincount(owners, minlength=len(self.projects))
        return self._counts[list_name]
