"""The portfolio page: every project side by side, on one basis, sortable and filterable.

``/portfolio/`` computes every project of the organisation in one engine call
(:mod:`.data`) and shows a row per project: mode, outcome themes, present
values of costs and fiscal benefits, FROI, NPV, payback year, value-for-money band and
cashable benefits.  Every column heading sorts the table (on the server, with
``aria-sort``); the filters narrow it by words, mode and outcome theme; the "by outcome
theme" view shows fiscal benefits per theme, in total and per project.  Projects whose
inputs have problems are listed apart, each linking to its page.  "Export as the
standard workbook" (``/portfolio/results.xlsx``) writes the projects the filters show.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, send_file, url_for
from werkzeug.datastructures import MultiDict

from calculator.engine import compute
from calculator.fields import SETTINGS, by_name
from froi.workbook.results import write_results_workbook

from ..accounts.access import current_organisation
from ..core.db import get_session
from ..core.forms import ErrorItem
from ..core.reference import app_reference
from ..core.summary import COLUMNS, SummaryRow, parse_sort, sort_rows, summary_rows, theme_totals
from ..uploads.batch import XLSX
from .data import (
    LABEL,
    Portfolio,
    basis_settings,
    compute_portfolio,
    organisation_projects,
)

bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")

MODES = ("appraisal", "comparison", "case_level")
VIEWS = ("projects", "themes")
YEARS = by_name(SETTINGS)["appraisal_years"]


def _basis(args: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The basis asked for (base year, appraisal years), with any error by field."""
    errors: dict[str, str] = {}
    base_year = args.get("base_year", "").strip()
    if base_year and base_year not in app_reference().deflators.index:
        errors["base_year"] = f"base year {base_year} is not in the deflator table"
        base_year = ""
    years_text = args.get("appraisal_years", "").strip()
    years = None
    if years_text:
        # ASCII digits only: "²" is a digit to isdigit() but not to int()
        whole = years_text.isascii() and years_text.isdigit() and len(years_text) < 6
        ok = whole and (YEARS.minimum or 1) <= int(years_text) <= (YEARS.maximum or 100)
        if ok:
            years = int(years_text)
        else:
            errors["appraisal_years"] = (
                f"appraisal years must be a whole number from {YEARS.minimum} to "
                f"{YEARS.maximum}; got {years_text}"
            )
    return basis_settings(base_year, years), errors


def _filters(args: MultiDict[str, str]) -> dict[str, str]:
    mode = args.get("mode", "")
    return {
        "q": args.get("q", "").strip(),
        "mode": mode if mode in MODES else "",
        "theme": args.get("theme", ""),
    }


def _rows(portfolio: Portfolio) -> list[SummaryRow]:
    if portfolio.run is None:
        return []
    rows = summary_rows(portfolio.run.results, portfolio.reference)
    for row in rows:
        project = portfolio.projects.get(row.project_id)
        row.project_pk = project.id if project is not None else None
    return rows


def _filtered(rows: list[SummaryRow], filters: dict[str, str]) -> list[SummaryRow]:
    words = filters["q"].split()
    return [
        r
        for r in rows
        if r.matches(words)
        and (not filters["mode"] or r.mode == filters["mode"])
        and (not filters["theme"] or filters["theme"] in r.themes)
    ]


def _compute(args: MultiDict[str, str], label: str = LABEL) -> tuple[Portfolio, dict[str, str]]:
    session = get_session()
    org = current_organisation(session)
    settings, errors = _basis(args)
    portfolio, _ = compute_portfolio(
        session, org.id, organisation_projects(session, org.id), settings, label=label
    )
    session.commit()
    return portfolio, errors


@bp.get("/")
def index() -> str:
    portfolio, basis_errors = _compute(request.args)
    filters = _filters(request.args)
    view = request.args.get("view", "projects")
    view = view if view in VIEWS else "projects"
    sort, descending = parse_sort(request.args.get("sort"))
    rows = _rows(portfolio)
    shown = sort_rows(_filtered(rows, filters), sort, descending)
    themes = sorted({t for r in rows for t in r.themes})
    kept = {k: v for k, v in request.args.items() if k != "sort" and v}
    errors = [ErrorItem(text, f"#field-{name}") for name, text in basis_errors.items()]
    return render_template(
        "portfolio/index.html",
        portfolio=portfolio,
        run=portfolio.run,
        rows=shown,
        total=len(rows),
        filters=filters,
        view=view,
        sort=sort,
        descending=descending,
        columns=COLUMNS,
        themes=themes,
        theme_totals=theme_totals(shown),
        modes=MODES,
        kept=kept,
        errors=errors,
        basis_errors=basis_errors,
        base_years=list(app_reference().deflators.index),
        args=request.args,
        export_url=_export_url({k: v for k, v in kept.items() if k != "view"}),
    )


def _export_url(args: dict[str, Any]) -> str:
    return url_for("portfolio.export", **args)


@bp.get("/results.xlsx")
def export() -> Response:
    """The standard results workbook of the projects the filters show, on the same basis."""
    portfolio, _ = _compute(request.args)
    chosen = {r.project_id for r in _filtered(_rows(portfolio), _filters(request.args))}
    session = get_session()
    org = current_organisation(session)
    settings, _ = _basis(request.args)
    projects = [p for p in organisation_projects(session, org.id) if p.project_ref in chosen]
    subset, results = compute_portfolio(
        session, org.id, projects, settings, label=f"{LABEL} export"
    )
    session.commit()
    run = subset.run
    if run is None:
        abort(
            404,
            description="No project can be computed, so there is nothing to export.",
        )
    if results is None:
        results = compute(run.input_doc, subset.reference, computed_at=run.computed_at)
    stream = io.BytesIO()
    write_results_workbook(
        results,
        stream,
        reference=subset.reference,
        input_sha256=run.input_sha256,
        input_name=f"portfolio (run {run.id})",
    )
    stream.seek(0)
    return send_file(
        stream, mimetype=XLSX, as_attachment=True, download_name=f"portfolio-run-{run.id}.xlsx"
    )
