"""``GET /portfolio``: every project on one basis, with the portfolio page's filters.

Each project's stored summary under the basis is read, and only projects whose inputs
or tables changed are computed, exactly as the portfolio page does
(:mod:`froi.web.portfolio`); nothing is recorded as a run (``run`` is null).  The rows
are the page's rows, filtered by words, mode and theme, sorted by a column, a page at a
time, in the database.  Projects whose inputs have problems are listed apart.
"""

from __future__ import annotations

from typing import Any

from flask import request

from ..accounts.access import current_organisation
from ..core.db import get_session
from ..core.summary import SORT_KEYS, parse_sort
from ..portfolio.data import portfolio_summaries, summary_page
from ..portfolio.routes import _basis
from .common import ApiBlueprint, errors, paging
from .problems import ApiProblem
from .schemas import Portfolio, PortfolioArgs

blp = ApiBlueprint(
    "portfolio_api",
    __name__,
    url_prefix="/api/v1",
    description="Every project of the organisation side by side, on one basis.",
)


@blp.route("/portfolio", methods=["GET"])
@blp.arguments(PortfolioArgs, location="query", as_kwargs=True)
@blp.response(200, Portfolio)
@blp.doc(summary="The portfolio: each project's headline figures, filtered and sorted")
@errors(blp, 422)
def show_portfolio(**args: Any) -> Any:
    sort_text = str(args.get("sort") or "")
    problems = []
    if sort_text and sort_text.lstrip("-") not in SORT_KEYS:
        problems.append(
            _item(
                "sort",
                f"sort by one of {', '.join(sorted(SORT_KEYS))}, '-' first for "
                f"descending; got '{sort_text}'",
            )
        )
    settings, basis_errors = _basis(request.args)
    problems += [_item(name, text) for name, text in basis_errors.items()]
    if problems:
        raise ApiProblem(
            422, "invalid-parameters", "; ".join(p["text"] for p in problems), errors=problems
        )
    session = get_session()
    org = current_organisation(session)
    portfolio = portfolio_summaries(session, org.id, settings)
    filters = {"q": args.get("q", ""), "mode": args.get("mode", ""), "theme": args.get("theme", "")}
    sort, descending = parse_sort(sort_text)
    size, number = int(args["page_size"]), int(args["page"])
    shown = summary_page(session, org.id, portfolio, filters, sort, descending, number, size)
    page = shown.rows if shown.page == number else []
    return {
        "run": None,
        "items": [
            {
                "project_id": r.project_id,
                "project": r.project_pk,
                "name": r.name,
                "organisation": r.organisation,
                "mode": r.mode,
                "pv_costs": r.pv_costs,
                "pv_fiscal": r.pv_fiscal,
                "froi": r.froi,
                "npv": r.npv,
                "payback": r.payback,
                "band": r.band,
                "cashable": r.cashable,
                "themes": r.themes,
            }
            for r in page
        ],
        "paging": paging(number, size, shown.matching),
        "left_out": [
            {"project_id": p.project_ref, "project": p.id, "problems": words}
            for p, words in portfolio.left_out
        ],
        "general": portfolio.general,
        "theme_totals": {theme: total for theme, total, _ in shown.theme_totals},
    }


def _item(name: str, message: str) -> dict[str, Any]:
    return {
        "severity": "error",
        "location": "query",
        "field": name,
        "message": message,
        "text": f"query parameter '{name}': {message}",
    }
