"""The reference data a run uses, loaded from data files with provenance.

Four tables besides the unit costs, each a CSV with a JSON sidecar and each replaceable
by a user's own version: GDP deflators (METHOD 1.2), optimism bias by grade (1.3),
discount schedules (1.4) and the outcome themes that let portfolios compare like with
like; and the agency aliases that read ``LA`` as ``Local Authority``
(:mod:`calculator.agencies`).  :func:`load_reference` bundles them; :data:`DEFAULT_DIR`
is the project's ``unit_costs/`` folder, which ships the defaults.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .agencies import AgencyAliases, load_agency_aliases
from .discounting import DiscountBand, DiscountSchedules
from .errors import InvalidInput, InvalidPriceYear, Problem
from .optimism_bias import GRADES, OptimismBiasTable
from .prices import DeflatorTable, parse_price_year
from .provenance import content_hash, read_csv_rows, read_meta
from .unit_costs import UnitCostTable, load_table

DEFAULT_DIR = Path(
    os.environ.get("FROI_REFERENCE_DIR", Path(__file__).resolve().parent.parent / "unit_costs")
)
DEFAULT_UNIT_COSTS = "national_children_families.csv"
DEFAULT_DEFLATORS = "gdp_deflators.csv"
DEFAULT_OPTIMISM_BIAS = "optimism_bias.csv"
DEFAULT_DISCOUNT_SCHEDULES = "discount_schedules.csv"
DEFAULT_OUTCOME_THEMES = "outcome_themes.csv"
DEFAULT_AGENCY_ALIASES = "agency_aliases.csv"


def _number(text: str) -> float:
    """A number from a CSV cell; percentages written as ``3.5%`` mean 0.035."""
    text = text.strip()
    if text.endswith("%"):
        return float(text[:-1]) / 100.0
    return float(text)


def _check_columns(
    path: Path, header: list[str], required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[Problem]:
    problems = [
        Problem(f"required column '{c}' is missing", file=path.name, field=c)
        for c in required
        if c not in header
    ]
    allowed = set(required) | set(optional)
    problems += [
        Problem(
            f"unknown column '{c}'; this table has the columns {', '.join(required + optional)}",
            file=path.name,
            field=c,
        )
        for c in header
        if c not in allowed
    ]
    return problems


def load_deflators(path: Path | str) -> DeflatorTable:
    """Load a GDP deflator table: ``financial_year``, ``index`` (any base), optional notes.

    The column holding the index may also be called ``gdp_deflator`` or
    ``gdp_deflator_2024_eq_100`` (HM Treasury's and the reference file's names).
    """
    path = Path(path)
    meta = read_meta(path, required=False)
    header, rows, problems = read_csv_rows(path)
    index_col = next(
        (c for c in ("index", "gdp_deflator", "gdp_deflator_2024_eq_100") if c in header), "index"
    )
    problems += _check_columns(path, header, ("financial_year", index_col), ("derivation", "notes"))
    index: dict[str, float] = {}
    for line, row in rows if not problems else []:
        try:
            year = parse_price_year(row["financial_year"])
        except InvalidPriceYear as exc:
            problems.append(Problem(str(exc), file=path.name, row=line, field="financial_year"))
            continue
        try:
            value = _number(row[index_col])
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            problems.append(
                Problem(
                    f"the index must be a positive number; got '{row[index_col]}'",
                    file=path.name,
                    row=line,
                    field=index_col,
                )
            )
        elif year in index:
            problems.append(
                Problem(
                    f"financial year {year} appears twice",
                    file=path.name,
                    row=line,
                    field="financial_year",
                )
            )
        else:
            index[year] = value
    if not problems and not index:
        problems.append(Problem("the table has no rows", file=path.name))
    if problems:
        raise InvalidInput(problems, context=f"deflator table {path.name}")
    digest = content_hash(["financial_year", "index"], sorted(index.items()))
    return DeflatorTable(name=meta.name, version=meta.version, index=index, sha256=digest)


def load_optimism_bias(path: Path | str) -> OptimismBiasTable:
    """Load an optimism bias table: ``grade`` (1..6, each once) and ``optimism_bias``."""
    path = Path(path)
    meta = read_meta(path, required=False)
    header, rows, problems = read_csv_rows(path)
    problems += _check_columns(path, header, ("grade", "optimism_bias"), ("meaning", "notes"))
    by_grade: dict[int, float] = {}
    for line, row in rows if not problems else []:
        try:
            grade = int(row["grade"])
        except ValueError:
            grade = 0
        if grade not in GRADES:
            problems.append(
                Problem(
                    f"grade must be a whole number 1-6; got '{row['grade']}'",
                    file=path.name,
                    row=line,
                    field="grade",
                )
            )
            continue
        try:
            ob = _number(row["optimism_bias"])
        except ValueError:
            ob = math.nan
        if not 0 <= ob < 1:
            problems.append(
                Problem(
                    f"optimism_bias must be a share from 0% up to (not including) 100%; "
                    f"got '{row['optimism_bias']}'",
                    file=path.name,
                    row=line,
                    field="optimism_bias",
                )
            )
        by_grade[grade] = ob
    missing = [g for g in GRADES if g not in by_grade]
    if missing and not problems:
        problems.append(
            Problem(
                f"grades {missing} have no optimism bias; give all six",
                file=path.name,
                field="grade",
            )
        )
    if problems:
        raise InvalidInput(problems, context=f"optimism bias table {path.name}")
    digest = content_hash(["grade", "optimism_bias"], sorted(by_grade.items()))
    return OptimismBiasTable(name=meta.name, version=meta.version, by_grade=by_grade, sha256=digest)


def load_discount_schedules(path: Path | str) -> DiscountSchedules:
    """Load discount schedules: ``schedule``, ``first_year``, ``last_year`` (blank: no end),
    ``rate``.  A schedule's bands must start at year 0 and leave no gaps."""
    path = Path(path)
    meta = read_meta(path, required=False)
    header, rows, problems = read_csv_rows(path)
    problems += _check_columns(
        path, header, ("schedule", "first_year", "last_year", "rate"), ("notes",)
    )
    bands: dict[str, list[DiscountBand]] = {}
    for line, row in rows if not problems else []:
        try:
            first = int(row["first_year"])
            last = int(row["last_year"]) if row["last_year"] else None
            rate = _number(row["rate"])
        except ValueError:
            problems.append(
                Problem(
                    "first_year and last_year must be whole numbers and rate "
                    "a number (0.035 or 3.5%)",
                    file=path.name,
                    row=line,
                )
            )
            continue
        if not 0 <= rate < 1:
            problems.append(
                Problem(
                    f"rate must be from 0 to 1; got {rate}", file=path.name, row=line, field="rate"
                )
            )
        bands.setdefault(row["schedule"].strip().lower(), []).append(
            DiscountBand(first, last, rate)
        )
    for name, schedule in bands.items():
        schedule.sort(key=lambda b: b.first)
        expected = 0
        for band in schedule:
            if band.first != expected:
                problems.append(
                    Problem(
                        f"schedule '{name}' has no rate for year {expected}",
                        file=path.name,
                        field="first_year",
                    )
                )
                break
            if band.last is None:
                break
            expected = band.last + 1
        else:
            problems.append(
                Problem(
                    f"schedule '{name}' must end with an open band (blank last_year)",
                    file=path.name,
                    field="last_year",
                )
            )
    if problems:
        raise InvalidInput(problems, context=f"discount schedules {path.name}")
    digest = content_hash(
        ["schedule", "first_year", "last_year", "rate"],
        [(n, b.first, b.last, b.rate) for n, s in bands.items() for b in s],
    )
    return DiscountSchedules(name=meta.name, version=meta.version, schedules=bands, sha256=digest)


def load_outcome_themes(path: Path | str) -> dict[int, str]:
    """Outcome themes: number -> outcome, from ``theme,outcome,example_measure``."""
    path = Path(path)
    header, rows, problems = read_csv_rows(path)
    problems += _check_columns(path, header, ("theme", "outcome"), ("example_measure",))
    if problems:
        raise InvalidInput(problems, context=f"outcome themes {path.name}")
    return {int(row["theme"]): row["outcome"] for _, row in rows}


@lru_cache(maxsize=1)
def default_agency_aliases() -> AgencyAliases:
    """The shipped agency aliases, loaded once."""
    return load_agency_aliases(DEFAULT_DIR / DEFAULT_AGENCY_ALIASES)


@dataclass(frozen=True)
class ReferenceData:
    """Everything besides the project inputs that a run's figures depend on."""

    unit_costs: UnitCostTable
    deflators: DeflatorTable
    optimism_bias: OptimismBiasTable
    discount_schedules: DiscountSchedules
    outcome_themes: dict[int, str]
    agency_aliases: AgencyAliases = field(default_factory=default_agency_aliases)

    def provenance(self) -> dict[str, Any]:
        def ident(table: DeflatorTable | OptimismBiasTable | DiscountSchedules) -> dict[str, str]:
            return {"name": table.name, "version": table.version, "sha256": table.sha256}

        return {
            "unit_cost_table": self.unit_costs.provenance(),
            "deflator_table": ident(self.deflators),
            "optimism_bias_table": {
                **ident(self.optimism_bias),
                "by_grade": {str(g): v for g, v in sorted(self.optimism_bias.by_grade.items())},
            },
            "discount_schedules": ident(self.discount_schedules),
            "agency_aliases": self.agency_aliases.provenance(),
        }


def load_reference(
    directory: Path | str | None = None,
    *,
    unit_costs: Path | str | None = None,
    deflators: Path | str | None = None,
    optimism_bias: Path | str | None = None,
    discount_schedules: Path | str | None = None,
    agency_aliases: Path | str | None = None,
) -> ReferenceData:
    """Load the default reference data, replacing any table given by path."""
    base = Path(directory) if directory is not None else DEFAULT_DIR
    deflator_table = load_deflators(deflators or base / DEFAULT_DEFLATORS)
    return ReferenceData(
        unit_costs=load_table(unit_costs or base / DEFAULT_UNIT_COSTS, deflator_table),
        deflators=deflator_table,
        optimism_bias=load_optimism_bias(optimism_bias or base / DEFAULT_OPTIMISM_BIAS),
        discount_schedules=load_discount_schedules(
            discount_schedules or base / DEFAULT_DISCOUNT_SCHEDULES
        ),
        outcome_themes=load_outcome_themes(base / DEFAULT_OUTCOME_THEMES),
        agency_aliases=load_agency_aliases(agency_aliases or base / DEFAULT_AGENCY_ALIASES),
    )
