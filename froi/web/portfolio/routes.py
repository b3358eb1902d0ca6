"""The portfolio page: every project side by side, on one basis, sortable and filterable.

``/portfolio/`` reads each project's stored summary (:mod:`.data` computes only the
projects whose inputs or tables changed) and shows a row per project: mode, outcome themes, present
values of costs and fiscal benefits, FROI, NPV, payback year, value-for-money band and
cashable benefits.  Every column heading sorts the table (on the server, with
``aria-sort``); the filters narrow it by words, mode and outcome theme; the "by outcome
theme" view shows fiscal benefits per theme, in total and per project.  Projects whose
inputs have problems are listed apart, each linking to its page.  "Export as the
standard workbook" (an analyst's POST to ``/portfolio/export``) writes the projects
the filters show.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, send_file
from werkzeug.datastructures import MultiDict

from calculator.engine import compute
from calculator.fields import SETTINGS, by_name
from froi.workbook.results import write_results_workbook

from ..accounts.access import current_organisation, require_role
from ..core.db import get_session
from ..core.forms import ErrorItem
from ..core.reference import app_reference
from ..core.summary import COLUMNS, parse_sort
from ..uploads.batch import XLSX
from .data import (
    LABEL,
    basis_settings,
    compute_portfolio,
    organisation_projects,
    portfolio_summaries,
    summary_page,
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


@bp.get("/")
def index() -> str:
    """The portfolio from each project's stored summary under the chosen basis: only
    projects whose inputs or tables changed are computed, nothing is recorded as a run,
    and the table is filtered, sorted and paged in the database."""
    session = get_session()
    org = current_organisation(session)
    settings, basis_errors = _basis(request.args)
    basis = portfolio_summaries(session, org.id, settings)
    filters = _filters(request.args)
    view = request.args.get("view", "projects")
    view = view if view in VIEWS else "projects"
    sort, descending = parse_sort(request.args.get("sort"))
    shown = summary_page(
        session,
        org.id,
        basis,
        filters,
        sort,
        descending,
        request.args.get("page", 1, type=int) or 1,
    )
    kept = {k: v for k, v in request.args.items() if k not in ("sort", "page") and v}
    errors = [ErrorItem(text, f"#field-{name}") for name, text in basis_errors.items()]
    reference = app_reference()
    return render_template(
        "portfolio/index.html",
        portfolio=basis,
        table=basis.table,
        basis={
            "base_year": settings.get("base_year") or reference.deflators.latest_year,
            "appraisal_years": settings.get("appraisal_years") or YEARS.default,
        },
        rows=shown.rows,
        shown=shown,
        total=shown.total,
        filters=filters,
        view=view,
        sort=sort,
        descending=descending,
        columns=COLUMNS,
        themes=shown.themes,
        theme_totals=shown.theme_totals,
        modes=MODES,
        kept=kept,
        errors=errors,
        basis_errors=basis_errors,
        base_years=list(reference.deflators.index),
        args=request.args,
        export_fields={k: v for k, v in kept.items() if k != "view"},
    )


@bp.post("/export")
@require_role("analyst", "export the portfolio as a workbook")
def export() -> Response:
    """The standard results workbook of the projects the filters show, on the same basis.

    Computing it costs seconds of CPU and records a run (or reuses an identical one), so it
    is an analyst's POST from the portfolio page's button, never a GET: following a link
    or viewing a page writes nothing."""
    session = get_session()
    org = current_organisation(session)
    settings, _ = _basis(request.form)
    basis = portfolio_summaries(session, org.id, settings)
    sort, descending = parse_sort(request.form.get("sort"))
    matching = summary_page(
        session, org.id, basis, _filters(request.form), sort, descending, 1, page_size=10**9
    )
    chosen = {r.project_id for r in matching.rows}
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
