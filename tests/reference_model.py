"""A plain, per-row reference implementation of METHOD.md sections 2, 3 and 4.

This is the oracle the vectorised engine is tested against and the baseline the benchmark
compares with. It is plain and literal: one loop over projects, one over rows, one over
years, standard library only, every formula written as METHOD.md writes it. It is what a
competent person writes with loops and dicts, not deliberately slow: a discount setting's
factors are worked out once per run, and a row's yearly value once per row. It does no
validation (the input is assumed valid) and emits no warnings.

Conventions where METHOD.md is silent (the project's decisions):
- ``base_year`` defaults to the latest deflator year, compared by its 4-digit start year.
- a ``None`` field counts as missing and takes the default (spreadsheets give empty cells).
- a local unit cost row in ``doc["unit_costs"]`` replaces the table's row with that code.
- the year table's ``discount_factor`` is the project's (the one costs are discounted with).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Row = Mapping[str, Any]
Schedule = list[tuple[int, int | None, float]]
CATEGORIES = ("fiscal", "economic", "social")
# METHOD 2.3: poor < 1 <= low < 1.5 <= medium < 2 <= high < 4 <= very high
VFM_BANDS = ((1.0, "poor"), (1.5, "low"), (2.0, "medium"), (4.0, "high"))


def _get(row: Row, key: str, default: Any) -> Any:
    """The row's field, or ``default`` when it is missing or None."""
    value = row.get(key)
    return default if value is None else value


def _start_year(financial_year: str) -> int:
    return int(financial_year[:4])


def _ratio(numerator: float, denominator: float) -> float | None:
    """METHOD 2.3: every ratio is null when its denominator is <= 0."""
    return numerator / denominator if denominator > 0 else None


def discount_factors(
    spec: str | float, years: int, schedules: Mapping[str, Schedule]
) -> list[float]:
    """METHOD 1.4: DF(0) = 1, DF(t) = DF(t-1) / (1 + r(t)), r(t) from the band holding t.

    ``spec`` is a schedule's name or a flat rate.
    """
    factors = [1.0]
    for t in range(1, years):
        if isinstance(spec, str):
            rates = [
                rate
                for first, last, rate in schedules[spec]
                if first <= t and (last is None or t <= last)
            ]
            rate = rates[0]
        else:
            rate = float(spec)
        factors.append(factors[t - 1] / (1 + rate))
    return factors


def sample_confidence_level(n: int, population: float, margin: float, p: float = 0.5) -> float:
    """METHOD 4: z = e sqrt(n (N - 1) / (p (1 - p) (N - n))), level = 2 Phi(z) - 1; 1 if n >= N."""
    if n >= population:
        return 1.0
    z = margin * math.sqrt(n * (population - 1) / (p * (1 - p) * (population - n)))
    phi = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    return 2 * phi - 1


def value_for_money_band(ratio: float | None) -> str | None:
    """METHOD 2.3: the band of public_value_roi."""
    if ratio is None:
        return None
    for upper, band in VFM_BANDS:
        if ratio < upper:
            return band
    return "very high"


@dataclass
class _Run:
    """Everything one run shares: tables and settings."""

    unit_costs: dict[str, Row]
    deflators: Mapping[str, float]
    ob_by_grade: Mapping[int, float]
    schedules: Mapping[str, Schedule]
    base_year: str
    years: int
    discount: str | float
    apply_ob: bool
    factors: dict[str | float, list[float]] = field(default_factory=dict)

    def discount_factors(self, spec: str | float) -> list[float]:
        """METHOD 1.4 discount factors of a setting, worked out once per distinct setting."""
        if spec not in self.factors:
            self.factors[spec] = discount_factors(spec, self.years, self.schedules)
        return self.factors[spec]

    def rebase(self, value: float, price_year: str) -> float:
        """METHOD 1.2: v_base = value * D(base_year) / D(price_year)."""
        return value * self.deflators[self.base_year] / self.deflators[price_year]

    def ob(self, grade: int) -> float:
        """METHOD 1.3: OB by confidence grade; 0 when optimism bias is switched off."""
        return self.ob_by_grade[int(grade)] if self.apply_ob else 0.0

    def unit_value(self, code: str) -> float:
        unit_cost = self.unit_costs[code]
        return self.rebase(unit_cost["value"], unit_cost["price_year"])


def _cost_row_amount(row: Row, run: _Run) -> tuple[float, str, str, int]:
    """METHOD 2.1: a cost row's (amount, price_year, payer agency, confidence grade), by
    one of three routes.  The grade is the row's, else (for a row costed from the unit
    cost table) the unit cost's, else 1."""
    grade = row.get("confidence_grade")
    if row.get("unit_cost_code") is not None:
        # amount = quantity * the unit cost's value, at that unit cost's price year
        unit_cost = run.unit_costs[row["unit_cost_code"]]
        amount = _get(row, "quantity", 1) * unit_cost["value"]
        if grade is None:
            grade = _get(unit_cost, "confidence_grade", 1)
        return amount, unit_cost["price_year"], _get(row, "agency", unit_cost["agency"]), grade
    price_year = _get(row, "price_year", run.base_year)
    grade = 1 if grade is None else grade
    if row.get("salary") is not None:
        # staff builder: annual = salary (1 + on_costs)(1 + overheads); hourly = annual / hours
        annual = row["salary"] * (1 + _get(row, "on_costs", 0)) * (1 + _get(row, "overheads", 0))
        quantity = _get(row, "quantity", 1)
        hours = row.get("productive_hours")
        amount = quantity * annual / hours if hours is not None else quantity * annual
        return amount, price_year, row["agency"], grade
    return row["amount"], price_year, row["agency"], grade


def _payback(benefits: list[float], costs: list[float]) -> int | None:
    """METHOD 2.3: first t with sum_{k<=t} benefit >= sum_{k<=t} cost and the benefit sum > 0."""
    cumulative_benefit = 0.0
    cumulative_cost = 0.0
    for t in range(len(benefits)):
        cumulative_benefit += benefits[t]
        cumulative_cost += costs[t]
        if cumulative_benefit >= cumulative_cost and cumulative_benefit > 0:
            return t
    return None


def _per_participant(value: float, participants: float | None) -> float | None:
    return value / participants if participants else None


def _appraise(project: Row, run: _Run) -> dict[str, Any]:
    """METHOD 2: costs, outcomes and results of one project over t = 0 .. T-1."""
    T = run.years
    project_discount = _get(project, "discount", run.discount)
    df = run.discount_factors(project_discount)

    # METHOD 2.1 costs: C(t) = cost rows - offset rows applying in year t (each row from
    # its year to its end_year, the same amount each year); PV_costs = sum_t DF(t) C(t)
    costs = [0.0] * T
    costs_by_agency: dict[str, float] = {}
    observed = 0.0  # METHOD 3's R: real, no OB, no discounting, offsets subtracted
    for row in project.get("costs") or []:
        amount, price_year, agency, grade = _cost_row_amount(row, run)
        real = run.rebase(amount, price_year)
        ob = run.ob(grade)
        offset = _get(row, "kind", "recurring") == "offset"
        in_year = -real * (1 - ob) if offset else real * (1 + ob)
        first = _get(row, "year", 0)
        for t in range(first, _get(row, "end_year", first) + 1):
            costs[t] += in_year
            costs_by_agency[agency] = costs_by_agency.get(agency, 0.0) + df[t] * in_year
            observed += -real if offset else real
    pv_costs = sum(df[t] * costs[t] for t in range(T))

    # METHOD 2.2 outcomes: B(t) = n * quantity * v_base * (1 - OB) * f(t), t < T
    benefits = {category: [0.0] * T for category in CATEGORIES}  # undiscounted, by year
    pv = dict.fromkeys(CATEGORIES, 0.0)
    fiscal_pv_by_year = [0.0] * T  # Fiscal_pv(t), each outcome with its own DF
    fiscal_by_agency: dict[str, float] = {}
    pv_fiscal_cashable = 0.0
    outcomes: list[dict[str, Any]] = []
    successes: list[float] = []
    for row in project.get("outcomes") or []:
        unit_cost = run.unit_costs[row["unit_cost_code"]]
        category = unit_cost["category"]
        n = (
            row["cohort"]
            * _get(row, "engagement", 1)
            * row["success"]
            * (1 - _get(row, "deadweight", 0))
            * (1 - _get(row, "displacement", 0))
            * _get(row, "attribution", 1)
        )
        v_base = run.unit_value(row["unit_cost_code"])
        ob = run.ob(_get(row, "confidence_grade", _get(unit_cost, "confidence_grade", 6)))
        b = _get(row, "cohort_year", 0) + _get(row, "lag", 0)
        duration = _get(row, "duration", 1)
        drop_off = _get(row, "drop_off", 0)
        df_outcome = run.discount_factors(_get(row, "discount", project_discount))
        yearly = n * _get(row, "quantity", 1) * v_base * (1 - ob)  # B(t) = yearly * f(t)
        row_pv = 0.0
        for t in range(T):
            f = (1 - drop_off) ** (t - b) if b <= t < b + duration else 0.0
            benefit = yearly * f
            benefits[category][t] += benefit
            row_pv += df_outcome[t] * benefit
            if category == "fiscal":
                fiscal_pv_by_year[t] += df_outcome[t] * benefit
        pv[category] += row_pv
        if category == "fiscal":
            agency = unit_cost["agency"]
            fiscal_by_agency[agency] = fiscal_by_agency.get(agency, 0.0) + row_pv
            if _get(unit_cost, "cashable", False):
                pv_fiscal_cashable += row_pv
        outcomes.append(
            {"n": n, "v_base": v_base, "optimism_bias": ob}
            | {f"pv_{c}": (row_pv if c == category else 0.0) for c in CATEGORIES}
        )
        successes.append(row["success"])

    # METHOD 2.3 switching value: s* = success (PV_costs - (PV_fiscal - F_o)) / F_o
    for outcome, success in zip(outcomes, successes, strict=True):
        f_o = outcome["pv_fiscal"]
        s_star = None
        if f_o != 0 and pv_costs > 0:
            s_star = success * (pv_costs - (pv["fiscal"] - f_o)) / f_o
            if not 0 <= s_star <= 1:
                s_star = None
        outcome["switching_value"] = s_star

    # METHOD 2.3 year table and payback
    years = []
    cumulative = 0.0
    for t in range(T):
        cumulative += fiscal_pv_by_year[t] - df[t] * costs[t]
        years.append(
            {"t": t, "discount_factor": df[t], "costs": costs[t]}
            | {c: benefits[c][t] for c in CATEGORIES}
            | {"cumulative_fiscal_net": cumulative}
        )
    discounted_costs = [df[t] * costs[t] for t in range(T)]

    # METHOD 2.3 results
    pv_benefits = pv["fiscal"] + pv["economic"] + pv["social"]
    public_value_roi = _ratio(pv_benefits, pv_costs)
    participants = project.get("participants")
    return {
        "pv_costs": pv_costs,
        "observed_delivery_cost": observed,
        "pv_fiscal": pv["fiscal"],
        "pv_economic": pv["economic"],
        "pv_social": pv["social"],
        "pv_benefits": pv_benefits,
        "froi": _ratio(pv["fiscal"], pv_costs),
        "economic_roi": _ratio(pv["fiscal"] + pv["economic"], pv_costs),
        "public_value_roi": public_value_roi,
        "net_fiscal_benefit": pv["fiscal"] - pv_costs,
        "npv": pv_benefits - pv_costs,
        "payback_year": _payback(fiscal_pv_by_year, discounted_costs),
        "payback_year_undiscounted": _payback(benefits["fiscal"], costs),
        "fiscal_by_agency": fiscal_by_agency,
        "costs_by_agency": costs_by_agency,
        "pv_fiscal_cashable": pv_fiscal_cashable,
        "value_for_money_band": value_for_money_band(public_value_roi),
        "years": years,
        "outcomes": outcomes,
        "cost_per_participant": _per_participant(pv_costs, participants),
        "fiscal_benefit_per_participant": _per_participant(pv["fiscal"], participants),
        "net_fiscal_benefit_per_participant": _per_participant(
            pv["fiscal"] - pv_costs, participants
        ),
    }


def _usage_by_agency(usage: list[Row], run: _Run) -> dict[str, float]:
    """METHOD 3: U = sum of quantity * v_base, split by the unit cost's agency."""
    totals: dict[str, float] = {}
    for row in usage:
        agency = run.unit_costs[row["unit_cost_code"]]["agency"]
        totals[agency] = totals.get(agency, 0.0) + row["quantity"] * run.unit_value(
            row["unit_cost_code"]
        )
    return totals


def _comparison(project: Row, delivery_cost: float, run: _Run) -> dict[str, Any]:
    """METHOD 3: costs avoided per case against a comparison group (no OB, no discounting
    on usage or on the delivery cost, which is the cost rows' observed real total)."""
    spec = project["comparison"]
    n_i = spec["intervention_cases"]
    n_c = spec["comparison_cases"]
    used_i = _usage_by_agency(spec.get("intervention_usage") or [], run)
    used_c = _usage_by_agency(spec.get("comparison_usage") or [], run)
    c_i = sum(used_i.values()) / n_i  # cI = U_I / nI
    c_c = sum(used_c.values()) / n_c  # cC = U_C / nC
    avoided = c_c - c_i
    delivery = delivery_cost / n_i
    net = avoided - delivery
    by_agency = {
        agency: used_c.get(agency, 0.0) / n_c - used_i.get(agency, 0.0) / n_i
        for agency in sorted(set(used_i) | set(used_c))
    }
    return {
        "cost_per_case_intervention": c_i,
        "cost_per_case_comparison": c_c,
        "costs_avoided_per_case": avoided,
        "delivery_cost_per_case": delivery,
        "net_saving_per_case": net,
        "costs_avoided_total": avoided * n_i,
        "delivery_cost_total": delivery * n_i,
        "net_saving_total": net * n_i,
        "costs_avoided_per_case_by_agency": by_agency,
        "costs_avoided_total_by_agency": {a: v * n_i for a, v in by_agency.items()},
        "froi": _ratio(avoided, delivery),
    }


def _case_level(project: Row, run: _Run) -> dict[str, Any]:
    """METHOD 4: observed FROI from case records and the whole-service projection."""
    cases = project.get("cases") or []
    service = project["service"]
    cost_year = _get(project, "case_cost_price_year", run.base_year)
    benefit_of = {case["case_id"]: 0.0 for case in cases}
    for row in project.get("case_outcomes") or []:
        benefit_of[row["case_id"]] += _get(row, "quantity", 1) * run.unit_value(
            row["unit_cost_code"]
        )
    n = len(cases)
    total_benefits = sum(benefit_of.values())
    total_costs = sum(run.rebase(case["cost"], cost_year) for case in cases)
    mean_benefit = total_benefits / n if n else None
    running_cost = run.rebase(
        service["annual_running_cost"], _get(service, "price_year", run.base_year)
    )
    teams = service.get("teams") or []
    if teams:
        # sum over teams of (mean benefit of that team's cases) * (that team's throughput)
        projected_benefit = 0.0
        for team in teams:
            team_benefits = [
                benefit_of[case["case_id"]] for case in cases if case.get("team") == team["team"]
            ]
            if team_benefits:
                mean_team = sum(team_benefits) / len(team_benefits)
                projected_benefit += mean_team * team["annual_throughput"]
        population = _get(
            service, "annual_throughput", sum(team["annual_throughput"] for team in teams)
        )
    else:
        population = service["annual_throughput"]
        projected_benefit = (mean_benefit or 0.0) * population
    observed = _ratio(total_benefits, total_costs)
    return {
        "observed_froi": observed,
        "total_case_benefits": total_benefits,
        "total_case_costs": total_costs,
        "mean_benefit_per_case": mean_benefit,
        "mean_cost_per_case": total_costs / n if n else None,
        "projected_annual_froi": _ratio(projected_benefit, running_cost),
        "sample_confidence_level": sample_confidence_level(
            n, population, _get(service, "margin_of_error", 0.05)
        ),
        "froi": observed,
    }


def compute_reference(
    doc: dict[str, Any],
    unit_costs: dict[str, dict[str, Any]],
    deflators: dict[str, float],
    ob_by_grade: dict[int, float],
    schedules: dict[str, Schedule],
) -> dict[str, dict[str, Any]]:
    """Results of every project in ``doc`` (METHOD 6 input), keyed by project_id."""
    settings = doc.get("settings") or {}
    table: dict[str, Row] = dict(unit_costs)
    for local in doc.get("unit_costs") or []:
        table[local["code"]] = local  # METHOD 6: local rows add to or override the table
    run = _Run(
        unit_costs=table,
        deflators=deflators,
        ob_by_grade=ob_by_grade,
        schedules=schedules,
        base_year=_get(settings, "base_year", max(deflators, key=_start_year)),
        years=_get(settings, "appraisal_years", 5),
        discount=_get(settings, "discount", "standard"),
        apply_ob=_get(settings, "apply_optimism_bias", True),
    )
    results: dict[str, dict[str, Any]] = {}
    for project in doc.get("projects") or []:
        result = _appraise(project, run)
        mode = _get(project, "mode", "appraisal")
        if mode == "comparison":
            result |= _comparison(project, result["observed_delivery_cost"], run)
        elif mode == "case_level":
            result |= _case_level(project, run)
        if mode != "appraisal":
            # docs/method.md, choice 2: the observed designs are banded on their headline ratio
            result["value_for_money_band"] = value_for_money_band(result["froi"])
        results[project["project_id"]] = result
    return results
