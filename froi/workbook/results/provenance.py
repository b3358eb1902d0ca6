"""Where the figures came from: unit costs used, provenance, warnings, uncertainty, About.

Unit costs used lists every unit cost the run used with its source, grade, price year and
value, the deflator index of its price year and of the base year, and two formulas an
auditor can check by hand: ``factor = D(base) / D(price year)`` and ``value at base-year
prices = value x factor`` (METHOD 1.2), cached with the engine's own figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from calculator.reference import ReferenceData

from .cells import Book, Column, Table
from .context import KEY, Context
from .live import Model

#: The lists whose rows name a unit cost, in the order "used in" lists them.
CODE_LISTS = ("outcomes", "costs", "intervention_usage", "comparison_usage", "case_outcomes")

UNIT_COSTS_USED = (
    Column("code", "Code", "text", 12),
    Column("name", "Name", "text", 40),
    Column("unit", "Unit", "text", 14),
    Column("agency", "Agency", "text", 22),
    Column("agency_detail", "Agency detail", "text", 18),
    Column("category", "Category", "text", 10),
    Column("cashable", "Cashable", "text", 10),
    Column("confidence_grade", "Confidence grade", "integer"),
    Column("source", "Source", "text", 40),
    Column("local", "Local override", "text", 10),
    Column("used_in", "Used in", "text", 18),
    Column("price_year", "Price year", "text", 10),
    Column("value", "Value at its price year (£)", "unit_money"),
    Column("deflator_price_year", "Deflator index, price year", "index"),
    Column("deflator_base_year", "Deflator index, base year", "index"),
    Column("factor", "Rebasing factor", "factor"),
    Column("v_base", "Value at base-year prices (£)", "unit_money"),
)
PROVENANCE = (Column("item", "Item", "text", 44), Column("value", "Value", "text", 80))
DEFLATORS = (Column("financial_year", "Financial year", "text"), Column("index", "Index", "index"))
OPTIMISM_BIAS = (
    Column("grade", "Confidence grade", "integer"),
    Column("optimism_bias", "Optimism bias (%)", "percent"),
)
SCHEDULES = (
    Column("schedule", "Schedule", "text"),
    Column("first_year", "First year", "integer"),
    Column("last_year", "Last year", "integer"),
    Column("rate", "Discount rate (%)", "rate"),
)
WARNINGS = (
    Column("severity", "Severity", "text", 10),
    Column("cell", "Cell", "text", 18),
    Column("project", "Project", "text"),
    Column("list", "List", "text"),
    Column("row", "Row", "integer"),
    Column("field", "Field", "text"),
    Column("message", "Message", "text", 90),
)
UNCERTAINTY = (
    *KEY,
    Column("simulations", "Simulations", "count"),
    Column("seed", "Seed", "integer"),
    Column("froi_mean", "FROI, mean (£ per £1)", "ratio"),
    Column("froi_p5", "FROI, 5th percentile", "ratio"),
    Column("froi_p50", "FROI, median", "ratio"),
    Column("froi_p95", "FROI, 95th percentile", "ratio"),
    Column("npv_mean", "NPV, mean (£)", "money"),
    Column("npv_p5", "NPV, 5th percentile (£)", "money"),
    Column("npv_p50", "NPV, median (£)", "money"),
    Column("npv_p95", "NPV, 95th percentile (£)", "money"),
    Column("prob_froi_at_least_1", "P(FROI ≥ 1) (%)", "percent"),
    Column("prob_npv_positive", "P(NPV > 0) (%)", "percent"),
)
DRAWS = (
    *KEY,
    Column("draw", "Draw", "count"),
    Column("froi", "FROI (£ per £1)", "ratio"),
    Column("npv", "NPV (£)", "money"),
)
#: Most rows of the sample of draws, whatever the portfolio (Excel's limit is 1,048,576).
DRAW_ROWS = 100_000

TORNADO = (
    *KEY,
    Column("list", "List", "text"),
    Column("row", "Input row", "integer"),
    Column("field", "Input", "text"),
    Column("label", "Description", "text", 36),
    Column("low", "Low end", "general"),
    Column("high", "High end", "general"),
    Column("froi_low", "FROI at low end", "ratio"),
    Column("froi_high", "FROI at high end", "ratio"),
    Column("npv_low", "NPV at low end (£)", "money"),
    Column("npv_high", "NPV at high end (£)", "money"),
    Column("swing", "Swing in FROI", "ratio"),
)


def check_reference(ctx: Context, reference: ReferenceData) -> None:
    """Refuse reference data other than the run's: the workbook would cite wrong tables."""
    provenance = ctx.results.provenance
    pairs = (
        ("deflator_table", reference.deflators.sha256),
        ("optimism_bias_table", reference.optimism_bias.sha256),
        ("discount_schedules", reference.discount_schedules.sha256),
    )
    for name, digest in pairs:
        if provenance[name]["sha256"] != digest:
            raise ValueError(
                f"the reference data given has a different {name.replace('_', ' ')} "
                f"(sha256 {digest[:12]}) from the one the run used "
                f"({provenance[name]['sha256'][:12]}); pass the run's reference data"
            )


def unit_costs_used(ctx: Context, reference: ReferenceData) -> pd.DataFrame:
    """Every unit cost the run used, with its rebasing (the engine's deflator factors)."""
    used: dict[str, list[str]] = {}
    for name in CODE_LISTS:
        for code in pd.unique(ctx.run.lists[name]["unit_cost_code"].dropna()):
            used.setdefault(str(code), []).append(name.replace("_", " "))
    codes = sorted(used)
    rows = ctx.run.unit_costs.rows.loc[codes].copy()
    base = ctx.run.settings.base_year
    deflators = reference.deflators
    price_years = rows["price_year"].to_numpy(dtype=object)
    rows["code"] = codes
    rows["cashable"] = np.where(rows["cashable"].to_numpy(dtype=bool), "yes", "no")
    rows["local"] = ["yes" if c in ctx.run.unit_costs.local_codes else "no" for c in codes]
    rows["used_in"] = [", ".join(used[c]) for c in codes]
    rows["deflator_price_year"] = [deflators.index_of(str(y)) for y in price_years]
    rows["deflator_base_year"] = deflators.index_of(base)
    rows["factor"] = deflators.factors(price_years, base)
    rows["v_base"] = rows["value"].to_numpy(dtype=np.float64) * rows["factor"].to_numpy()
    return rows.reset_index(drop=True)


def _fill(t: Table, frame: pd.DataFrame, skip: Sequence[str] = ()) -> None:
    for column in t.columns:
        if column.key in skip or column.key not in frame.columns:
            continue
        if column.style == "text":
            t.texts(column.key, frame[column.key])
        else:
            t.numbers(column.key, frame[column.key])


def write_unit_costs_used(t: Table, frame: pd.DataFrame, model: Model) -> None:
    """The unit costs the run used.  Value and price year are the UnitCosts sheet's when
    it has the code (a local unit cost, added or overriding the table: change it there
    and every figure follows), else the table's; the deflator indices, the rebasing
    factor and the value at base-year prices are formulas."""
    live = ("value", "price_year", "deflator_price_year", "deflator_base_year", "factor", "v_base")
    _fill(t, frame, skip=live)
    rows = range(len(frame))
    inputs = model.inputs
    codes = t.book.name("UnitCosts_code", inputs.column("UnitCosts", "code"))

    def local(field: str, fallback: list[str]) -> list[str | None]:
        column = t.book.name(f"UnitCosts_{field}", inputs.column("UnitCosts", field))
        return [
            f"IFERROR(INDEX({column},MATCH({t.at('code', i)},{codes},0)),{fallback[i]})"
            for i in rows
        ]

    values = [repr(float(v)) for v in frame["value"]]
    years = ['"' + str(y).replace('"', '""') + '"' for y in frame["price_year"]]
    t.formulas("value", local("value", values), frame["value"])
    t.formulas("price_year", local("price_year", years), frame["price_year"])
    t.formulas(
        "deflator_price_year",
        [model.index_of(t.at("price_year", i)) for i in rows],
        frame["deflator_price_year"],
    )
    t.formulas(
        "deflator_base_year",
        [model.index_of(model.base_year) for _ in rows],
        frame["deflator_base_year"],
    )
    t.formulas(
        "factor",
        [f"{t.at('deflator_base_year', i)}/{t.at('deflator_price_year', i)}" for i in rows],
        frame["factor"],
    )
    t.formulas("v_base", [f"{t.at('value', i)}*{t.at('factor', i)}" for i in rows], frame["v_base"])
    t.finish()


def provenance_items(
    ctx: Context, input_sha256: str | None, input_name: str | None
) -> list[tuple[str, Any]]:
    """The run record as (item, value) rows: who computed what, from which data, when."""
    p = ctx.results.provenance
    table = p["unit_cost_table"]
    items: list[tuple[str, Any]] = [
        ("Engine version", p["engine_version"]),
        ("Computed at", p["computed_at"]),
        ("Workbook written at", datetime.now(UTC).isoformat(timespec="seconds")),
        ("Input file", input_name or ""),
        ("Input file SHA-256", input_sha256 or ""),
        (
            "Run input SHA-256 (canonical JSON of a document; bytes of a workbook)",
            p["input_sha256"],
        ),
        ("Projects", p["projects"]),
        ("Base year (prices)", p["base_year"]),
    ]
    items += [(f"Setting: {k}", v) for k, v in p["settings"].items()]
    items += [(f"Unit cost table: {k}", table.get(k)) for k in ("name", "version", "sha256")]
    items += [
        (f"Unit cost table: {k}", table.get(k)) for k in ("publisher", "licence", "date", "rows")
    ]
    local = table.get("local_overrides")
    if local:
        base = local["base_table"]
        items += [
            ("Local unit costs (codes)", ", ".join(local["codes"])),
            ("Local unit costs laid over", f"{base['name']} {base['version']}"),
            ("Local unit costs laid over: sha256", base["sha256"]),
        ]
    for key, label in (
        ("deflator_table", "Deflator table"),
        ("optimism_bias_table", "Optimism bias table"),
        ("discount_schedules", "Discount schedules"),
    ):
        items += [(f"{label}: {k}", p[key][k]) for k in ("name", "version", "sha256")]
    return items


def write_provenance(
    book: Book,
    ctx: Context,
    reference: ReferenceData,
    input_sha256: str | None,
    input_name: str | None,
) -> None:
    """The run record, then the deflator, optimism bias and discount tables it used."""
    items = provenance_items(ctx, input_sha256, input_name)
    record = Table(book, "Provenance", PROVENANCE, len(items))
    ws = record.ws
    for i, (item, value) in enumerate(items):
        book.text(ws, record.row(i), 0, item)
        book.value(ws, record.row(i), 1, value)
    record.finish()
    top = len(items) + 3
    deflators = sorted(reference.deflators.index.items())
    schedules = [
        (name, band.first, band.last, band.rate)
        for name, bands in reference.discount_schedules.schedules.items()
        for band in bands
    ]
    grades = sorted(reference.optimism_bias.by_grade.items())
    for title, columns, data in (
        ("GDP deflator index used for rebasing", DEFLATORS, deflators),
        ("Optimism bias by confidence grade", OPTIMISM_BIAS, grades),
        ("Discount schedules (rate by band of years)", SCHEDULES, schedules),
    ):
        ws.write_string(top, 0, title, book.title)
        t = Table(book, "Provenance", columns, len(data), top=top + 1)
        _fill(t, pd.DataFrame(data, columns=[c.key for c in columns]))
        t.finish()
        top += len(data) + 4


def write_warnings(t: Table, ctx: Context) -> None:
    frame = pd.DataFrame(
        [w.as_dict() for w in ctx.results.warnings],
        columns=[c.key for c in WARNINGS],
    )
    _fill(t, frame)
    t.finish()


def write_uncertainty(summary: Table, tornado: Table, ctx: Context) -> None:
    """Values from the Monte Carlo (METHOD 5): simulations cannot be Excel formulas."""
    u = ctx.results.uncertainty
    assert u is not None
    for t, frame in ((summary, u.summary), (tornado, u.tornado)):
        p = frame["_p"].to_numpy(dtype=np.int64)
        t.numbers("no", p + 1)
        t.texts("project_id", ctx.ids[p])
        _fill(t, frame, skip=("no", "project_id", "low", "high"))
        if t is tornado:  # each end in its input's unit: a rate as %, a value or amount in £
            rates = frame["field"].isin(("success", "deadweight")).to_numpy()
            for key in ("low", "high"):
                column = frame[key].to_numpy(dtype=np.float64)
                for style, mask in (("rate", rates), ("unit_money", ~rates)):
                    fmt = t.book.fmt(style)
                    for i in np.flatnonzero(mask):
                        if column[i] == column[i]:
                            t.ws.write_number(t.row(int(i)), t.col(key), float(column[i]), fmt)
        t.finish()


def draws_sample(ctx: Context) -> pd.DataFrame:
    """The draws to show: the engine keeps the first draws of each project; a portfolio
    shows as many of each as keep the sheet within :data:`DRAW_ROWS` rows."""
    u = ctx.results.uncertainty
    assert u is not None
    projects = max(1, len(u.summary))
    per_project = max(1, DRAW_ROWS // projects)
    draws = u.draws
    return draws[draws["draw"].to_numpy() < per_project].reset_index(drop=True)


def write_draws(t: Table, ctx: Context, draws: pd.DataFrame) -> None:
    """Each kept simulation's FROI and NPV, so a reader can chart or re-summarise them."""
    p = draws["_p"].to_numpy(dtype=np.int64)
    t.numbers("no", p + 1)
    t.texts("project_id", ctx.ids[p])
    t.numbers("draw", draws["draw"].to_numpy(dtype=np.int64) + 1)
    t.numbers("froi", draws["froi"])
    t.numbers("npv", draws["npv"])
    t.finish()


def write_about(book: Book, sheets: Sequence[tuple[str, str]], notes: Sequence[str]) -> None:
    """What each sheet holds and how the workbook is built, in plain words."""
    ws = book.sheets["About"]
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 110)
    ws.write_string(0, 0, "FROI results workbook", book.title)
    row = 2
    for name, meaning in sheets:
        book.text(ws, row, 0, name, book.bold)
        book.text(ws, row, 1, meaning, book.wrap)
        row += 1
    row += 1
    ws.write_string(row, 0, "How to read it", book.title)
    for note in notes:
        row += 1
        book.text(ws, row, 1, note, book.wrap)
