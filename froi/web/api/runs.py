"""``/runs``: the organisation's runs, one run (JSON or its results workbook), re-runs.

A re-run recomputes the stored input, on the stored table version (``tables=stored``:
it should reproduce every figure) or on the version now in use (``tables=current``),
records it as a run of its own linked to the original, and answers with whether every
figure came out the same, each one that did not, and why (the unit cost codes whose
rows changed, a changed deflator table, base year or engine version), as the run page
shows them (:mod:`froi.web.runs`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from calculator.errors import InvalidInput

from ..accounts.access import current_organisation, need, owned
from ..core import models
from ..core.db import get_session
from ..core.running import rerun, rerun_current, rerun_differences
from ..runs.rerun_reasons import rerun_reasons
from .common import (
    JSON,
    XLSX,
    ApiBlueprint,
    errors,
    invalid,
    json_response,
    links,
    page_of,
    results_workbook,
    run_results,
    run_summary,
    run_url,
    wants,
    workbook_response,
)
from .schemas import PageArgs, RerunArgs, RunDetail, RunList

blp = ApiBlueprint(
    "runs_api",
    __name__,
    url_prefix="/api/v1",
    description="Every calculation, stored with what it used; re-run to reproduce it.",
)
RERUN = "re-run runs"


def get_run(run_id: int) -> models.Run:
    return owned(get_session(), models.Run, run_id, "There is no such run.")


def run_detail(run: models.Run) -> dict[str, Any]:
    out = {**run_summary(run), "input": run.input_doc, "results": run_results(run)}
    original = run.rerun_of
    if original is not None:
        out["differences"] = [
            {"path": d.path, "stored": d.stored, "now": d.now}
            for d in rerun_differences(original, run)
        ]
        reasons = rerun_reasons(original, run) if not run.reproduced else None
        out["reasons"] = (
            None
            if reasons is None
            else {
                "changed_codes": [c.code for c in reasons.changed_codes],
                "added_codes": [c.code for c in reasons.added_codes],
                "removed_codes": [c.code for c in reasons.removed_codes],
                "other": list(reasons.other),
            }
        )
    return out


@blp.route("/runs", methods=["GET"])
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, RunList)
@blp.doc(summary="The organisation's runs, newest first")
@errors(blp, 422)
def list_runs(**args: Any) -> Any:
    session = get_session()
    query = (
        select(models.Run)
        .where(models.Run.organisation_id == current_organisation(session).id)
        .order_by(models.Run.id.desc())
    )
    runs, paging = page_of(session, query, args)
    return {"items": [run_summary(r) for r in runs], "paging": paging}


@blp.route("/runs/<int:run_id>", methods=["GET"])
@blp.doc(
    summary="One run: what went in and what came out",
    description=(
        "The run's input, provenance and results; or, with "
        f"`Accept: {XLSX}`, the standard results workbook of the run."
    ),
    responses={
        200: {
            "description": "The run",
            "content": {
                JSON: {"schema": RunDetail},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
@errors(blp, 404)
def show_run(run_id: int) -> Any:
    run = get_run(run_id)
    if wants(XLSX):
        return workbook_response(results_workbook(run), f"run-{run.id}-results.xlsx")
    return json_response(run_detail(run))


@blp.route("/runs/<int:run_id>/rerun", methods=["POST"])
@blp.arguments(RerunArgs, location="query", as_kwargs=True)
@blp.response(201, RunDetail, description="The re-run, recorded; Location names it")
@blp.doc(
    summary="Re-run a run, on its stored tables or on the tables now in use",
    responses={201: {"links": links(GetRerun=("show_run", "run_id", "/id"))}},
)
@errors(blp, 403, 404, 422)
def rerun_run(run_id: int, tables: str) -> Any:
    need(models.ANALYST, RERUN)
    session = get_session()
    run = get_run(run_id)
    try:
        again = rerun(session, run) if tables == "stored" else rerun_current(session, run)
    except InvalidInput as problems:  # the table in use may lack a code the run used
        session.rollback()
        raise invalid(problems, f"Run {run.id} on the table now in use") from None
    session.commit()
    return json_response(run_detail(again), 201, {"Location": run_url(again)})
