"""The work behind a batch upload: store, check, and compute a workbook's projects.

The same functions run inside a request (small workbooks) and inside a background job
(large ones, :mod:`.jobs`); they take a session and a progress reporter and do not touch
the request, so both paths give the same results.

**Check.**  The stored bytes are written to a temporary file and read with
:func:`froi.workbook.reader.check_workbook` (its limits: 20 MB, 200,000 rows a sheet, zip
bombs, encryption, formulas without values) against the reference data of the table
version new runs use.  What it finds is kept on the upload as a report: the problems
(the first 50, each with its cell, and how many more), the warnings, or the one sentence
refusing the file; or, when it is clean, how many projects of each mode, the table
version and the base year.  Nothing else is saved, and a file that is refused or does not
pass its checks is not kept: only its report is.

**Compute.**  Confirming reads and checks the stored bytes again (the unit cost table in
use may have changed since the check), computes every project in one engine call
(:func:`calculator.engine.compute_run`), stores one :class:`~froi.web.core.models.Run` whose input
is the workbook's canonical document (:func:`run_document`, so it re-runs like any
other run), adds or updates a project per uploaded project, and marks the upload
computed, all in one transaction: nothing is half-saved.  While that is saved, a helper
process writes the results workbook from the computed figures on the other core.

**Name clashes.**  A project whose reference is already used by a project of the
organisation is, by the person's choice on the check page, either added under a new
reference with a suffix (``EOC-01`` becomes ``EOC-01-2``, the first free number; the
default, which never changes an existing project) or used to update the existing
project's inputs (a new revision of it, as a save from its form would be).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from calculator.checks import FIRST as HEADLINE
from calculator.checks import in_order
from calculator.engine import Results, compute_run, input_hash
from calculator.errors import InvalidInput, Problem
from calculator.inputs import RunInput, read_input
from calculator.reference import ReferenceData
from froi.workbook.cells import DEFAULT_SHOWN
from froi.workbook.limits import DEFAULT_LIMITS, WorkbookRefused
from froi.workbook.reader import WorkbookInput, check_workbook
from froi.workbook.results.inputs import run_document

from ..core import models
from ..core.audit import Actor, record
from ..core.reference import current_table, reference_for
from ..core.result_chunks import results_dict
from ..core.running import audit_run, new_run
from ..projects import view
from . import jobs, result_files

log = logging.getLogger(__name__)

#: Statuses of an upload (see :class:`~froi.web.core.models.Upload`).
RECEIVED, CHECKING, INVALID, REFUSED, CHECKED = (
    "received",
    "checking",
    "invalid",
    "refused",
    "checked",
)
COMPUTING, COMPUTED, FAILED = "computing", "computed", "failed"
#: What to do with a project whose reference is already used.
SUFFIX, UPDATE = "suffix", "update"
CLASH_RULES = (SUFFIX, UPDATE)
#: Projects saved between two progress reports.
CHUNK = 100

Report = Callable[[str, int, int], None]


def no_progress(stage: str, done: int = 0, total: int = 0) -> None:
    """A progress reporter that reports nothing (work done within a request)."""


def new_upload(organisation_id: int, file_name: str, content: bytes, user: str) -> models.Upload:
    """The uploaded bytes as received, not yet added to a session."""
    return models.Upload(
        organisation_id=organisation_id,
        file_name=Path(file_name).name[:300] or "workbook.xlsx",
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content=content,
        user_name=user,
        status=RECEIVED,
        report={},
    )


def store_upload(
    session: Session, organisation_id: int, file_name: str, content: bytes, user: str
) -> models.Upload:
    """Keep the uploaded bytes as received (the caller commits)."""
    upload = new_upload(organisation_id, file_name, content, user)
    session.add(upload)
    session.flush()
    return upload


@contextmanager
def _on_disk(upload: models.Upload) -> Iterator[Path]:
    """The upload's bytes as a temporary file with its own extension (the reader's input)."""
    suffix = Path(upload.file_name).suffix.lower() or ".xlsx"
    with tempfile.TemporaryDirectory(prefix="froi-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(upload.content)
        yield path


def _read(
    session: Session, upload: models.Upload, progress: Report
) -> tuple[RunInput, WorkbookInput, ReferenceData, models.UnitCostTable]:
    """Read and check the stored workbook; raises WorkbookRefused or InvalidInput."""
    table = current_table(session, upload.organisation_id)
    reference = reference_for(table)
    progress(f"Reading and checking {upload.file_name}", 0, 0)
    with _on_disk(upload) as path:
        run, book = check_workbook(path, reference, limits=DEFAULT_LIMITS, file=upload.file_name)
    return run, book, reference, table


def _lines(problems: list[Problem]) -> list[dict[str, str | bool]]:
    """The first problems as the check page lists them; a headline warning (an appraisal
    project with no outcomes or no costs) is marked to stand at the top."""
    return [
        {"where": p.where(), "message": p.message, "headline": p.code in HEADLINE}
        for p in problems[:DEFAULT_SHOWN]
    ]


def _forget_file(session: Session, upload: models.Upload) -> None:
    """A refused or invalid upload keeps its report (file name, size, SHA-256 and every
    problem) but not the file: it can never be confirmed, and a hostile or mistaken file
    has no reason to stay in the database.  Commits."""
    upload.content = b""
    session.commit()


def existing_refs(session: Session, organisation_id: int) -> set[str]:
    return set(
        session.scalars(
            select(models.Project.project_ref).where(
                models.Project.organisation_id == organisation_id
            )
        )
    )


def check_upload(session: Session, upload: models.Upload, progress: Report = no_progress) -> None:
    """Check the upload and keep the report on it; commits (an upload not yet added to
    the session is only given its status and report: the caller adds it)."""
    try:
        run, _book, _reference, table = _read(session, upload, progress)
    except WorkbookRefused as refused:
        upload.status = REFUSED
        upload.report = {"refused": refused.reason, "file": refused.file}
        return _forget_file(session, upload)
    except InvalidInput as invalid:
        errors = [p for p in invalid.problems if p.severity != "warning"]
        # a workbook's own warnings travel beside its errors (sheets, headers, hidden rows)
        warnings = in_order(
            [p for p in invalid.problems if p.severity == "warning"]
            + list(getattr(invalid, "warnings", []))
        )
        upload.status = INVALID
        upload.report = {
            "problems": _lines(errors),
            "problem_count": len(errors),
            "warnings": _lines(warnings),
            "warning_count": len(warnings),
        }
        return _forget_file(session, upload)
    # the engine has checked every text against its field's length, which the columns
    # that keep them share (a test pins that), so the database takes whatever passed
    progress(f"Checked {len(run.projects):,} projects", len(run.projects), len(run.projects))
    refs = [str(r) for r in run.projects["project_id"]]
    taken = existing_refs(session, upload.organisation_id)
    upload.status = CHECKED
    upload.report = {
        "projects": len(refs),
        "modes": dict(Counter(str(m) for m in run.projects["mode"])),
        "table": {"id": table.id, "name": table.name, "version": table.version},
        "base_year": run.settings.base_year,
        "simulations": int(run.settings.simulations),
        "warnings": _lines(run.warnings),
        "warning_count": len(run.warnings),
        "clashes": sorted(r for r in refs if r in taken),
        "project_list": project_list(run, _reference, taken)[:LISTED_PROJECTS],
        "unrecognised": unrecognised_columns(run.warnings),
    }
    session.commit()


#: Projects the check page lists one by one (the rest are counted).
LISTED_PROJECTS = 500
_NOT_A_FIELD = re.compile(r"^column '(?P<column>.*)' is not an input field")


def unrecognised_columns(warnings: list[Problem]) -> list[dict[str, str]]:
    """The columns the reader did not recognise, by sheet and cell, named as headed."""
    found = []
    for problem in warnings:
        match = _NOT_A_FIELD.match(problem.message)
        if match:
            found.append({"where": problem.where(), "column": match.group("column")})
    return found


def _plain_row(record: dict[Any, Any]) -> dict[str, Any]:
    """A typed list row as a dict of plain values: NaN and missing as None."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        try:
            missing = bool(pd.isna(value))
        except (TypeError, ValueError):
            missing = False
        out[str(key)] = None if missing else value
    return out


def project_list(run: RunInput, reference: ReferenceData, taken: set[str]) -> list[dict[str, Any]]:
    """Each project the workbook holds: reference, name, mode, rows and total costs at
    base-year prices (before optimism bias and discounting), and whether its reference is
    already used here."""
    base_year = run.settings.base_year
    years = int(run.settings.appraisal_years)
    rows_of = [0] * len(run.projects)
    for table in run.lists.values():
        for p in table["_p"].to_numpy(dtype="int64"):
            rows_of[int(p)] += 1
    totals = [0.0] * len(run.projects)
    known = [True] * len(run.projects)
    costs = [_plain_row(r) for r in run.lists["costs"].to_dict("records")]
    codes = {str(r["unit_cost_code"]) for r in costs if r.get("unit_cost_code")}
    facts = view.unit_cost_facts(run.unit_costs.rows, None, codes)
    for row in costs:
        p = int(row["_p"])
        value = view.cost_value(row, facts, reference, base_year)
        if value is None:
            known[p] = False
            continue
        first = int(row.get("year") or 0)
        last = int(row["end_year"]) if row.get("end_year") is not None else first
        totals[p] += value * max(0, min(last, years - 1) - max(first, 0) + 1)
    listed = []
    for p, project in enumerate(run.projects.to_dict("records")):
        ref = str(project.get("project_id"))
        name = project.get("name")
        listed.append(
            {
                "project_id": ref,
                "name": "" if name is None or pd.isna(name) else str(name),
                "mode": str(project.get("mode") or "appraisal"),
                "rows": rows_of[p],
                "total_costs": totals[p] if known[p] else None,
                "taken": ref in taken,
            }
        )
    return listed


def free_reference(ref: str, taken: set[str]) -> str:
    """``ref`` with the first suffix ``-2``, ``-3``... that no project uses (100 characters)."""
    n = 2
    while True:
        tail = f"-{n}"
        candidate = ref[: 100 - len(tail)] + tail
        if candidate not in taken:
            return candidate
        n += 1


def plan_projects(
    session: Session, upload: models.Upload, doc: dict[str, Any], rule: str
) -> list[models.Project]:
    """A project (new, or by ``rule`` an existing one updated) per project of the document.

    Only reads the database: the caller adds the projects and commits them with the run,
    so the write transaction is short (SQLite allows one writer at a time, and a job's
    progress reports must be able to write meanwhile).
    """
    existing = {
        p.project_ref: p
        for p in session.scalars(
            select(models.Project).where(models.Project.organisation_id == upload.organisation_id)
        )
    }
    taken = set(existing)
    planned: list[models.Project] = []
    for project_doc in doc["projects"]:
        ref = str(project_doc.get("project_id") or "")
        project_doc = dict(project_doc)
        if ref in existing and rule == UPDATE:
            project = existing[ref]
        else:
            if ref in taken:
                project_doc["project_id"] = ref = free_reference(ref, taken)
            project = models.Project(organisation_id=upload.organisation_id, revision=0)
        taken.add(ref)
        project.set_doc(project_doc)
        project.settings = dict(doc["settings"])
        project.unit_costs = list(doc.get("unit_costs") or [])
        project.agencies = list(doc.get("agencies") or [])
        planned.append(project)
    return planned


def compute_upload(
    session: Session,
    upload: models.Upload,
    rule: str,
    actor: Actor,
    progress: Report = no_progress,
) -> tuple[models.Run, Results]:
    """Compute a checked upload, save its run and projects and commit them together,
    with their audit records (``actor`` confirmed it).  Its results workbook is written
    meanwhile by a helper process and kept once the run is committed
    (:func:`.result_files.start_writing`), or else by a task on the queue afterwards.

    Raises :class:`InvalidInput` (nothing saved) if the workbook no longer checks.
    """
    run_input, _book, reference, table = _read(session, upload, progress)
    # the run is of the canonical document, read as a re-run will read it (rows numbered
    # within their project rather than by Excel row), so that re-running reproduces it
    doc = json.loads(json.dumps(run_document(run_input)))
    count = len(run_input.projects)
    progress(f"Computing {count:,} projects", 0, count)
    checked = read_input(doc, reference)
    now = models.utcnow()
    results = compute_run(checked, reference, input_sha256=input_hash(doc), computed_at=now)

    def computed(done: int, total: int) -> None:
        progress(f"Computing the results of each project: {done:,} of {total:,}", done, total)

    # the results workbook is written on another core while the run is saved
    writing = result_files.start_writing(results, reference, upload, doc)
    try:
        run = _save(session, upload, rule, actor, progress, doc, results, table, computed, now)
    except BaseException:
        if writing is not None:
            writing.discard()
        raise
    # saved: nothing from here may fail the confirm (a workbook not kept is written by its
    # first download)
    try:
        if writing is not None:
            writing.keep(result_files.cache_path(run, upload))
        else:
            jobs.after("results_workbook", run.id, upload.id)
    except Exception:
        log.warning("results workbook of run %s left to its download", run.id, exc_info=True)
        if writing is not None and not writing.work.given:
            writing.discard()
    return run, results


def _save(
    session: Session,
    upload: models.Upload,
    rule: str,
    actor: Actor,
    progress: Report,
    doc: dict[str, Any],
    results: Results,
    table: models.UnitCostTable,
    computed: Callable[[int, int], None],
    now: datetime,
) -> models.Run:
    """Save the computed upload's run and projects, with their audit records; commits."""
    count = len(results.summary)
    figures = results_dict(results, CHUNK, computed)
    projects = plan_projects(session, upload, doc, rule)
    progress(f"Saving {count:,} projects and the run", count, count)
    with session.no_autoflush:
        new = [p for p in projects if p.id is None]
        session.add_all(new)
    session.flush()
    run = new_run(
        table,
        doc,
        figures,
        organisation_id=upload.organisation_id,
        project_ref=_short(f"{upload.file_name} ({count:,} projects)", 100),
        computed_at=now,
        user=actor.email,
        project_id=projects[0].id if count == 1 else None,
        label=_short(f"Upload of {upload.file_name}: {count:,} projects", 300),
        upload_id=upload.id,
    )
    session.add(run)
    session.flush()
    audit_run(session, run, actor)
    new_ids = {p.id for p in new}
    record(
        session,
        "upload.confirmed",
        f"Upload {upload.id} ({upload.file_name}) confirmed: {_projects(len(new_ids))} added, "
        f"{count - len(new_ids):,} updated, run {run.id}",
        object_type="upload",
        object_id=upload.id,
        after={
            "run": run.id,
            "added": sorted(new_ids),
            "updated": [p.id for p in projects if p.id not in new_ids],
            "clash_rule": rule,
        },
        organisation_id=upload.organisation_id,
        actor=actor,
    )
    upload.status = COMPUTED
    upload.report = {
        **upload.report,
        "projects_saved": [p.id for p in projects],
        "clash_rule": rule,
    }
    session.commit()
    return run


def _projects(count: int) -> str:
    return f"{count:,} project{'' if count == 1 else 's'}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def batch_run(session: Session, upload: models.Upload) -> models.Run | None:
    """The run a computed upload produced (the newest, should there be more)."""
    return session.scalars(
        select(models.Run).where(models.Run.upload_id == upload.id).order_by(models.Run.id.desc())
    ).first()
