"""The standard results workbook (issue 3): every figure of a run, traceable in Excel.

    write_results_workbook(results, "results.xlsx", reference=reference)

Design
------
**Long tables, not a sheet per project.**  A portfolio of 1,000 projects would need
thousands of sheets, so each kind of detail is one long table with the project's number
and ID on every row: Years (t x categories, cumulative positions, paid-back flags),
Outcome values, Cost rows, Costs by type, Project agencies, Service use and Comparison
by agency (comparison mode), Case results and Case teams (case level).  Each is an Excel
table with filters; filter on ``Project #`` to see one project.

**A live model.**  The run's inputs are echoed on sheets in the template's layout and
every figure is a formula over them and over reference sheets (deflators, optimism
bias, discount factors, the unit costs used; :mod:`froi.workbook.results.live`): each
cost row's real value and years, each outcome row's net outcomes, unit value, year
profile and discounting, then Years, agencies, Summary and payback.  Every formula is
written with the engine's figure as its cached value, so the file opens correct without
recalculation, and changing an input recalculates every figure.  Keys are numbers
(project, agency and team numbers) because SUMIFS treats text criteria as patterns and
ignores case; formulas select rows by key, never by position, so sorting a table never
changes a figure.  Only functions Excel 2010 and LibreOffice both have are used: the
payback year is the year whose "first paid back" flag (a COUNTIFS over earlier years)
is set, not MINIFS.

**The price of sort-safe formulas**: a SUMIFS reads its whole range, so the cumulative
columns of Years cost rows x rows comparisons.  LibreOffice recalculates a 1,000-project
workbook in tens of seconds; Excel recalculates on opening (the file asks it to) on
every core.  Files open with correct values regardless, from the cache.

**Written as blocks of XML.**  The long tables (detail tables and echoed inputs) are
rendered a column at a time into the XML XlsxWriter would write and stored row by row
(:mod:`froi.workbook.xmlrows`); a large table waits in temporary files, so a workbook
at the reader's row limit is written in well under 1 GB (bench/workbook.py,
tests/test_memory_ceiling.py).

**Charts**: a payback chart (cumulative discounted costs and fiscal benefits, payback
year marked) for each of the first 50 appraisal projects, each re-pointable to any
project by typing its number (:mod:`froi.workbook.results.charts`), and a bar chart of
fiscal benefits and costs by agency.

**The workbook is also an input workbook.**  The run's inputs are written on sheets with
the template's names and columns (Settings, UnitCosts, Projects, Costs, Outcomes,
ComparisonUsage, Cases, CaseOutcomes, Teams; :mod:`froi.workbook.layout`), defaults
filled in, so uploading the exported workbook reproduces its results.  Result sheets
have names no input sheet has.

**Text cannot become a formula.**  All text is written with ``write_string`` and text
beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with an
apostrophe on the result sheets (:func:`froi.workbook.results.cells.neutralise`) and
written under Excel's quote prefix on the input sheets, so it reads back as typed
(:func:`froi.workbook.writer.input_cells`); the workbook is opened with XlsxWriter's
string conversions off.  Numbers are never altered.

Unit costs used, Provenance (engine version, tables with versions and SHA-256, the
deflator index, optimism bias and discount schedules, every setting, input file SHA-256
and name, times) and Warnings complete the record; About explains the sheets.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, Any

import xlsxwriter
import xlsxwriter.exceptions
from isal import isal_zlib

from calculator.engine import Results
from calculator.reference import ReferenceData

from ..layout import SHEETS
from ..writer import write_input_sheets
from ..xmlrows import discard, install
from .cells import Book, Table
from .charts import CHART_LIMIT, charted_projects, write_agency_chart, write_payback_charts
from .charts import SHEET as CHART_SHEET
from .checks import SHEET as CHECKS_SHEET
from .checks import write_checks
from .committee import PORTFOLIO_SHEET, write_committee, write_portfolio
from .committee import SHEET as COMMITTEE_SHEET
from .context import Context, context
from .detail import Detail, live_figures, plan_detail, write_detail
from .inputs import InputsWriter, run_document
from .live import REFERENCE_SHEETS, write_reference_sheets
from .provenance import (
    DRAWS,
    TORNADO,
    UNCERTAINTY,
    UNIT_COSTS_USED,
    WARNINGS,
    check_reference,
    draws_sample,
    unit_costs_used,
    write_about,
    write_draws,
    write_provenance,
    write_uncertainty,
    write_unit_costs_used,
    write_warnings,
)
from .summary import (
    plan_agencies,
    plan_summary,
    write_agencies,
    write_summary,
    write_summary_warnings,
)

#: XlsxWriter options: normal mode (tables and charts need it) and no guessing: a string
#: is never turned into a formula, a link or a number.
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "constant_memory": False,
}

#: What each result sheet holds, for the About sheet.
SHEET_NOTES = {
    "Project summary": "A page or two per project for a committee (the first 50 projects; "
    "a larger portfolio also gets a lookup of any project's figures by its number): "
    "FROI, economic and public value ROI, NPV, net budget impact, payback as a financial "
    "year, value-for-money band, costs and benefits by agency (cashable and not), cash "
    "flows by financial year and agency, switching values, and charts on a page of their "
    "own. Yellow cells are inputs; every other figure is a formula.",
    "Summary": "A row per project: METHOD's headline figures with their units, as formulas "
    "over the detail sheets, in the columns of the modes the workbook's projects use. "
    "Blank where the project's mode does not report a figure. The "
    "run's warnings, if any, come first, above the table.",
    "Agencies": "Who saves (PV fiscal benefits) and who pays (PV costs) across the portfolio, "
    "by agency, with a chart.",
    CHART_SHEET: f"Cumulative discounted costs against cumulative discounted fiscal benefits "
    f"with the payback year, for the first {CHART_LIMIT} appraisal projects; type another "
    "project number in a yellow cell to chart that project.",
    "Years": "Each appraisal and comparison project's years: discount factor, net costs, "
    "benefits by category, discounted costs and fiscal benefits, cumulative positions.",
    "Outcome values": "Each outcome row: net outcomes n, unit value at base-year prices, "
    "optimism bias, present values by category, switching value of the success rate.",
    "Cost rows": "Each cost row as costed: amount, price year, rebased, optimism bias, "
    "discount factor and present value (offsets negative).",
    "Costs by type": "Each project's costs summed by cost type.",
    "Project agencies": "Each project's PV fiscal benefits and PV costs by agency.",
    "Service use": "Comparison projects: each usage row of both groups (ComparisonUsage), "
    "costed at base-year prices.",
    "Comparison by agency": "Comparison projects: service cost per case and costs avoided, "
    "by agency.",
    "Case results": "Case-level projects: each case's cost (rebased from the Cases sheet), "
    "benefit (its outcomes' values) and FROI. The observed FROI interval on Summary is a "
    "bootstrap: a value, not recalculated when an input changes.",
    "Case outcome values": "Case-level projects: each row of CaseOutcomes valued, units "
    "times the unit cost at base-year prices.",
    "Case teams": "Case-level projects with teams: each team's cases, mean benefit and "
    "projected annual benefits.",
    "Uncertainty": "Monte Carlo results per appraisal project (values: simulations are not "
    "formulas).",
    "Tornado": "FROI and NPV with each uncertain input at its low and high end.",
    "Sample of draws": "The first simulations of each appraisal project (up to 1,000 each, "
    "fewer in a large portfolio so the sheet stays within 100,000 rows): FROI and NPV of "
    "each draw, to chart or summarise.",
    "Checks": "The figures reconcile across the sheets: PV costs on Summary, Years and Cost "
    "rows; PV fiscal benefits on Summary, Outcome values, Years and by agency; the cashable "
    "split. Each check is TRUE when the two ways agree.",
    "Portfolio": "One row per project with the headline figures (formulas over Summary) "
    "and a total row.",
    "Unit costs used": "Every unit cost the run used: source, grade, price year, value, and "
    "its rebasing to base-year prices as formulas. A unit cost on the UnitCosts sheet "
    "(added or overriding the table) gives its value and price year here.",
    "Deflators": "The GDP deflator index the run used: values are rebased to base-year "
    "prices by D(base) / D(price year).",
    "Optimism bias": "Optimism bias by confidence grade, as the run used it.",
    "Discount factors": "Discount rates and factors by schedule for each year of the run, "
    "DF(t) = DF(t-1) / (1 + r(t)), as formulas.",
    "Provenance": "The run record: engine version, tables with versions and SHA-256 hashes, "
    "deflator index, optimism bias, discount schedules, settings, input file, times.",
    "Warnings": "Every warning the run raised, with its cell in the input workbook (when it "
    "came from one), project, list, row and field.",
}
#: Every results sheet a results workbook may have (its input sheets aside): a re-uploaded
#: results workbook is recognised by them (:mod:`froi.workbook.sheets`).
RESULT_SHEETS: tuple[str, ...] = (*SHEET_NOTES, "About")
#: The results sheets every results workbook has, whatever its projects.
ALWAYS_WRITTEN: tuple[str, ...] = (
    "Summary",
    "Checks",
    "Unit costs used",
    "Provenance",
    "Warnings",
    "About",
)
NOTES = (
    "Project # is the project's position in the run. Every long table carries it, and the "
    "formulas find a project's rows with SUMIFS on it, so sorting or filtering a table "
    "never changes a figure. Agencies and teams are numbered the same way.",
    "Money is in pounds at base-year prices (see Provenance). Ratios such as FROI are "
    "pounds back per pound spent: 1.84 means £1.84 per £1 (a net return of 0.84).",
    "Ratios are left blank when their denominator is zero or negative (METHOD 2.3).",
    "The observed FROI interval and the uncertainty figures come from resampling and "
    "simulation: they are values, not formulas.",
    "Text that begins with = + - @, a tab or a carriage return is shown with a leading "
    "apostrophe so that it can never run as a formula; numbers are unchanged.",
    "The input sheets (Settings to Teams) hold the run's inputs with every default filled "
    "in; upload this workbook to compute the same results again.",
)


def write_results_workbook(
    results: Results,
    path: str | os.PathLike[str] | IO[bytes],
    *,
    reference: ReferenceData,
    input_sha256: str | None = None,
    input_name: str | None = None,
    inputs_writer: InputsWriter | None = None,
    document: dict[str, Any] | None = None,
) -> None:
    """Write the standard results workbook of ``results`` to ``path`` (or a binary stream).

    ``reference`` is the reference data the run was computed with: the workbook shows its
    deflator index, optimism bias and discount schedules, and refuses other tables
    (``ValueError``).  ``input_sha256`` and ``input_name`` identify the input file;
    ``inputs_writer(workbook, document)`` replaces the built-in writer of the input sheets
    (it receives the XlsxWriter workbook and the run's canonical input document).
    ``document`` is that document when the caller has it at hand (the service computed
    the results from it): it must be what ``run_document(results.run)`` gives, which is
    then not built again.
    A file that cannot be created raises the ``OSError`` that says why.
    """
    ctx = context(results)
    check_reference(ctx, reference)
    book = Book(xlsxwriter.Workbook(path, WORKBOOK_OPTIONS))
    try:
        _write(book, results, ctx, reference, input_sha256, input_name, inputs_writer, document)
        with fast_zip():
            book.workbook.close()
    except xlsxwriter.exceptions.FileCreateError as exc:  # the file, not the workbook
        raise (
            exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else OSError(str(exc))
        ) from None
    finally:
        discard(book.workbook)


def _write(
    book: Book,
    results: Results,
    ctx: Context,
    reference: ReferenceData,
    input_sha256: str | None,
    input_name: str | None,
    inputs_writer: InputsWriter | None,
    document: dict[str, Any] | None = None,
) -> None:
    """Every sheet of the results workbook, before it is stored."""
    summary = plan_summary(book, ctx)
    agencies = plan_agencies(book, ctx)
    detail = plan_detail(book, ctx)
    used = unit_costs_used(ctx, reference)
    used_table = Table(book, "Unit costs used", UNIT_COSTS_USED, len(used), freeze_cols=1)
    warnings = Table(book, "Warnings", WARNINGS, len(results.warnings))
    u = results.uncertainty
    uncertainty = None if u is None else Table(book, "Uncertainty", UNCERTAINTY, len(u.summary))
    tornado = None if u is None else Table(book, "Tornado", TORNADO, len(u.tornado))
    sample = None if u is None else draws_sample(ctx)
    draws = None if sample is None else Table(book, "Sample of draws", DRAWS, len(sample))

    order = _sheet_order(summary, agencies, detail, used_table, (uncertainty, tornado, draws), ctx)
    for name in order:
        book.sheet(name)
    settings = ctx.run.settings
    model = write_reference_sheets(book, reference, settings.appraisal_years, settings.base_year)
    live = live_figures(ctx, reference, model, summary, used_table, [str(c) for c in used["code"]])
    write_detail(detail, ctx, live)
    write_summary_warnings(summary, results.warnings)
    write_summary(summary, ctx, detail, model)
    if agencies is not None:
        write_agencies(agencies, ctx, detail)
        write_agency_chart(book, agencies)
    if CHART_SHEET in book.sheets and detail.years is not None:
        write_payback_charts(book, ctx, summary, detail.years)
    if uncertainty is not None and tornado is not None:
        write_uncertainty(uncertainty, tornado, ctx)
    if draws is not None and sample is not None:
        write_draws(draws, ctx, sample)
    write_unit_costs_used(used_table, used, model)
    write_committee(book, ctx, summary, detail, live, uncertainty)
    write_portfolio(book, ctx, summary, live)
    write_checks(book, ctx, summary, detail)
    write_provenance(book, ctx, reference, input_sha256, input_name)
    write_warnings(warnings, ctx)
    write_about(book, [(n, SHEET_NOTES[n]) for n in order if n in SHEET_NOTES], NOTES)

    if document is None:
        document = run_document(ctx.run)
    if inputs_writer is not None:
        inputs_writer(book.workbook, document)
    else:  # the template's own writer: same columns, dropdowns and text handling
        write_input_sheets(book.workbook, document, reference)
    for sheet in SHEETS:  # input sheets in grey tabs, whoever wrote them
        ws = book.workbook.get_worksheet_by_name(sheet.name)
        if ws is not None:
            ws.set_tab_color("#A6A6A6")
            install(ws)  # the same XML, sooner


#: How the parts of a results workbook are compressed: ISA-L's deflate (python-isal) at
#: its level 1 compresses a 1,000-project workbook's 110 MB of XML in 0.12 s, where zlib
#: takes 0.44 s at its level 1 and 1.3 s at XlsxWriter's default 6, and the file is a
#: little smaller than zlib's level 1 (19.0 MB; 14.5 at level 6).  It is the same deflate
#: format, so every reader opens it (bench/workbook.py measures the options).
ZIP = ("isal", 1)


#: The compressor of the workbook being stored in this thread (None: zipfile's own).
_ZIP: contextvars.ContextVar[tuple[str, int] | None] = contextvars.ContextVar(
    "froi_zip", default=None
)


_zipfile_compressor = zipfile._get_compressor  # type: ignore[attr-defined]


def _compressor(compress_type: int, compresslevel: int | None = None) -> Any:
    """zipfile's compressor of a part: while :func:`fast_zip` chose one in this thread,
    ISA-L's or zlib's raw deflate at the chosen level, else zipfile's own."""
    chosen = _ZIP.get()
    if compress_type != zipfile.ZIP_DEFLATED or chosen is None:
        return _zipfile_compressor(compress_type, compresslevel)
    engine, level = chosen
    module: Any = isal_zlib if engine == "isal" else zlib
    return module.compressobj(level, module.DEFLATED, -15)


# XlsxWriter offers no option for the compression, and zipfile asks its module's
# ``_get_compressor`` for each part: it is replaced once, and the choice is a context
# variable, so a results workbook stored in one thread never changes how a template
# stored in another at that moment is compressed.
zipfile._get_compressor = _compressor  # type: ignore[attr-defined]


@contextlib.contextmanager
def fast_zip() -> Iterator[None]:
    """XlsxWriter's zip file compressed as :data:`ZIP` says while a workbook is stored in
    this thread."""
    token = _ZIP.set(ZIP)
    try:
        yield
    finally:
        _ZIP.reset(token)


def _sheet_order(
    summary: Table,
    agencies: Table | None,
    detail: Detail,
    used: Table,
    simulated: tuple[Table | None, ...],
    ctx: Context,
) -> list[str]:
    """Result sheets in reading order: headline, charts, detail, record, About."""
    names = [COMMITTEE_SHEET, PORTFOLIO_SHEET, summary.sheet]
    if agencies is not None:
        names.append(agencies.sheet)
    if charted_projects(ctx):
        names.append(CHART_SHEET)
    names += [t.sheet for t in detail.tables()]
    names.append(CHECKS_SHEET)
    names += [t.sheet for t in simulated if t is not None]
    names += [used.sheet, *REFERENCE_SHEETS, "Provenance", "Warnings", "About"]
    assert set(names) <= set(RESULT_SHEETS) and set(ALWAYS_WRITTEN) <= set(names)
    return names
