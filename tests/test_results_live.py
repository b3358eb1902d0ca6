"""The results workbook is a live model: change an input, recalculate, get the engine's figures.

For every sample, the exported results workbook is changed as an analyst would change it,
one input at a time: a success rate and a cohort (Outcomes), a unit cost value (UnitCosts:
the code's row there, or a new row overriding the table's), a cost amount (Costs), the
discount schedule (Settings, or the project's own), and for the observed designs the
units of a case outcome (CaseOutcomes), a case's cost (Cases), the units a comparison
group used (ComparisonUsage) and a comparison project's intervention cases (Projects).
openpyxl saves each changed copy without any cached value (TESTING.md), LibreOffice
recalculates all of them in one start,
and every formula cell of each recalculation must equal what the engine gives for the same
changed workbook: the changed copy is read and computed as an upload is
(:func:`froi.workbook.reader.compute_workbook`, as ``froi compute`` does) and its own
results workbook written, whose cached values are the engine's figures.  Cells are matched
by sheet, header and the row's key (project and input row), to 1e-9 relative.

A change that does not move the figure it should (a workbook whose formulas ignore the
input) fails, because the engine's figures for the changed input differ from the
original's: the test checks that each change moved the headline figures before comparing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest

from calculator.engine import Results, compute
from calculator.reference import ReferenceData
from froi.workbook.reader import compute_workbook
from froi.workbook.results import write_results_workbook
from tests.libreoffice import recalculate, require_soffice
from tests.test_results_workbook import SAMPLES, Expected, formula_mismatches, sample

Edit = Callable[[Any, ReferenceData], str | None]


def _headers(ws: Any) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[1] if c.value is not None}


def _first_row(ws: Any, field: str, want: Callable[[Any], bool] = lambda v: v is not None) -> int:
    column = _headers(ws)[field]
    for row in range(2, ws.max_row + 1):
        if want(ws.cell(row, column).value):
            return row
    raise LookupError(field)


def _last_row(ws: Any) -> int | None:
    """The last row of ``ws`` with an item (a first cell), None on an empty sheet."""
    return max(
        (r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value is not None), default=None
    )


def _change(ws: Any, row: int, field: str, new: Callable[[float], float]) -> str:
    """Set field ``field`` of row ``row`` to ``new`` of its number; says which cell."""
    cell = ws.cell(row, _headers(ws)[field])
    cell.value = new(float(cell.value))
    return f"{ws.title}!{cell.coordinate} {field} = {cell.value}"


def _appraisal_ids(book: Any) -> set[str]:
    ws = book["Projects"]
    h = _headers(ws)
    return {
        str(ws.cell(r, h["project_id"]).value)
        for r in range(2, ws.max_row + 1)
        if ws.cell(r, h["mode"]).value in (None, "appraisal")
        and ws.cell(r, h["project_id"]).value is not None
    }


def _outcome_row(book: Any) -> int | None:
    ws, ids = book["Outcomes"], _appraisal_ids(book)
    try:
        return _first_row(ws, "project_id", lambda v: str(v) in ids)
    except LookupError:
        return None


def change_success(book: Any, _: ReferenceData) -> str | None:
    row = _outcome_row(book)
    if row is None:
        return None
    return _change(book["Outcomes"], row, "success", lambda v: round(v * 0.6 + 0.1, 6))


def change_cohort(book: Any, _: ReferenceData) -> str | None:
    row = _outcome_row(book)
    if row is None:
        return None
    return _change(book["Outcomes"], row, "cohort", lambda v: v + 17)


def change_amount(book: Any, _: ReferenceData) -> str | None:
    ws = book["Costs"]
    try:
        row = _first_row(ws, "amount", lambda v: isinstance(v, int | float) and v > 0)
    except LookupError:
        return None
    return _change(ws, row, "amount", lambda v: v * 1.75 + 1000)


def change_unit_cost(book: Any, reference: ReferenceData) -> str | None:
    """The value of the first unit cost an appraisal outcome, a usage row or a case outcome
    uses: on its UnitCosts row if the input has one, else on a new UnitCosts row overriding
    the table."""
    code = None
    row = _outcome_row(book)
    if row is not None:
        code = book["Outcomes"].cell(row, _headers(book["Outcomes"])["unit_cost_code"]).value
    elif book["ComparisonUsage"].max_row > 1:
        usage = book["ComparisonUsage"]
        code = usage.cell(2, _headers(usage)["unit_cost_code"]).value
    elif book["CaseOutcomes"].max_row > 1:
        outcomes = book["CaseOutcomes"]
        code = outcomes.cell(2, _headers(outcomes)["unit_cost_code"]).value
    else:  # a cost row costed from a unit cost
        costs = book["Costs"]
        try:
            row = _first_row(costs, "unit_cost_code")
        except LookupError:
            return None
        code = costs.cell(row, _headers(costs)["unit_cost_code"]).value
    if code is None:
        return None
    ws = book["UnitCosts"]
    h = _headers(ws)
    local = [r for r in range(2, ws.max_row + 1) if ws.cell(r, h["code"]).value == code]
    if local:
        cell = ws.cell(local[0], h["value"])
    else:  # a local row with the table's fields, at a new value
        table = reference.unit_costs.rows.loc[code]
        target = max((r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value), default=1) + 1
        for field, column in h.items():
            value = code if field == "code" else table.get(field)
            if value is not None and value == value:
                ws.cell(target, column).value = value.item() if hasattr(value, "item") else value
        cell = ws.cell(target, h["value"])
    cell.value = float(cell.value) * 1.3 + 7
    return f"UnitCosts!{cell.coordinate} value of {code} = {cell.value}"


def change_discount(book: Any, _: ReferenceData) -> str | None:
    """The schedule in force: the run's (Settings) from standard to health, or back
    (case-level projects are not discounted: no change to make)."""
    projects = book["Projects"]
    modes = [
        projects.cell(r, _headers(projects)["mode"]).value for r in range(2, projects.max_row + 1)
    ]
    ws = book["Settings"]
    (years,) = [
        ws.cell(r, 2).value
        for r in range(2, ws.max_row + 1)
        if ws.cell(r, 1).value == "appraisal_years"
    ]
    if all(m == "case_level" for m in modes) or years == 1:  # nothing is discounted
        return None
    (row,) = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "discount"]
    was = ws.cell(row, 2).value
    ws.cell(row, 2).value = "health" if was != "health" else "standard"
    column = _headers(projects)["discount"]
    for r in range(2, projects.max_row + 1):  # projects with their own discount follow too
        if projects.cell(r, column).value is not None:
            projects.cell(r, column).value = ws.cell(row, 2).value
    return f"Settings!B{row} discount = {ws.cell(row, 2).value}"


def change_case_outcome(book: Any, _: ReferenceData) -> str | None:
    """The units of a case-level project's first case outcome (CaseOutcomes)."""
    ws = book["CaseOutcomes"]
    if ws.max_row < 2 or ws.cell(2, 1).value is None:
        return None
    return _change(ws, 2, "quantity", lambda v: v * 2.5 + 3)


def change_case_cost(book: Any, _: ReferenceData) -> str | None:
    """The cost of a case-level project's last case (Cases)."""
    ws = book["Cases"]
    row = _last_row(ws)
    return None if row is None else _change(ws, row, "cost", lambda v: v * 4 + 250)


def change_usage(book: Any, _: ReferenceData) -> str | None:
    """The units a comparison group used of its last usage row (ComparisonUsage)."""
    ws = book["ComparisonUsage"]
    row = _last_row(ws)
    return None if row is None else _change(ws, row, "quantity", lambda v: v * 0.5 + 11)


def change_cases_compared(book: Any, _: ReferenceData) -> str | None:
    """A comparison project's intervention cases (Projects)."""
    ws = book["Projects"]
    h = _headers(ws)
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, h["mode"]).value == "comparison":
            return _change(ws, r, "intervention_cases", lambda v: v + 40)
    return None


EDITS: dict[str, Edit] = {
    "success": change_success,
    "cohort": change_cohort,
    "unit_cost": change_unit_cost,
    "amount": change_amount,
    "discount": change_discount,
    "case_outcome": change_case_outcome,
    "case_cost": change_case_cost,
    "usage": change_usage,
    "cases_compared": change_cases_compared,
}
#: The samples of each observed design, whose workbooks the observed edits must reach.
OBSERVED = {
    "case_outcome": "enfield_case_level",
    "case_cost": "enfield_case_level",
    "usage": "comparison_group_study",
    "cases_compared": "comparison_group_study",
}


@pytest.fixture(scope="module")
def changed(
    default_reference: ReferenceData, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Every sample's results workbook, changed one input at a time, recalculated."""
    require_soffice()
    base = tmp_path_factory.mktemp("live")
    (base / "in").mkdir()
    cases: dict[str, Any] = {}
    for path in SAMPLES:
        results = compute(sample(path.stem), default_reference)
        exported = base / f"{path.stem}.xlsx"
        write_results_workbook(results, exported, reference=default_reference)
        for kind, edit in EDITS.items():
            book = openpyxl.load_workbook(exported)  # formulas, no cached values
            what = edit(book, default_reference)
            if what is None:
                continue
            name = f"{path.stem}--{kind}.xlsx"
            book.save(base / "in" / name)
            cases[name] = {"sample": path.stem, "what": what, "before": results}
    out = base / "out"
    done = recalculate([base / "in" / name for name in cases], out, base / "profile", timeout=600)
    assert done.returncode == 0, done.stderr
    for name, case in cases.items():
        case["input"] = base / "in" / name
        case["recalculated"] = out / name
        after = compute_workbook(case["input"], default_reference)
        case["after"] = after
        engine = base / f"engine--{name}"
        write_results_workbook(after, engine, reference=default_reference)
        case["engine"] = engine
    return cases


def _moved(before: Results, after: Results) -> bool:
    keys = ["pv_costs", "pv_fiscal", "froi", "npv", "costs_avoided_total"]
    a = before.summary[[k for k in keys if k in before.summary]].fillna(0).to_numpy()
    b = after.summary[[k for k in keys if k in after.summary]].fillna(0).to_numpy()
    return bool((abs(a - b) > 1e-9 * (1 + abs(a))).any())


def test_every_kind_of_input_is_changed_on_the_samples(changed: dict[str, Any]) -> None:
    kinds = {name.split("--")[1].removesuffix(".xlsx") for name in changed}
    assert kinds == set(EDITS)
    appraisal = [n for n in changed if n.startswith("edge_of_care_appraisal--")]
    assert len(appraisal) == len(EDITS) - len(OBSERVED)
    for kind, stem in OBSERVED.items():
        assert f"{stem}--{kind}.xlsx" in changed
    assert json.dumps(sorted(changed))  # names are plain text


@pytest.mark.parametrize("kind", list(EDITS))
def test_a_changed_input_recalculates_to_the_engine_figures(
    changed: dict[str, Any], default_reference: ReferenceData, kind: str
) -> None:
    names = [n for n in changed if n.endswith(f"--{kind}.xlsx")]
    assert names
    for name in names:
        case = changed[name]
        after: Results = case["after"]
        assert _moved(case["before"], after), f"{name}: {case['what']} moved no figure"
        count, problems = formula_mismatches(
            openpyxl.load_workbook(case["input"]),
            openpyxl.load_workbook(case["recalculated"], data_only=True),
            Expected(after, default_reference, cached=case["engine"]),
        )
        assert count > 50, name
        assert problems == [], f"{name} ({case['what']}): {problems[:10]}"
        checks = openpyxl.load_workbook(case["recalculated"], data_only=True)["Checks"]
        agrees = [r[4] for r in checks.iter_rows(min_row=2, values_only=True) if r[4] is not None]
        assert agrees and all(a is True for a in agrees), name


def test_a_stale_figure_would_be_caught(
    changed: dict[str, Any], default_reference: ReferenceData
) -> None:
    """The test of the test: the original results against a changed input's recalculation."""
    case = changed["edge_of_care_appraisal--success.xlsx"]
    _, problems = formula_mismatches(
        openpyxl.load_workbook(case["input"]),
        openpyxl.load_workbook(case["recalculated"], data_only=True),
        Expected(case["before"], default_reference),
    )
    assert any(p.startswith("Summary!") for p in problems)
