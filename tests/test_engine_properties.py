"""Hypothesis properties of the appraisal engine (METHOD 2)."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.common import HEADLINE
from calculator.arrays import row_sums
from calculator.engine import compute
from calculator.reference import ReferenceData

from .strategies import appraisal_doc

FIGURES = list(HEADLINE)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def summary(doc: dict[str, Any], reference: ReferenceData) -> pd.DataFrame:
    return compute(doc, reference).summary.set_index("project_id")


def close(a: Any, b: Any) -> bool:
    return bool(
        np.allclose(
            np.asarray(a, dtype=float),
            np.asarray(b, dtype=float),
            rtol=1e-9,
            atol=1e-6,
            equal_nan=True,
        )
    )


def without_discounting(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["settings"]["discount"] = 0
    for project in doc["projects"]:
        project.pop("discount", None)
        for row in project["outcomes"]:
            row.pop("discount", None)
    return doc


@SETTINGS
@given(doc=appraisal_doc())
def test_zero_discount_gives_plain_sums(doc: dict[str, Any], reference: ReferenceData) -> None:
    results = compute(without_discounting(doc), reference)
    by_project = results.years.groupby("_p")[["costs", "fiscal", "economic", "social"]].sum()
    assert close(results.summary["pv_costs"], by_project["costs"])
    assert close(results.summary["pv_fiscal"], by_project["fiscal"])
    assert close(
        results.summary["pv_benefits"], by_project[["fiscal", "economic", "social"]].sum(axis=1)
    )
    assert (results.years["discount_factor"] == 1).all()


@SETTINGS
@given(doc=appraisal_doc(), k=st.floats(0.01, 1))
def test_froi_is_linear_in_success(doc: dict[str, Any], k: float, reference: ReferenceData) -> None:
    scaled = copy.deepcopy(doc)
    for project in scaled["projects"]:
        for row in project["outcomes"]:
            row["success"] *= k
    before, after = summary(doc, reference), summary(scaled, reference)
    assert close(after["pv_fiscal"], k * before["pv_fiscal"])
    assert close(after["froi"], k * before["froi"])
    assert close(after["pv_costs"], before["pv_costs"])


@SETTINGS
@given(doc=appraisal_doc())
def test_deadweight_one_gives_zero_benefit(doc: dict[str, Any], reference: ReferenceData) -> None:
    for project in doc["projects"]:
        for row in project["outcomes"]:
            row["deadweight"] = 1
    result = summary(doc, reference)
    assert (result[["pv_fiscal", "pv_economic", "pv_social"]] == 0).all().all()
    assert result["payback_year"].isna().all()


@SETTINGS
@given(doc=appraisal_doc())
def test_doubling_unit_values_doubles_benefits(
    doc: dict[str, Any], reference: ReferenceData
) -> None:
    rows = reference.unit_costs.rows.assign(value=reference.unit_costs.rows["value"] * 2)
    doubled = dataclasses.replace(
        reference, unit_costs=dataclasses.replace(reference.unit_costs, rows=rows)
    )
    before = compute(doc, reference)
    after = compute(doc, doubled)
    for column in ("pv_fiscal", "pv_economic", "pv_social", "pv_benefits", "pv_fiscal_cashable"):
        assert close(after.summary[column], 2 * before.summary[column])
    assert close(
        after.years[["fiscal", "economic", "social"]],
        2 * before.years[["fiscal", "economic", "social"]],
    )


@SETTINGS
@given(doc=appraisal_doc(), seed=st.integers(0, 2**32 - 1))
def test_results_do_not_depend_on_row_order(
    doc: dict[str, Any], seed: int, reference: ReferenceData
) -> None:
    rng = np.random.default_rng(seed)
    shuffled = copy.deepcopy(doc)
    for project in shuffled["projects"]:
        for name in ("costs", "outcomes"):
            order = rng.permutation(len(project[name]))
            project[name] = [project[name][i] for i in order]
    shuffled["projects"] = [
        shuffled["projects"][i] for i in rng.permutation(len(shuffled["projects"]))
    ]
    before = summary(doc, reference)
    after = summary(shuffled, reference).loc[before.index]
    assert close(after[FIGURES], before[FIGURES])
    assert (
        after["value_for_money_band"].fillna("-") == before["value_for_money_band"].fillna("-")
    ).all()


@pytest.mark.parametrize("years", [1, 2, 5, 7, 8, 9, 15, 16, 17, 40, 128, 129, 300])
def test_row_sums_add_years_as_numpy_sums_rows(years: int) -> None:
    """The engine sums a (rows x years) view a year at a time (calculator.appraisal.
    row_sums); its figures must be exactly those of ``sum(axis=1)`` on the same numbers
    laid out row by row, as the engine computed them before."""
    rng = np.random.default_rng(years)
    values = rng.standard_normal((500, years)) * 10 ** rng.uniform(-6, 6, (500, years))
    by_year = np.asfortranarray(values)
    assert np.array_equal(row_sums(by_year), values.sum(axis=1))
