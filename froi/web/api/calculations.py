"""``POST /calculations`` and ``POST /workbooks``: compute an input and record the run.

Both compute with the engine function every caller uses, on the unit cost table the
organisation's new runs use, and store the run (``froi.web.core.running``), so the run
can be fetched, downloaded as the results workbook and re-run like any other.  A JSON
input is read by the command line's reader (``calculator.jsontext``) and checked by the
engine; a workbook is read and checked by the workbook reader, exactly as the upload
page reads it, so every problem comes back in the same words at the same cell.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from flask import request

from calculator.errors import InvalidInput
from froi.workbook.limits import DEFAULT_LIMITS, FileTooLarge, WorkbookRefused
from froi.workbook.reader import check_workbook
from froi.workbook.results.inputs import run_document

from ..accounts.access import current_organisation, need
from ..core import models
from ..core.db import get_session
from ..core.reference import current_table, reference_for
from ..core.running import compute_document
from . import limits
from .common import (
    JSON,
    XLSX,
    ApiBlueprint,
    errors,
    invalid,
    json_response,
    links,
    read_json,
    results_workbook,
    run_results,
    run_url,
    wants,
    with_overrides,
    workbook_response,
)
from .problems import ApiProblem
from .schemas import EXAMPLE_INPUT, CalculationArgs, CalculationInput, Results

blp = ApiBlueprint(
    "calculations",
    __name__,
    url_prefix="/api/v1",
    description="Compute an input (JSON or a workbook) and record the run.",
)

#: What the role check says the analyst role is needed for.
COMPUTE = "compute and record runs"
ACCEPTED = (".xlsx", ".xlsm")
#: What a computed run's id opens.
RUN_LINKS = links(
    GetRun=("show_run", "run_id", "/run/id"), RerunRun=("rerun_run", "run_id", "/run/id")
)
RESULTS_CONTENT = {
    JSON: {"schema": Results},
    XLSX: {"schema": {"type": "string", "format": "binary"}},
}


@blp.route("/calculations", methods=["POST"])
@blp.arguments(CalculationArgs, location="query", as_kwargs=True)
@blp.doc(
    summary="Compute an input and record the run",
    description=(
        "The canonical input (METHOD 6, what `froi compute` reads) in; the results out, "
        "in the shape `froi compute` prints, with the stored run's id and address in "
        "`run`. `?simulations` and `?seed` override the input's settings. Checked by the "
        "engine: every problem is listed with its JSON path."
    ),
    requestBody={
        "required": True,
        "content": {JSON: {"schema": CalculationInput, "example": EXAMPLE_INPUT}},
    },
    responses={201: {"links": RUN_LINKS}},
)
@blp.response(201, Results, description="Computed and recorded; Location names the run")
@errors(blp, 400, 403, 413, 415, 422)
def post_calculation(**overrides: Any) -> Any:
    need(models.ANALYST, COMPUTE)
    doc = with_overrides(read_json(), overrides)
    limits.check_input_size(doc)
    session = get_session()
    organisation = current_organisation(session)
    count = len(doc.get("projects") or []) if isinstance(doc, dict) else 0
    try:
        run, _ = compute_document(
            session, doc, organisation.id, label=f"API calculation: {count:,} project(s)"
        )
    except InvalidInput as problems:
        session.rollback()
        raise invalid(problems) from None
    session.commit()
    return json_response(run_results(run), 201, {"Location": run_url(run)})


@blp.route("/workbooks", methods=["POST"])
@blp.arguments(CalculationArgs, location="query", as_kwargs=True)
@blp.doc(
    summary="Compute an input workbook and record the run",
    description=(
        "An input workbook (.xlsx or .xlsm, made from the template) as the form field "
        "`file`. Checked by the workbook reader as the upload page checks it: every "
        "problem is listed with its sheet and cell. The results come back as JSON, or as "
        "the standard results workbook when the request sends "
        f"`Accept: {XLSX}`."
    ),
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                    "additionalProperties": False,
                }
            }
        },
    },
    responses={201: {"description": "Computed and recorded", "content": RESULTS_CONTENT}},
)
@errors(blp, 403, 413, 415, 422)
def post_workbook(**overrides: Any) -> Any:
    need(models.ANALYST, COMPUTE)
    sent = _workbook_file()
    name = Path(sent.filename or "workbook.xlsx").name
    content = sent.read(limits.MAX_WORKBOOK_BYTES + 1)
    session = get_session()
    organisation = current_organisation(session)
    table = current_table(session, organisation.id)
    reference = reference_for(table)
    with tempfile.TemporaryDirectory(prefix="froi-api-") as folder:
        path = Path(folder) / f"upload{Path(name).suffix.lower()}"
        path.write_bytes(content)
        try:
            checked, _book = check_workbook(
                path, reference, limits=DEFAULT_LIMITS, settings=overrides, file=name
            )
        except WorkbookRefused as refused:
            status = 413 if isinstance(refused, FileTooLarge) else 422
            raise ApiProblem(
                status,
                "too-large" if status == 413 else "workbook-refused",
                f"{name}: {refused.reason}",
            ) from None
        except InvalidInput as problems:
            raise invalid(problems, name) from None
    doc = json.loads(json.dumps(run_document(checked)))
    limits.check_input_size(doc)
    count = len(doc["projects"])
    try:
        run, results = compute_document(
            session,
            doc,
            organisation.id,
            label=f"API workbook {name}: {count:,} project(s)",
            table=table,
        )
    except InvalidInput as problems:  # checked above: only a table changed meanwhile
        session.rollback()
        raise invalid(problems, name) from None
    session.commit()
    headers = {"Location": run_url(run)}
    if wants(XLSX):
        body = results_workbook(run, results)
        return workbook_response(body, f"{Path(name).stem}-results.xlsx", 201, headers)
    return json_response(run_results(run), 201, headers)


def _workbook_file() -> Any:
    """The uploaded file, or a problem saying what to send; nothing else may be sent."""
    if request.mimetype != "multipart/form-data":
        raise ApiProblem(
            415,
            "unsupported-media-type",
            "Send the workbook as a multipart/form-data upload in the field 'file' "
            "(curl -F file=@input.xlsx ...)",
        )
    extra = [k for k in request.files if k != "file"] + list(request.form)
    problems = [
        {
            "severity": "error",
            "location": "form",
            "field": key,
            "message": "is not a field of this upload; send only 'file'",
            "text": f"form field '{key}': is not a field of this upload; send only 'file'",
        }
        for key in dict.fromkeys(extra)
    ]
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        message = "Select an Excel workbook (.xlsx or .xlsm) to upload as the field 'file'"
        problems.append(
            {
                "severity": "error",
                "location": "form",
                "field": "file",
                "message": message,
                "text": f"form field 'file': {message}",
            }
        )
    elif not sent.filename.lower().endswith(ACCEPTED):
        message = (
            f"{Path(sent.filename).name} is not an Excel workbook: the file must end in "
            ".xlsx or .xlsm (save it from Excel as an Excel Workbook)"
        )
        problems.append(
            {
                "severity": "error",
                "location": "form",
                "field": "file",
                "message": message,
                "text": f"form field 'file': {message}",
            }
        )
    if problems:
        raise ApiProblem(
            422, "invalid-parameters", "; ".join(p["text"] for p in problems[:3]), errors=problems
        )
    return sent
