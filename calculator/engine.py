"""One entry point for every caller (CLI, API, pages): input document in, results out.

:func:`compute` checks the whole input, then runs each mode over all projects at once
and assembles :class:`Results`: a summary table (one row per project, METHOD's names),
the detail tables a person needs to trace any figure (years, outcomes, cost rows,
agencies, comparison usage, cases), every warning, and the run's provenance (METHOD 6).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from . import ENGINE_VERSION
from .appraisal import appraise, ratio
from .caselevel import case_level
from .comparison import compare
from .errors import Problem
from .inputs import RunInput, read_input
from .reference import ReferenceData
from .tables import (
    DETAIL_LISTS,
    NOT_REPORTED,
    SUMMARY_COLUMNS,
    agencies_table,
    costs_table,
    outcomes_table,
    summary_table,
    years_table,
)
from .uncertainty import Uncertainty, simulate

__all__ = [
    "DETAIL_LISTS",
    "NOT_REPORTED",
    "SUMMARY_COLUMNS",
    "Results",
    "compute",
    "compute_run",
    "input_hash",
]


def input_hash(doc: Any) -> str:
    """SHA-256 of the input document in canonical JSON (sorted keys, compact)."""
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Results:
    """Everything a run produced.  Tables are keyed by project position ``_p``."""

    summary: pd.DataFrame
    years: pd.DataFrame
    outcomes: pd.DataFrame
    costs: pd.DataFrame
    agencies: pd.DataFrame
    comparison_agencies: pd.DataFrame
    usage: pd.DataFrame
    cases: pd.DataFrame
    warnings: list[Problem]
    provenance: dict[str, Any]
    run: RunInput | None = field(default=None, repr=False)
    #: METHOD 5, when the run asks for simulations: per-project figures, tornado, draws
    uncertainty: Uncertainty | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of METHOD 6: ``{"run": provenance, "projects": [...]}``."""
        details = {
            "years": self.years,
            "outcomes": self.outcomes,
            "costs": self.costs,
            "agencies": self.agencies,
            "comparison_by_agency": self.comparison_agencies,
            "usage": self.usage,
            "cases": self.cases,
        }
        grouped = {
            name: {p: g.drop(columns="_p") for p, g in frame.groupby("_p")}
            for name, frame in details.items()
            if len(frame)
        }
        warnings_by_project: dict[str | None, list[dict[str, Any]]] = {}
        for w in self.warnings:
            warnings_by_project.setdefault(w.project, []).append(w.as_dict())
        projects = []
        for p, record in enumerate(_records(self.summary)):
            mode = record["mode"]
            out = {k: v for k, v in record.items() if k not in NOT_REPORTED[mode]}
            if mode == "case_level":
                out["observed_froi_interval"] = [
                    out.pop("observed_froi_interval_low"),
                    out.pop("observed_froi_interval_high"),
                ]
            agencies = grouped.get("agencies", {}).get(p)
            if mode == "appraisal":
                out["fiscal_by_agency"] = _by_agency(agencies, "pv_fiscal")
            if mode != "case_level":
                out["costs_by_agency"] = _by_agency(agencies, "pv_costs")
            for name in DETAIL_LISTS[mode]:
                out[name] = _records(grouped.get(name, {}).get(p))
            if mode == "comparison":
                out["comparison_by_agency"] = _records(
                    grouped.get("comparison_by_agency", {}).get(p)
                )
            if mode == "case_level":
                out["cases_detail"] = _records(grouped.get("cases", {}).get(p))
            if self.uncertainty is not None and mode == "appraisal":
                out["uncertainty"] = self._uncertainty_of(p)
            out["warnings"] = warnings_by_project.get(record["project_id"], [])
            projects.append(out)
        return {
            "run": {**self.provenance, "warnings": warnings_by_project.get(None, [])},
            "projects": projects,
        }

    def _uncertainty_of(self, p: int) -> dict[str, Any]:
        assert self.uncertainty is not None
        u = self.uncertainty
        (record,) = _records(u.summary[u.summary["_p"] == p].drop(columns="_p"))
        record["tornado"] = _records(u.tornado[u.tornado["_p"] == p].drop(columns="_p"))
        bars = u.histograms[u.histograms["_p"] == p].drop(columns="_p")
        record["froi_histogram"] = _records(bars)
        return record


def _clean(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None or frame.empty:
        return []
    columns = list(frame.columns)
    return [
        {c: _clean(v) for c, v in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _by_agency(frame: pd.DataFrame | None, column: str) -> dict[str, float]:
    if frame is None:
        return {}
    rows = frame[frame[column] != 0]
    return {str(a): float(v) for a, v in zip(rows["agency"], rows[column], strict=True)}


def compute(doc: Any, reference: ReferenceData, *, computed_at: datetime | None = None) -> Results:
    """Check ``doc`` (the canonical input, METHOD 6) and compute every project.

    Raises :class:`~calculator.errors.InvalidInput` listing every problem, before
    anything is computed.
    """
    run = read_input(doc, reference)
    return compute_run(run, reference, input_sha256=input_hash(doc), computed_at=computed_at)


def compute_run(
    run: RunInput,
    reference: ReferenceData,
    *,
    input_sha256: str = "",
    computed_at: datetime | None = None,
) -> Results:
    """Compute an already checked run (see :func:`calculator.inputs.read_input`)."""
    appraisal = appraise(run, reference)
    comparison = compare(run, reference, appraisal.pv_costs)
    cases = case_level(run, reference)
    summary = summary_table(run, appraisal, comparison, cases)
    uncertainty = None
    if run.settings.simulations > 0:
        uncertainty = simulate(run, appraisal, run.settings.simulations, run.settings.seed)
    warnings = list(run.warnings) + _result_warnings(run, summary)
    provenance = {
        "engine_version": ENGINE_VERSION,
        "computed_at": (computed_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "input_sha256": input_sha256,
        "base_year": run.settings.base_year,
        "settings": run.settings.as_dict(),
        **reference.provenance(),
        "unit_cost_table": run.unit_costs.provenance(),
        "projects": len(run.projects),
    }
    return Results(
        summary=summary,
        years=years_table(run, appraisal),
        outcomes=outcomes_table(run, appraisal),
        costs=costs_table(run, appraisal),
        agencies=agencies_table(run, appraisal),
        comparison_agencies=comparison.by_agency,
        usage=comparison.usage,
        cases=cases.per_case.assign(
            case_froi=ratio(cases.per_case["benefit"].to_numpy(), cases.per_case["cost"].to_numpy())
        ),
        warnings=warnings,
        provenance=provenance,
        run=run,
        uncertainty=uncertainty,
    )


def _result_warnings(run: RunInput, summary: pd.DataFrame) -> list[Problem]:
    """Warnings about results (METHOD 2.3): ratios that cannot be formed."""
    mode = summary["mode"].to_numpy(dtype=object)
    pv_costs = summary["pv_costs"].to_numpy(dtype=np.float64)
    delivery = summary["delivery_cost_per_case"].to_numpy(dtype=np.float64)
    ids = summary["project_id"].to_numpy(dtype=object)
    out = [
        Problem(
            f"present value of costs is £{pv_costs[p]:,.0f} (offsets at least match costs), "
            "so every ratio is left blank",
            project=str(ids[p]),
            list="costs",
            severity="warning",
        )
        for p in np.flatnonzero((mode == "appraisal") & ~(pv_costs > 0))
    ]
    out += [
        Problem(
            "delivery cost is not positive, so the costs-avoided ratio is left blank",
            project=str(ids[p]),
            list="costs",
            severity="warning",
        )
        for p in np.flatnonzero((mode == "comparison") & ~(delivery > 0))
    ]
    return out
