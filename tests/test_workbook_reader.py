"""The workbook reader: golden samples, the gallery of broken and hostile workbooks, and
every problem reported at its cell."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import re
import struct
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from calculator.engine import Results, compute
from calculator.errors import InvalidInput, Problem
from calculator.reference import ReferenceData
from froi.workbook.cells import (
    CellMap,
    CellProblem,
    SheetMap,
    WorkbookInvalid,
    cell_reference,
    format_problems,
    problem_lines,
    quote_sheet,
)
from froi.workbook.layout import SHEET_BY_NAME
from froi.workbook.limits import (
    DEFAULT_LIMITS,
    CorruptWorkbook,
    EncryptedWorkbook,
    FileTooLarge,
    FormulaWithoutValue,
    NotASpreadsheet,
    TooManyColumns,
    TooManyRows,
    WorkbookLimits,
    WorkbookRefused,
    ZipBomb,
)
from froi.workbook.reader import check_workbook, compute_workbook, is_workbook_path, read_workbook
from froi.workbook.sheetscan import at_most
from froi.workbook.template import write_input_workbook

from .conftest import DATA, ROOT

GALLERY = DATA / "workbooks"
SHEET_COLUMNS = {name: sheet.columns for name, sheet in SHEET_BY_NAME.items()}
SAMPLES = ROOT / "sample_workbooks"


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


make_gallery = _load("make_gallery", GALLERY / "make_gallery.py")
make_xlsx_samples = _load("make_xlsx_samples", SAMPLES / "make_xlsx_samples.py")
BASE: dict[str, Any] = make_gallery.BASE


def assert_same_results(a: Results, b: Results) -> None:
    """Every figure of two runs equal to 1e-12 (relative), every text equal.

    Detail rows name their source row (``row``, ``_row``): its place in the JSON list, or
    its Excel row in a workbook, so that column differs by design and is not compared.
    """
    for name in ("summary", "years", "outcomes", "costs", "agencies", "usage", "cases"):
        left, right = getattr(a, name), getattr(b, name)
        assert list(left.columns) == list(right.columns), name
        assert len(left) == len(right), name
        for column in left.columns.drop(["row", "_row"], errors="ignore"):
            x, y = left[column], right[column]
            if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
                np.testing.assert_allclose(
                    x.to_numpy(np.float64),
                    y.to_numpy(np.float64),
                    rtol=1e-12,
                    atol=0,
                    err_msg=f"{name}.{column}",
                )
            else:
                assert x.astype(str).tolist() == y.astype(str).tolist(), f"{name}.{column}"


def problems_of(path: Path, reference: ReferenceData, **kwargs: Any) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        check_workbook(path, reference, **kwargs)
    return problem_lines(caught.value, limit=1000)


def warnings_of(path: Path, reference: ReferenceData) -> list[str]:
    run, _ = check_workbook(path, reference)
    return [str(w) for w in run.warnings]


# -- golden files -------------------------------------------------------------------------
@pytest.mark.parametrize("name", make_xlsx_samples.JSON_SAMPLES)
def test_sample_workbook_gives_the_results_of_its_json(
    name: str, default_reference: ReferenceData
) -> None:
    doc = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    path = SAMPLES / f"{name}.xlsx"
    from_json = compute(doc, default_reference)
    from_workbook = compute_workbook(path, default_reference)
    assert_same_results(from_workbook, from_json)
    assert from_workbook.provenance["input_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    if len(from_workbook.outcomes):  # one project: its outcomes fill Excel rows 2, 3...
        rows = from_workbook.outcomes["row"].tolist()
        assert rows == list(range(2, 2 + len(rows)))
    assert len(from_workbook.warnings) == len(from_json.warnings)


def test_portfolio_workbook_is_the_seeded_portfolio(default_reference: ReferenceData) -> None:
    doc = make_xlsx_samples.portfolio(default_reference)
    from_workbook = compute_workbook(SAMPLES / "portfolio_50_projects.xlsx", default_reference)
    assert_same_results(from_workbook, compute(doc, default_reference))
    modes = from_workbook.summary["mode"].value_counts().to_dict()
    assert modes == {"appraisal": 34, "comparison": 8, "case_level": 8}


def test_any_document_round_trips_exactly(tmp_path: Path, reference: ReferenceData) -> None:
    """Numbers, rates, booleans and formula-like text come back as they went in."""
    doc = json.loads(json.dumps(BASE))
    outcome = doc["projects"][0]["outcomes"][0]
    outcome.update(success=0.1 + 0.2, deadweight=0.125, description="=SUM(A1) is not a formula")
    doc["projects"][0]["name"] = "-5% reduction, +2 staff"
    doc["settings"]["apply_optimism_bias"] = False
    path = tmp_path / "round.xlsx"
    write_input_workbook(doc, path, reference)
    book = read_workbook(path)
    outcomes = book.raw.lists["outcomes"]
    assert outcomes["success"].iat[0] == pytest.approx(0.1 + 0.2, rel=1e-15)
    assert outcomes["deadweight"].iat[0] == 0.125
    assert outcomes["description"].iat[0] == "=SUM(A1) is not a formula"
    assert book.raw.projects["name"].iat[0] == "-5% reduction, +2 staff"
    assert book.raw.settings["apply_optimism_bias"] is False
    assert_same_results(compute_workbook(path, reference), compute(doc, reference))


# -- refused files --------------------------------------------------------------------------
REFUSED = [
    ("png_renamed.xlsx", NotASpreadsheet, "is a PNG image, not an Excel workbook (.xlsx or .xlsm)"),
    (
        "encrypted.xlsx",
        EncryptedWorkbook,
        "is password-protected (encrypted), so it cannot be read; open it in Excel, remove the "
        "password (File > Info > Protect Workbook > Encrypt with Password, clear it), save it "
        "and upload it again",
    ),
    (
        "old_format.xlsx",
        NotASpreadsheet,
        "is in the Excel 97-2003 format (.xls) or another Office 97-2003 format, which this "
        "service does not read; open it in Excel and save it as an Excel Workbook (.xlsx)",
    ),
    (
        "csv_renamed.xlsx",
        NotASpreadsheet,
        "is a text file (perhaps a CSV), not an Excel workbook; open it in Excel and save it "
        "as an Excel Workbook (.xlsx)",
    ),
    ("word_renamed.xlsx", NotASpreadsheet, "is a Word document, not an Excel workbook"),
    ("empty.xlsx", NotASpreadsheet, "is empty"),
    (
        "truncated.xlsx",
        CorruptWorkbook,
        "is damaged or not a workbook Excel wrote (its zip directory cannot be read: File is "
        "not a zip file); open it in Excel, save it again and upload the new file",
    ),
    (
        "zip_bomb.xlsx",
        ZipBomb,
        "is refused as a zip bomb: part xl/worksheets/sheet5.xml would expand 979 times, to "
        "20,974,965 bytes (the limit is 100 times)",
    ),
    (
        "lying_sizes.xlsx",
        ZipBomb,
        "is refused: part xl/worksheets/sheet5.xml expands beyond the 100 bytes its zip "
        "directory declares",
    ),
    (
        "duplicate_part.xlsx",
        CorruptWorkbook,
        "is damaged or not a workbook Excel wrote (the zip holds two files named "
        "xl/worksheets/sheet5.xml); open it in Excel, save it again and upload the new file",
    ),
    (
        "entities.xlsx",
        CorruptWorkbook,
        "is damaged or not a workbook Excel wrote (xl/sharedStrings.xml declares XML "
        "entities, which workbooks never use); open it in Excel, save it again and upload "
        "the new file",
    ),
    (
        "far_cell.xlsx",
        TooManyRows,
        "is refused: sheet Outcomes uses cell XFD1048576, beyond the limit of 200,000 rows "
        "a sheet (Excel rows up to 200,001); split the input into several workbooks",
    ),
    (
        "wide.xlsx",
        TooManyColumns,
        "is refused: sheet Outcomes uses column BA (cell BA1); input sheets may use columns "
        "A to AX (50 columns)",
    ),
    (
        "quoted_reference.xlsx",
        TooManyRows,
        "is refused: sheet Outcomes uses cell D900000, beyond the limit of 200,000 rows a "
        "sheet (Excel rows up to 200,001); split the input into several workbooks",
    ),
    (
        "prefixed_cell.xlsx",
        TooManyColumns,
        "is refused: sheet Outcomes uses column XFD (cell XFD40); input sheets may use "
        "columns A to AX (50 columns)",
    ),
    (
        "formula_without_value.xlsx",
        FormulaWithoutValue,
        "Outcomes!D2, Outcomes!K3 hold a formula with no saved value, so the figure the "
        "formula stands for is not in the file (the program that wrote it does not "
        "calculate); open the workbook in Excel or LibreOffice, let it calculate and save "
        "it, or type the values instead of formulas",
    ),
]


@pytest.mark.parametrize(("name", "kind", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_with_a_clear_message_naming_the_file(
    name: str, kind: type[WorkbookRefused], message: str, reference: ReferenceData
) -> None:
    with pytest.raises(kind) as caught:
        check_workbook(GALLERY / name, reference)
    assert problem_lines(caught.value) == [f"file '{name}': {message}"]
    assert isinstance(caught.value, InvalidInput)


def test_limits_are_configurable(reference: ReferenceData) -> None:
    with pytest.raises(TooManyRows, match=r"uses cell A12, beyond the limit of 10 rows a sheet"):
        check_workbook(GALLERY / "many_rows.xlsx", reference, limits=WorkbookLimits(max_rows=10))
    check_workbook(GALLERY / "many_rows.xlsx", reference, limits=WorkbookLimits(max_rows=31))
    with pytest.raises(FileTooLarge, match=r"is 13 kB, over the limit of 5 kB; split the input"):
        check_workbook(GALLERY / "base.xlsx", reference, limits=WorkbookLimits(max_bytes=5000))
    with pytest.raises(ZipBomb, match=r"its parts would expand to [\d,]+ bytes, over the limit"):
        check_workbook(
            GALLERY / "base.xlsx", reference, limits=WorkbookLimits(max_uncompressed_bytes=20_000)
        )


def test_a_zip_whose_entries_are_encrypted_is_refused(
    tmp_path: Path, reference: ReferenceData
) -> None:
    """The other kind of encrypted workbook: a plain zip with password-protected entries
    (the general purpose flag's bit 0 in its directory) rather than Office's CFB wrapper."""
    data = bytearray((GALLERY / "base.xlsx").read_bytes())
    end = data.rfind(b"PK\x05\x06")
    count, _, at = struct.unpack("<HII", data[end + 10 : end + 20])
    for _ in range(count):
        assert data[at : at + 4] == b"PK\x01\x02"
        data[at + 8] |= 0x1
        name, extra, comment = struct.unpack("<HHH", data[at + 28 : at + 34])
        at += 46 + name + extra + comment
    path = tmp_path / "locked.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(EncryptedWorkbook) as caught:
        check_workbook(path, reference)
    assert problem_lines(caught.value) == [
        "file 'locked.xlsx': is password-protected (its zip entries are encrypted), so it "
        "cannot be read; save an unprotected copy and upload that"
    ]


def test_cells_and_rows_without_references_are_counted_as_calamine_counts_them(
    reference: ReferenceData,
) -> None:
    """300 empty rows without r, then a cell without r: calamine puts it in A306."""
    with pytest.raises(TooManyRows, match=r"sheet Outcomes uses cell A306, beyond the limit"):
        check_workbook(
            GALLERY / "unreferenced_rows.xlsx", reference, limits=WorkbookLimits(max_rows=300)
        )
    found = problems_of(GALLERY / "unreferenced_rows.xlsx", reference)
    assert found == [
        "Outcomes!A306: project_id '1' is not on the Projects sheet; use the project_id of a "
        "project listed there (P1, P2)"
    ]


@pytest.mark.parametrize("limit", [5, 9, 10, 11, 99, 100, 101, 200_001, 1_048_576])
def test_the_row_filter_matches_exactly_the_numbers_up_to_the_limit(limit: int) -> None:
    pattern = re.compile(f"(?:{at_most(limit)})")
    numbers = {1, 2, 9, 10, 11, limit - 1, limit, limit + 1, limit * 10, 10 ** len(str(limit))}
    for n in sorted(x for x in numbers if x > 0):
        assert (pattern.fullmatch(f'{n}"') is not None) == (n <= limit), n
    assert pattern.fullmatch(f'0{limit}"') is None  # leading zeros go to the exact walk


# -- problems at their cells -------------------------------------------------------------------
def test_a_bare_45_in_a_rate_column_suggests_45_percent(reference: ReferenceData) -> None:
    assert problems_of(GALLERY / "rate_45.xlsx", reference) == [
        "Outcomes!G2: success must be between 0 and 1; got 45 - did you mean 45%?",
        # shown as 4500% by its percentage format, so no suggestion
        "Outcomes!H3: deadweight must be between 0 and 1; got 45",
    ]


def test_problems_are_all_reported_in_reading_order_and_capped(reference: ReferenceData) -> None:
    with pytest.raises(WorkbookInvalid) as caught:
        check_workbook(GALLERY / "many_errors.xlsx", reference)
    problems = caught.value.problems
    assert len(problems) == 180  # 60 rows x 3 mistakes, none left out
    lines = problem_lines(caught.value)
    assert len(lines) == 51
    assert lines[:3] == [
        "Outcomes!D2: cohort must be a number from 0 to 100,000,000; got -1",
        "Outcomes!G2: success must be between 0 and 1; got 45 - did you mean 45%?",
        "Outcomes!L2: lag must be a whole number; got 0.5",
    ]
    assert lines[49] == "Outcomes!G18: success must be between 0 and 1; got 45 - did you mean 45%?"
    assert lines[50] == "... and 130 more problems not shown"
    assert all(isinstance(p, CellProblem) and p.cell for p in problems)


def test_blank_rows_are_skipped_and_rows_keep_their_numbers(reference: ReferenceData) -> None:
    assert problems_of(GALLERY / "blank_rows.xlsx", reference) == [
        "Outcomes!G6: success must be between 0 and 1; got 1.5"
    ]
    book = read_workbook(GALLERY / "blank_rows.xlsx")
    assert book.raw.lists["outcomes"]["_row"].tolist() == [2, 5, 6]


def test_a_row_whose_project_is_not_on_projects_is_an_error_at_its_cell(
    reference: ReferenceData,
) -> None:
    assert problems_of(GALLERY / "unknown_project.xlsx", reference) == [
        "Outcomes!A3: project_id 'P9' is not on the Projects sheet; use the project_id of a "
        "project listed there (P1, P2)",
        "Outcomes!A4: project_id is required: the project_id (from the Projects sheet) of the "
        "project this row belongs to",
    ]


def test_a_cell_showing_an_error_is_reported_once(reference: ReferenceData) -> None:
    assert problems_of(GALLERY / "error_cell.xlsx", reference) == [
        "Outcomes!G3: the cell shows the error #DIV/0! instead of a value; correct the formula "
        "or type the value"
    ]


def test_cells_merged_across_columns_are_an_error(reference: ReferenceData) -> None:
    assert problems_of(GALLERY / "merged_across.xlsx", reference) == [
        "Outcomes!G2:H2: cells G2:H2 are merged across the columns success, deadweight; a "
        "value belongs to one column, so unmerge them and type each value in its own cell"
    ]


def test_a_workbook_without_projects(reference: ReferenceData) -> None:
    assert problems_of(GALLERY / "no_input_sheets.xlsx", reference) == [
        "file 'no_input_sheets.xlsx': the workbook has no Projects sheet (its sheets: "
        "'Budget'), so it holds no projects; start from the template (froi template -o "
        "input.xlsx)"
    ]


# -- read with warnings, same results -------------------------------------------------------
OUTCOME_COLUMNS = [
    "project_id",
    "description",
    "unit_cost_code",
    "cohort",
    "cohort_year",
    "engagement",
    "success",
    "deadweight",
    "displacement",
    "attribution",
    "quantity",
    "lag",
    "duration",
    "drop_off",
    "confidence_grade",
    "discount",
    "success_low",
    "success_high",
    "deadweight_low",
    "deadweight_high",
    "value_low",
    "value_high",
    "outcome_theme",
]


def base_results(reference: ReferenceData) -> Results:
    return compute(BASE, reference)


@pytest.mark.parametrize(
    ("name", "warnings"),
    [
        ("base.xlsx", []),
        ("empty_far_cells.xlsx", []),
        ("macro_enabled.xlsm", []),
        ("header_variants.xlsx", []),
        ("formula_with_value.xlsx", []),
        (
            "merged_down.xlsx",
            [
                "Outcomes!A1: merged cells A2:A4 in column project_id: each row a range covers "
                "is read with the value of its first cell"
            ],
        ),
        (
            "hidden_sheet.xlsx",
            [
                "Costs: the sheet is hidden; its 2 rows are read all the same (unhide it to "
                "check them)"
            ],
        ),
        (
            "outcomes_copy.xlsx",
            [
                "'Outcomes (2)': sheet 'Outcomes (2)' looks like the Outcomes sheet (its name "
                "and its headers); the sheet named Outcomes is read and this one is not (if "
                "'Outcomes (2)' holds the inputs, remove Outcomes and rename 'Outcomes (2)' "
                "Outcomes)"
            ],
        ),
        ("results_reupload.xlsx", []),
        (
            "unknown_column.xlsx",
            [
                "Outcomes!X1: column 'notes' is not an input field, so its 2 values are ignored; "
                "Outcomes has the columns project_id, description, unit_cost_code, cohort, "
                "cohort_year, engagement, success, deadweight, displacement, attribution, "
                "quantity, lag, duration, drop_off, confidence_grade, discount, success_low, "
                "success_high, deadweight_low, deadweight_high, value_low, value_high, "
                "outcome_theme"
            ],
        ),
    ],
)
def test_read_like_the_base_input(name: str, warnings: list[str], reference: ReferenceData) -> None:
    assert warnings_of(GALLERY / name, reference) == warnings
    assert_same_results(compute_workbook(GALLERY / name, reference), base_results(reference))


# -- slips that would change the figures: errors, and nothing is computed --------------------
KEEP_NOTES = "(a column that is not an input, such as notes, can stay and is reported but not read)"
SLIPS = [
    (
        "outcomes_2024.xlsx",
        "'Outcomes 2024': sheet 'Outcomes 2024' looks like the Outcomes sheet (its name and "
        "its headers), which the workbook does not have, so it would not be read; rename it "
        "Outcomes, or remove it",
    ),
    (
        "costs1.xlsx",
        "costs1: sheet 'costs1' looks like the Costs sheet (its name and its headers), which "
        "the workbook does not have, so it would not be read; rename it Costs, or remove it",
    ),
    (
        "outcomes_headers_elsewhere.xlsx",
        "'Pilot data': sheet 'Pilot data' looks like the Outcomes sheet (its headers), which "
        "the workbook does not have, so it would not be read; rename it Outcomes, or remove it",
    ),
    (
        "no_outcomes_sheet.xlsx",
        "file 'no_outcomes_sheet.xlsx': the workbook has no Outcomes sheet, but its appraisal "
        "projects (P1, P2) need one: without it they would have no outcomes; add an Outcomes "
        "sheet (the template has one: froi template -o input.xlsx)",
    ),
    (
        "deadwieght.xlsx",
        "Outcomes!H1: the column 'deadwieght' is not a field of Outcomes; did you mean "
        f"deadweight? Rename the header to deadweight {KEEP_NOTES}",
    ),
    (
        # a required field: the typo is the one error (not also "success is missing")
        "sucess.xlsx",
        "Outcomes!G1: the column 'sucess' is not a field of Outcomes; did you mean success? "
        f"Rename the header to success {KEEP_NOTES}",
    ),
    (
        "cohort_on_costs.xlsx",
        "Costs!S1: the column 'cohort' is a field of Outcomes, not of Costs, so it is not read "
        f"here; move it to the Outcomes sheet {KEEP_NOTES}",
    ),
]


@pytest.mark.parametrize(("name", "message"), SLIPS, ids=[s[0] for s in SLIPS])
def test_a_slip_in_a_sheet_or_header_name_is_one_error_and_nothing_is_computed(
    name: str, message: str, reference: ReferenceData
) -> None:
    """Before, each of these computed with exit 0 and a lone warning: a renamed Outcomes
    sheet gave every project an FROI of 0; a misspelt deadweight header gave deadweight 0."""
    with pytest.raises(WorkbookInvalid) as caught:
        compute_workbook(GALLERY / name, reference)
    assert [str(p) for p in caught.value.problems] == [message]
    assert caught.value.warnings == []


def test_warnings_travel_with_the_errors_of_an_invalid_workbook(reference: ReferenceData) -> None:
    with pytest.raises(WorkbookInvalid) as caught:
        check_workbook(GALLERY / "no_input_sheets.xlsx", reference)
    assert [str(w) for w in caught.value.warnings] == [
        "Budget: sheet 'Budget' is not part of the input and was not read; the input sheets "
        "are Settings, UnitCosts, Projects, Costs, Outcomes, ComparisonUsage, Cases, "
        "CaseOutcomes, Teams"
    ]
    assert all(
        isinstance(w, CellProblem) and w.severity == "warning" for w in caught.value.warnings
    )


def _edited(tmp_path: Path, doc: Any, edit: Any, reference: ReferenceData) -> Path:
    """``doc`` as a template workbook, then changed with openpyxl as a person would."""
    import openpyxl

    path = write(tmp_path, doc, reference)
    book = openpyxl.load_workbook(path)
    edit(book)
    book.save(path)
    return path


def _modes_doc() -> dict[str, Any]:
    doc = json.loads(json.dumps(BASE))
    doc["projects"] += [
        {
            "project_id": "C1",
            "mode": "comparison",
            "intervention_cases": 10,
            "comparison_cases": 10,
            "costs": [{"amount": 1000, "agency": "Local Authority"}],
            "comparison": {
                "intervention_usage": [{"unit_cost_code": "T1.0", "quantity": 1}],
                "comparison_usage": [{"unit_cost_code": "T1.0", "quantity": 2}],
            },
        },
        {
            "project_id": "K1",
            "mode": "Case level",
            "cases": [{"case_id": "A", "cost": 100}],
            "case_outcomes": [{"case_id": "A", "unit_cost_code": "T1.0", "quantity": 1}],
        },
    ]
    return doc


def test_each_mode_needs_its_list_sheets(tmp_path: Path, reference: ReferenceData) -> None:
    """Appraisal projects need Costs and Outcomes, comparison projects Costs and
    ComparisonUsage, case-level projects Cases and CaseOutcomes; the mode is read as the
    engine reads it (``Case level``), appraisal when blank."""
    doc = _modes_doc()
    check_workbook(write(tmp_path, doc, reference), reference)  # the whole workbook is fine

    def drop(*names: str) -> Any:
        def edit(book: Any) -> None:
            for name in names:
                book.remove(book[name])

        return edit

    path = _edited(tmp_path, doc, drop("Costs", "ComparisonUsage", "CaseOutcomes"), reference)
    assert problems_of(path, reference) == [
        "file 'input.xlsx': the workbook has no Costs sheet, but its appraisal and comparison "
        "projects (P1, P2, C1) need one: without it they would have no costs; add a Costs "
        "sheet (the template has one: froi template -o input.xlsx)",
        "file 'input.xlsx': the workbook has no ComparisonUsage sheet, but its comparison "
        "project (C1) needs one: without it the project would have no service use to compare; "
        "add a ComparisonUsage sheet (the template has one: froi template -o input.xlsx)",
        "file 'input.xlsx': the workbook has no CaseOutcomes sheet, but its case_level project "
        "(K1) needs one: without it the project would have no case outcomes; add a "
        "CaseOutcomes sheet (the template has one: froi template -o input.xlsx)",
    ]
    # sheets no project needs may be missing: Settings, UnitCosts, Teams, and the lists of
    # modes the workbook does not use
    path = _edited(
        tmp_path,
        BASE,
        drop("Settings", "UnitCosts", "Teams", "ComparisonUsage", "Cases", "CaseOutcomes"),
        reference,
    )
    doc = json.loads(json.dumps(BASE))
    doc["settings"] = {}  # the Settings sheet went with its appraisal_years
    assert_same_results(compute_workbook(path, reference), compute(doc, reference))


def test_a_lookalike_sheet_stands_for_the_missing_one(
    tmp_path: Path, reference: ReferenceData
) -> None:
    """A renamed Projects sheet is reported as that, not also as "no Projects sheet"; a
    renamed sheet no project needs (Teams) is an error all the same: its rows would be
    left out."""

    def rename(book: Any) -> None:
        book["Projects"].title = "Project"
        book["Teams"].title = "Teams (old)"
        book["Outcomes"].title = "Outcome"

    path = _edited(tmp_path, BASE, rename, reference)
    assert problems_of(path, reference) == [
        "Project: sheet 'Project' looks like the Projects sheet (its name and its headers), "
        "which the workbook does not have, so it would not be read; rename it Projects, or "
        "remove it",
        "Outcome: sheet 'Outcome' looks like the Outcomes sheet (its name and its headers), "
        "which the workbook does not have, so it would not be read; rename it Outcomes, or "
        "remove it",
        "'Teams (old)': sheet 'Teams (old)' looks like the Teams sheet (its name and its "
        "headers), which the workbook does not have, so it would not be read; rename it "
        "Teams, or remove it",
    ]


def test_notes_sheets_and_columns_are_named_in_warnings(
    tmp_path: Path, reference: ReferenceData
) -> None:
    """Sheets and columns unlike any input stay warnings, each at its sheet or cell; a
    typo of a field the sheet already has is an extra column, not a second deadweight;
    the template's optional columns (Settings' about) are no extra columns."""
    import openpyxl

    path = write(tmp_path, BASE, reference)
    book = openpyxl.load_workbook(path)
    notes = book.create_sheet("Notes")
    notes.append(["Who", "What"])
    notes.append(["Finance", "checked the costs"])
    outcomes = book["Outcomes"]
    outcomes["X1"], outcomes["X2"] = "comments", "from the pilot"
    outcomes["Y1"], outcomes["Y2"] = "deadweight (old)", 0.5
    book.save(path)
    assert warnings_of(path, reference) == [
        "Notes: sheet 'Notes' is not part of the input and was not read; the input sheets "
        "are Settings, UnitCosts, Projects, Costs, Outcomes, ComparisonUsage, Cases, "
        "CaseOutcomes, Teams",
        "Outcomes!X1: column 'comments' is not an input field, so its value is ignored; "
        f"Outcomes has the columns {', '.join(OUTCOME_COLUMNS)}",
        "Outcomes!Y1: column 'deadweight (old)' is not an input field, so its value is "
        f"ignored; Outcomes has the columns {', '.join(OUTCOME_COLUMNS)}",
    ]
    assert_same_results(compute_workbook(path, reference), base_results(reference))


def test_a_misspelt_header_is_reported_once(tmp_path: Path, reference: ReferenceData) -> None:
    """Not also row by row: what the engine says of each row without an amount or an agency
    is the misspelt header's echo."""
    import openpyxl

    path = write(tmp_path, BASE, reference)
    book = openpyxl.load_workbook(path)
    book["Costs"]["E1"], book["Costs"]["G1"] = "amout", "Agncy"
    book.save(path)
    assert problems_of(path, reference) == [
        "Costs!E1: the column 'amout' is not a field of Costs; did you mean amount? Rename the "
        f"header to amount {KEEP_NOTES}",
        "Costs!G1: the column 'Agncy' is not a field of Costs; did you mean agency? Rename the "
        f"header to agency {KEEP_NOTES}",
    ]


def test_a_field_of_other_sheets_says_where_it_belongs(
    tmp_path: Path, reference: ReferenceData
) -> None:
    import openpyxl

    path = write(tmp_path, BASE, reference)
    book = openpyxl.load_workbook(path)
    book["Outcomes"]["X1"], book["Outcomes"]["X2"] = "Case ID", "A1"
    book.save(path)
    assert problems_of(path, reference) == [
        "Outcomes!X1: the column 'Case ID' is a field of Cases and CaseOutcomes, not of "
        "Outcomes, so it is not read here; move it to the sheet it belongs on (a column that "
        "is not an input, such as notes, can stay and is reported but not read)"
    ]


def test_a_sheet_too_big_to_look_at_is_judged_by_its_name(
    tmp_path: Path, reference: ReferenceData
) -> None:
    """An extra sheet beyond the limits is no input, so it refuses nothing; its headers are
    not read (calamine would allocate the whole sheet), only its name is weighed."""
    import openpyxl

    path = write(tmp_path, BASE, reference)
    book = openpyxl.load_workbook(path)
    wide = book.create_sheet("Notes")
    wide.append(SHEET_COLUMNS["Outcomes"])
    wide["BA1"] = "far to the right"
    book.save(path)
    assert warnings_of(path, reference) == [
        "Notes: sheet 'Notes' is not part of the input and was not read; the input sheets are "
        "Settings, UnitCosts, Projects, Costs, Outcomes, ComparisonUsage, Cases, CaseOutcomes, "
        "Teams"
    ]
    book["Notes"].title = "Outcomes (old)"
    book.save(path)
    assert warnings_of(path, reference) == [
        "'Outcomes (old)': sheet 'Outcomes (old)' looks like the Outcomes sheet (its name); "
        "the sheet named Outcomes is read and this one is not (if 'Outcomes (old)' holds the "
        "inputs, remove Outcomes and rename 'Outcomes (old)' Outcomes)"
    ]


def test_header_labels_can_be_added_as_aliases(
    tmp_path: Path, reference: ReferenceData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seam for plain-English headers: a label in names.LABELS reads as its field, and
    a typo of the label is suggested as the field."""
    import openpyxl

    from froi.workbook import names

    monkeypatch.setitem(names.LABELS, "cohort", ("People in the cohort",))
    path = write(tmp_path, BASE, reference)
    book = openpyxl.load_workbook(path)
    book["Outcomes"]["D1"] = "People in the cohort"
    book.save(path)
    assert_same_results(compute_workbook(path, reference), base_results(reference))
    book["Outcomes"]["D1"] = "People in the cohrt"
    book.save(path)
    assert problems_of(path, reference) == [
        "Outcomes!D1: the column 'People in the cohrt' is not a field of Outcomes; did you "
        f"mean cohort? Rename the header to cohort {KEEP_NOTES}"
    ]


def test_hidden_rows_and_columns_are_read_with_a_warning(reference: ReferenceData) -> None:
    path = GALLERY / "hidden_row_and_column.xlsx"
    assert warnings_of(path, reference) == [
        "Outcomes: row 3 is hidden; its values are read all the same (unhide it to check)",
        "Outcomes!H1: column deadweight is hidden; the values in it are read all the same",
    ]
    doc = json.loads(json.dumps(BASE))
    doc["projects"][0]["outcomes"][1]["deadweight"] = 0.1  # the hidden value counts
    assert_same_results(compute_workbook(path, reference), compute(doc, reference))


# -- locations of every kind of problem ---------------------------------------------------
def write(tmp_path: Path, doc: Any, reference: ReferenceData | None = None) -> Path:
    path = tmp_path / "input.xlsx"
    write_input_workbook(doc, path, reference)
    return path


def test_settings_unit_costs_and_project_problems_are_located(
    tmp_path: Path, reference: ReferenceData
) -> None:
    doc = json.loads(json.dumps(BASE))
    doc["settings"].update(discount="cheap", colour="blue")
    doc["unit_costs"] = [
        {
            "code": "L1",
            "name": "Local",
            "unit": "per week",
            "value": -5,
            "price_year": "2024-25",
            "agency": "Local Authority",
            "category": "fiscal",
            "source": "us",
        }
    ]
    doc["projects"].append({"project_id": "P3", "mode": "comparison"})
    doc["projects"].append({"project_id": "P1"})
    found = problems_of(write(tmp_path, doc), reference)
    assert found == [
        "Settings!B4: discount must be a schedule name (health, standard) or a flat rate from "
        "0 to 1 such as 0.035 or 3.5%; got 'cheap'",
        "UnitCosts!D2: value must be 0 or more; got -5",
        "Projects!H4: a comparison project needs intervention_cases greater than 0",
        "Projects!I4: a comparison project needs comparison_cases greater than 0",
        "Projects!A5: project_id 'P1' is used by more than one project; each project needs its own",
    ]


def test_unknown_settings_are_warned_about_at_their_name(
    tmp_path: Path, reference: ReferenceData
) -> None:
    doc = json.loads(json.dumps(BASE))
    doc["settings"]["colour"] = "blue"
    warnings = warnings_of(write(tmp_path, doc), reference)
    assert warnings[0].startswith("Settings!A9: unknown setting 'colour'; settings are base_year")


def test_cell_references() -> None:
    cells = CellMap(
        file="in.xlsx",
        sheets={
            "Outcomes": SheetMap("Outcomes", 1, {"project_id": 1, "success": 7}),
            "Projects": SheetMap("Projects", 1, {"project_id": 1, "participants": 4}),
            "ComparisonUsage": SheetMap("Comparison usage", 3, {"quantity": 4}),
            "Settings": SheetMap("Settings", 1, {"name": 1, "value": 2}),
        },
        project_rows={"P1": 2, "P2": 7},
        setting_rows={"seed": 6},
    )
    assert (
        cell_reference(Problem("x", project="P1", list="outcomes", row=12, field="success"), cells)
        == "Outcomes!G12"
    )
    assert cell_reference(Problem("x", project="P2", field="participants"), cells) == "Projects!D7"
    assert cell_reference(Problem("x", project="P2", list="cases"), cells) == "Projects!A7"
    assert (
        cell_reference(Problem("x", list="comparison_usage", row=5, field="quantity"), cells)
        == "'Comparison usage'!D5"
    )
    assert cell_reference(Problem("x", list="outcomes", row=9), cells) == "Outcomes!9:9"
    assert cell_reference(Problem("x", list="outcomes", field="success"), cells) == "Outcomes!G1"
    assert cell_reference(Problem("x", list="settings", field="seed"), cells) == "Settings!B6"
    assert cell_reference(Problem("x", list="costs", row=3, field="amount"), cells) == "Costs"
    assert cell_reference(Problem("the input is empty"), cells) == ""
    assert format_problems([Problem("the input is empty")], cells) == [
        "file 'in.xlsx': the input is empty"
    ]
    assert quote_sheet("Outcomes") == "Outcomes"
    assert quote_sheet("Bob's sheet") == "'Bob''s sheet'"
    assert quote_sheet("A1") == "'A1'"


def test_command_line_helpers(tmp_path: Path, reference: ReferenceData) -> None:
    assert is_workbook_path("in.XLSX") and is_workbook_path("a/b.xlsm")
    assert not is_workbook_path("in.json") and not is_workbook_path("in.xls")
    run, book = check_workbook(
        GALLERY / "base.xlsx", reference, settings={"simulations": 100, "seed": 3}
    )
    assert (run.settings.simulations, run.settings.seed) == (100, 3)
    assert book.file == "base.xlsx" and len(book.sha256) == 64
    _, named = check_workbook(GALLERY / "base.xlsx", reference, file="upload-17.xlsx")
    assert named.file == "upload-17.xlsx"
    results = compute_workbook(GALLERY / "base.xlsx", reference)
    assert not math.isnan(results.summary["froi"].to_numpy(dtype=np.float64)[0])


def test_the_gallery_is_what_its_script_makes(tmp_path: Path) -> None:
    """Every committed gallery file is rebuilt byte for byte by make_gallery.py."""
    committed = {p.name for p in GALLERY.iterdir() if p.suffix in (".xlsx", ".xlsm")}
    assert committed == set(make_gallery.GALLERY)
    for path in make_gallery.build(tmp_path):
        assert path.read_bytes() == (GALLERY / path.name).read_bytes(), path.name


def test_rates_and_price_years_as_people_write_them(
    tmp_path: Path, reference: ReferenceData
) -> None:
    """45% (a number shown as a percentage), 0.45 and the text '45%' all mean 0.45; price
    years are read as METHOD 1.1 allows (2016-17, 2016/17, 2016-2017, 2016)."""
    doc = json.loads(json.dumps(BASE))
    first, second, third = doc["projects"][0]["outcomes"]
    first["success"], second["success"], third["success"] = 0.45, "45%", "0.45"
    costs = doc["projects"][0]["costs"]
    costs[0]["price_year"] = 2016
    costs.append({"amount": 10, "agency": "Local Authority", "price_year": "2016/17"})
    costs.append({"amount": 10, "agency": "Local Authority", "price_year": "2016-2017"})
    run, _ = check_workbook(write(tmp_path, doc), reference)
    assert run.lists["outcomes"]["success"].tolist()[:3] == [0.45, 0.45, 0.45]
    assert run.lists["costs"]["price_year"].tolist()[:3] == ["2016-17"] * 3


def test_a_missing_required_column_is_one_error_at_the_header(
    tmp_path: Path, reference: ReferenceData
) -> None:
    import xlsxwriter

    path = tmp_path / "missing.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Projects").write_column(0, 0, ["project_id", "P1"])
    book.add_worksheet("Costs").write_row(0, 0, ["project_id", "amount"])  # no costs
    outcomes = book.add_worksheet("Outcomes")
    outcomes.write_row(0, 0, ["Project ID", "Unit cost code", "Cohort", "Notes"])
    for row in range(1, 40):
        outcomes.write_row(row, 0, ["P1", "T1.0", 10, "x"])
    book.close()
    found = problems_of(path, reference)
    assert found == [
        "Outcomes!1:1: required column 'success' is missing; add a column headed success"
    ]


def test_collection_of_cycles_resumes_after_every_read() -> None:
    """The reader pauses the cycle collector while it reads, and always restarts it."""
    import gc

    assert gc.isenabled()
    read_workbook(SAMPLES / "edge_of_care_appraisal.xlsx")
    assert gc.isenabled()
    with pytest.raises(InvalidInput):
        read_workbook(GALLERY / "many_rows.xlsx", limits=WorkbookLimits(max_rows=3))
    assert gc.isenabled()
    gc.disable()  # a caller that had it off keeps it off
    try:
        read_workbook(SAMPLES / "edge_of_care_appraisal.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_default_limits_are_20_mb_and_200000_rows() -> None:
    """Issue 3's defaults; the tests above exercise the limits with smaller values."""
    assert DEFAULT_LIMITS.max_bytes == 20 * 1024 * 1024
    assert DEFAULT_LIMITS.max_rows == 200_000
    assert DEFAULT_LIMITS.last_row == 200_001  # the header is row 1


def test_a_boolean_saved_as_a_formula_without_its_value_is_read_as_the_boolean(
    tmp_path: Path, default_reference: ReferenceData
) -> None:
    """LibreOffice saves TRUE as ``=TRUE()``; a program that does not calculate (openpyxl)
    keeps no value for it.  It is the boolean it names, not a formula refused (issue 12);
    any other formula without a value is still refused."""
    import openpyxl

    doc = json.loads((SAMPLES / "edge_of_care_appraisal.json").read_text())
    source = tmp_path / "eoc.xlsx"
    write_input_workbook(doc, source, default_reference)
    book = openpyxl.load_workbook(source)
    settings = book["Settings"]
    (row,) = [
        r
        for r in range(2, settings.max_row + 1)
        if settings.cell(r, 1).value == "apply_optimism_bias"
    ]
    settings.cell(row, 2).value = "=FALSE()"
    book.save(tmp_path / "false.xlsx")
    read = compute_workbook(tmp_path / "false.xlsx", default_reference)
    assert read.run is not None and read.run.settings.apply_optimism_bias is False
    expected = compute(
        {**doc, "settings": {**doc["settings"], "apply_optimism_bias": False}}, default_reference
    )
    assert read.summary.at[0, "froi"] == pytest.approx(expected.summary.at[0, "froi"], rel=1e-12)
    settings.cell(row, 2).value = "=TRUE()"
    book.save(tmp_path / "true.xlsx")
    read = compute_workbook(tmp_path / "true.xlsx", default_reference)
    assert read.run is not None and read.run.settings.apply_optimism_bias is True
    settings.cell(row, 2).value = "=AND(TRUE(),TRUE())"
    book.save(tmp_path / "and.xlsx")
    with pytest.raises(FormulaWithoutValue):
        read_workbook(tmp_path / "and.xlsx")
