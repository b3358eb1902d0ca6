"""The results page of a project: compute it now, record the run, show the figures.

Each visit computes the project afresh on the current unit cost table, with the engine
function every caller uses, and stores the run, so that the figures on the screen are
always the project as it stands and are always on record.  The page itself is drawn
from the stored run (:mod:`froi.web.core.figures`), exactly as the run's own page is.  Simulations
for the uncertainty analysis come from the project's settings or, for a one-off look,
from the ``simulations`` query parameter, checked against the same declaration.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from calculator.errors import InvalidInput
from calculator.fields import SETTINGS, by_name

from ..core.db import get_session
from ..core.figures import project_figures
from ..core.forms import ErrorItem, form_fields
from ..core.running import compute_project, problem_links
from ..core.schemas import form_data, load, schema_for
from .routes import get_project, schedules

bp = Blueprint("results", __name__, url_prefix="/projects/<int:project_id>")

SIMULATIONS = (by_name(SETTINGS)["simulations"],)


@bp.get("/results")
def show(project_id: int) -> str:
    session = get_session()
    project = get_project(session, project_id)
    typed = {"simulations": request.args.get("simulations", "")}
    override, errors = load(schema_for(SIMULATIONS, schedules())(), form_data(SIMULATIONS, typed))
    simulation_field = form_fields(SIMULATIONS, typed if errors else override, errors)[0]
    page: dict[str, Any] = {"project": project, "simulation_field": simulation_field}
    if errors:
        error = ErrorItem(errors["simulations"], f"#{simulation_field.id}")
        return render_template("results/show.html", errors=[error], **page)
    try:
        run = compute_project(session, project, override)
    except InvalidInput as invalid:
        session.rollback()
        return render_template(
            "results/show.html", errors=problem_links(project.id, invalid.problems), **page
        )
    session.commit()
    return render_template(
        "results/show.html", run=run, figures=project_figures(run.results), **page
    )
