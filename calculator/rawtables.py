"""A run's input as untyped tables, however it arrived (a JSON document, a workbook)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import Problem


@dataclass
class RawTables:
    """A run's input as untyped tables, however it arrived (a JSON document, a workbook).

    ``projects`` has one row per project with the flat project fields (the comparison
    case counts and service figures are columns); each table in ``lists`` has ``_p``
    (the project's position) and ``_row`` (the number a person would use to find the
    row: its place in the JSON list, or its spreadsheet row).  ``labels`` names each
    project in messages.  ``percent_marks[list][field]`` flags cells a spreadsheet shows
    as percentages.  ``problems`` are those already found while reading.  ``agencies``
    are the agencies the input adds on purpose (:mod:`calculator.agencies`).  ``json``
    says the tables came from a JSON document, so every problem carries its JSON path.
    """

    settings: dict[str, Any]
    unit_costs: list[tuple[int, dict[str, Any]]]
    projects: pd.DataFrame
    lists: dict[str, pd.DataFrame]
    labels: list[str]
    percent_marks: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    json: bool = False
