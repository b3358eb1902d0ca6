"""Each project's check and headline figures, stored, so pages read rather than recompute.

A :class:`~.models.ProjectSummary` row holds what the engine found for one project
revision under one *basis*: a digest (:func:`basis_key`) of everything else the answer
depends on, namely the settings it was computed with, the unit cost table (id and
SHA-256), the engine version and the reference tables' hashes.  A page asks for the row
of the project's current revision under its basis; only a project whose inputs or
tables changed has none, and only it is checked (:func:`project_problems`) or computed
(``froi.web.portfolio.data.portfolio_summaries``) again.

The rows are a cache of pure functions of stored data, written in a short transaction
of their own (a page's GET records no run and changes nothing anyone saved); two pages
storing the same row at once is harmless (the second is dropped).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from calculator import ENGINE_VERSION
from calculator.errors import Problem
from calculator.reference import ReferenceData

from . import models
from .reference import app_reference, current_table
from .running import SharedChecks, check_input
from .summary import NOT_THEMES

log = logging.getLogger(__name__)


def basis_key(
    table: models.UnitCostTable,
    reference: ReferenceData,
    settings: dict[str, Any] | None,
    kind: str,
) -> str:
    """The digest of what a stored check or summary depends on besides the project."""
    provenance = reference.provenance()
    provenance.pop("unit_cost_table", None)  # the table is named by id and hash below
    payload = {
        "kind": kind,
        "settings": settings,
        "table": [table.id, table.sha256],
        "engine": ENGINE_VERSION,
        "reference": provenance,
        # how outcomes are put under themes: a change of rule makes stored summaries stale
        "not_themes": sorted(NOT_THEMES),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _problem_fields(problem: Problem) -> dict[str, Any]:
    return dataclasses.asdict(problem)


def store_summaries(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Replace the stored rows of these (project, basis) pairs and commit, through the
    caller's own session (one connection per request: a second one taken while the first
    is held could wait for ever on a busy pool).  A row another request stored meanwhile,
    or a project deleted meanwhile, is left as it is (the rows are a cache: the page
    already has its answer).  Called where nothing else is pending (a page that only
    reads, or a session of its own)."""
    rows = list(rows)
    if not rows:
        return
    try:
        for row in rows:
            session.execute(
                delete(models.ProjectSummary).where(
                    models.ProjectSummary.project_id == row["project_id"],
                    models.ProjectSummary.basis == row["basis"],
                )
            )
        session.add_all(models.ProjectSummary(**row) for row in rows)
        session.commit()
    except (IntegrityError, DBAPIError) as error:
        session.rollback()
        log.info("stored summaries not kept (%s): another request stored them", error)


def project_problems(
    session: Session, project: models.Project, shared: SharedChecks | None = None
) -> list[Problem]:
    """The engine's problems and warnings about a project as it stands, on the table its
    organisation's new runs use: read from the stored check of this revision, or
    checked now (through ``shared`` when it checks on that table) and stored."""
    table = current_table(session, project.organisation_id)
    # the file reference is enough: the key names the unit cost table by id and hash, so
    # building the engine's table (reference_for) would be work for nothing on every page
    key = basis_key(table, app_reference(), None, "check")
    stored = session.scalars(
        select(models.ProjectSummary).where(
            models.ProjectSummary.project_id == project.id,
            models.ProjectSummary.basis == key,
            models.ProjectSummary.revision == project.revision,
        )
    ).first()
    if stored is not None:
        return [Problem(**p) for p in stored.problems]
    if shared is not None and shared.serves(table):
        problems = shared.problems(project.input_doc())
    else:
        problems = check_input(session, project.input_doc(), project.organisation_id)
    store_summaries(session, [{"project_id": project.id, **_check_values(project, key, problems)}])
    return problems


def check_row(
    table: models.UnitCostTable, project: models.Project, shared: SharedChecks
) -> dict[str, Any]:
    """The stored check of ``project`` as it stands, on ``table`` (the one its
    organisation's new runs use; ``shared`` checks on it), as a row's values but its
    ``project_id``: for a project being added, which has none yet."""
    if not shared.serves(table):
        raise ValueError("the shared checks are not on this table")
    key = basis_key(table, app_reference(), None, "check")
    return _check_values(project, key, shared.problems(project.input_doc()))


def _check_values(project: models.Project, key: str, problems: list[Problem]) -> dict[str, Any]:
    return {
        "organisation_id": project.organisation_id,
        "basis": key,
        "revision": project.revision,
        "problems": [_problem_fields(p) for p in problems],
    }
