"""The live model: where the results workbook's formulas find the inputs and reference data.

Every appraisal figure of the results workbook is a formula over the run's inputs, which
the workbook holds on its input sheets in the template's layout (Settings, Projects,
Costs, Outcomes, UnitCosts), and over the reference tables the run used, which it holds
on sheets of their own (Deflators, Optimism bias, Discount factors; the unit costs the run
used are on Unit costs used).  Change a success rate, a cohort, an amount, a unit cost on
UnitCosts or a discount setting, let Excel or LibreOffice recalculate, and every figure
follows, as ``froi compute`` would give it for the changed workbook.

This module knows the addresses: :class:`Inputs` gives the cell of a field on an input
sheet (the workbook's own input sheets are written by
:func:`froi.workbook.writer.write_input_sheets`, declared columns first, one row per item
in input order, project by project; :func:`froi.workbook.results.context.sheet_rows`),
and :class:`Model` the ranges of the reference sheets and the formulas METHOD's steps
share (rebasing, optimism bias, the discount setting in force, a discount factor).

Only functions that Excel 2010 and LibreOffice both have are used (SUMIFS, COUNTIFS,
SUMPRODUCT, INDEX, MATCH, IFERROR, ISNUMBER, ISBLANK, N): no MINIFS, no dynamic arrays.
What cannot be live (the structure: how many years are appraised, which rows exist; the
Monte Carlo and the bootstrap) is said on the sheets concerned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from calculator import prices
from calculator.discounting import discount_factors
from calculator.fields import SETTINGS
from calculator.reference import ReferenceData

from ..cells import quote_sheet
from ..layout import SHEET_BY_NAME
from ..limits import DEFAULT_LIMITS
from ..package import column_letter
from ..writer import sheet_fields
from ..xmlrows import ColumnRefs
from .cells import Book

DEFLATORS_SHEET = "Deflators"
OPTIMISM_BIAS_SHEET = "Optimism bias"
DISCOUNT_SHEET = "Discount factors"
REFERENCE_SHEETS = (DEFLATORS_SHEET, OPTIMISM_BIAS_SHEET, DISCOUNT_SHEET)
#: Rows of the UnitCosts sheet that Unit costs used looks in for a local unit cost.
UNIT_COST_ROWS = DEFAULT_LIMITS.max_rows + 1


def financial_year(base_year: str, t: int) -> str:
    """The financial year of appraisal year ``t`` when year 0 is ``base_year`` (2024-25)."""
    return prices.financial_year(int(base_year[:4]) + t)


class Inputs:
    """Addresses of the input cells on the workbook's own input sheets."""

    def __init__(self) -> None:
        self.columns = {
            name: {f.name: column_letter(i + 1) for i, f in enumerate(sheet_fields(sheet))}
            for name, sheet in SHEET_BY_NAME.items()
            if name != "Settings"
        }
        self.settings_rows = {f.name: i + 2 for i, f in enumerate(SETTINGS)}

    def cell(self, sheet: str, field: str, row: int) -> str:
        """``Outcomes!$G$5``: field ``field`` of the item on (1-based) row ``row``."""
        return f"{quote_sheet(sheet)}!${self.columns[sheet][field]}${row}"

    def cells(self, sheet: str, rows: Sequence[int]) -> dict[str, Sequence[str]]:
        """:meth:`cell` of every field for each of ``rows``: ``cells(sheet, rows)[field][i]``
        (a field's references made when first asked for; see ColumnRefs)."""
        return ColumnRefs(
            lambda field: f"{quote_sheet(sheet)}!${self.columns[sheet][field]}$", rows
        )

    def column(self, sheet: str, field: str, rows: int = UNIT_COST_ROWS) -> str:
        """``UnitCosts!$D$2:$D$200001``: a field's column below the header."""
        letter = self.columns[sheet][field]
        return f"{quote_sheet(sheet)}!${letter}$2:${letter}${rows}"

    def setting(self, name: str) -> str:
        return f"Settings!$B${self.settings_rows[name]}"

    def project(self, field: str, p: int) -> str:
        """A Projects cell of project ``p`` (0-based: the run's order, row p + 2)."""
        return self.cell("Projects", field, p + 2)


@dataclass(frozen=True)
class Model:
    """Ranges of the reference sheets, and the formulas METHOD's steps share."""

    inputs: Inputs
    years: int
    deflator_years: str
    deflator_index: str
    grades: str
    optimism_bias: str
    t_row: str  # the years 0..T-1 across the Discount factors sheet
    schedule_names: str
    factor_rows: str  # DF(t): a row per schedule, a column per year
    factor_columns: tuple[str, ...]  # DF(t) of every schedule, per year t
    schedules: tuple[str, ...]  # the schedules' names, in their rows' order

    base_year: str  # names of the Settings cells the formulas read
    discount_setting: str
    apply_ob: str

    # -- METHOD 1.2: rebasing --------------------------------------------------------
    def index_of(self, year: str) -> str:
        return f"INDEX({self.deflator_index},MATCH({year},{self.deflator_years},0))"

    def rebasing(self, price_year: str) -> str:
        """D(base) / D(price year) for the price year in cell ``price_year``."""
        return f"{self.index_of(self.base_year)}/{self.index_of(price_year)}"

    # -- METHOD 1.3: optimism bias ------------------------------------------------------
    def ob(self, grade: str) -> str:
        """OB of the grade in ``grade``, 0 when the run does not apply optimism bias."""
        on = self.apply_ob
        return f"IF({on},INDEX({self.optimism_bias},MATCH({grade},{self.grades},0)),0)"

    # -- METHOD 1.4: discounting ------------------------------------------------------
    def project_discount(self, p: int) -> str:
        """The discount in force for project ``p``: its own, else the run's."""
        own = self.inputs.project("discount", p)
        return f"IF(ISBLANK({own}),{self.discount_setting},{own})"

    def schedule_row(self, discount: str) -> str:
        """0 for a flat rate, else the schedule's row on the Discount factors sheet."""
        return f"IF(ISNUMBER({discount}),0,MATCH({discount},{self.schedule_names},0))"

    def factor(self, discount: str, row: str, t: int) -> str:
        """DF(t) under the discount in ``discount`` whose schedule row is ``row``."""
        return f"IF({row}=0,1/(1+{discount})^{t},INDEX({self.factor_columns[t]},{row}))"

    def factor_sum(self, discount: str, row: str, first: str, last: str) -> str:
        """Sum of DF(t) for t from ``first`` to ``last`` (a cost row's years)."""
        within = f"({self.t_row}>={first})*({self.t_row}<={last})"
        return (
            f"IF({row}=0,SUMPRODUCT({within}/(1+{discount})^{self.t_row}),"
            f"SUMPRODUCT({within}*INDEX({self.factor_rows},{row},0)))"
        )

    def financial_year(self, t: str) -> str:
        """The label of year ``t`` (a cell or a number): 2024-25 for t = 0."""
        start = f"(VALUE(LEFT({self.base_year},4))+{t})"
        return f'{start}&"-"&RIGHT(100+MOD({start}+1,100),2)'


def write_reference_sheets(book: Book, reference: ReferenceData, years: int, base: str) -> Model:
    """The Deflators, Optimism bias and Discount factors sheets (added before this is
    called, in the workbook's order) with the run's reference data; the factors are
    formulas over the rates."""
    fmt = book.fmt
    # Deflators
    ws = book.sheets[DEFLATORS_SHEET]
    deflators = sorted(reference.deflators.index.items())
    ws.write_row(0, 0, ["Financial year", "GDP deflator index"], book.header)
    for i, (year, index) in enumerate(deflators, start=1):
        ws.write_string(i, 0, year)
        ws.write_number(i, 1, float(index), fmt("index"))
    ws.set_column(0, 1, 18)
    _note(
        ws,
        book,
        0,
        col=3,
        lines=[
            f"The deflator table the run used ({reference.deflators.name}, "
            f"{reference.deflators.version}).",
            "Values at a price year are rebased to base-year prices by D(base) / D(price year).",
        ],
    )
    n = len(deflators) + 1
    deflator_years, deflator_index = (
        f"{DEFLATORS_SHEET}!$A$2:$A${n}",
        f"{DEFLATORS_SHEET}!$B$2:$B${n}",
    )
    # Optimism bias
    ws = book.sheets[OPTIMISM_BIAS_SHEET]
    grades = sorted(reference.optimism_bias.by_grade.items())
    ws.write_row(0, 0, ["Confidence grade", "Optimism bias"], book.header)
    for i, (grade, ob) in enumerate(grades, start=1):
        ws.write_number(i, 0, float(grade), fmt("integer"))
        ws.write_number(i, 1, float(ob), fmt("percent"))
    ws.set_column(0, 1, 18)
    _note(
        ws,
        book,
        0,
        col=3,
        lines=[
            "Grade 1 is the strongest evidence, 6 the weakest. Optimism bias lowers benefits "
            "and raises costs (an offset is lowered).",
            "Settings!apply_optimism_bias switches it off for the whole run.",
        ],
    )
    n = len(grades) + 1
    quoted = quote_sheet(OPTIMISM_BIAS_SHEET)
    grade_range = book.name("OB_grades", f"{quoted}!$A$2:$A${n}")
    ob_range = book.name("OB_values", f"{quoted}!$B$2:$B${n}")
    # Discount factors: year row, rates by schedule, factors by schedule
    ws = book.sheets[DISCOUNT_SHEET]
    schedules = sorted(reference.discount_schedules.schedules)
    last = column_letter(years + 1)
    ws.write_string(0, 0, "Year (t)", book.header)
    ws.write_string(1, 0, "Financial year", book.header)
    for t in range(years):
        ws.write_number(0, t + 1, float(t), book.header)
        ws.write_string(1, t + 1, financial_year(base, t), book.header)
    ws.write_string(3, 0, "Discount rate r(t)", book.title)
    rate_top = 4
    for k, name in enumerate(schedules):
        ws.write_string(rate_top + k, 0, name)
        rates = reference.discount_schedules.rates(name, years)
        for t in range(years):
            ws.write_number(rate_top + k, t + 1, float(rates[t]), fmt("rate"))
    factor_title = rate_top + len(schedules) + 1
    ws.write_string(factor_title, 0, "Discount factor DF(t) = DF(t-1) / (1 + r(t))", book.title)
    top = factor_title + 1
    for k, name in enumerate(schedules):
        row = top + k
        factors = discount_factors(reference.discount_schedules.rates(name, years))
        ws.write_string(row, 0, name)
        ws.write_number(row, 1, 1.0, fmt("discount_factor"))
        for t in range(1, years):
            here, before = column_letter(t + 2), column_letter(t + 1)
            rate = f"{here}{rate_top + k + 1}"
            ws.write_formula(
                row, t + 1, f"{before}{row + 1}/(1+{rate})", fmt("discount_factor"), factors[t]
            )
    ws.set_column(0, 0, 34)
    ws.set_column(1, years, 10)
    ws.freeze_panes(2, 1)
    bottom = top + len(schedules)
    _note(
        ws,
        book,
        bottom + 1,
        [
            "Year 0 is undiscounted. A flat rate typed as the discount (0.05 for 5%) is "
            "applied as 1 / (1 + rate)^t where it is used.",
            f"The years are those of the run (appraisal_years = {years}); changing "
            "appraisal_years on Settings needs a new results workbook: upload this one again.",
        ],
    )
    sheet = quote_sheet(DISCOUNT_SHEET)
    columns = tuple(
        book.name(
            f"DF_t{t}",
            f"{sheet}!${column_letter(t + 2)}${top + 1}:${column_letter(t + 2)}${bottom}",
        )
        for t in range(years)
    )
    inputs = Inputs()
    return Model(
        inputs=inputs,
        years=years,
        deflator_years=deflator_years,
        deflator_index=deflator_index,
        grades=grade_range,
        optimism_bias=ob_range,
        t_row=book.name("DF_years", f"{sheet}!$B$1:${last}$1"),
        schedule_names=book.name("DF_schedules", f"{sheet}!$A${top + 1}:$A${bottom}"),
        factor_rows=book.name("DF_factors", f"{sheet}!$B${top + 1}:${last}${bottom}"),
        factor_columns=columns,
        schedules=tuple(schedules),
        base_year=book.name("Base_year", inputs.setting("base_year")),
        discount_setting=book.name("Discount_setting", inputs.setting("discount")),
        apply_ob=book.name("Apply_OB", inputs.setting("apply_optimism_bias")),
    )


def schedule_rows(specs: np.ndarray, schedules: tuple[str, ...]) -> np.ndarray:
    """The Discount factors row (1-based) of each discount setting, 0 for a flat rate."""
    names = {n: k for k, n in enumerate(schedules, start=1)}
    return np.array([names.get(s, 0) if isinstance(s, str) else 0 for s in specs], dtype=float)


def _note(ws: object, book: Book, row: int, lines: list[str], col: int = 0) -> None:
    """Lines of explanation from (``row``, ``col``) down."""
    for i, line in enumerate(lines):
        book.text(ws, row + i, col, line)
