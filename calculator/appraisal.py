"""Appraisal mode, vectorised over every row of every project (METHOD 2).

All cost rows of all projects form one set of arrays, all outcome rows another; year
profiles are ``(rows x years)`` matrices and per-project figures are grouped sums
(``np.bincount``), so the work is a fixed number of array operations however many
projects a run holds.  Nothing here loops over rows or projects.

Notation follows METHOD: ``DF(t)`` discount factors, ``C(t)`` net costs in year t,
``B(t)`` benefits, ``n`` net outcomes, ``v_base`` unit value at base-year prices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from .arrays import FloatArray as FloatArray
from .arrays import IntArray as IntArray
from .arrays import first_year, grouped_sum, row_sums, where_else_zero
from .discounting import discount_factors, flat_rate_factors
from .fields import CATEGORIES
from .inputs import RunInput
from .reference import ReferenceData


@dataclass(frozen=True)
class DiscountGrid:
    """Discount factors for every distinct discount setting of a run: ``factors[k, t]``."""

    specs: list[str | float]
    factors: FloatArray

    def index(self, settings: pd.Series) -> IntArray:
        """Row of :attr:`factors` for each setting (hashed once per distinct value)."""
        codes, uniques = pd.factorize(settings.to_numpy(dtype=object))
        lookup = {spec: k for k, spec in enumerate(self.specs)}
        return np.array([lookup[u] for u in uniques], dtype=np.int64)[codes]


def discount_grid(specs: pd.Series, years: int, reference: ReferenceData) -> DiscountGrid:
    """DF(t) for each distinct value of ``specs`` (a schedule name or a flat rate), METHOD 1.4."""
    unique: list[str | float] = list(pd.unique(specs.to_numpy(dtype=object)))
    rows = []
    for spec in unique:
        if isinstance(spec, str):
            rows.append(discount_factors(reference.discount_schedules.rates(spec, years)))
        else:
            rows.append(flat_rate_factors(float(spec), years))
    factors = np.vstack(rows) if rows else np.ones((0, years))
    return DiscountGrid(unique, factors)


def benefit_years(
    first: FloatArray,
    duration: FloatArray,
    drop_off: FloatArray,
    yearly: FloatArray,
    factors: FloatArray,
    spec: IntArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """f(t), B(t) = yearly x f(t), DF_o(t) and DF_o(t) B(t) of every row (METHOD 2.2).

    f(t) = (1 - drop_off)^(t - b) for b <= t < b + duration, else 0; ``first`` is b.
    DF_o(t) is row ``spec`` of ``factors`` (one row per distinct discount setting).

    The level is a running product along the years (1 until year b, then multiplied by
    (1 - drop_off) each year), which is cheaper than a power over the whole rows x years
    matrix and is the same repeated multiplication a person would do.  The years are
    built one at a time as contiguous rows of ``(years x rows)`` arrays (a few passes
    over 200,000 numbers each while they are in cache, not strided passes over short
    rows); each result is returned as its ``(rows x years)`` transpose, a view.
    """
    years, rows = factors.shape[1], len(first)
    profile, benefits, df, discounted = (np.empty((years, rows)) for _ in range(4))
    by_year = np.ascontiguousarray(factors.T)
    level = np.ones(rows)
    end = first + duration
    for t in range(years):
        # level *= (1 - drop_off) after year b: 1 - drop_off * True, or 1 - drop_off * False
        level *= 1.0 - drop_off * (t > first)
        np.multiply(level, (t >= first) & (t < end), out=profile[t])
        np.multiply(profile[t], yearly, out=benefits[t])
        np.take(by_year[t], spec, out=df[t], mode="clip")  # spec: valid rows, unbuffered
        np.multiply(benefits[t], df[t], out=discounted[t])
    return profile.T, benefits.T, df.T, discounted.T


@dataclass(frozen=True)
class RebasedTable:
    """The run's unit cost table as arrays, each value rebased once to the base year.

    Rows of a list refer to it by position (:meth:`positions`), so looking up 200,000
    outcome rows is one hash join and a few array takes, not a string map per field.
    """

    codes: pd.Index
    value: FloatArray
    price_year: npt.NDArray[np.object_]
    factor: FloatArray  # D(base) / D(price_year), METHOD 1.2
    v_base: FloatArray  # value * factor
    agency: npt.NDArray[np.object_]
    agency_code: IntArray  # index into agency_names
    agency_names: npt.NDArray[np.object_]
    category: IntArray  # index into CATEGORIES
    cashable: npt.NDArray[np.bool_]
    grade: FloatArray  # NaN where the table gives none

    @classmethod
    def of(cls, run: RunInput, reference: ReferenceData) -> RebasedTable:
        rows = run.unit_costs.rows
        price_year = rows["price_year"].to_numpy(dtype=object)
        value = rows["value"].to_numpy(dtype=np.float64)
        category = rows["category"].map({c: i for i, c in enumerate(CATEGORIES)})
        factor = reference.deflators.factors(price_year, run.settings.base_year)
        agency_code, agency_names = pd.factorize(rows["agency"].to_numpy(dtype=object))
        return cls(
            codes=rows.index,
            value=value,
            price_year=price_year,
            factor=factor,
            v_base=value * factor,
            agency=rows["agency"].to_numpy(dtype=object),
            agency_code=np.asarray(agency_code, dtype=np.int64),
            agency_names=np.asarray(agency_names, dtype=object),
            category=np.asarray(category.to_numpy(dtype=np.int64), dtype=np.int64),
            cashable=rows["cashable"].to_numpy(dtype=bool),
            grade=rows["confidence_grade"].to_numpy(dtype=np.float64),
        )

    def positions(self, codes: pd.Series) -> IntArray:
        """Position of each code in the table (-1 for a blank code)."""
        return np.asarray(self.codes.get_indexer(pd.Index(codes)), np.int64)


@dataclass(frozen=True)
class CostRows:
    """Each cost row costed (METHOD 2.1), with the figures a person needs to trace it.

    A row applies in every year from ``first_year`` to ``last_year`` (its ``year`` and
    ``end_year``), the same real amount each year: ``net`` is one year's signed cost and
    ``discount_factor`` the sum of DF(t) over the years it applies, so
    ``pv = net x discount_factor``.
    """

    amount: FloatArray  # one year's, at price-year prices, before OB
    price_year: npt.NDArray[np.object_]
    agency: npt.NDArray[np.object_]
    real: FloatArray  # one year's, at base-year prices
    grade: IntArray  # the confidence grade used: the row's, else its unit cost's, else 1
    optimism_bias: FloatArray
    net: FloatArray  # one year's, signed: + costs, - offsets, OB applied
    first_year: IntArray  # year
    last_year: IntArray  # end_year (default: year)
    years: IntArray  # years it applies: last_year - first_year + 1
    discount_factor: FloatArray  # sum of DF(t) over the years it applies
    pv: FloatArray
    unit_value: FloatArray  # the unit cost's value, or the hourly/annual staff cost
    factor: FloatArray  # D(base) / D(price_year)
    sign: FloatArray  # +1 for costs, -1 for offsets

    def year_cells(self) -> tuple[IntArray, IntArray]:
        """(row, t) of every year each row applies in (see :func:`year_cells`)."""
        return year_cells(self.first_year, self.years)


def year_cells(first: IntArray, years: IntArray) -> tuple[IntArray, IntArray]:
    """(row, t) of every year each row applies in, row by row, years in order.

    A row applying from ``first`` for ``years`` years gives ``years`` cells, so costs are
    summed by year with one grouped sum over the cells, not one pass per year.
    """
    row = np.repeat(np.arange(len(years)), years)
    starts = np.cumsum(years) - years
    t = first[row] + (np.arange(len(row)) - starts[row])
    return row, t


def cost_years(costs: pd.DataFrame, T: int) -> tuple[IntArray, IntArray]:
    """Each cost row's first and last year (``year``, ``end_year`` defaulting to ``year``),
    kept within the appraisal period 0..T-1 (the checks refuse anything outside it)."""
    first = np.clip(costs["year"].to_numpy(dtype=np.float64), 0, T - 1).astype(np.int64)
    end = costs["end_year"].to_numpy(dtype=np.float64)
    last = np.where(np.isnan(end), first, np.clip(np.nan_to_num(end), 0, T - 1)).astype(np.int64)
    return first, np.maximum(last, first)


def cost_rows(
    run: RunInput,
    reference: ReferenceData,
    table: RebasedTable,
    grid: DiscountGrid,
    project_spec: IntArray,
    ob_on: bool,
) -> CostRows:
    """Cost every row: from an amount, a unit cost x quantity, or a salary build-up.

    real = amount x D(base)/D(price_year); a cost's yearly net is real x (1 + OB), an
    offset's -real x (1 - OB); PV = net x sum of DF(t) over year..end_year (METHOD 2.1).
    """
    costs = run.lists["costs"]
    base = run.settings.base_year
    T = run.settings.appraisal_years

    def col(name: str, default: float = np.nan) -> FloatArray:
        values = costs[name].to_numpy(dtype=np.float64)
        return values if np.isnan(default) else np.where(np.isnan(values), default, values)

    at = table.positions(costs["unit_cost_code"])
    from_table = at >= 0
    salary = col("salary")
    from_salary = ~np.isnan(salary)
    quantity = col("quantity", 1.0)

    unit_value = np.where(from_table, table.value[at], np.nan)
    annual_staff = salary * (1 + col("on_costs", 0.0)) * (1 + col("overheads", 0.0))
    hours = col("productive_hours")
    staff_unit = np.where(np.isnan(hours), annual_staff, annual_staff / hours)
    unit_value = np.where(from_salary, staff_unit, unit_value)

    amount = np.where(from_table | from_salary, quantity * unit_value, col("amount"))
    # a row's price year: its unit cost's, else the one it gives, else the base year;
    # each distinct given year is looked up once (METHOD 1.2)
    given, given_years = pd.factorize(costs["price_year"].to_numpy(dtype=object))
    years = np.append(np.asarray(given_years, dtype=object), base)  # code -1: the base year
    price_year = np.where(from_table, table.price_year[at], years[given])
    factor = np.where(from_table, table.factor[at], reference.deflators.factors(years, base)[given])
    agency = costs["agency"].to_numpy(dtype=object)
    if from_table.any():  # a unit cost's agency where the row names none
        agency = np.where(from_table & pd.isna(agency), table.agency[at], agency)

    real = amount * factor
    # the row's grade, else its unit cost's (a unit-costed row), else 1 (METHOD 2.1)
    table_grade = np.where(from_table, table.grade[at], np.nan)
    grade_given = col("confidence_grade")
    grade = np.where(np.isnan(grade_given), table_grade, grade_given)
    grades = np.where(np.isnan(grade), 1.0, grade).astype(np.int64)
    ob = reference.optimism_bias.lookup(grades) if ob_on else np.zeros(len(costs))
    sign = np.where(costs["kind"].to_numpy() == "offset", -1.0, 1.0)
    net = sign * real * (1.0 + sign * ob)

    first, last = cost_years(costs, T)
    span = last - first + 1
    # sum of DF(t) over the years each row applies, added year by year in order
    row, t = year_cells(first, span)
    p = costs["_p"].to_numpy(dtype=np.int64)
    df = grid.factors[project_spec[p[row]], t] if len(row) else np.zeros(0)
    df_sum = grouped_sum(row, df, len(costs))
    return CostRows(
        amount=amount,
        price_year=price_year,
        agency=agency,
        real=real,
        grade=grades,
        optimism_bias=ob,
        net=net,
        first_year=first,
        last_year=last,
        years=span,
        discount_factor=df_sum,
        pv=net * df_sum,
        unit_value=unit_value,
        factor=factor,
        sign=sign,
    )


@dataclass(frozen=True)
class OutcomeRows:
    """Each outcome row valued (METHOD 2.2): net outcomes, unit value, OB and PVs."""

    n: FloatArray
    v_base: FloatArray
    grade: IntArray
    optimism_bias: FloatArray
    category: IntArray  # index into CATEGORIES
    position: IntArray  # row of the unit cost table (its agency: table.agency[position])
    agency_code: IntArray  # index into the table's agency names
    cashable: npt.NDArray[np.bool_]
    benefits: FloatArray  # B(t), rows x years, real, undiscounted
    discounted: FloatArray  # DF_o(t) * B(t)
    pv: FloatArray  # sum over t
    profile: FloatArray  # f(t), rows x years
    discount_factors: FloatArray  # DF_o(t), rows x years
    price_factor: FloatArray  # D(base) / D(price_year) of each row's unit cost


def outcome_rows(
    run: RunInput,
    reference: ReferenceData,
    table: RebasedTable,
    grid: DiscountGrid,
    outcome_spec: IntArray,
    ob_on: bool,
) -> OutcomeRows:
    """Value every outcome row (METHOD 2.2), all projects at once.

    n    = cohort x engagement x success x (1 - deadweight) x (1 - displacement)
           x attribution
    B(t) = n x quantity x v_base x (1 - OB) x f(t);   PV = sum_t DF_o(t) B(t)
    """
    outcomes = run.lists["outcomes"]
    at = table.positions(outcomes["unit_cost_code"])
    v_base = table.v_base[at]
    price_factor = table.factor[at]
    row_grade = outcomes["confidence_grade"].to_numpy(dtype=np.float64)
    grade = np.where(np.isnan(row_grade), table.grade[at], row_grade)
    grade = np.where(np.isnan(grade), 6, grade).astype(np.int64)
    ob = reference.optimism_bias.lookup(grade) if ob_on else np.zeros(len(outcomes))

    def col(name: str) -> FloatArray:
        return outcomes[name].to_numpy(dtype=np.float64)

    n = (
        col("cohort")
        * col("engagement")
        * col("success")
        * (1 - col("deadweight"))
        * (1 - col("displacement"))
        * col("attribution")
    )
    yearly = n * col("quantity") * v_base * (1 - ob)
    profile, benefits, factors, discounted = benefit_years(
        col("cohort_year") + col("lag"),
        col("duration"),
        col("drop_off"),
        yearly,
        grid.factors,
        outcome_spec,
    )
    pv = row_sums(discounted)
    return OutcomeRows(
        n=n,
        v_base=v_base,
        grade=grade,
        optimism_bias=ob,
        category=table.category[at],
        position=at,
        agency_code=table.agency_code[at],
        cashable=table.cashable[at],
        benefits=benefits,
        discounted=discounted,
        pv=pv,
        profile=profile,
        discount_factors=factors,
        price_factor=price_factor,
    )


@dataclass(frozen=True)
class Appraisal:
    """Per-project appraisal figures (arrays over projects) and the row-level detail."""

    pv_costs: FloatArray
    pv_by_category: FloatArray  # projects x 3
    pv_fiscal_cashable: FloatArray
    payback_year: FloatArray
    payback_year_undiscounted: FloatArray
    project_df: FloatArray  # projects x years
    costs_by_year: FloatArray  # C(t), projects x years
    benefits_by_year: FloatArray  # projects x 3 x years, undiscounted
    fiscal_pv_by_year: FloatArray  # projects x years
    switching_value: FloatArray  # per outcome row
    costs: CostRows
    outcomes: OutcomeRows
    table: RebasedTable


def appraise(run: RunInput, reference: ReferenceData) -> Appraisal:
    """Every METHOD 2 figure for every project of ``run`` at once."""
    P = len(run.projects)
    T = run.settings.appraisal_years
    ob_on = run.settings.apply_optimism_bias
    project_discount = run.projects["discount"].where(
        run.projects["discount"].notna(), run.settings.discount
    )
    outcomes = run.lists["outcomes"]
    op = outcomes["_p"].to_numpy(dtype=np.int64)
    # an outcome row's own discount, else its project's (METHOD 1.4); each distinct
    # setting is looked up once, rows refer to it by number
    project_code, project_specs = pd.factorize(project_discount.to_numpy(dtype=object))
    own_code, own_specs = pd.factorize(outcomes["discount"].to_numpy(dtype=object))
    grid = discount_grid(pd.Series([*project_specs, *own_specs], dtype=object), T, reference)
    project_spec = grid.index(pd.Series(list(project_specs), dtype=object))[project_code]
    own_spec = grid.index(pd.Series(list(own_specs), dtype=object))
    outcome_spec = np.where(
        own_code >= 0, own_spec[np.maximum(own_code, 0)] if len(own_spec) else 0, project_spec[op]
    )

    table = RebasedTable.of(run, reference)
    costs = cost_rows(run, reference, table, grid, project_spec, ob_on)
    cp = run.lists["costs"]["_p"].to_numpy(dtype=np.int64)
    # C(t): every row in every year it applies, rows added in input order (METHOD 2.1)
    row, year = costs.year_cells()
    costs_by_year = grouped_sum(cp[row] * T + year, costs.net[row], P * T).reshape(P, T)
    project_df = grid.factors[project_spec]
    discounted_costs = costs_by_year * project_df  # DF(t) C(t)
    pv_costs = discounted_costs.sum(axis=1)

    rows = outcome_rows(run, reference, table, grid, outcome_spec, ob_on)
    group = op * 3 + rows.category
    benefits_by_year = grouped_sum(group, rows.benefits, P * 3).reshape(P, 3, T)
    pv_by_category = grouped_sum(group, rows.pv, P * 3).reshape(P, 3)
    fiscal = rows.category == 0
    fiscal_pv_by_year = grouped_sum(group, rows.discounted, P * 3).reshape(P, 3, T)[:, 0, :]
    pv_fiscal_cashable = grouped_sum(op[fiscal & rows.cashable], rows.pv[fiscal & rows.cashable], P)

    # payback (METHOD 2.3): first year cumulative fiscal benefit covers cumulative cost
    cum_fiscal = fiscal_pv_by_year.cumsum(axis=1)
    payback = first_year((cum_fiscal >= discounted_costs.cumsum(axis=1)) & (cum_fiscal > 0))
    cum_fiscal_real = benefits_by_year[:, 0, :].cumsum(axis=1)
    payback_real = first_year(
        (cum_fiscal_real >= costs_by_year.cumsum(axis=1)) & (cum_fiscal_real > 0)
    )

    # switching value of each outcome row's success rate (METHOD 2.3)
    f_o = where_else_zero(fiscal, rows.pv)
    success = outcomes["success"].to_numpy(dtype=np.float64)
    project_costs = pv_costs[op]
    with np.errstate(all="ignore"):
        s_star = success * (project_costs - (pv_by_category[:, 0][op] - f_o)) / f_o
    valid = np.flatnonzero((f_o != 0) & (s_star >= 0) & (s_star <= 1) & (project_costs > 0))
    switching = np.full(len(f_o), np.nan)  # NaN where s* is not a rate in [0, 1]
    switching[valid] = s_star[valid]

    return Appraisal(
        pv_costs=pv_costs,
        pv_by_category=pv_by_category,
        pv_fiscal_cashable=pv_fiscal_cashable,
        payback_year=payback,
        payback_year_undiscounted=payback_real,
        project_df=project_df,
        costs_by_year=costs_by_year,
        benefits_by_year=benefits_by_year,
        fiscal_pv_by_year=fiscal_pv_by_year,
        switching_value=switching,
        costs=costs,
        outcomes=rows,
        table=table,
    )


def ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """numerator / denominator, NaN where the denominator is not positive (METHOD 2.3)."""
    with np.errstate(all="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


VFM_BANDS = ("poor", "low", "medium", "high", "very high")
VFM_EDGES = np.array([1.0, 1.5, 2.0, 4.0])


def value_for_money_band(public_value_roi: FloatArray) -> npt.NDArray[np.object_]:
    """poor < 1 <= low < 1.5 <= medium < 2 <= high < 4 <= very high; None for no ratio."""
    index = np.searchsorted(VFM_EDGES, public_value_roi, side="right")
    bands: npt.NDArray[np.object_] = np.array(VFM_BANDS, dtype=object)[np.minimum(index, 4)]
    bands[np.isnan(public_value_roi)] = None
    return bands
