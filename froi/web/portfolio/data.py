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
import logging
import math
from dataclasses import dataclass, field
from typing import Any

from flask import g, has_request_context
from sqlalchemy import case, event, func, inspect, select
from sqlalchemy.orm import Session, load_only

from calculator.engine import Results, compute_run, input_hash
from calculator.errors import InvalidInput, Problem
from calculator.inputs import RunInput, read_input
from calculator.reference import ReferenceData

from ..core import models
from ..core.reference import current_table, like_pattern, projects_matching, reference_for
from ..core.result_chunks import results_dict
from ..core.running import SharedChecks, audit_run, new_run, user_name
from ..core.summaries import basis_key, store_summaries
from ..core.summary import BAND_ORDER, SummaryRow, summary_rows

log = logging.getLogger(__name__)

LABEL = "Portfolio"
#: Rounds of setting aside projects with problems before giving up.
ROUNDS = 3
#: Projects checked and computed together when many are out of date (one engine call each).
CHUNK = 500


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
    projects: list[models.Project],
    settings: dict[str, Any],
    reference: ReferenceData,
    shared: SharedChecks | None = None,
) -> tuple[RunInput | None, dict[str, Any], dict[str, list[str]], list[str]]:
    """The checked run of the projects without problems, its document, the problems of
    each project set aside (by reference) and problems of no one project (``shared``,
    when given, reads each document: it must check on ``reference``)."""
    read = shared.read if shared is not None else lambda doc: read_input(doc, reference)
    _, clashes = _local_rows(projects)
    set_aside: dict[str, list[str]] = {ref: [text] for ref, text in clashes.items()}
    for _ in range(ROUNDS):
        kept = [p for p in projects if p.project_ref not in set_aside]
        doc = document(kept, settings)
        if not kept:
            return None, doc, set_aside, []
        try:
            return read(doc), doc, set_aside, []
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


@dataclass
class PortfolioBasis:
    """The portfolio's basis and where its stored summaries are found."""

    key: str
    table: models.UnitCostTable
    reference: ReferenceData
    settings: dict[str, Any]
    #: projects with problems, each with its problems in words
    left_out: list[tuple[models.Project, list[str]]] = field(default_factory=list)
    #: problems no single project can be blamed for
    general: list[str] = field(default_factory=list)
    #: how many projects were checked or computed for this view (0: all were stored)
    computed_now: int = 0


def portfolio_summaries(
    session: Session, organisation_id: int, settings: dict[str, Any]
) -> PortfolioBasis:
    """Make sure every project of the organisation has a stored summary under the
    portfolio's basis, computing only those whose inputs or tables changed (in one
    engine call per :data:`CHUNK`), and return the basis to read them by."""
    table = current_table(session, organisation_id)
    reference = reference_for(table)
    key = basis_key(table, reference, settings, "portfolio")
    basis = PortfolioBasis(key, table, reference, settings)
    Project, Summary = models.Project, models.ProjectSummary
    current = session.execute(
        select(Project.id, Project.revision, Summary.revision)
        .outerjoin(Summary, (Summary.project_id == Project.id) & (Summary.basis == key))
        .where(Project.organisation_id == organisation_id)
    ).all()
    stale = [pid for pid, revision, stored in current if stored != revision]
    for start in range(0, len(stale), CHUNK):
        ids = stale[start : start + CHUNK]
        projects = list(
            session.scalars(select(Project).where(Project.id.in_(ids)).order_by(Project.id))
        )
        basis.computed_now += len(projects)
        basis.general += _compute_and_store(session, projects, basis)
    basis.left_out = _left_out(session, organisation_id, key)
    return basis


def _compute_and_store(
    session: Session,
    projects: list[models.Project],
    basis: PortfolioBasis,
    shared: SharedChecks | None = None,
) -> list[str]:
    """Check and compute the projects together and store each one's summary (or its
    problems); returns problems that no single project can be blamed for."""
    found, general = _summaries(projects, basis, shared)
    store_summaries(session, [{"project_id": p.id, **values} for p, values in found])
    return general


def _summaries(
    projects: list[models.Project], basis: PortfolioBasis, shared: SharedChecks | None = None
) -> tuple[list[tuple[models.Project, dict[str, Any]]], list[str]]:
    """Check and compute the projects together: each one's summary row (but its
    ``project_id``, which a project being added has not yet), and the problems no single
    project can be blamed for."""
    checked, doc, set_aside, general = check(projects, basis.settings, basis.reference, shared)
    by_ref = {p.project_ref: p for p in projects}
    rows: list[tuple[models.Project, dict[str, Any]]] = []

    def row(project: models.Project, **values: Any) -> tuple[models.Project, dict[str, Any]]:
        return project, {
            "organisation_id": project.organisation_id,
            "basis": basis.key,
            "revision": project.revision,
            **values,
        }

    for ref, problems in set_aside.items():
        if ref in by_ref:
            rows.append(row(by_ref[ref], problems=[{"message": m} for m in problems]))
    if checked is not None:
        doc = json.loads(json.dumps(doc))
        results = compute_run(checked, basis.reference, input_sha256=input_hash(doc))
        computed = summary_rows(results_dict(results), basis.reference)
        kept = [p for p in projects if p.project_ref not in set_aside]
        for project, figures in zip(kept, computed, strict=True):
            rows.append(row(project, computed=True, **_figures(figures)))
    return rows, general


def _figures(row: SummaryRow) -> dict[str, Any]:
    return {
        "mode": row.mode[:20],
        "pv_costs": row.pv_costs,
        "pv_fiscal": row.pv_fiscal,
        "froi": row.froi,
        "npv": row.npv,
        "payback": row.payback,
        "cashable": row.cashable,
        "band": row.band[:60],
        "themes": row.themes,
        "themes_text": "".join(f"|{t}" for t in sorted(row.themes)) + "|" if row.themes else "",
    }


def _left_out(
    session: Session, organisation_id: int, key: str
) -> list[tuple[models.Project, list[str]]]:
    Project, Summary = models.Project, models.ProjectSummary
    found = session.execute(
        select(Project, Summary.problems)
        .options(load_only(Project.id, Project.project_ref, Project.name, Project.revision))
        .join(Summary, (Summary.project_id == Project.id) & (Summary.basis == key))
        .where(
            Project.organisation_id == organisation_id,
            Summary.revision == Project.revision,
            Summary.computed.is_(False),
        )
        .order_by(Project.project_ref)
    ).all()
    return [(project, [str(p.get("message")) for p in problems]) for project, problems in found]


#: Rows of the portfolio's table on one page.
PAGE_SIZE = 100


def _band_order() -> Any:
    """Bands in order of value (as :data:`~..core.summary.BAND_ORDER`), for ORDER BY."""
    Summary = models.ProjectSummary
    return case(
        *[(func.lower(Summary.band) == band.casefold(), i) for band, i in BAND_ORDER.items()],
        else_=None,
    )


def _sort_column(key: str) -> Any:
    Project, Summary = models.Project, models.ProjectSummary
    columns: dict[str, Any] = {
        "project": func.lower(Project.project_ref),
        "mode": Summary.mode,
        "themes": func.lower(Summary.themes_text),
        "pv_costs": Summary.pv_costs,
        "pv_fiscal": Summary.pv_fiscal,
        "froi": Summary.froi,
        "npv": Summary.npv,
        "payback": Summary.payback,
        "band": _band_order(),
        "cashable": Summary.cashable,
    }
    return columns.get(key, columns["project"])


@dataclass
class SummaryPage:
    """One page of the portfolio's table, with what the page says about all of it."""

    rows: list[SummaryRow]
    #: projects matching the filters (all pages), and computed projects in all
    matching: int
    total: int
    page: int
    pages: int
    #: every theme of the computed projects, for the filter
    themes: list[str]
    #: fiscal benefits by theme over every matching project: (theme, total, projects)
    theme_totals: list[tuple[str, float, int]]


def summary_page(
    session: Session,
    organisation_id: int,
    basis: PortfolioBasis,
    filters: dict[str, str],
    sort: str,
    descending: bool,
    page: int,
    page_size: int | None = None,
) -> SummaryPage:
    """The stored summaries under ``basis``: filtered, sorted and paged in the database
    (missing figures last whichever way)."""
    Project, Summary = models.Project, models.ProjectSummary
    computed = (
        select(Project, Summary)
        .options(
            load_only(Project.id, Project.project_ref, Project.name, Project.organisation_name)
        )
        .join(Summary, (Summary.project_id == Project.id) & (Summary.basis == basis.key))
        .where(
            Project.organisation_id == organisation_id,
            Summary.revision == Project.revision,
            Summary.computed.is_(True),
        )
    )
    total = session.scalar(select(func.count()).select_from(computed.subquery())) or 0
    query = computed
    query = projects_matching(query, filters.get("q", ""))
    if filters.get("mode"):
        query = query.where(Summary.mode == filters["mode"])
    if filters.get("theme"):
        query = query.where(
            Summary.themes_text.like(like_pattern(f"|{filters['theme']}|"), escape="\\")
        )
    filtered = query is not computed
    matching = (
        session.scalar(select(func.count()).select_from(query.subquery())) or 0
        if filtered
        else total  # no filter: every computed project matches
    )
    page_size = page_size or PAGE_SIZE
    pages = max(1, math.ceil(matching / page_size))
    page = min(max(page, 1), pages)
    column = _sort_column(sort)
    ordered = query.order_by(
        column.is_(None), column.desc() if descending else column.asc(), Project.id
    )
    found = session.execute(ordered.limit(page_size).offset((page - 1) * page_size)).all()
    rows = [_row(i, project, summary) for i, (project, summary) in enumerate(found)]
    # the themes: narrow columns only, never the projects' documents, and only of the
    # projects that have any (``themes_text`` is empty exactly when ``themes`` is: a
    # project with none adds nothing to a total, a count or the list)
    some = Summary.themes_text != ""
    themes_of_matching = session.scalars(
        query.where(some).with_only_columns(Summary.themes).order_by(None)
    ).all()
    all_themes = session.scalars(
        computed.where(some).with_only_columns(Summary.themes_text).distinct()
    ).all()
    themes = sorted({t for text in all_themes for t in text.split("|") if t})
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    for by_theme in themes_of_matching:
        for theme, value in (by_theme or {}).items():
            totals[theme] = totals.get(theme, 0.0) + float(value or 0.0)
            counts[theme] = counts.get(theme, 0) + 1
    theme_totals = sorted(
        ((t, v, counts[t]) for t, v in totals.items()), key=lambda item: (-item[1], item[0])
    )
    return SummaryPage(rows, matching, total, page, pages, themes, theme_totals)


def _row(index: int, project: models.Project, summary: models.ProjectSummary) -> SummaryRow:
    return SummaryRow(
        index=index,
        project_id=project.project_ref,
        name=project.name,
        mode=summary.mode or "appraisal",
        pv_costs=summary.pv_costs,
        pv_fiscal=summary.pv_fiscal,
        froi=summary.froi,
        npv=summary.npv,
        payback=summary.payback,
        band=summary.band,
        cashable=summary.cashable,
        themes=dict(summary.themes or {}),
        project_pk=project.id,
        organisation=project.organisation_name,
    )


def organisation_projects(session: Session, organisation_id: int) -> list[models.Project]:
    return list(
        session.scalars(
            select(models.Project)
            .where(models.Project.organisation_id == organisation_id)
            .order_by(models.Project.project_ref)
        )
    )


#: Projects whose summaries a save refreshes at once; a larger change (a batch of
#: hundreds) leaves them to the next view, which computes them in one engine call.
REFRESH_AT_SAVE = 20
_CHANGED = "froi.changed_projects"
#: New projects' rows computed before they were written: {project: [row values]}
_PREPARED = "froi.prepared_summaries"
#: Ids of projects whose rows went in with them (nothing left to refresh)
_STORED = "froi.summaries_stored"


def _note_changed_projects(session: Session, _context: Any) -> None:
    """``after_flush``: remember the projects this transaction added or changed."""
    ids = session.info.setdefault(_CHANGED, set())
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, models.Project) and obj.id is not None:
            ids.add(obj.id)


def _prepare_new_projects(session: Session, _context: Any, _instances: Any) -> None:
    """``before_flush``: in a request that adds a few projects, check and compute each
    one now, before its row is written, so that its stored check and portfolio summary
    are committed with it (:func:`_store_prepared`).

    A project is then never seen without its summary: the portfolio views of other
    people in the meantime would otherwise each compute it again.  It is done before the
    write because SQLite lets one transaction write at a time: computing while holding
    that lock would keep every other save waiting.  Only new projects: no other
    transaction can have stored rows for them, so storing theirs cannot fail the save (a
    changed project's rows are refreshed after its save, :func:`refresh_changed_projects`).
    A failure here is logged and leaves the rows to that refresh."""
    if not has_request_context():
        return
    new = [
        obj
        for obj in session.new
        if isinstance(obj, models.Project)
        and obj.organisation_id is not None
        and obj.revision is not None
    ]
    if not new:
        return
    prepared: dict[models.Project, list[dict[str, Any]]] = session.info.setdefault(_PREPARED, {})
    if len(prepared) + len(new) > REFRESH_AT_SAVE:
        return  # a batch: its projects are computed together by the next view
    from ..core.summaries import check_row

    try:
        by_org: dict[int, list[models.Project]] = {}
        for project in new:
            by_org.setdefault(project.organisation_id, []).append(project)
        rows: dict[models.Project, list[dict[str, Any]]] = {}
        for organisation_id, added in by_org.items():
            table = current_table(session, organisation_id)
            reference = reference_for(table)
            shared = SharedChecks(table, reference)  # one read each for both rows
            for project in added:
                rows[project] = [check_row(table, project, shared)]
            key = basis_key(table, reference, {}, "portfolio")
            found, _ = _summaries(added, PortfolioBasis(key, table, reference, {}), shared)
            for project, values in found:
                rows[project].append(values)
    except Exception:
        log.warning("summaries of new projects not prepared before their save", exc_info=True)
        return
    prepared.update(rows)


def _store_prepared(session: Session) -> None:
    """``before_commit``: add the prepared rows of the new projects, with their ids, to
    the transaction that adds the projects.  A project changed again since its rows were
    prepared (another revision) gets none: the refresh after the save computes it."""
    if any(isinstance(obj, models.Project) for obj in session.new):
        session.flush()  # the projects first (their rows prepared, then their ids)
    if not session.info.get(_PREPARED):
        return
    prepared: dict[models.Project, list[dict[str, Any]]] = session.info.pop(_PREPARED, {})
    stored: set[int] = session.info.setdefault(_STORED, set())
    for project, rows in prepared.items():
        state = inspect(project)
        if not state.persistent or project.id is None:
            continue
        if any(values["revision"] != project.revision for values in rows):
            continue
        session.add_all(models.ProjectSummary(project_id=project.id, **v) for v in rows)
        stored.add(project.id)


def _forget_changed_projects(session: Session, *_: Any) -> None:
    for key in (_CHANGED, _PREPARED, _STORED):
        session.info.pop(key, None)


def _committed(session: Session) -> None:
    """``after_commit``: in a request, keep the ids for the end of the request (but
    those of projects whose rows were committed with them)."""
    ids = session.info.pop(_CHANGED, None)
    ids = (ids or set()) - session.info.pop(_STORED, set())
    if ids and has_request_context():
        g.setdefault("changed_projects", set()).update(ids)


def refresh_changed_projects(_exc: BaseException | None = None) -> None:
    """At the end of a request that saved projects: store the check and the default
    portfolio summary of the few it changed, so the pages that show them read rather
    than compute (and many people viewing the portfolio at once do not all compute the
    same project).  The request's session is closed first, so one connection is used at
    a time.  A failure here never undoes the save: the next view computes what is
    missing."""
    ids: set[int] | None = g.pop("changed_projects", None)
    if not ids or len(ids) > REFRESH_AT_SAVE:
        return
    from ..core.db import close_session, database
    from ..core.summaries import project_problems

    close_session()
    try:
        with database().sessions() as session:
            projects = list(
                session.scalars(
                    select(models.Project)
                    .where(models.Project.id.in_(ids))
                    .order_by(models.Project.id)
                )
            )
            by_org: dict[int, list[models.Project]] = {}
            for project in projects:
                by_org.setdefault(project.organisation_id, []).append(project)
            for organisation_id, changed in by_org.items():
                table = current_table(session, organisation_id)
                reference = reference_for(table)
                # a project without settings of its own is checked once for both
                shared = SharedChecks(table, reference)
                for project in changed:
                    project_problems(session, project, shared)
                key = basis_key(table, reference, {}, "portfolio")
                basis = PortfolioBasis(key, table, reference, {})
                _compute_and_store(session, changed, basis, shared)
    except Exception:
        log.warning(
            "summaries of projects %s not refreshed after a save", sorted(ids), exc_info=True
        )


def watch_saves(app: Any) -> None:
    """Refresh the summaries of projects a request's transactions changed, at its end."""
    sessions = app.extensions["froi"]["db"].sessions
    event.listen(sessions, "before_flush", _prepare_new_projects)
    event.listen(sessions, "before_commit", _store_prepared)
    event.listen(sessions, "after_flush", _note_changed_projects)
    event.listen(sessions, "after_rollback", _forget_changed_projects)
    event.listen(sessions, "after_commit", _committed)
    app.teardown_appcontext(refresh_changed_projects)
