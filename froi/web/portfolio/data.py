"""The portfolio: every project of the organisation computed together, on one basis.

Projects are compared like with like: one engine call over all of them (one input
document, so one base year, one appraisal period and optimism bias setting, and the
unit cost table version new runs use), whatever settings each project has for its own
results page.  The basis is chosen on the page (base year and appraisal period; the
defaults are the engine's).  A project's own ``discount`` and other project fields are
kept.  Local unit costs of the projects are laid over the table together; a project
whose local unit cost has the same code as another project's but different figures
cannot share the table and is listed with the projects that have problems.

**Projects with problems** (a project still being filled in, say) must not stop the
others: the document is checked, the projects the problems name are set aside with
their problems, and the rest checked again.  They are listed separately with a link to
the project page, which lists each problem with a link to the field that fixes it.

**Recorded as a run.**  The computation is stored as a :class:`~froi.web.core.models.Run` labelled
"Portfolio" so it can be audited and re-run like any other.  A later visit whose input
document hashes the same, on the same table version, reuses that run instead of
recording the same calculation again; any change to any project (or to the basis)
makes a new run.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from calculator.engine import Results, compute_run, input_hash
from calculator.errors import InvalidInput, Problem
from calculator.inputs import RunInput, read_input
from calculator.reference import ReferenceData

from ..core import models
from ..core.reference import current_table, reference_for
from ..core.result_chunks import results_dict
from ..core.running import audit_run, new_run, user_name

LABEL = "Portfolio"
#: Rounds of setting aside projects with problems before giving up.
ROUNDS = 3


@dataclass
class Portfolio:
    """What the portfolio page needs: the run, the projects and the ones left out."""

    run: models.Run | None
    reference: ReferenceData
    table: models.UnitCostTable
    projects: dict[str, models.Project]
    #: projects left out, each with its problems in words
    left_out: list[tuple[models.Project, list[str]]] = field(default_factory=list)
    #: problems no single project can be blamed for (the basis chosen, say)
    general: list[str] = field(default_factory=list)


def basis_settings(base_year: str | None, appraisal_years: int | None) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if base_year:
        settings["base_year"] = base_year
    if appraisal_years:
        settings["appraisal_years"] = appraisal_years
    return settings


def _local_rows(
    projects: list[models.Project],
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every project's local unit cost rows, and the projects whose rows clash."""
    rows: dict[str, dict[str, Any]] = {}
    clashes: dict[str, str] = {}
    for project in projects:
        for row in project.unit_costs or []:
            code = str(row.get("code") if isinstance(row, dict) else "")
            if code in rows and rows[code] != row:
                clashes[project.project_ref] = (
                    f"its own unit cost {code} has different figures from another project's "
                    "unit cost of the same code; give one of them a new code"
                )
            elif code:
                rows[code] = row
    return list(rows.values()), clashes


def document(projects: list[models.Project], settings: dict[str, Any]) -> dict[str, Any]:
    local, _ = _local_rows(projects)
    doc: dict[str, Any] = {"settings": dict(settings), "projects": []}
    if local:
        doc["unit_costs"] = copy.deepcopy(local)
    # every agency any project adds on purpose: declaring one changes no other project
    agencies = list(dict.fromkeys(a for p in projects for a in p.agencies or []))
    if agencies:
        doc["agencies"] = agencies
    doc["projects"] = [copy.deepcopy(p.doc) for p in projects]
    return doc


def check(
    projects: list[models.Project], settings: dict[str, Any], reference: ReferenceData
) -> tuple[RunInput | None, dict[str, Any], dict[str, list[str]], list[str]]:
    """The checked run of the projects without problems, its document, the problems of
    each project set aside (by reference) and problems of no one project."""
    _, clashes = _local_rows(projects)
    set_aside: dict[str, list[str]] = {ref: [text] for ref, text in clashes.items()}
    for _ in range(ROUNDS):
        kept = [p for p in projects if p.project_ref not in set_aside]
        doc = document(kept, settings)
        if not kept:
            return None, doc, set_aside, []
        try:
            return read_input(doc, reference), doc, set_aside, []
        except InvalidInput as invalid:
            errors = [p for p in invalid.problems if p.severity != "warning"]
            refs = {p.project_ref for p in kept}
            blamed = [p for p in errors if p.project in refs]
            for problem in blamed:
                set_aside.setdefault(str(problem.project), []).append(_words(problem))
            if len(blamed) < len(errors) and not blamed:
                return None, doc, set_aside, [_words(p) for p in errors if p not in blamed]
    return None, document([], settings), set_aside, ["the projects could not be checked"]


def _words(problem: Problem) -> str:
    parts = []
    if problem.list:
        row = f" row {problem.row}" if problem.row is not None else ""
        parts.append(f"{problem.list.replace('_', ' ')}{row}")
    if problem.field:
        parts.append(f"field '{problem.field}'")
    where = ", ".join(parts)
    return f"{where}: {problem.message}" if where else problem.message


def stored_run(
    session: Session, organisation_id: int, table: models.UnitCostTable, digest: str
) -> models.Run | None:
    """The newest portfolio run of exactly this input on this table, if there is one."""
    Run = models.Run
    return session.scalars(
        select(Run)
        .where(
            Run.organisation_id == organisation_id,
            Run.label.like(f"{LABEL}%"),
            Run.input_sha256 == digest,
            Run.unit_cost_table_id == table.id,
            Run.rerun_of_id.is_(None),
        )
        .order_by(Run.id.desc())
        .limit(1)
    ).first()


def compute_portfolio(
    session: Session,
    organisation_id: int,
    projects: list[models.Project],
    settings: dict[str, Any],
    *,
    label: str = LABEL,
) -> tuple[Portfolio, Results | None]:
    """Check and compute the projects in one engine call, reusing an identical run.

    Returns the portfolio and, when it was computed now, the engine's results.
    """
    table = current_table(session, organisation_id)
    reference = reference_for(table)
    by_ref = {p.project_ref: p for p in projects}
    checked, doc, set_aside, general = check(projects, settings, reference)
    left_out = [(by_ref[ref], problems) for ref, problems in set_aside.items() if ref in by_ref]
    portfolio = Portfolio(None, reference, table, by_ref, left_out, general)
    if checked is None:
        return portfolio, None
    # the document as it will read back from the JSON column, so its hash is the run's
    doc = json.loads(json.dumps(doc))
    digest = input_hash(doc)
    portfolio.run = stored_run(session, organisation_id, table, digest)
    if portfolio.run is not None:
        return portfolio, None
    now = models.utcnow()
    results = compute_run(checked, reference, input_sha256=digest, computed_at=now)
    count = len(checked.projects)
    text = f"{label}: {count:,} project{'' if count == 1 else 's'}"
    portfolio.run = new_run(
        table,
        doc,
        results_dict(results),
        organisation_id=organisation_id,
        project_ref=LABEL,
        computed_at=now,
        user=user_name(),
        label=text[:300],
    )
    session.add(portfolio.run)
    session.flush()
    audit_run(session, portfolio.run)
    return portfolio, results


def organisation_projects(session: Session, organisation_id: int) -> list[models.Project]:
    return list(
        session.scalars(
            select(models.Project)
            .where(models.Project.organisation_id == organisation_id)
            .order_by(models.Project.project_ref)
        )
    )
