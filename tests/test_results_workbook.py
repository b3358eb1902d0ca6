"""The standard results workbook (froi/workbook/results/), read back with openpyxl.

Every formula cell's cached value is checked against the engine: :class:`Expected`
derives, from the engine's :class:`~calculator.engine.Results` alone, the figure each
formula stands for (found by its sheet, its column header and its row's keys), so a
formula that sums the wrong rows, a cached value the writer computed wrongly, or a
formula nobody can account for all fail.  tests/test_results_recalc.py uses the same
check on LibreOffice's recalculation of the formulas.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from bench.common import portfolio
from calculator.engine import NOT_REPORTED, Results, compute
from calculator.errors import Problem
from calculator.jsonpath import NESTED_FIELDS
from calculator.reference import ReferenceData
from froi.workbook.layout import SHEETS
from froi.workbook.reader import compute_workbook, read_workbook
from froi.workbook.results import ALWAYS_WRITTEN, RESULT_SHEETS, write_results_workbook
from froi.workbook.results.cells import FORMULA_TRIGGERS, neutralise
from froi.workbook.results.charts import CHART_LIMIT
from froi.workbook.results.committee import CHART_LIMIT as COMMITTEE_CHART_LIMIT
from froi.workbook.results.committee import LIMIT as COMMITTEE_LIMIT
from froi.workbook.results.context import context, sheet_rows
from froi.workbook.results.summary import SUMMARY, WARNINGS_SHOWN, summary_columns

INPUT_SHEETS = {s.name for s in SHEETS}

ROOT = Path(__file__).resolve().parents[1]
WORKBOOKS = ROOT / "tests" / "data" / "workbooks"
SAMPLES = sorted((ROOT / "sample_workbooks").glob("*.json"))
REL = 1e-9
HOSTILE = (
    '=HYPERLINK("http://example.invalid","click me")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\tTabbed",
    "\rReturned",
)
SUMMARY_KEY = {c.header: c.key for c in SUMMARY}


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "sample_workbooks" / f"{name}.json").read_text())
    return data


def mixed_document() -> dict[str, Any]:
    """Every mode and every branch of the Summary formulas in one run: payback and none,
    costs at or below zero (blank ratios), an offset, a comparison, case level with and
    without teams, no participants, and hostile text in names, descriptions, an ID and
    an agency (``Local*`` would be a wildcard in a SUMIFS criterion)."""
    eoc = sample("edge_of_care_appraisal")["projects"][0]
    hampshire = sample("hampshire_offset")
    enfield = sample("enfield_case_level")["projects"][0]
    offsets = {
        "project_id": "NEG-COST",
        "name": "Offsets exceed costs",
        "participants": 10,
        "costs": [
            {"description": "Worker", "amount": 1000, "agency": "Local Authority"},
            {"description": "Saved", "amount": 2000, "agency": "Local Authority", "kind": "offset"},
        ],
        "outcomes": [{"unit_cost_code": "SS3.0", "cohort": 10, "success": 0.5}],
    }
    teams = copy.deepcopy(enfield)
    teams["project_id"] = "ENF-TEAMS"
    teams["service"] = {
        "annual_running_cost": 500000,
        "margin_of_error": 0.1,
        "teams": [
            {"team": "Outreach", "annual_throughput": 90},
            {"team": "Hub", "annual_throughput": 150},
        ],
    }
    hostile = copy.deepcopy(eoc)
    hostile.update(project_id="-H1", name=HOSTILE[0], organisation=HOSTILE[1], participants=0)
    for i, row in enumerate(hostile["outcomes"]):
        row["description"] = HOSTILE[i % len(HOSTILE)]
    for i, row in enumerate(hostile["costs"]):
        row["description"] = HOSTILE[(i + 2) % len(HOSTILE)]
        if "agency" in row:
            row["agency"] = "Local*"
    # the hostile agency is a new agency of the run: a local unit cost row brings it in
    # (a workbook has no list of declared agencies)
    hostile_unit_cost = {
        **hampshire["unit_costs"][0],
        "code": "HOSTILE1",
        "name": "A unit cost of the hostile agency",
        "agency": "Local*",
    }
    return {
        "settings": {"appraisal_years": 5, "seed": 7},
        "unit_costs": [*hampshire["unit_costs"], hostile_unit_cost],
        "projects": [
            eoc,
            hampshire["projects"][0],
            offsets,
            sample("comparison_group_study")["projects"][0],
            enfield,
            teams,
            hostile,
        ],
    }


# -- what every formula cell should hold, from the engine's results alone ----------------


def _by(frame: pd.DataFrame, keys: list[str], columns: dict[str, str]) -> dict[Any, dict[str, Any]]:
    """{row key: {header: value}} from ``frame`` (``_p`` keys become Project #)."""
    out: dict[Any, dict[str, Any]] = {}
    for record in frame.to_dict("records"):
        key = tuple(record["_p"] + 1 if k == "_p" else record[k] for k in keys)
        out[key] = {header: record[name] for header, name in columns.items()}
    return out


class Expected:
    """The engine's figure behind each formula cell, by sheet, header and row keys."""

    def __init__(
        self, results: Results, reference: ReferenceData, cached: Path | None = None
    ) -> None:
        """``cached``: an exported workbook whose cached values stand for the figures the
        engine gives as detail rather than as a column of its results (the live model's
        year-by-year benefits, lookups and helper columns): the writer caches them from
        the engine's own arrays, and a recalculation must give them back."""
        assert results.run is not None
        self.results = results
        self._cached_from = cached
        mode = results.summary["mode"].to_numpy(dtype=object)

        def modes(frame: pd.DataFrame, *wanted: str) -> pd.DataFrame:
            return frame[np.isin(mode[frame["_p"].to_numpy(dtype=np.int64)], wanted)]

        years = modes(results.years, "appraisal", "comparison").copy()
        grouped = years.groupby("_p")
        for name in ("pv_costs", "pv_fiscal", "costs", "fiscal"):
            years[f"cum_{name}"] = grouped[name].cumsum()
        years["paid"] = (years.cum_pv_fiscal >= years.cum_pv_costs) & (years.cum_pv_fiscal > 0)
        years["paid_u"] = (years.cum_fiscal >= years.cum_costs) & (years.cum_fiscal > 0)
        self.years = years.set_index(["_p", "t"])
        agencies = modes(results.agencies, "appraisal", "comparison")
        costs = modes(
            results.costs.assign(sheet_row=sheet_rows(results.run.lists["costs"])),
            "appraisal",
            "comparison",
        )
        by_type = costs.groupby(["_p", "cost_type"], as_index=False)[["net_cost_total", "pv"]].sum()
        totals = agencies.groupby("agency")[
            ["pv_fiscal", "pv_fiscal_cashable", "pv_costs", "net_fiscal_benefit"]
        ].sum()
        avoided = results.comparison_agencies.groupby("agency")["costs_avoided_total"].sum()
        delivered = (
            modes(results.costs, "comparison").groupby("agency")["real_total"].sum()
        ).rename("delivery_cost_total")
        totals = totals.join(avoided, how="outer").join(delivered, how="outer").fillna(0.0)
        totals["net_saving_total"] = totals["costs_avoided_total"] - totals["delivery_cost_total"]
        totals = totals.reset_index()
        cases = results.cases.assign(sheet_row=sheet_rows(results.run.lists["cases"]))
        usage = context(results).usage
        outcomes = modes(
            results.outcomes.assign(sheet_row=sheet_rows(results.run.lists["outcomes"])),
            "appraisal",
        )
        teams = results.run.lists["teams"]
        team_rows = []
        for record in teams.to_dict("records"):
            mine = cases[(cases["_p"] == record["_p"]) & (cases["team"] == record["team"])]
            n = float(len(mine))
            total = float(mine["benefit"].to_numpy().sum()) if n else 0.0
            mean = total / n if n else math.nan
            projected = mean * float(record["annual_throughput"]) if n else 0.0
            team_rows.append({**record, "n": n, "total": total, "mean": mean, "proj": projected})
        team_frame = pd.DataFrame(team_rows, columns=[*teams.columns, "n", "total", "mean", "proj"])
        used = results.run.unit_costs.rows
        base = results.run.settings.base_year
        v_base = dict(
            zip(results.outcomes["unit_cost_code"], results.outcomes["v_base"], strict=True)
        )
        v_base.update(zip(results.usage["unit_cost_code"], results.usage["v_base"], strict=True))

        value_at = dict(zip(used.index, used["value"].to_numpy(dtype=np.float64), strict=True))

        def unit_cost(code: str) -> dict[str, float]:
            factor = reference.deflators.factor(str(used.at[code, "price_year"]), base)
            value = v_base.get(code, value_at[code] * factor)
            return {"Rebasing factor": factor, "Value at base-year prices (£)": value}

        self.rows: dict[str, tuple[Callable[[dict[str, Any]], Any], dict[Any, Any] | None]] = {
            "Summary": (lambda r: (r["Project #"],), None),
            "Years": (lambda r: (r["Project #"] - 1, r["Year (t)"]), None),
            "Costs by type": (
                lambda r: (r["Project #"], r["Cost type"]),
                _by(
                    by_type,
                    ["_p", "cost_type"],
                    {"Net costs, undiscounted (£)": "net_cost_total", "PV costs (£)": "pv"},
                ),
            ),
            "Cost rows": (
                lambda r: (r["Project #"], r["Row on the Costs sheet"]),
                _by(
                    costs.assign(row=costs["sheet_row"]),
                    ["_p", "row"],
                    {
                        "Years it applies": "years",
                        "Net cost over its years (£)": "net_cost_total",
                        "Real cost over its years, no OB (£; offsets negative)": "real_total",
                        "First year (t)": "year",
                        "Last year (t)": "end_year",
                        "Amount a year at its price year (£)": "amount",
                        "Price year": "price_year",
                        "Amount a year at base-year prices (£)": "real",
                        "Confidence grade": "confidence_grade",
                        "Optimism bias (%)": "optimism_bias",
                        "Net cost a year with optimism bias (£; offsets negative)": "net_cost",
                        "Discount factor (sum over its years)": "discount_factor",
                        "Present value (£)": "pv",
                    },
                ),
            ),
            "Outcome values": (
                lambda r: (r["Project #"], r["Row on the Outcomes sheet"]),
                _by(
                    outcomes.assign(row=outcomes["sheet_row"]),
                    ["_p", "row"],
                    {
                        "Category": "category",
                        "Net outcomes (n)": "n",
                        "Unit value at base-year prices (£)": "v_base",
                        "Confidence grade": "confidence_grade",
                        "Optimism bias (%)": "optimism_bias",
                        "PV fiscal benefits (£)": "pv_fiscal",
                        "PV economic benefits (£)": "pv_economic",
                        "PV social benefits (£)": "pv_social",
                        "Switching value of success (%)": "switching_value",
                    },
                ),
            ),
            "Project agencies": (
                lambda r: (r["Project #"], r["Agency"]),
                _by(
                    agencies,
                    ["_p", "agency"],
                    {
                        "PV fiscal benefits: saves (£)": "pv_fiscal",
                        "of which cashable (£)": "pv_fiscal_cashable",
                        "PV costs: pays (£)": "pv_costs",
                        "Net fiscal benefit (£)": "net_fiscal_benefit",
                    },
                ),
            ),
            "Agencies": (
                lambda r: (r["Agency"],),
                {
                    (neutralise(str(rec["agency"])),): {
                        "PV fiscal benefits: saves (£)": rec["pv_fiscal"],
                        "of which cashable (£)": rec["pv_fiscal_cashable"],
                        "PV costs: pays (£)": rec["pv_costs"],
                        "Net fiscal benefit (£)": rec["net_fiscal_benefit"],
                        "Costs avoided against comparison groups (£)": rec["costs_avoided_total"],
                        "Delivery cost of comparison projects (£, real, no OB)": rec[
                            "delivery_cost_total"
                        ],
                        "Net saving against comparison groups (£)": rec["net_saving_total"],
                    }
                    for rec in totals.to_dict("records")
                },
            ),
            "Service use": (
                lambda r: (r["Project #"], r["Group"], r["Row on the ComparisonUsage sheet"]),
                _by(
                    usage,
                    ["_p", "group", "sheet_row"],
                    {
                        "Unit cost code": "unit_cost_code",
                        "Units used (whole group)": "quantity",
                        "Unit value at base-year prices (£)": "v_base",
                        "Cost (£)": "cost",
                    },
                ),
            ),
            "Comparison by agency": (
                lambda r: (r["Project #"], r["Agency"]),
                _by(
                    results.comparison_agencies,
                    ["_p", "agency"],
                    {
                        "Service cost per case, intervention (£)": "cost_per_case_intervention",
                        "Service cost per case, comparison (£)": "cost_per_case_comparison",
                        "Costs avoided per case (£)": "costs_avoided_per_case",
                        "Costs avoided, total (£)": "costs_avoided_total",
                    },
                ),
            ),
            "Case results": (
                lambda r: (r["Project #"], r["Row on the Cases sheet"]),
                _by(
                    cases,
                    ["_p", "sheet_row"],
                    {
                        "Cost at base-year prices (£)": "cost",
                        "Benefit (£)": "benefit",
                        "Case FROI (£ per £1)": "case_froi",
                    },
                ),
            ),
            # each case outcome's value: the writer caches the engine's unit values
            "Case outcome values": (
                lambda r: (r["Project #"], r["Row on the CaseOutcomes sheet"]),
                {},
            ),
            "Case teams": (
                lambda r: (r["Project #"], r["Team"]),
                _by(
                    team_frame,
                    ["_p", "team"],
                    {
                        "Cases": "n",
                        "Benefits of the cases (£)": "total",
                        "Mean benefit per case (£)": "mean",
                        "Projected annual benefits (£)": "proj",
                    },
                ),
            ),
            "Unit costs used": (
                lambda r: (r["Code"],),
                {(neutralise(c),): unit_cost(c) for c in used.index},
            ),
        }

    @functools.cached_property
    def cached(self) -> dict[tuple[str, str, Any], Any]:
        return {} if self._cached_from is None else cached_figures(self._cached_from, self)

    def key(self, sheet: str, row: dict[str, Any], coordinate: str) -> Any:
        """What identifies a cell's row whatever the order of rows (a sheet's own key),
        or its coordinate on the sheets that are not sortable tables."""
        if sheet in self.rows:
            return self.rows[sheet][0](row)
        return coordinate

    def value(self, sheet: str, header: str, row: dict[str, Any], coordinate: str = "") -> Any:
        """The figure for the cell under ``header`` in ``row``; KeyError if none."""
        try:
            return self._engine(sheet, header, row)
        except KeyError:
            if not self.cached:
                raise
            return self.cached[(sheet, header, self.key(sheet, row, coordinate))]

    def _engine(self, sheet: str, header: str, row: dict[str, Any]) -> Any:
        key_of, table = self.rows[sheet]
        key = key_of(row)
        if sheet == "Summary":
            return self.results.summary.at[key[0] - 1, SUMMARY_KEY[header]]
        if sheet == "Years":
            return self._year(key, header)
        assert table is not None
        return table[key][header]

    def _year(self, key: tuple[Any, ...], header: str) -> Any:
        y = self.years.loc[key]
        return {
            "Cumulative discounted costs (£)": y.cum_pv_costs,
            "Cumulative discounted fiscal benefits (£)": y.cum_pv_fiscal,
            "Cumulative discounted fiscal net (£)": y.cumulative_fiscal_net,
            "Paid back (1 = yes)": float(y.paid),
            "Cumulative net costs, undiscounted (£)": y.cum_costs,
            "Cumulative fiscal benefits, undiscounted (£)": y.cum_fiscal,
            "Paid back, undiscounted (1 = yes)": float(y.paid_u),
        }[header]

    def payback_block(self, project: int, ids: dict[int, str]) -> Iterator[tuple[str, Any]]:
        """(label, figure) of a payback chart block charting project # ``project``."""
        p = project - 1
        payback = self.results.summary.at[p, "payback_year"]
        yield "title", f"Payback: {ids[project]}"
        yield "payback", payback
        years = self.years.xs(p, level="_p")
        for t, costs, fiscal in zip(
            years.index, years.cum_pv_costs, years.cum_pv_fiscal, strict=True
        ):
            yield f"costs {t}", costs
            yield f"fiscal {t}", fiscal
            yield f"marker {t}", fiscal if payback == t else 0.0


def same(got: Any, expected: Any) -> bool:
    """Equal as the engine means it: blank for NaN/None, text exactly, numbers to 1e-9."""
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return got is None or got == ""
    if isinstance(expected, bool):  # a check's TRUE (openpyxl reads it as a bool)
        return got is expected
    if isinstance(expected, str):
        return bool(got == expected)
    if isinstance(got, bool) or not isinstance(got, int | float):
        return False
    if expected == 0:
        return abs(got) <= 1e-9
    return math.isclose(got, float(expected), rel_tol=REL)


def shown(value: Any) -> str:
    """A figure for a message: numpy numbers as plain Python ones."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def header_row(ws: Any) -> int:
    """The row of a sheet's table header: 1, or on Summary the row under the run's
    warnings (column A's ``Project #``)."""
    if ws.title != "Summary":
        return 1
    return next(c.row for c in ws["A"] if c.value == "Project #")


def formula_rows(formulas: Any, values: Any) -> Iterator[tuple[str, str, dict[str, Any], Any]]:
    """(sheet, header, row, cell) of every formula cell of the tables of ``formulas``
    (the workbook as written), the row's values read from ``values``."""
    for ws in formulas:
        cells = [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
        if not cells or ws.title == "Payback charts":
            continue
        vs = values[ws.title]
        headers = {c.column: c.value for c in ws[header_row(ws)]}
        for cell in cells:
            row = {headers[c.column]: c.value for c in vs[cell.row] if c.column in headers}
            yield ws.title, str(headers.get(cell.column, cell.column_letter)), row, cell


def cached_figures(path: Path, expected: Expected) -> dict[tuple[str, str, Any], Any]:
    """{(sheet, header, row key): cached value} of every formula cell of a workbook."""
    values = openpyxl.load_workbook(path, data_only=True)
    return {
        (sheet, header, expected.key(sheet, row, cell.coordinate)): values[sheet][
            cell.coordinate
        ].value
        for sheet, header, row, cell in formula_rows(openpyxl.load_workbook(path), values)
    }


def formula_mismatches(formulas: Any, values: Any, expected: Expected) -> tuple[int, list[str]]:
    """Check every formula cell of ``formulas`` (an openpyxl workbook) by its value in
    ``values`` (the same workbook read with data_only).  Returns (cells, problems)."""
    count, problems = 0, []
    for ws in formulas:
        cells = [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
        if not cells:
            continue
        vs = values[ws.title]
        if ws.title == "Payback charts":
            count += len(cells)
            problems += _payback_mismatches(ws, vs, expected, values)
            continue
        headers = {c.column: c.value for c in ws[header_row(ws)]}
        for cell in cells:
            count += 1
            row = {headers[c.column]: c.value for c in vs[cell.row] if c.column in headers}
            got = vs[cell.coordinate].value
            header = str(headers.get(cell.column, cell.column_letter))
            try:
                want = expected.value(ws.title, header, row, cell.coordinate)
            except KeyError:
                problems.append(f"{ws.title}!{cell.coordinate}: no engine figure for {cell.value}")
                continue
            if not same(got, want):
                problems.append(f"{ws.title}!{cell.coordinate} = {got!r}, engine {shown(want)}")
    return count, problems


def _payback_mismatches(ws: Any, vs: Any, expected: Expected, values: Any) -> list[str]:
    ids = {r[0].value: r[1].value for r in values["Summary"].iter_rows(min_row=2)}
    problems = []
    for top in (c.row for c in ws["A"] if c.value == "Project #"):
        project = vs.cell(top, 2).value
        got = {"title": vs.cell(top, 3).value, "payback": vs.cell(top + 1, 2).value}
        r = top + 4
        while vs.cell(r, 1).value is not None:
            t = vs.cell(r, 1).value
            got.update({f"costs {t}": vs.cell(r, 2).value, f"fiscal {t}": vs.cell(r, 3).value})
            got[f"marker {t}"] = vs.cell(r, 4).value
            r += 1
        for label, want in expected.payback_block(project, ids):
            if not same(got.pop(label, "missing"), want):
                problems.append(f"Payback charts block at row {top}: {label} {shown(want)}")
        problems += [f"Payback charts row {top}: unexpected {k}" for k in got]
    return problems


# -- fixtures ---------------------------------------------------------------------------


def export(results: Results, reference: ReferenceData, path: Path, **kw: Any) -> Path:
    write_results_workbook(results, path, reference=reference, **kw)
    return path


@pytest.fixture(scope="module", params=[p.stem for p in SAMPLES])
def exported(
    request: pytest.FixtureRequest,
    default_reference: ReferenceData,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Results, Path]:
    results = compute(sample(request.param), default_reference)
    path = tmp_path_factory.mktemp("results") / f"{request.param}.xlsx"
    return results, export(results, default_reference, path, input_name=f"{request.param}.json")


def with_raw_text(results: Results) -> Results:
    """The results with a tab and a carriage return at the start of texts they carry.

    The engine's input check strips text, so these two never arrive through an input;
    the writer must neutralise whatever its results hold all the same."""
    summary, outcomes = results.summary.copy(), results.outcomes.copy()
    hostile = summary.index[summary["project_id"] == "-H1"][0]
    summary.at[hostile, "organisation"] = HOSTILE[5]
    rows = outcomes.index[outcomes["_p"] == hostile]
    outcomes.loc[rows[4::6], "description"] = HOSTILE[4]
    outcomes.loc[rows[5::6], "description"] = HOSTILE[5]
    return dataclasses.replace(results, summary=summary, outcomes=outcomes)


@pytest.fixture(scope="module")
def mixed(
    default_reference: ReferenceData, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Results, Path]:
    results = with_raw_text(compute(mixed_document(), default_reference))
    path = tmp_path_factory.mktemp("mixed") / "mixed.xlsx"
    return results, export(results, default_reference, path, input_sha256="ab" * 32)


# -- the tests --------------------------------------------------------------------------


def test_every_formula_caches_the_engine_figure(
    exported: tuple[Results, Path], default_reference: ReferenceData
) -> None:
    results, path = exported
    count, problems = formula_mismatches(
        openpyxl.load_workbook(path),
        openpyxl.load_workbook(path, data_only=True),
        Expected(results, default_reference, cached=path),
    )
    assert count > 10
    assert problems == []


def test_mixed_portfolio_formulas_cache_the_engine_figures(
    mixed: tuple[Results, Path], default_reference: ReferenceData
) -> None:
    results, path = mixed
    count, problems = formula_mismatches(
        openpyxl.load_workbook(path),
        openpyxl.load_workbook(path, data_only=True),
        Expected(results, default_reference, cached=path),
    )
    assert count > 500
    assert problems == []


def test_the_check_catches_a_wrong_cached_value(
    mixed: tuple[Results, Path], default_reference: ReferenceData, tmp_path: Path
) -> None:
    """The test of the test: one cached value changed in the file is reported."""
    results, path = mixed
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    sheet = parts["xl/worksheets/sheet3.xml"].decode()  # Summary, third
    first = header_row(openpyxl.load_workbook(path)["Summary"]) + 1
    cell = sheet.index(f'<c r="G{first}"')  # PV costs of the first project
    start = sheet.index("<v>", cell) + 3
    end = sheet.index("</v>", start)
    parts["xl/worksheets/sheet3.xml"] = (sheet[:start] + "1234.5" + sheet[end:]).encode()
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    _, problems = formula_mismatches(
        openpyxl.load_workbook(broken),
        openpyxl.load_workbook(broken, data_only=True),
        Expected(results, default_reference, cached=path),
    )
    pv_costs = shown(results.summary.at[0, "pv_costs"])
    assert problems == [f"Summary!G{first} = 1234.5, engine {pv_costs}"]


def test_headline_figures_of_the_worked_example(
    default_reference: ReferenceData, tmp_path: Path
) -> None:
    """README's worked example, read from the Summary sheet by its headers."""
    results = compute(sample("edge_of_care_appraisal"), default_reference)
    path = export(results, default_reference, tmp_path / "eoc.xlsx")
    ws = openpyxl.load_workbook(path, data_only=True)["Summary"]
    row = {c.value: v.value for c, v in zip(ws[1], ws[2], strict=True)}
    assert round(row["PV costs (£)"]) == 1_220_372
    assert round(row["PV fiscal benefits (£)"]) == 1_764_653
    assert round(row["FROI (£ per £1)"], 2) == 1.45
    assert row["Payback year (t)"] == 2
    assert row["Value for money band"] == "low"
    assert round(row["PV costs per participant (£)"]) == 10_170
    formulas = openpyxl.load_workbook(path)["Summary"]
    assert formulas["G2"].value == "=SUMIFS(Years!$J$2:$J$6,Years!$A$2:$A$6,$A2)"


def test_sheets_present_by_mode(mixed: tuple[Results, Path]) -> None:
    names = openpyxl.load_workbook(mixed[1], read_only=True).sheetnames
    assert names == [
        "Project summary",
        "Portfolio",
        "Summary",
        "Agencies",
        "Payback charts",
        "Years",
        "Outcome values",
        "Cost rows",
        "Costs by type",
        "Project agencies",
        "Service use",
        "Comparison by agency",
        "Case results",
        "Case outcome values",
        "Case teams",
        "Checks",
        "Unit costs used",
        "Deflators",
        "Optimism bias",
        "Discount factors",
        "Provenance",
        "Warnings",
        "About",
        "Settings",
        "UnitCosts",
        "Projects",
        "Costs",
        "Outcomes",
        "ComparisonUsage",
        "Cases",
        "CaseOutcomes",
        "Teams",
        "Lists",  # hidden: the dropdowns of the input sheets
    ]
    assert openpyxl.load_workbook(mixed[1], read_only=True)["Lists"].sheet_state == "hidden"


def test_case_level_run_has_only_its_sheets(exported: tuple[Results, Path]) -> None:
    results, path = exported
    names = set(openpyxl.load_workbook(path, read_only=True).sheetnames)
    modes = set(results.summary["mode"])
    assert ("Years" in names) == bool(modes & {"appraisal", "comparison"})
    assert ("Outcome values" in names) == ("appraisal" in modes)
    assert ("Service use" in names) == ("comparison" in modes)
    assert ("Case results" in names) == ("case_level" in modes)
    assert ("Payback charts" in names) == ("appraisal" in modes)


def test_figures_a_mode_does_not_report_are_blank(mixed: tuple[Results, Path]) -> None:
    results, path = mixed
    ws = openpyxl.load_workbook(path)["Summary"]
    top = header_row(ws)
    column = {c.value: c.column for c in ws[top]}
    for p, mode in enumerate(results.summary["mode"]):
        for key in NOT_REPORTED[mode]:
            header = next(c.header for c in SUMMARY if c.key == key)
            assert ws.cell(top + 1 + p, column[header]).value is None, (mode, key)
        for c in SUMMARY[1:]:  # everything reported is a formula unless it is an input
            value = ws.cell(top + 1 + p, column[c.header]).value
            blank = bool(results.summary[c.key].isna().to_numpy()[p])
            if c.key not in NOT_REPORTED[mode] and not blank:
                assert value is not None, (mode, c.key)


def test_number_formats_panes_tables_and_print_setup(mixed: tuple[Results, Path]) -> None:
    wb = openpyxl.load_workbook(mixed[1])
    summary = wb["Summary"]

    def formats(ws: Any) -> dict[Any, Any]:  # each column's format where it holds a figure
        top = header_row(ws)
        return {
            head.value: next((c.number_format for c in col[top:] if c.value is not None), None)
            for head, col in zip(ws[top], ws.iter_cols(), strict=True)
        }

    fmt = formats(summary)
    assert fmt["PV costs (£)"] == "£#,##0"
    assert fmt["FROI (£ per £1)"] == "0.00"
    assert fmt["Sample confidence level (%)"] == "0.0%"
    assert fmt["Payback year (t)"] == "0"
    fmt = formats(wb["Outcome values"])
    assert fmt["Optimism bias (%)"] == "0.0%"
    assert fmt["Unit value at base-year prices (£)"] == "£#,##0.00"
    # success, a rate, as a percentage that shows it in full
    assert wb["Outcomes"]["G2"].number_format.endswith("%")
    # the run's warnings sit above the Summary table, which starts lower and is not
    # frozen (the frozen rows would hold the warnings); every other table is at A1
    assert summary.freeze_panes is None and header_row(summary) == len(mixed[0].warnings) + 3
    assert wb["Years"].freeze_panes == "D2"
    for name in ("Summary", "Years", "Outcome values", "Agencies", "Case results"):
        ws = wb[name]
        (table,) = ws.tables.values()
        assert table.ref.startswith(f"A{header_row(ws)}:")
        assert table.autoFilter is not None
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the default, left unwritten
        assert ws.page_setup.fitToHeight == 0  # one page wide, as many pages tall as needed
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert summary.column_dimensions["C"].width >= 20  # project names are readable
    # the header row is printed on every page, under the warnings too
    assert summary.print_title_rows == f"${header_row(summary)}:${header_row(summary)}"


def test_summary_has_the_columns_of_the_workbooks_modes(exported: tuple[Results, Path]) -> None:
    """A column is on Summary when a project of the workbook reports it; the rest are not
    there at all (an appraisal has no case counts, a case-level project no NPV)."""
    results, path = exported
    wb = openpyxl.load_workbook(path)
    summary = wb["Summary"]
    top = header_row(summary)
    headers = [c.value for c in summary[top] if c.value is not None]
    modes = set(results.summary["mode"])
    reported = {
        c.header
        for c in SUMMARY
        if c.key in ("no", "project_id", "name", "organisation", "mode")
        or any(c.key not in NOT_REPORTED[m] for m in modes)
    }
    assert headers == [c.header for c in SUMMARY if c.header in reported]
    if modes == {"appraisal"}:
        assert "Costs avoided per case (£)" not in headers and "Cases" not in headers
    if "appraisal" not in modes:
        assert "NPV (£)" not in headers and "Payback year (t)" not in headers
    # units in the headers of every figure
    for c in SUMMARY:
        if c.header in headers and c.style in ("money", "ratio", "percent"):
            assert any(u in c.header for u in ("(£", "£ per £1", "(%)", "£)")), c.header
    # Portfolio refers only to Summary's columns, and every SM_ name to a Summary column
    portfolio = [c.value for c in wb["Portfolio"][1] if c.value is not None]
    assert "Project #" in portfolio and ("NPV (£)" in portfolio) == ("NPV (£)" in headers)
    for name, defined in wb.defined_names.items():
        if name.startswith("SM_"):
            assert defined.attr_text.startswith("Summary!"), name


def test_native_charts(mixed: tuple[Results, Path]) -> None:
    results, path = mixed
    with zipfile.ZipFile(path) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        xml = [z.read(n).decode() for n in charts]
    committee = [x for x in xml if COMMITTEE_CHARTS.search(x)]
    forecast = results.summary["mode"].isin(["appraisal", "comparison"])[:COMMITTEE_CHART_LIMIT]
    assert len(committee) == 2 * int(forecast.sum())  # cash flow and agencies per project
    assert all("'Project summary'!" in x for x in committee)
    xml = [x for x in xml if x not in committee]
    charts = charts[: len(xml)]
    appraisal = int((results.summary["mode"] == "appraisal").sum())
    assert len(xml) == min(appraisal, CHART_LIMIT) + 1  # payback charts + agencies
    payback = [x for x in xml if "Payback year marker" in x]
    assert len(payback) == min(appraisal, CHART_LIMIT)
    assert all("<c:lineChart>" in x and "<c:barChart>" in x for x in payback)
    assert "'Payback charts'!$B$5:$B$9" in payback[0]  # cumulative costs, 5 years
    (by_agency,) = [x for x in xml if "by agency" in x]
    assert "Agencies!$C$2:$C$" in by_agency and "Agencies!$A$2:$A$" in by_agency


def test_chart_limit_for_a_portfolio(default_reference: ReferenceData, tmp_path: Path) -> None:
    results = compute(portfolio(default_reference, COMMITTEE_LIMIT + 5, 2, 3), default_reference)
    path = export(results, default_reference, tmp_path / "p55.xlsx")
    with zipfile.ZipFile(path) as z:
        xml = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    committee = [x for x in xml if COMMITTEE_CHARTS.search(x)]
    # cash flow and agencies per page, and the lookup's cumulative cash flow
    assert len(committee) == 2 * COMMITTEE_CHART_LIMIT + 1
    assert len(xml) - len(committee) == CHART_LIMIT + 1
    ws = openpyxl.load_workbook(path, data_only=True)["Payback charts"]
    assert [c.value for c in ws["A"] if c.value == "Project #"] == ["Project #"] * CHART_LIMIT
    # a page per project up to the bound, said on the sheet, and a lookup of any project
    wb = openpyxl.load_workbook(path, data_only=True)
    ps = wb["Project summary"]
    column_a = [str(c.value) for c in ps["A"] if c.value is not None]
    titles = [a for a in column_a if a.startswith("Project summary: ")]
    assert len(titles) == COMMITTEE_LIMIT
    assert any(f"The first {COMMITTEE_LIMIT} of {COMMITTEE_LIMIT + 5}" in a for a in column_a)
    (lookup,) = [c.row for c in ps["A"] if c.value == "Project #"]
    assert ps.cell(lookup, 2).value == 1  # the selector, then project 1's figures
    assert ps.cell(lookup + 1, 2).value == results.summary.at[0, "project_id"]
    formulas = openpyxl.load_workbook(path)["Project summary"]
    assert formulas.cell(lookup, 2).protection.locked is False
    assert f"$B${lookup}" in formulas.cell(lookup + 1, 2).value
    # every project starts a page, and so do its charts
    assert len(formulas.row_breaks.brk) >= 2 * COMMITTEE_LIMIT


def test_hostile_text_is_neutralised_and_numbers_are_not(mixed: tuple[Results, Path]) -> None:
    wb = openpyxl.load_workbook(mixed[1])
    strings = formulas = 0
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "s":
                    strings += 1
                    # result sheets prefix an apostrophe; input sheets keep the text as
                    # typed under Excel's quote prefix (it reads back unchanged)
                    if str(cell.value).startswith(FORMULA_TRIGGERS):
                        assert ws.title in INPUT_SHEETS and cell.quotePrefix, cell
                elif cell.data_type == "f":
                    formulas += 1
                    assert "HYPERLINK" not in cell.value and "Local*" not in cell.value
    assert strings > 100 and formulas > 100
    summary = wb["Summary"]
    last = header_row(summary) + 7  # the seventh project's row
    assert summary[f"B{last}"].value == "'-H1"
    assert summary[f"C{last}"].value == "'" + HOSTILE[0]
    # XlsxWriter stores a carriage return as the escape _x000D_ (Excel shows it; openpyxl
    # does not decode it)
    assert unescape(summary[f"D{last}"].value) == "'" + HOSTILE[5]
    outcomes = [unescape(str(c.value)) for c in wb["Outcome values"]["D"]]
    for text in HOSTILE:
        assert "'" + text in outcomes
    assert "'Local*" not in [c.value for c in wb["Cost rows"]["J"]]  # no trigger: as typed
    assert "Local*" in [c.value for c in wb["Cost rows"]["J"]]
    assert wb["Projects"]["B8"].value == HOSTILE[0] and wb["Projects"]["B8"].quotePrefix
    # numbers are never touched: an offset's negative net cost stays a negative number
    cached = openpyxl.load_workbook(mixed[1], data_only=True)["Cost rows"]
    column = [c.value for c in cached[1]].index(
        "Net cost a year with optimism bias (£; offsets negative)"
    )
    net = [r[column] for r in cached.iter_rows(min_row=2, values_only=True)]
    assert -17232 in net and -2000 in net
    assert wb["Projects"]["D8"].value == 0  # participants 0 is a number, not text


def unescape(text: str) -> str:
    return text.replace("_x000D_", "\r")


def test_neutralise() -> None:
    assert [neutralise(t) for t in HOSTILE] == ["'" + t for t in HOSTILE]
    assert neutralise("Hub (north)") == "Hub (north)"
    assert neutralise("") == ""
    assert neutralise("a=b") == "a=b"


def test_provenance_and_unit_costs_used(mixed: tuple[Results, Path]) -> None:
    results, path = mixed
    wb = openpyxl.load_workbook(path, data_only=True)
    items = {r[0].value: r[1].value for r in wb["Provenance"].iter_rows(min_row=2) if r[0].value}
    p = results.provenance
    assert items["Engine version"] == p["engine_version"]
    assert items["Input file SHA-256"] == "ab" * 32
    assert (
        items["Run input SHA-256 (canonical JSON of a document; bytes of a workbook)"]
        == p["input_sha256"]
    )
    assert items["Unit cost table: sha256"] == p["unit_cost_table"]["sha256"]
    assert items["Deflator table: sha256"] == p["deflator_table"]["sha256"]
    assert items["Optimism bias table: sha256"] == p["optimism_bias_table"]["sha256"]
    assert items["Discount schedules: sha256"] == p["discount_schedules"]["sha256"]
    assert items["Local unit costs (codes)"] == "HCC-PA1, HOSTILE1"
    assert items["Setting: seed"] == 7
    assert items["Base year (prices)"] == p["base_year"]
    assert "GDP deflator index used for rebasing" in items
    used = wb["Unit costs used"]
    header = [c.value for c in used[1]]
    rows = {
        r[0]: dict(zip(header, r, strict=True)) for r in used.iter_rows(min_row=2, values_only=True)
    }
    assert rows["HCC-PA1"]["Local override"] == "yes"
    assert (
        rows["SS3.0"]["Used in"] == "outcomes, intervention usage, comparison usage, case outcomes"
    )
    assert rows["SS18.2"]["Used in"] == "costs"
    codes = set(results.outcomes["unit_cost_code"]) | set(results.usage["unit_cost_code"])
    assert codes <= set(rows)


def test_warnings_sheet(mixed: tuple[Results, Path]) -> None:
    results, path = mixed
    ws = openpyxl.load_workbook(path, data_only=True)["Warnings"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(results.warnings)
    # an appraisal project with no outcomes (Hampshire's offset example) is warned about
    # first; recurring cost rows without end_year each have their warning too.  A JSON
    # run's warnings have no cell.
    assert rows[0][:4] == ("warning", None, "HCC-PA", "outcomes")
    (blank,) = [r for r in rows if "every ratio is left blank" in r[6]]
    assert blank[:4] == ("warning", None, "NEG-COST", "costs")
    assert "offsets at least match costs" in blank[6]
    # and above the Summary table, where a reader starts
    count = len(results.warnings)
    assert 1 < count <= WARNINGS_SHOWN
    summary = openpyxl.load_workbook(path, data_only=True)["Summary"]
    assert [summary[f"A{r}"].value for r in range(1, count + 3)] == [
        f"Warnings: {count} (read them before the figures)",
        *(str(w) for w in results.warnings),
        None,
    ]


def test_many_warnings_are_counted_above_the_summary_with_a_link(
    default_reference: ReferenceData, tmp_path: Path
) -> None:
    results = compute(sample("hampshire_offset"), default_reference)
    for count in (WARNINGS_SHOWN, WARNINGS_SHOWN + 1):
        warned = dataclasses.replace(
            results,
            warnings=[Problem(f"=warning {i}", severity="warning") for i in range(count)],
        )
        ws = openpyxl.load_workbook(export(warned, default_reference, tmp_path / "w.xlsx"))[
            "Summary"
        ]
        assert ws["A1"].value == f"Warnings: {count} (read them before the figures)"
        if count == WARNINGS_SHOWN:  # each listed, made inert like any text
            assert [ws.cell(r, 1).value for r in range(2, count + 2)] == [
                f"'=warning {i}" for i in range(count)
            ]
            assert header_row(ws) == count + 3
        else:
            assert ws["A2"].value == f"See the {count} warnings on the Warnings sheet"
            assert ws["A2"].hyperlink.location == "Warnings!A1"
            assert ws["A3"].value is None and header_row(ws) == 4


def test_a_workbook_run_shows_each_warning_with_its_cell(
    reference: ReferenceData, tmp_path: Path
) -> None:
    """Warnings read from an input workbook keep their cell on Summary and Warnings."""
    results = compute_workbook(WORKBOOKS / "unknown_column.xlsx", reference)
    path = export(results, reference, tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(path, data_only=True)
    (line,) = [c.value for c in book["Summary"]["A"][1:2]]
    assert line.startswith("Outcomes!X1: column 'notes' is not an input field")
    rows = list(book["Warnings"].iter_rows(min_row=2, values_only=True))
    assert [r[:2] for r in rows] == [("warning", "Outcomes!X1")]


def test_results_sheets_are_those_the_reader_sets_aside(mixed: tuple[Results, Path]) -> None:
    """Every sheet of a results workbook is an input sheet, the hidden Lists or one the
    reader recognises as a results sheet (froi.workbook.results.RESULT_SHEETS)."""
    names = set(openpyxl.load_workbook(mixed[1], read_only=True).sheetnames)
    inputs = {s.name for s in SHEETS} | {"Lists"}
    assert names - inputs <= set(RESULT_SHEETS)
    assert set(ALWAYS_WRITTEN) <= names - inputs
    assert not inputs & set(RESULT_SHEETS)
    # its own sheets are set aside without a warning (issue 12)
    assert [str(p) for p in read_workbook(mixed[1]).raw.problems] == []


def nested(project: dict[str, Any]) -> dict[str, Any]:
    """A Projects row as the canonical JSON holds it: the comparison and service figures
    inside ``comparison`` and ``service``."""
    out: dict[str, Any] = {}
    for name, value in project.items():
        if name in NESTED_FIELDS:
            nest, key = NESTED_FIELDS[name]
            out.setdefault(nest, {})[key] = value
        else:
            out[name] = value
    return out


def read_inputs(path: Path) -> dict[str, Any]:
    """The canonical document from an exported workbook's input sheets (test's own reader)."""
    wb = openpyxl.load_workbook(path, data_only=True)

    def records(name: str) -> list[dict[str, Any]]:
        rows = wb[name].iter_rows(values_only=True)
        header = next(rows)
        return [{k: v for k, v in zip(header, r, strict=True) if v is not None} for r in rows]

    settings = {r["name"]: r["value"] for r in records("Settings")}
    projects = {p["project_id"]: nested(p) for p in records("Projects")}
    places = {
        "Costs": ("costs",),
        "Outcomes": ("outcomes",),
        "Cases": ("cases",),
        "CaseOutcomes": ("case_outcomes",),
        "Teams": ("service", "teams"),
    }
    for sheet, place in places.items():
        for row in records(sheet):
            holder = projects[row.pop("project_id")]
            for key in place[:-1]:
                holder = holder.setdefault(key, {})
            holder.setdefault(place[-1], []).append(row)
    for row in records("ComparisonUsage"):
        group = row.pop("group")
        holder = projects[row.pop("project_id")].setdefault("comparison", {})
        holder.setdefault(f"{group}_usage", []).append(row)
    return {
        "settings": settings,
        "unit_costs": records("UnitCosts"),
        "projects": list(projects.values()),
    }


def test_round_trip_through_the_input_sheets(
    exported: tuple[Results, Path], default_reference: ReferenceData
) -> None:
    """The input sheets hold the run: reading them back computes the same results."""
    results, path = exported
    again = compute(read_inputs(path), default_reference)
    pd.testing.assert_frame_equal(again.summary, results.summary, check_exact=False, rtol=1e-12)
    assert again.warnings == results.warnings


def compute_upload(path: Path, reference: ReferenceData) -> Results:
    """Results of uploading ``path`` through the workbook reader (skipped without it)."""
    reader = pytest.importorskip("froi.workbook.reader")
    results: Results = reader.compute_workbook(path, reference)
    return results


def test_round_trip_through_the_workbook_reader(
    exported: tuple[Results, Path], default_reference: ReferenceData
) -> None:
    """Uploading an exported workbook reproduces its results (issue 3)."""
    results, path = exported
    again = compute_upload(path, default_reference)
    pd.testing.assert_frame_equal(again.summary, results.summary, check_exact=False, rtol=1e-12)


def test_round_trip_of_the_mixed_portfolio(
    mixed: tuple[Results, Path], default_reference: ReferenceData
) -> None:
    _, path = mixed
    again = compute_upload(path, default_reference)
    # everything comes back, hostile text included: the input sheets quote it, they do not
    # alter it (``mixed`` put extra raw text into the results' own tables: compare inputs)
    sent = compute(mixed_document(), default_reference).summary
    pd.testing.assert_frame_equal(again.summary, sent, check_exact=False, rtol=1e-12)
    assert again.summary["project_id"].iloc[-1] == "-H1"


def test_inputs_writer_receives_the_canonical_document(
    default_reference: ReferenceData, tmp_path: Path
) -> None:
    results = compute(sample("hampshire_offset"), default_reference)
    seen: list[dict[str, Any]] = []

    def writer(workbook: Any, doc: dict[str, Any]) -> None:
        seen.append(doc)
        workbook.add_worksheet("Projects").write_string(0, 0, "project_id")

    path = export(results, default_reference, tmp_path / "h.xlsx", inputs_writer=writer)
    (doc,) = seen
    assert doc["projects"][0]["project_id"] == "HCC-PA"
    assert doc["unit_costs"][0]["code"] == "HCC-PA1"
    assert compute(doc, default_reference).summary.equals(results.summary)
    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    assert "Projects" in names and "Outcomes" not in names


def test_reference_data_of_another_run_is_refused(
    reference: ReferenceData, default_reference: ReferenceData, tmp_path: Path
) -> None:
    results = compute(sample("hampshire_offset"), default_reference)
    other = ReferenceData(
        unit_costs=reference.unit_costs,
        deflators=type(reference.deflators)(
            name="x", version="1", index=dict(reference.deflators.index), sha256="0" * 64
        ),
        optimism_bias=reference.optimism_bias,
        discount_schedules=reference.discount_schedules,
        outcome_themes=reference.outcome_themes,
    )
    with pytest.raises(ValueError, match="deflator table"):
        export(results, other, tmp_path / "x.xlsx")


def test_uncertainty_sheets(default_reference: ReferenceData, tmp_path: Path) -> None:
    doc = sample("edge_of_care_appraisal")
    doc["settings"]["simulations"] = 200
    results = compute(doc, default_reference)
    assert results.uncertainty is not None
    wb = openpyxl.load_workbook(export(results, default_reference, tmp_path / "u.xlsx"))
    ws = wb["Uncertainty"]
    row = {c.value: v.value for c, v in zip(ws[1], ws[2], strict=True)}
    u = results.uncertainty.summary.iloc[0]
    assert math.isclose(row["FROI, mean (£ per £1)"], u["froi_mean"], rel_tol=REL)
    assert row["P(FROI ≥ 1) (%)"] == u["prob_froi_at_least_1"]
    assert wb["Tornado"].max_row == len(results.uncertainty.tornado) + 1
    # the sample of draws: every kept simulation, and they summarise to the engine's mean
    draws = list(wb["Sample of draws"].iter_rows(min_row=2, values_only=True))
    assert len(draws) == 200
    assert [d[2] for d in draws] == list(range(1, 201))
    assert math.isclose(
        sum(d[3] for d in draws) / 200, u["froi_mean"], rel_tol=REL
    )  # 200 simulations, all kept: the mean of the sheet is the engine's mean
    assert sum(d[4] > 0 for d in draws) / 200 == u["prob_npv_positive"]


def test_sample_of_draws_is_capped_for_a_portfolio(
    default_reference: ReferenceData, tmp_path: Path
) -> None:
    import froi.workbook.results.provenance as rp

    doc = portfolio(default_reference, 3, 2, 3)
    doc["settings"]["simulations"] = 50
    results = compute(doc, default_reference)
    original = rp.DRAW_ROWS
    rp.DRAW_ROWS = 60  # 3 projects share 60 rows: 20 draws each
    try:
        path = export(results, default_reference, tmp_path / "capped.xlsx")
    finally:
        rp.DRAW_ROWS = original
    rows = list(
        openpyxl.load_workbook(path)["Sample of draws"].iter_rows(min_row=2, values_only=True)
    )
    assert len(rows) == 60
    assert {r[0] for r in rows} == {1, 2, 3} and max(r[2] for r in rows) == 20


COMMITTEE_CHARTS = re.compile("Cumulative cash flow|Who saves and who pays")

#: Functions Excel 2010 and LibreOffice both have, which the workbook may use (issue 12:
#: MINIFS, Excel 2019's, showed #NAME? in Excel 2016).
EXCEL_2010 = {
    "AND",
    "COUNTIFS",
    "IF",
    "IFERROR",
    "INDEX",
    "ISBLANK",
    "ISNUMBER",
    "LEFT",
    "MATCH",
    "MOD",
    "N",
    "NORMSDIST",
    "OR",
    "RIGHT",
    "SQRT",
    "SUM",
    "SUMIFS",
    "SUMPRODUCT",
    "VALUE",
    "ABS",
    "MAX",
    "MIN",
    "COUNTA",
    "TRUE",
    "FALSE",
}


def test_formulas_use_only_functions_excel_2010_has(mixed: tuple[Results, Path]) -> None:
    wb = openpyxl.load_workbook(mixed[1])
    used: set[str] = set()
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    text = re.sub(r'"[^"]*"', "", str(c.value))  # not inside strings
                    used |= set(re.findall(r"([A-Z][A-Z0-9._]*)\(", text))
    assert used and used <= EXCEL_2010, used - EXCEL_2010
    assert "MINIFS" not in used


def test_a_portfolio_of_1000_projects_exports(
    default_reference: ReferenceData, tmp_path: Path
) -> None:
    results = compute(portfolio(default_reference, 1000, 4, 5), default_reference)
    path = export(results, default_reference, tmp_path / "p1000.xlsx")
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(wb["Summary"].iter_rows(values_only=True))
    count = len(results.warnings)  # more than are listed: counted, with a link
    assert count > WARNINGS_SHOWN
    columns = summary_columns(["appraisal"])  # no comparison or case-level columns
    assert len(columns) < len(SUMMARY) - 20
    assert rows[:3] == [
        (f"Warnings: {count:,} (read them before the figures)", *[None] * (len(columns) - 1)),
        (f"See the {count:,} warnings on the Warnings sheet", *[None] * (len(columns) - 1)),
        (None,) * len(columns),
    ]
    assert rows[3] == tuple(c.header for c in columns)
    rows = rows[4:]
    assert len(rows) == 1000
    header = [c.header for c in columns]
    for p, row in enumerate(rows):
        got = dict(zip(header, row, strict=True))
        for column in ("PV costs (£)", "FROI (£ per £1)", "NPV (£)", "Payback year (t)"):
            assert same(got[column], results.summary.at[p, SUMMARY_KEY[column]]), (p, column)
    assert len(list(wb["Years"].iter_rows(min_row=2))) == 5000


def test_a_file_that_cannot_be_created_raises_os_error(
    default_reference: ReferenceData, tmp_path: Path
) -> None:
    results = compute(sample("hampshire_offset"), default_reference)
    with pytest.raises(FileNotFoundError):
        export(results, default_reference, tmp_path / "no such folder" / "r.xlsx")


def test_rows_on_the_detail_sheets_point_at_this_workbooks_input_rows(
    mixed: tuple[Results, Path],
) -> None:
    """ "Row on the Costs sheet" (and Outcomes, Cases) is the row of the workbook's own
    input sheet holding that item, so it stays right after a round trip (issue 12)."""
    wb = openpyxl.load_workbook(mixed[1])
    for detail, sheet, field in (
        ("Cost rows", "Costs", "description"),
        ("Outcome values", "Outcomes", "description"),
        ("Case results", "Cases", "case_id"),
    ):
        ws, inputs = wb[detail], wb[sheet]
        headers = [c.value for c in ws[1]]
        row_col = headers.index(f"Row on the {sheet} sheet")
        text_col = headers.index("Case ID" if field == "case_id" else "Description")
        input_headers = [c.value for c in inputs[1]]
        id_col, field_col = input_headers.index("project_id"), input_headers.index(field)
        checked = 0
        for values in ws.iter_rows(min_row=2, values_only=True):
            row = inputs[values[row_col]]
            assert row[id_col].value == values[1] or "'" + str(row[id_col].value) == values[1]
            typed = str(row[field_col].value).lstrip("'").strip()
            if values[text_col] is not None:  # the raw-text copy adds a tab or a return
                assert unescape(str(values[text_col])).lstrip("'").strip() == typed
            checked += 1
        assert checked > 3


def test_the_zip_level_of_a_results_workbook_stays_in_its_own_thread(
    tmp_path: Path, default_reference: ReferenceData
) -> None:
    """Storing a results workbook (ISA-L's deflate at level 1) in one thread leaves a
    template stored in another thread at that moment to zlib at its default level: the
    same bytes as alone."""
    import threading

    from froi.workbook.results.workbook import fast_zip
    from froi.workbook.template import write_input_workbook

    sample = ROOT / "sample_workbooks" / "edge_of_care_appraisal.json"
    doc = json.loads(sample.read_text(encoding="utf-8"))
    write_input_workbook(doc, tmp_path / "alone.xlsx", default_reference)
    with fast_zip():  # as if a results workbook were being stored in this thread
        other = threading.Thread(
            target=write_input_workbook, args=(doc, tmp_path / "meanwhile.xlsx", default_reference)
        )
        other.start()
        other.join()
    alone = (tmp_path / "alone.xlsx").read_bytes()
    assert (tmp_path / "meanwhile.xlsx").read_bytes() == alone


def test_a_one_project_committee_summary_prints_on_at_most_three_pages(
    tmp_path: Path, default_reference: ReferenceData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12: the Project summary of a one-project workbook, printed by LibreOffice with
    its charts, takes at most three A4 pages (every other sheet hidden, so only it prints)."""
    from froi.workbook.results import cells as result_cells
    from froi.workbook.results.committee import SHEET
    from froi.workbook.writer import write_input_sheets
    from tests.libreoffice import recalculate

    made = result_cells.Book.sheet

    def only_the_summary_prints(self: result_cells.Book, name: str) -> Any:
        ws = made(self, name)
        if name != SHEET:
            ws.hide()
        return ws

    monkeypatch.setattr(result_cells.Book, "sheet", only_the_summary_prints)
    sample = ROOT / "sample_workbooks" / "edge_of_care_appraisal.json"
    doc = json.loads(sample.read_text(encoding="utf-8"))
    results = compute(doc, default_reference)
    path = tmp_path / "summary.xlsx"

    def hidden_inputs(workbook: Any, document: Any) -> None:
        write_input_sheets(workbook, document, default_reference)
        for sheet in SHEETS:
            workbook.get_worksheet_by_name(sheet.name).hide()

    write_results_workbook(results, path, reference=default_reference, inputs_writer=hidden_inputs)
    monkeypatch.undo()
    done = recalculate([path], tmp_path, tmp_path / "profile", timeout=240, to="pdf")
    assert done.returncode == 0, done.stderr
    pdf = (tmp_path / "summary.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 3, pages
