"""The data-quality checks of the GMCA importer (see :mod:`calculator.gmca`).

Each check takes the imported rows (indexed by code, with the entry's ``position`` in the
file, its ``sheet``, ``detail`` and ``workbook_row``) and returns warnings; none changes a
row.  They are kept apart from the importer so that each can be read, and tested, as one
rule: what it looks for and why that matters to an appraisal.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .categories import recategorisation_reasons, value_label
from .errors import Problem
from .hierarchy import adds_up
from .unit_costs import COLUMNS, hierarchy_problems, parent_code

#: Every kind of warning the importer gives, in report order, with what it means.
KINDS: dict[str, str] = {
    "hierarchy_mismatch": "parent is not the sum of its same-unit parts (METHOD 1.1)",
    "missing_component": "a numbered part is missing from a family of codes",
    "extraction_gap": "workbook rows skipped by the extraction (an entry may be lost)",
    "implausible_value": "value implausible for its unit, its parent or its siblings",
    "zero_value": "value is zero",
    "missing_value": "value is missing or not a number",
    "multi_year_unit": "figure covers several years or a lifetime: not a rate",
    "unit_mismatch": "description and unit disagree",
    "economic_or_social_value": "described as including economic or social value: "
    "categorised economic or social, never fiscal (METHOD 2.2)",
    "mixed_value_label": "described as including economic or social value and not the sum "
    "of fiscal parts: what it holds is not shown",
    "price_year_differs": "part at a different price year from its parent",
    "price_year": "price year missing, unreadable or not in the deflator table",
    "total_single_agency": "total spread over several agencies recorded against one",
    "multiple_agency": "agency 'Multiple': cannot be attributed to one agency",
    "missing_agency": "agency missing",
    "agency_spelling": "agency or agency detail spelt inconsistently (normalised)",
    "duplicate_entry": "same figure under two codes",
    "duplicate_code": "code used twice (second kept with a suffix)",
    "count_mismatch": "entry counts in the file disagree",
    "invalid": "other invalid field",
    "not_selected": "no selection rule decides the row (default table)",
    "unused_rule": "a selection rule that decides no row (default table)",
    "not_loadable": "left out of the default table: fails the strict loader",
    "partial_family": "default table holds a parent without a part, or a part without its parent",
}


#: Parts of the justice system: a total recorded against one of these whose parts fall on
#: another is not a misattribution.
_JUSTICE = {
    "Criminal Justice System",
    "Police",
    "Probation",
    "Court",
    "Ministry of Justice",
    "Prison / Young Offenders Institute",
}

#: Above these a value is implausible for its unit at the database's price years (2000-2015).
#: Each is above every figure of that unit in the database that is not itself in doubt: a week
#: in a children's home was £2,995 in 2013-14, the dearest hour (a GP out of surgery) £243.
UNIT_CEILINGS: tuple[tuple[str, float], ...] = (
    (r"\bhour\b", 500.0),
    (r"\b(?:session|attendance|contact|consultation|visit|day)\b", 2_000.0),
    (r"\bweek\b", 4_000.0),
    (r"\bmonth\b", 20_000.0),
    (r"\b(?:person|child|claimant|client) per year\b", 150_000.0),
)
ABSOLUTE_CEILING = 1_000_000.0  # no cost to one person or one event in the database is near this
CHILD_OVER_PARENT = 5.0  # a part this many times its parent cannot be a part of it
SIBLING_FACTOR = 100.0  # "orders of magnitude" off its top-level siblings of the same unit

_MULTI_YEAR_UNIT = re.compile(r"lifetime|over an? .*(year|period)", re.I)
_MULTI_YEAR_TEXT = re.compile(r"\b(lifetime|long[- ]term)\b", re.I)
_ANNUAL_TEXT = re.compile(r"\b(annual|per annum|per year)\b", re.I)
_YEARLY_UNIT = re.compile(r"year|annum|fte|lifetime|period", re.I)
_HIERARCHY_PARENT = re.compile(r"^parent (\S+) is ")
_ATTENDANCE_TEXT = re.compile(r"\bper (outpatient )?attendance\b", re.I)


@dataclass(frozen=True)
class QualityProblem(Problem):
    """A :class:`Problem` that also says which check found it and which entry it is about."""

    kind: str = "invalid"
    code: str = ""


def warn(
    file: str, row: Any, code: str, kind: str, message: str, fld: str | None = "value"
) -> QualityProblem:
    """A warning about entry ``code`` at 1-based position ``row`` of ``file``."""
    return QualityProblem(
        message, file=file, row=int(row), field=fld, severity="warning", kind=kind, code=code
    )


def hierarchy_parent(problem: Problem) -> str | None:
    """The parent code named by a :func:`~calculator.unit_costs.hierarchy_problems` message."""
    match = _HIERARCHY_PARENT.match(problem.message)
    return match.group(1) if match else None


def _number(series: pd.Series, code: str) -> float:
    """One value of a numeric column as a float (a typed ``series[code]``)."""
    return float(series.to_numpy(dtype=float)[series.index.get_loc(code)])


def children(frame: pd.DataFrame) -> pd.DataFrame:
    """Each code whose parent is in ``frame``: its parent and whether they share a unit."""
    parent = pd.Series([parent_code(c) for c in frame.index], index=frame.index, dtype=object)
    kids = pd.DataFrame({"parent": parent[parent.isin(frame.index)]})
    unit = frame["unit"].str.strip().str.lower()
    kids["same_unit"] = unit[kids.index].to_numpy() == unit.reindex(kids["parent"]).to_numpy()
    return kids


class _Findings:
    """Warnings for one check, located by looking each code's position up in ``frame``."""

    def __init__(self, frame: pd.DataFrame, file: str) -> None:
        self.frame, self.file, self.items = frame, file, list[Problem]()
        self.position = {str(k): int(v) for k, v in frame["position"].items()}

    def add(self, code: Any, kind: str, message: str, fld: str | None = "value") -> None:
        self.items.append(warn(self.file, self.position[str(code)], str(code), kind, message, fld))


def value_checks(frame: pd.DataFrame, file: str) -> list[Problem]:
    """Zero values, and values implausible for their unit, their parent or their siblings.

    A unit cost of £0 cannot carry a benefit, and one that is orders of magnitude out
    (a weekly cost that is really yearly, a budget total) dominates any appraisal using it.
    """
    out = _Findings(frame, file)
    value, unit = frame["value"], frame["unit"].str.strip().str.lower()
    for code in frame.index[value == 0]:
        out.add(code, "zero_value", f"{code}: value is £0; a zero unit cost cannot carry a benefit")
    reasons: dict[str, list[str]] = {}
    for pattern, ceiling in UNIT_CEILINGS:
        for code in frame.index[unit.str.contains(pattern, regex=True) & (value > ceiling)]:
            reasons.setdefault(code, []).append(
                f"£{value[code]:,.2f} {unit[code]} is above £{ceiling:,.0f}, more than any "
                "credible figure of that unit"
            )
    for code in frame.index[value > ABSOLUTE_CEILING]:
        reasons.setdefault(code, []).append(
            f"£{value[code]:,.2f} is above £{ABSOLUTE_CEILING:,.0f}: a total, not a unit cost"
        )
    kids = children(frame)
    ratio = value[kids.index].to_numpy() / value.reindex(kids["parent"]).to_numpy()
    for code, parent in kids["parent"][kids["same_unit"] & (ratio > CHILD_OVER_PARENT)].items():
        reasons.setdefault(str(code), []).append(
            f"as a part of {parent} (£{value[parent]:,.2f}) it is "
            f"{value[code] / value[parent]:,.0f} times its parent"
        )
    top = frame[[parent_code(c) is None for c in frame.index]].assign(unit_key=unit)
    for _, group in top.groupby(["sheet", "detail", "unit_key"]):
        v = group["value"].to_numpy()
        for i, code in enumerate(group.index):
            others = np.delete(v, i)
            others = others[others > 0]
            if len(others) >= 2 and v[i] > SIBLING_FACTOR * np.median(others):
                reasons.setdefault(code, []).append(
                    f"£{v[i]:,.2f} is over {SIBLING_FACTOR:.0f} times the median "
                    f"(£{np.median(others):,.2f}) of its siblings of the same unit"
                )
    for code, why in reasons.items():
        out.add(code, "implausible_value", f"{code}: implausible value: {'; '.join(why)}")
    return out.items


def hierarchy_checks(frame: pd.DataFrame, file: str) -> list[Problem]:
    """Parents that are not the sum of their parts, and parts that are missing.

    The sum check is the loader's own (:func:`~calculator.unit_costs.hierarchy_problems`),
    so the importer and the loader can never disagree; a hint is added where the parent
    lies between its parts, which then read as alternatives it averages (elective and
    non-elective admissions), not components to add up.
    """
    out = _Findings(frame, file)
    kids = children(frame)
    for p in hierarchy_problems(frame[list(COLUMNS[1:])]):
        code = hierarchy_parent(p) or ""
        mine = frame.loc[kids.index[(kids["parent"] == code) & kids["same_unit"]], "value"]
        low, high, own = float(mine.min()), float(mine.max()), _number(frame["value"], code)
        hint = ""
        if low <= own <= high <= CHILD_OVER_PARENT * own:
            hint = (
                f" It lies between its parts (£{low:,.2f} to £{high:,.2f}), so "
                "they look like alternatives it averages, not components."
            )
        out.add(code, "hierarchy_mismatch", f"{p.message}.{hint}")
    for code in map(str, frame.index):
        up = parent_code(code)
        if up and up not in frame.index:
            out.add(code, "missing_component", f"{code}: its parent {up} is not in the file")
    last = pd.Series([c.rpartition(".")[2] for c in kids.index], index=kids.index)
    numbered = kids.assign(n=pd.to_numeric(last, errors="coerce")).dropna(subset=["n"])
    for parent, group in numbered.groupby("parent"):
        gaps = sorted(set(range(1, int(group["n"].max()) + 1)) - set(group["n"].astype(int)))
        if gaps:
            missing = ", ".join(f"{parent}.{g}" for g in gaps)
            message = f"{parent}: {missing} missing from its numbered parts, so they cannot add up"
            out.add(parent, "missing_component", message)
    return out.items


def extraction_gaps(frame: pd.DataFrame, file: str) -> list[Problem]:
    """Workbook rows the extraction skipped, read from each entry's uprating formula.

    The formula names its own workbook row (``=IF(H3>0, ...``); within a sheet those rows
    should follow on.  A jump means rows were not extracted: a heading, or a lost entry.
    """
    out = _Findings(frame, file)
    ordered = frame[frame["workbook_row"] > 0].sort_values("position")
    for sheet, rows in ordered.groupby("sheet", sort=False):
        row = rows["workbook_row"].astype(int)
        previous = row.shift(fill_value=int(row.iloc[0]) - 1)
        for code in rows.index[(row - previous > 1).to_numpy()]:
            message = (
                f"{code}: rows {previous[code] + 1} to {row[code] - 1} "
                f"of workbook sheet '{sheet}', just before this entry, are not in the "
                "extraction; an entry may have been lost"
            )
            out.add(code, "extraction_gap", message, None)
    return out.items


def family_checks(frame: pd.DataFrame, file: str) -> list[Problem]:
    """Parts at another price year than their parent, and totals put on one agency.

    A total whose parts fall on several agencies but which is recorded against one would
    give all of a saving to that agency in the benefits-by-agency results.
    """
    out = _Findings(frame, file)
    kids = children(frame)
    py = frame["price_year"]
    differs = py[kids.index].to_numpy() != py.reindex(kids["parent"]).to_numpy()
    for code, parent in kids["parent"][differs].items():
        message = (
            f"{code}: price year {py[code]} differs from its parent {parent}'s ({py[parent]}), "
            "so the parent is not a sum at one price year"
        )
        out.add(code, "price_year_differs", message, "price_year")
    agency = {str(k): str(v) for k, v in frame["agency"].items()}
    for key, group in kids.groupby("parent"):
        parent = str(key)
        own = agency[parent]
        parts = {agency[str(c)] for c in group.index} - {"Multiple", ""}
        if own not in ("Multiple", "") and parts - (_JUSTICE if own in _JUSTICE else {own}):
            message = (
                f"{parent} is recorded against {own} but its parts fall on "
                f"{', '.join(sorted(parts))}; benefits by agency would give it all to {own}"
            )
            out.add(parent, "total_single_agency", message, "agency")
    return out.items


def label_checks(frame: pd.DataFrame, file: str) -> list[Problem]:
    """Units that are not rates, units that contradict the description, mixed value labels.

    A figure 'per child over a ten year period' multiplied by a benefit duration counts the
    ten years again.  One described as 'fiscal and economic' is categorised economic (see
    :func:`value_type_checks`); if it is not the sum of fiscal parts either, what it holds
    is not shown, which makes the figure itself less certain.
    """
    out = _Findings(frame, file)
    unit, name, value = frame["unit"], frame["name"], frame["value"]
    kids = children(frame)
    sums = value[kids.index[kids["same_unit"]]].groupby(kids["parent"]).sum()
    for code in frame.index:
        if _MULTI_YEAR_UNIT.search(unit[code]) or _MULTI_YEAR_TEXT.search(name[code]):
            message = (
                f"{code}: '{unit[code]}' is a total over several years or a lifetime, not a "
                "yearly rate; do not multiply it by years"
            )
            out.add(code, "multi_year_unit", message, "unit")
        elif _ANNUAL_TEXT.search(name[code]) and not _YEARLY_UNIT.search(unit[code]):
            message = f"{code}: the description says annual but the unit is '{unit[code]}'"
            out.add(code, "unit_mismatch", message, "unit")
        if _ATTENDANCE_TEXT.search(name[code]) and "admission" in unit[code].lower():
            message = f"{code}: the description says per attendance but the unit is '{unit[code]}'"
            out.add(code, "unit_mismatch", message, "unit")
        total = sums.get(code, math.nan)
        if value_label(name[code]) and (math.isnan(total) or not adds_up(value[code], total)):
            message = (
                f"{code}: described as including economic or social value and not shown to be "
                "the sum of fiscal parts, so how much of it is fiscal, economic or social "
                "value is not known"
            )
            out.add(code, "mixed_value_label", message, "category")
    return out.items


def value_type_checks(frame: pd.DataFrame, file: str) -> list[Problem]:
    """Each entry described as including economic or social value, which the importer
    categorises economic or social instead of fiscal (METHOD 2.2), with the reason and the
    fiscal parts to use instead where the database publishes them."""
    out = _Findings(frame, file)
    for code, reason in recategorisation_reasons(frame).items():
        out.add(code, "economic_or_social_value", f"{code}: {reason}", "category")
    return out.items


def duplicate_entries(frame: pd.DataFrame, file: str) -> list[Problem]:
    """The same description, unit and value under two codes: using both double counts."""
    out = _Findings(frame, file)
    first: dict[tuple[str, str, float], str] = {}
    for code, name, unit, value in zip(
        frame.index, frame["name"], frame["unit"], frame["value"], strict=True
    ):
        key = (name.lower(), unit.lower(), value)
        if key in first:
            message = f"{code} repeats {first[key]} (same description, unit and value); use one"
            out.add(code, "duplicate_entry", message, "name")
        else:
            first.setdefault(key, code)
    return out.items


#: The checks :func:`calculator.gmca.import_gmca` runs, in order.
CHECKS = (
    value_checks,
    hierarchy_checks,
    extraction_gaps,
    family_checks,
    label_checks,
    value_type_checks,
    duplicate_entries,
)
