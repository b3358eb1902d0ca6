"""Computing projects and recording every calculation as a :class:`~.models.Run`.

The pages call the same engine function as the command line (``calculator.engine.compute``)
on the project's canonical document, with the newest published unit cost table read back
from the database.  A run stores the input document, the table version it used and the
engine's results exactly as computed, so that :func:`rerun` can recompute it on the same
table version and :func:`differences` can show that every figure comes out the same
(to a relative 1e-9), or name each one that does not.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from calculator import ENGINE_VERSION
from calculator.engine import Results, compute, compute_run, input_hash
from calculator.errors import InvalidInput, Problem
from calculator.fields import PROJECT, PROJECT_LISTS, SETTINGS
from calculator.inputs import RunInput, read_input
from calculator.reference import ReferenceData

from . import models
from .audit import Actor, current_actor, record
from .formatting import singular
from .forms import ErrorItem
from .reference import current_table, reference_for
from .words import field_label, plain_message

#: Relative (and, near zero, absolute) tolerance within which a re-run reproduces a figure.
TOLERANCE = 1e-9
#: Provenance that is expected to differ between a run and its re-run.
EXPECTED_TO_DIFFER = frozenset({"run.computed_at"})


def user_name() -> str:
    """Who a run is recorded against: the signed-in user's email, or ``RUN_USER`` when
    no one is signed in (the command line, tools)."""
    return current_actor().email


def _storable(results: dict[str, Any]) -> dict[str, Any]:
    """Results as they will read back from a JSON column (lists, no NaN), checked."""
    stored: dict[str, Any] = json.loads(json.dumps(results, allow_nan=False))
    return stored


def new_run(
    table: models.UnitCostTable,
    doc: dict[str, Any],
    results: dict[str, Any],
    *,
    organisation_id: int,
    project_ref: str,
    computed_at: datetime,
    user: str,
    **columns: Any,
) -> models.Run:
    """A run (not yet added to a session) of ``doc`` on ``table``, storing ``results``
    (``Results.to_dict()``) as a JSON column will read them back, with the provenance the
    engine recorded in them; ``columns`` are the run's other columns (``project_id``,
    ``label``, ``upload_id``...)."""
    stored = _storable(results)
    provenance = stored["run"]
    projects = stored.get("projects") or []
    froi = projects[0].get("froi") if len(projects) == 1 else None
    if isinstance(froi, bool) or not isinstance(froi, int | float):
        froi = None
    return models.Run(
        organisation_id=organisation_id,
        project_ref=project_ref,
        input_doc=doc,
        input_sha256=provenance["input_sha256"],
        settings=provenance["settings"],
        unit_cost_table_id=table.id,
        unit_cost_table_name=table.name,
        unit_cost_table_version=table.version,
        unit_cost_table_sha256=table.sha256,
        engine_version=provenance["engine_version"],
        results=stored,
        user_name=user,
        computed_at=computed_at,
        project_count=len(projects),
        froi=froi,
        **columns,
    )


def _record(
    session: Session,
    table: models.UnitCostTable,
    doc: dict[str, Any],
    *,
    organisation_id: int,
    project: models.Project | None,
    project_ref: str,
    rerun_of: models.Run | None = None,
    shared: SharedChecks | None = None,
) -> models.Run:
    """Compute ``doc`` on ``table`` and add the run to the session (the caller commits);
    ``shared``, when it checks on ``table``, reads the document (once for the computation
    and the project's stored check)."""
    now = models.utcnow()
    if shared is not None and shared.serves(table):
        results = compute_run(
            shared.read(doc), shared.reference, input_sha256=input_hash(doc), computed_at=now
        )
    else:
        results = compute(doc, reference_for(table), computed_at=now)
    run = new_run(
        table,
        doc,
        results.to_dict(),
        organisation_id=organisation_id,
        project_ref=project_ref,
        computed_at=now,
        user=user_name(),
        project_id=project.id if project is not None else None,
    )
    if rerun_of is not None:
        run.rerun_of_id = rerun_of.id
        run.reproduced = not rerun_differences(rerun_of, run)
    session.add(run)
    session.flush()
    audit_run(session, run)
    return run


def compute_document(
    session: Session,
    doc: dict[str, Any],
    organisation_id: int,
    *,
    label: str,
    table: models.UnitCostTable | None = None,
) -> tuple[models.Run, Results]:
    """Compute a canonical input on the organisation's table in use (or ``table``) and
    record the run, labelled ``label`` (the caller commits).  Returns the run and the
    engine's results (for a results workbook).

    Raises :class:`InvalidInput` (nothing recorded) when the input has problems.
    """
    table = table or current_table(session, organisation_id)
    now = models.utcnow()
    results = compute(doc, reference_for(table), computed_at=now)
    projects = doc.get("projects") or []
    one = projects[0].get("project_id") if len(projects) == 1 else None
    ref = str(one) if one not in (None, "") else f"{len(projects):,} projects"
    run = new_run(
        table,
        doc,
        results.to_dict(),
        organisation_id=organisation_id,
        project_ref=ref[:100],
        computed_at=now,
        user=user_name(),
        label=label[:300],
    )
    session.add(run)
    session.flush()
    audit_run(session, run)
    return run, results


def audit_run(session: Session, run: models.Run, actor: Actor | None = None) -> None:
    """Record a run (flushed, so it has its id) in the audit log."""
    what = run.label or run.project_ref
    if run.rerun_of_id is not None:
        outcome = "reproduced" if run.reproduced else "did not reproduce"
        summary = f"Run {run.id}: run {run.rerun_of_id} ({what}) re-run on "
        summary += f"{run.unit_cost_table_name} {run.unit_cost_table_version}; {outcome}"
        action = "run.rerun"
    else:
        summary = f"Run {run.id} of {what} recorded"
        action = "run.recorded"
    record(
        session,
        action,
        summary,
        object_type="run",
        object_id=run.id,
        after={"table": f"{run.unit_cost_table_name} {run.unit_cost_table_version}"},
        organisation_id=run.organisation_id,
        actor=actor,
    )


def compute_project(
    session: Session,
    project: models.Project,
    settings: dict[str, Any] | None = None,
    shared: SharedChecks | None = None,
) -> models.Run:
    """Compute a project on the current table and record the run (reading its input
    through ``shared`` when given).

    Raises :class:`InvalidInput` (nothing recorded) when the project has problems.
    """
    doc = project.input_doc(settings)
    return _record(
        session,
        current_table(session, project.organisation_id),
        doc,
        organisation_id=project.organisation_id,
        project=project,
        project_ref=project.project_ref,
        shared=shared,
    )


def matching_run(
    session: Session, project: models.Project, settings: dict[str, Any] | None = None
) -> models.Run | None:
    """The newest stored run of the project exactly as it stands: the same input document
    (by SHA-256, settings included), on the unit cost table its organisation's new runs
    use, by this engine version.  Reading it costs one indexed query, nothing computed."""
    table = current_table(session, project.organisation_id)
    Run = models.Run
    return session.scalars(
        select(Run)
        .where(
            Run.project_id == project.id,
            Run.organisation_id == project.organisation_id,
            Run.input_sha256 == input_hash(project.input_doc(settings)),
            Run.unit_cost_table_id == table.id,
            Run.engine_version == ENGINE_VERSION,
        )
        .order_by(Run.id.desc())
        .limit(1)
    ).first()


def project_results(
    session: Session,
    project: models.Project,
    settings: dict[str, Any] | None = None,
    shared: SharedChecks | None = None,
) -> tuple[models.Run, bool]:
    """The project's results as it stands: the stored run when nothing changed (the same
    input, table and engine), else computed now (its input read through ``shared`` when
    given) and recorded.  Returns the run and whether it was recorded now (the caller
    commits).

    Raises :class:`InvalidInput` (nothing recorded) when the project has problems.
    """
    stored = matching_run(session, project, settings)
    if stored is not None:
        return stored, False
    return compute_project(session, project, settings, shared), True


def rerun(session: Session, run: models.Run) -> models.Run:
    """Recompute a stored run from its stored input on its stored table version."""
    return _record(
        session,
        run.unit_cost_table,
        run.input_doc,
        organisation_id=run.organisation_id,
        project=run.project,
        project_ref=run.project_ref,
        rerun_of=run,
    )


def rerun_current(session: Session, run: models.Run) -> models.Run:
    """Recompute a stored run from its stored input on the table version now in use.

    Recorded as a re-run of ``run``; ``reproduced`` says whether every figure came out
    the same (see :mod:`froi.web.runs.rerun_reasons` for why they may not).
    """
    return _record(
        session,
        current_table(session, run.organisation_id),
        run.input_doc,
        organisation_id=run.organisation_id,
        project=run.project,
        project_ref=run.project_ref,
        rerun_of=run,
    )


@dataclass(frozen=True)
class Difference:
    """A figure that a re-run did not reproduce: where it is, and both values."""

    path: str
    stored: Any
    now: Any


def _same(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool | str):
        if isinstance(b, bool):
            return False
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return bool(a == b) and type(a) is type(b)


def differences(
    stored: Any, now: Any, path: str = "", expected: frozenset[str] = EXPECTED_TO_DIFFER
) -> list[Difference]:
    """Every figure or text of ``now`` that is not the same as ``stored``, by path.

    Numbers are the same within a relative 1e-9 (absolute near zero); everything else
    must be equal.  The run's computation time is expected to differ and is skipped, as
    is any other path in ``expected``.
    """
    if path in expected:
        return []
    if isinstance(stored, dict) and isinstance(now, dict):
        out: list[Difference] = []
        for key in sorted(set(stored) | set(now), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in stored or key not in now:
                out.append(Difference(where, stored.get(key), now.get(key)))
            else:
                out += differences(stored[key], now[key], where, expected)
        return out
    if isinstance(stored, list) and isinstance(now, list) and len(stored) == len(now):
        out = []
        for i, (a, b) in enumerate(zip(stored, now, strict=True)):
            out += differences(a, b, f"{path}[{i}]", expected)
        return out
    return [] if _same(stored, now) else [Difference(path, stored, now)]


def rerun_differences(original: models.Run, again: models.Run) -> list[Difference]:
    """What a re-run changed.  On another table version (a re-run on the current tables)
    the table's own provenance is expected to differ: the figures are what count."""
    expected = EXPECTED_TO_DIFFER
    if original.unit_cost_table_id != again.unit_cost_table_id:
        expected = expected | {"run.unit_cost_table"}
    return differences(original.results, again.results, expected=expected)


def check_input(session: Session, doc: Any, organisation_id: int) -> list[Problem]:
    """Every problem and warning the engine finds in an input, without computing it, on
    the unit cost table the organisation's new runs use."""
    try:
        run = read_input(doc, reference_for(current_table(session, organisation_id)))
    except InvalidInput as invalid:
        return invalid.problems
    return run.warnings


class SharedChecks:
    """The engine's check of input documents on one unit cost table, each distinct
    document read once.

    A save refreshes a project's stored check and its portfolio summary; for a project
    with no settings of its own both are the check of the same document on the same
    table, and :func:`calculator.inputs.read_input` is a pure function of the two, so
    the second asks this instead of reading again.  Documents are told apart by their
    canonical JSON; one that is not JSON is read every time.  Made for one piece of
    work and dropped after it (nothing is kept across requests).
    """

    def __init__(self, table: models.UnitCostTable, reference: ReferenceData) -> None:
        self.table_id = table.id
        self.table_sha256 = table.sha256
        self.reference = reference
        self._read: dict[str, RunInput | InvalidInput] = {}

    def serves(self, table: models.UnitCostTable) -> bool:
        """Whether checks on ``table`` are this one's (the same version, the same rows)."""
        return table.id == self.table_id and table.sha256 == self.table_sha256

    def read(self, doc: Any) -> RunInput:
        """``read_input(doc, reference)``, read once per distinct document."""
        try:
            key = json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError):
            return read_input(doc, self.reference)
        found = self._read.get(key)
        if found is None:
            try:
                found = read_input(doc, self.reference)
            except InvalidInput as invalid:
                found = invalid
            self._read[key] = found
        if isinstance(found, InvalidInput):
            raise found
        return found

    def problems(self, doc: Any) -> list[Problem]:
        """As :func:`check_input`: the problems, or the warnings of a document that passes."""
        try:
            return self.read(doc).warnings
        except InvalidInput as invalid:
            return invalid.problems


_PROJECT_FIELDS = {f.name for f in PROJECT} | {"service"}
_SETTINGS_FIELDS = {f.name for f in SETTINGS}


def problem_links(project_id: int, problems: list[Problem]) -> list[ErrorItem]:
    """Each problem in words with a link to the field that fixes it, where there is one."""
    items = []
    for problem in problems:
        href = None
        if problem.list in PROJECT_LISTS and problem.row is not None:
            href = url_for(
                "rows.edit", project_id=project_id, list_name=problem.list, row=problem.row
            ) + (f"#field-{problem.field}" if problem.field else "")
        elif problem.list in PROJECT_LISTS:
            href = url_for("projects.show", project_id=project_id) + f"#list-{problem.list}"
        elif (
            problem.list == "settings"
            or problem.list == "service"
            or (problem.list is None and problem.field in _PROJECT_FIELDS | _SETTINGS_FIELDS)
        ):
            anchor = f"#field-{problem.field}" if problem.field else ""
            href = url_for("projects.edit", project_id=project_id) + anchor
        items.append(ErrorItem(_plain_location(problem), href))
    return items


def _plain_location(problem: Problem) -> str:
    """The problem in a page's words, without the project name (the page is already about
    the project): "Cost 2, who pays: ...", never a list's or a field's name from the code."""
    group = problem.list if problem.list in PROJECT_LISTS else "project"
    fields = {f.name: f for f in PROJECT_LISTS.get(problem.list or "", PROJECT + SETTINGS)}
    spec = fields.get(problem.field or "")
    parts = []
    if problem.list:
        if problem.row is not None:
            parts.append(f"{singular(problem.list).capitalize()} {problem.row}")
        else:
            parts.append(field_label(problem.list).capitalize())
    message = plain_message(problem.message, spec, group)
    named = field_label(problem.field or "", group).lower()
    if problem.field and spec is not None and named not in message.lower():
        parts.append(named)
    where = ", ".join(parts)
    where = where[:1].upper() + where[1:]
    return f"{where}: {message}" if where else message
