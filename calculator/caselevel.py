"""Case-level mode: observed FROI and the whole-service projection (METHOD 4).

    benefit of case i     = sum of quantity * v_base over its outcomes (observed: no OB,
                            no discounting)
    observed_froi         = sum of benefits / sum of costs
    projected_annual_froi = mean benefit per case * annual throughput / annual running cost
    sample_confidence_level = 2 Phi(z) - 1,
        z = e sqrt(n (N - 1) / (p (1 - p) (N - n))),  p = 0.5, N = annual throughput

The bootstrap interval resamples a project's cases with a generator seeded from the
run's seed and the project's id, so a project's interval does not change when other
projects are added to the run, and a stored run reproduces exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .appraisal import RebasedTable, ratio
from .arrays import FloatArray, grouped_sum, project_rng, rows_by_project
from .inputs import RunInput
from .reference import ReferenceData

BOOTSTRAP_CHUNK = 200  # resamples at a time: bounds memory for projects with many cases


@dataclass(frozen=True)
class CaseLevel:
    cases: FloatArray  # number of cases per project
    total_case_benefits: FloatArray
    total_case_costs: FloatArray
    observed_froi: FloatArray
    mean_benefit_per_case: FloatArray
    mean_cost_per_case: FloatArray
    annual_running_cost: FloatArray  # at base-year prices
    projected_annual_benefits: FloatArray
    projected_annual_froi: FloatArray
    sample_confidence_level: FloatArray
    interval_low: FloatArray
    interval_high: FloatArray
    #: per case: _p, _row, case_id, team, cost (base-year), benefit, case_froi
    per_case: pd.DataFrame


def sample_confidence_level(
    n: FloatArray, population: FloatArray, margin: FloatArray
) -> FloatArray:
    """Confidence that the sample mean is within ``margin`` (p = 0.5, finite population).

    >>> round(float(sample_confidence_level(np.array([121.0]), np.array([246.0]),
    ...                                     np.array([0.05]))[0]), 3)
    0.876
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        z = margin * np.sqrt(n * (population - 1) / (0.25 * (population - n)))
    erf = np.frompyfunc(math.erf, 1, 1)
    level = np.asarray(erf(np.nan_to_num(z) / math.sqrt(2.0)), dtype=np.float64)
    level = np.where(n >= population, 1.0, level)
    return np.where((population > 0) & (n > 0), level, np.nan)


def bootstrap_interval(
    benefit: FloatArray, cost: FloatArray, resamples: int, seed: int, key: str
) -> tuple[float, float]:
    """2.5th and 97.5th percentiles of observed FROI over case resamples."""
    n = len(benefit)
    if n == 0:
        return math.nan, math.nan
    rng = project_rng(seed, key)
    ratios = np.empty(resamples)
    for start in range(0, resamples, BOOTSTRAP_CHUNK):
        size = min(BOOTSTRAP_CHUNK, resamples - start)
        pick = rng.integers(0, n, size=(size, n))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios[start : start + size] = benefit[pick].sum(axis=1) / cost[pick].sum(axis=1)
    finite = ratios[np.isfinite(ratios)]
    if finite.size == 0:
        return math.nan, math.nan
    low, high = np.percentile(finite, [2.5, 97.5])
    return float(low), float(high)


def _none(run: RunInput) -> CaseLevel:
    """A run without case-level projects or cases: every figure blank, no cases."""
    P = len(run.projects)
    blank = np.full(P, np.nan)
    return CaseLevel(
        cases=np.zeros(P),
        total_case_benefits=np.zeros(P),
        total_case_costs=np.zeros(P),
        observed_froi=blank,
        mean_benefit_per_case=blank,
        mean_cost_per_case=blank,
        annual_running_cost=blank,
        projected_annual_benefits=blank,
        projected_annual_froi=blank,
        sample_confidence_level=blank,
        interval_low=blank,
        interval_high=blank,
        per_case=_per_case(run, np.zeros(0), np.zeros(0)),
    )


def _per_case(run: RunInput, cost: FloatArray, benefit: FloatArray) -> pd.DataFrame:
    """Each case with its cost (base-year prices), benefit and own FROI."""
    per_case = run.lists["cases"][["_p", "_row", "case_id", "team"]].copy()
    per_case["cost"] = cost
    per_case["benefit"] = benefit
    per_case["case_froi"] = ratio(benefit, cost)
    return per_case


def case_level(run: RunInput, reference: ReferenceData, table: RebasedTable) -> CaseLevel:
    """METHOD 4 for every project (NaN for projects without cases).

    ``table`` is the run's unit cost table rebased once (:class:`RebasedTable`)."""
    if not len(run.lists["cases"]) and not (run.projects["mode"] == "case_level").any():
        return _none(run)
    P = len(run.projects)
    base = run.settings.base_year
    deflators = reference.deflators
    cases = run.lists["cases"]
    outcomes = run.lists["case_outcomes"]
    projects = run.projects

    cp = cases["_p"].to_numpy(dtype=np.int64)
    cost_year = projects["case_cost_price_year"].fillna(base).to_numpy(dtype=object)
    cost = cases["cost"].to_numpy(dtype=np.float64) * deflators.factors(cost_year, base)[cp]
    v_base = table.v_base[table.positions(outcomes["unit_cost_code"])]
    case_index = pd.MultiIndex.from_frame(cases[["_p", "case_id"]])
    owner = case_index.get_indexer(pd.MultiIndex.from_frame(outcomes[["_p", "case_id"]]))
    benefit = grouped_sum(
        owner,
        outcomes["quantity"].to_numpy(dtype=np.float64) * v_base,
        len(cases),
    )

    n = np.bincount(cp, minlength=P).astype(np.float64)
    total_benefit = grouped_sum(cp, benefit, P)
    total_cost = grouped_sum(cp, cost, P)
    mean_benefit = ratio(total_benefit, n)
    running = projects["annual_running_cost"].to_numpy(dtype=np.float64) * deflators.factors(
        projects["service_price_year"].fillna(base).to_numpy(dtype=object), base
    )
    throughput = projects["annual_throughput"].to_numpy(dtype=np.float64)
    teams = run.lists["teams"]
    if len(teams):  # a service described by its teams sees the sum of their throughputs
        team_total = grouped_sum(
            teams["_p"].to_numpy(dtype=np.int64),
            teams["annual_throughput"].to_numpy(dtype=np.float64),
            P,
        )
        has_teams = np.bincount(teams["_p"].to_numpy(dtype=np.int64), minlength=P) > 0
        throughput = np.where(np.isnan(throughput) & has_teams, team_total, throughput)

    # the projection: one team (the whole service) unless the service lists teams
    projected = mean_benefit * throughput
    if len(teams):
        team_key = pd.MultiIndex.from_frame(teams[["_p", "team"]])
        case_team = team_key.get_indexer(pd.MultiIndex.from_frame(cases[["_p", "team"]]))
        counted = case_team >= 0
        team_n = np.bincount(case_team[counted], minlength=len(teams))
        team_benefit = grouped_sum(case_team[counted], benefit[counted], len(teams))
        team_projection = ratio(team_benefit, team_n.astype(np.float64)) * teams[
            "annual_throughput"
        ].to_numpy(dtype=np.float64)
        tp = teams["_p"].to_numpy(dtype=np.int64)
        by_team = grouped_sum(tp, np.nan_to_num(team_projection), P)
        has_teams = np.bincount(tp, minlength=P) > 0
        projected = np.where(has_teams, by_team, projected)

    margin = projects["margin_of_error"].fillna(0.05).to_numpy(dtype=np.float64)
    low = np.full(P, np.nan)
    high = np.full(P, np.nan)
    groups = rows_by_project(cp, P)
    project_ids = projects["project_id"].to_numpy(dtype=object)
    for p in np.flatnonzero(n > 0):  # one vectorised bootstrap per case-level project
        rows = groups[p]
        low[p], high[p] = bootstrap_interval(
            benefit[rows],
            cost[rows],
            run.settings.bootstrap_resamples,
            run.settings.seed,
            str(project_ids[p]),
        )
    return CaseLevel(
        cases=n,
        total_case_benefits=total_benefit,
        total_case_costs=total_cost,
        observed_froi=ratio(total_benefit, total_cost),
        mean_benefit_per_case=mean_benefit,
        mean_cost_per_case=ratio(total_cost, n),
        annual_running_cost=running,
        projected_annual_benefits=projected,
        projected_annual_froi=ratio(projected, running),
        sample_confidence_level=sample_confidence_level(n, throughput, margin),
        interval_low=low,
        interval_high=high,
        per_case=_per_case(run, cost, benefit),
    )
