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
from .appraisal import appraise
from .caselevel import case_level
from .comparison import compare
from .errors import Problem
from .inputs import RunInput, read_input
from .jsonpath import json_path
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
        grouped = {name: _by_project(frame) for name, frame in details.items() if len(frame)}
        agencies = _ByProject(self.agencies)
        u = self.uncertainty
        uncertainty = (
            None
            if u is None
            else tuple(_by_project(f) for f in (u.summary, u.tornado, u.histograms))
        )
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
            if mode == "appraisal":
                out["fiscal_by_agency"] = agencies.by_agency(p, "pv_fiscal")
            if mode != "case_level":
                out["costs_by_agency"] = agencies.by_agency(p, "pv_costs")
            for name in DETAIL_LISTS[mode]:
                out[name] = grouped.get(name, {}).get(p, [])
            if mode == "comparison":
                out["comparison_by_agency"] = grouped.get("comparison_by_agency", {}).get(p, [])
            if mode == "case_level":
                out["cases_detail"] = grouped.get("cases", {}).get(p, [])
            if uncertainty is not None and mode == "appraisal":
                (figures,) = uncertainty[0].get(p, [])  # one row per appraisal project
                figures["tornado"] = uncertainty[1].get(p, [])
                figures["froi_histogram"] = uncertainty[2].get(p, [])
                out["uncertainty"] = figures
            out["warnings"] = warnings_by_project.get(record["project_id"], [])
            projects.append(out)
        return {
            "run": {**self.provenance, "warnings": warnings_by_project.get(None, [])},
            "projects": projects,
        }


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


class _ByProject:
    """A table's rows grouped by project (``_p``), each group in row order, as
    ``frame.groupby("_p")`` groups them: one stable sort, then slices."""

    def __init__(self, frame: pd.DataFrame) -> None:
        p = frame["_p"].to_numpy() if len(frame) else np.zeros(0, dtype=np.int64)
        self.order = np.argsort(p, kind="stable")
        keys = p[self.order]
        cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        bounds = zip([0, *cuts.tolist()], [*cuts.tolist(), len(keys)], strict=True)
        self.frame = frame
        self.slices = {int(keys[a]): slice(a, b) for a, b in bounds if b > a}

    def records(self) -> dict[int, list[dict[str, Any]]]:
        """Each project's rows as records without ``_p`` (only projects that have rows)."""
        rows = _records(self.frame.drop(columns="_p").take(self.order))
        return {p: rows[at] for p, at in self.slices.items()}

    def by_agency(self, p: int, column: str) -> dict[str, float]:
        """Project ``p``'s non-zero ``column`` by agency."""
        at = self.slices.get(p)
        if at is None:
            return {}
        rows = self.order[at]
        agency = self.frame["agency"].to_numpy()[rows]
        values = self.frame[column].to_numpy()[rows]
        return {str(a): float(v) for a, v in zip(agency, values, strict=True) if v != 0}


def _by_project(frame: pd.DataFrame) -> dict[int, list[dict[str, Any]]]:
    return _ByProject(frame).records()


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
    comparison = compare(run, appraisal.table, appraisal.costs)
    cases = case_level(run, reference, appraisal.table)
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
        cases=cases.per_case,
        warnings=warnings,
        provenance=provenance,
        run=run,
        uncertainty=uncertainty,
    )


def _result_warnings(run: RunInput, summary: pd.DataFrame) -> list[Problem]:
    """Warnings about results (METHOD 2.3): ratios that cannot be formed, saying why."""
    mode = summary["mode"].to_numpy(dtype=object)
    pv_costs = summary["pv_costs"].to_numpy(dtype=np.float64)
    delivery = summary["delivery_cost_per_case"].to_numpy(dtype=np.float64)
    ids = summary["project_id"].to_numpy(dtype=object)
    costs = run.lists["costs"]
    owners = costs["_p"].to_numpy(dtype=np.int64)
    rows = np.bincount(owners, minlength=len(ids))
    offsets = np.bincount(owners[costs["kind"].to_numpy() == "offset"], minlength=len(ids))

    def why(p: int) -> str:
        if rows[p] == 0:
            return "the project has no costs"
        if offsets[p] > 0:
            return f"present value of costs is £{pv_costs[p]:,.0f} (offsets at least match costs)"
        return f"present value of costs is £{pv_costs[p]:,.0f}"

    def warning(p: int, message: str, code: str) -> Problem:
        return Problem(
            message,
            project=str(ids[p]),
            list="costs",
            severity="warning",
            path=json_path(p, "costs") if run.json_paths else None,
            code=code,
        )

    out = [
        warning(int(p), f"{why(int(p))}, so every ratio is left blank", "no_ratio")
        for p in np.flatnonzero((mode == "appraisal") & ~(pv_costs > 0))
    ]
    out += [
        warning(
            int(p),
            "delivery cost is not positive, so the costs-avoided ratio is left blank",
            "no_ratio",
        )
        for p in np.flatnonzero((mode == "comparison") & ~(delivery > 0))
    ]
    return out
