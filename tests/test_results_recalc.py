"""LibreOffice recalculates the results workbook: every formula must give the engine's figure.

A test that converts the exported file as it is proves nothing: LibreOffice does not
recalculate an .xlsx that carries cached values, it copies them (TESTING.md).  So the
cached values are stripped first (openpyxl saves formulas without values), LibreOffice
converts the stripped file headless with a fresh profile, and every formula cell of the
result is checked against the engine with the same check as the cached values
(tests/test_results_workbook.py), to 1e-9 relative.  A copy with one corrupted formula
goes through the same conversion and must be caught.

One conversion (three files in one LibreOffice start) of a run that holds every mode and
every branch of the formulas keeps this to a few seconds.  A third copy has the rows of
the detail tables reversed, as sorting them in Excel would leave them: every figure
must stay the same, because formulas select rows by key, never by position.  Without
LibreOffice the test is skipped, except under CI, where it must run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter

from calculator.engine import compute
from calculator.reference import ReferenceData
from froi.workbook.results import write_results_workbook
from tests.libreoffice import recalculate, require_soffice
from tests.test_results_workbook import (
    Expected,
    formula_mismatches,
    header_row,
    mixed_document,
    same,
    shown,
    with_raw_text,
)

#: LibreOffice saves a boolean cell (an input's TRUE) as these formulas.
BOOLEANS = ("=TRUE()", "=FALSE()")


def formula_cells(path: Path) -> list[str]:
    """Every formula cell of a workbook, ``Sheet!A1``, except LibreOffice's booleans."""
    return [
        f"{ws.title}!{c.coordinate}"
        for ws in openpyxl.load_workbook(path)
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f" and c.value not in BOOLEANS
    ]


#: Detail tables whose rows the sorted copy reverses.
SORTED = ("Years", "Outcome values", "Cost rows", "Project agencies", "Service use", "Case results")


def reverse_rows(ws: openpyxl.worksheet.worksheet.Worksheet) -> None:
    """Reverse a table's data rows as Excel's sort does: each row's formulas move with it
    (their same-row references follow; references to ranges stay)."""
    first, last = 2, ws.max_row
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=first, max_row=last)]
    for offset, values in enumerate(reversed(rows)):
        source, target = last - offset, first + offset
        for col, value in enumerate(values, start=1):
            letter = get_column_letter(col)
            if isinstance(value, str) and value.startswith("="):
                value = Translator(value, origin=f"{letter}{source}").translate_formula(
                    f"{letter}{target}"
                )
            ws.cell(target, col).value = value


@pytest.fixture(scope="module")
def converted(
    default_reference: ReferenceData, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The results and the workbooks: exported, stripped, and LibreOffice's
    recalculations of the stripped, corrupt and sorted copies."""
    require_soffice()
    base = tmp_path_factory.mktemp("recalc")
    results = with_raw_text(compute(mixed_document(), default_reference))
    exported = base / "exported.xlsx"
    write_results_workbook(results, exported, reference=default_reference)
    (base / "stripped").mkdir()
    book = openpyxl.load_workbook(exported)  # without data_only: formulas, no cached values
    stripped = base / "stripped" / "mixed.xlsx"
    book.save(stripped)
    summary = book["Summary"]  # PV costs of project 2 summed over project 1's years
    second = header_row(summary) + 2  # the run's warnings come first
    assert summary[f"A{second}"].value == 2 and f"$A{second}" in summary[f"G{second}"].value
    summary[f"G{second}"] = summary[f"G{second}"].value.replace(f"$A{second}", f"$A{second - 1}")
    corrupt = base / "stripped" / "corrupt.xlsx"
    book.save(corrupt)
    book = openpyxl.load_workbook(exported)
    for name in SORTED:
        reverse_rows(book[name])
    sorted_ = base / "stripped" / "sorted.xlsx"
    book.save(sorted_)
    out = base / "out"
    done = recalculate([stripped, corrupt, sorted_], out, base / "profile", timeout=300)
    assert done.returncode == 0 and (out / "sorted.xlsx").exists(), done.stderr
    return {
        "results": results,
        "exported": exported,
        "stripped": stripped,
        "sorted": sorted_,
        "recalculated": out / "mixed.xlsx",
        "corrupt": out / "corrupt.xlsx",
        "sorted recalculated": out / "sorted.xlsx",
    }


def test_stripped_workbook_has_no_cached_values(converted: dict[str, Any]) -> None:
    """What LibreOffice is given holds only formulas, so its values are its own."""
    cells = formula_cells(converted["exported"])
    values = openpyxl.load_workbook(converted["stripped"], data_only=True)
    assert len(cells) > 500
    for ref in cells:
        sheet, coordinate = ref.split("!")
        assert values[sheet][coordinate].value is None, ref


def test_libreoffice_recalculates_every_formula_to_the_engine_figure(
    converted: dict[str, Any], default_reference: ReferenceData
) -> None:
    results, exported, recalculated = (
        converted[k] for k in ("results", "exported", "recalculated")
    )
    assert formula_cells(recalculated) == formula_cells(exported)
    count, problems = formula_mismatches(
        openpyxl.load_workbook(exported),
        openpyxl.load_workbook(recalculated, data_only=True),
        Expected(results, default_reference, cached=exported),
    )
    assert count == len(formula_cells(exported))
    assert problems == []
    checks = openpyxl.load_workbook(recalculated, data_only=True)["Checks"]
    agrees = [r[4] for r in checks.iter_rows(min_row=2, values_only=True) if r[4] is not None]
    assert len(agrees) >= 5 and all(a is True for a in agrees)


def test_a_corrupted_formula_is_caught(
    converted: dict[str, Any], default_reference: ReferenceData
) -> None:
    """The test of the test: one SUMIFS criterion pointing at the wrong project."""
    results, exported, corrupt = (converted[k] for k in ("results", "exported", "corrupt"))
    _, problems = formula_mismatches(
        openpyxl.load_workbook(exported),
        openpyxl.load_workbook(corrupt, data_only=True),
        Expected(results, default_reference, cached=exported),
    )
    assert problems
    second = header_row(openpyxl.load_workbook(exported)["Summary"]) + 2
    on_summary = [p for p in problems if p.startswith("Summary!")]
    assert on_summary[0].startswith(f"Summary!G{second} = ")
    assert on_summary[0].endswith(f"engine {shown(results.summary.at[1, 'pv_costs'])}")
    # everything computed from that cell is wrong too (on Summary, the project's own row;
    # elsewhere, the figures read from it), and nothing else is
    assert {p.split("!")[0] for p in problems} <= {
        "Summary",
        "Project summary",
        "Portfolio",
        "Outcome values",
        "Checks",  # the corrupted sum no longer agrees with Years
    }
    assert {p.split(" ")[0].split("!")[1][:-1] for p in on_summary} <= {
        "G",
        "L",
        "M",
        "N",
        "O",
        "P",
        "U",
        "V",
        "W",
        "X",
    }


def test_sorting_the_detail_tables_changes_no_figure(
    converted: dict[str, Any], default_reference: ReferenceData
) -> None:
    sorted_ = openpyxl.load_workbook(converted["sorted"])
    assert (
        sorted_["Years"]["B2"].value
        != openpyxl.load_workbook(converted["exported"])["Years"]["B2"].value
    )  # the rows did move
    count, problems = formula_mismatches(
        sorted_,
        openpyxl.load_workbook(converted["sorted recalculated"], data_only=True),
        Expected(converted["results"], default_reference, cached=converted["exported"]),
    )
    assert count == len(formula_cells(converted["exported"]))
    assert problems == []


def test_the_project_summary_lookup_shows_any_project(
    default_reference: ReferenceData, tmp_path: Path
) -> None:
    """A portfolio larger than the pages of Project summary: the number typed in the
    lookup's input cell re-points its figures and cash flows, by formulas, to a project
    that has no page; LibreOffice recalculates them to that project's engine figures."""
    from bench.common import portfolio
    from froi.workbook.results.committee import LIMIT

    results = compute(portfolio(default_reference, LIMIT + 5, 2, 3), default_reference)
    exported = tmp_path / "p.xlsx"
    write_results_workbook(results, exported, reference=default_reference)
    book = openpyxl.load_workbook(exported)
    ws = book["Project summary"]
    (row,) = [c.row for c in ws["A"] if c.value == "Project #"]
    chosen = LIMIT + 3  # a project without a page of its own
    ws.cell(row, 2).value = chosen
    (tmp_path / "in").mkdir()
    book.save(tmp_path / "in" / "lookup.xlsx")
    done = recalculate([tmp_path / "in" / "lookup.xlsx"], tmp_path / "out", tmp_path / "pr", 300)
    assert done.returncode == 0, done.stderr
    got = openpyxl.load_workbook(tmp_path / "out" / "lookup.xlsx", data_only=True)
    lookup = []  # the lookup's rows: down to the first project's page
    for r in got["Project summary"].iter_rows(min_row=row):
        if str(r[0].value).startswith("Project summary: "):
            break
        lookup.append(r)
    shown_rows = {str(r[0].value): r[1].value for r in lookup if r[0].value is not None}
    summary = results.summary.iloc[chosen - 1]
    assert shown_rows["Project ID"] == summary["project_id"]
    for header, key in (
        ("PV costs (£)", "pv_costs"),
        ("FROI (£ per £1)", "froi"),
        ("NPV (£)", "npv"),
    ):
        assert same(shown_rows[header], summary[key]), header
    years = results.years[results.years["_p"] == chosen - 1].sort_values("t")
    cumulative = (years["pv_fiscal"].cumsum() - years["pv_costs"].cumsum()).tolist()
    (flows,) = [r for r in lookup if str(r[0].value).startswith("Cumulative discounted")]
    assert all(same(c.value, v) for c, v in zip(flows[1:], cumulative, strict=False))
    assert not same(shown_rows["PV costs (£)"], results.summary.at[0, "pv_costs"])
