"""The unit cost picker: search the table in use and see each cost at base-year prices.

A GET form, searched on the server, so it works without JavaScript and every search
has an address that can be bookmarked or shared.  Rows show what a person needs to
choose well: the code, name and unit, the value rebased to the base year (METHOD 1.2),
the original value and price year, the source and the confidence grade.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from .db import get_session
from .reference import app_reference, current_table, search_rows, value_at_base

bp = Blueprint("unit_costs", __name__, url_prefix="/unit-costs")

#: Rows shown at most; the page says how many matched so a person can narrow the search.
LIMIT = 100


@bp.get("/")
def index() -> str:
    session = get_session()
    table = current_table(session)
    reference = app_reference()
    base_year = reference.deflators.latest_year
    text = request.args.get("q", "").strip()
    rows, total = search_rows(session, table, text, LIMIT)
    return render_template(
        "unit_costs/index.html",
        table=table,
        q=text,
        rows=[(row, value_at_base(row, base_year, reference)) for row in rows],
        total=total,
        base_year=base_year,
    )
