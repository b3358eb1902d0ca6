"""``GET /portfolio``: every project on one basis, with the portfolio page's filters.

The projects are computed in one engine call and recorded as a run, reusing an
identical earlier run, exactly as the portfolio page does (:mod:`froi.web.portfolio`);
the rows are the page's rows, filtered by words, mode and theme, sorted by a column,
a page at a time.  Projects whose inputs have problems are listed apart.
"""

from __future__ import annotations

from typing import Any

from flask import request

from ..accounts.access import current_organisation
from ..core.db import get_session
from ..core.summary import SORT_KEYS, parse_sort, sort_rows, theme_totals
from ..portfolio.data import compute_portfolio, organisation_projects
from ..portfolio.routes import _basis, _filtered, _rows
from .common import ApiBlueprint, errors, paging, run_summary
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
    portfolio, _ = compute_portfolio(
        session, org.id, organisation_projects(session, org.id), settings
    )
    session.commit()
    filters = {"q": args.get("q", ""), "mode": args.get("mode", ""), "theme": args.get("theme", "")}
    sort, descending = parse_sort(sort_text)
    shown = sort_rows(_filtered(_rows(portfolio), filters), sort, descending)
    size, number = int(args["page_size"]), int(args["page"])
    page = shown[(number - 1) * size : number * size]
    return {
        "run": run_summary(portfolio.run) if portfolio.run is not None else None,
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
        "paging": paging(number, size, len(shown)),
        "left_out": [
            {"project_id": p.project_ref, "project": p.id, "problems": words}
            for p, words in portfolio.left_out
        ],
        "general": portfolio.general,
        "theme_totals": {theme: total for theme, total, _ in theme_totals(shown)},
    }


def _item(name: str, message: str) -> dict[str, Any]:
    return {
        "severity": "error",
        "location": "query",
        "field": name,
        "message": message,
        "text": f"query parameter '{name}': {message}",
    }
