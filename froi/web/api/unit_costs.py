"""``/unit-cost-tables``: the table versions an organisation may use, their rows, import.

A version is named by its table name and version string, as runs cite it.  Its JSON is
its provenance; with ``Accept: text/csv`` it is the whole table as CSV, in the columns
``unit_costs/*.csv`` have (a local override table: its national version with the local
rows laid over it, as runs compute on it).  Importing reads a CSV or .xlsx file with the
upload page's reader and the engine's row checks (:mod:`froi.web.unit_costs.files`),
by the same role: an organisation administrator for a local table, a site
administrator for a national one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Response, request, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from calculator import unit_costs as uc

from ..accounts.access import current_organisation, need
from ..core import models
from ..core.audit import record
from ..core.db import get_session
from ..core.reference import (
    app_reference,
    current_table,
    effective_rows,
    engine_table,
    search_rows,
    value_at_base,
)
from ..unit_costs.edit import STEWARD, check_meta
from ..unit_costs.files import check_table
from ..unit_costs.store import META_FORM_FIELDS, VersionTaken, new_version, publish, visible_tables
from .common import CSV, ApiBlueprint, errors, json_response, paging, wants
from .problems import ApiProblem
from .schemas import (
    CodeArgs,
    PageArgs,
    UnitCostRow,
    UnitCostRowList,
    UnitCostTableList,
    UnitCostTableSummary,
)

blp = ApiBlueprint(
    "unit_cost_tables_api",
    __name__,
    url_prefix="/api/v1",
    description="Unit cost tables: every version with its provenance, rows and codes.",
)
ACCEPTED = (".csv", ".xlsx", ".xlsm")
IMPORT_FIELDS = (*META_FORM_FIELDS, "parent_name", "parent_version", "publish")


def table_url(table: models.UnitCostTable) -> str:
    return url_for("unit_cost_tables_api.show_version", name=table.name, version=table.version)


def describe(table: models.UnitCostTable, in_use: models.UnitCostTable) -> dict[str, Any]:
    parent = table.parent
    return {
        "id": table.id,
        "name": table.name,
        "version": table.version,
        "url": table_url(table),
        "status": table.status,
        "scope": "national" if table.organisation_id is None else "local",
        "in_use": table.id == in_use.id,
        "sha256": table.sha256,
        "row_count": table.row_count,
        "publisher": table.publisher,
        "licence": table.licence,
        "date": table.date,
        "source": table.source,
        "description": table.description,
        "parent": None
        if parent is None
        else {
            "name": parent.name,
            "version": parent.version,
            "sha256": parent.sha256,
            "url": table_url(parent),
        },
        "published_at": table.published_at.isoformat() if table.published_at else None,
    }


def find_version(name: str, version: str) -> models.UnitCostTable:
    """A version this organisation may see (national, or its own), or 404."""
    session = get_session()
    Table = models.UnitCostTable
    table = session.scalars(
        select(Table).where(Table.name == name, Table.version == version)
    ).first()
    if table is None or table.organisation_id not in (None, current_organisation(session).id):
        raise ApiProblem(
            404, "not-found", f"There is no unit cost table '{name}' version '{version}'."
        )
    return table


def row_json(row: models.UnitCostRow, table: models.UnitCostTable) -> dict[str, Any]:
    reference = app_reference()
    base = reference.deflators.latest_year
    return {
        "code": row.code,
        "name": row.name,
        "unit": row.unit,
        "value": row.value,
        "price_year": row.price_year,
        "value_at_base_year": value_at_base(row, base, reference),
        "base_year": base,
        "agency": row.agency,
        "agency_detail": row.agency_detail,
        "category": row.category,
        "cashable": row.cashable,
        "confidence_grade": row.confidence_grade,
        "source": row.source,
        "grade_reason": row.grade_reason,
        "group_name": row.group_name,
        "notes": row.notes,
        "from_table": "local" if row.table_id == table.id and table.parent_id else row.table.label,
    }


@blp.route("/unit-cost-tables", methods=["GET"])
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, UnitCostTableList)
@blp.doc(summary="Every national version and the organisation's own, and which is in use")
@errors(blp, 422)
def list_tables(**args: Any) -> Any:
    session = get_session()
    org = current_organisation(session)
    in_use = current_table(session, org.id)
    versions = visible_tables(session, org.id)
    size, number = int(args["page_size"]), int(args["page"])
    shown = versions[(number - 1) * size : number * size]
    return {
        "items": [describe(t, in_use) for t in shown],
        "paging": paging(number, size, len(versions)),
    }


@blp.route("/unit-cost-tables/<name>/versions/<version>", methods=["GET"])
@blp.doc(
    summary="A table version: its provenance, or the whole table as CSV",
    responses={
        200: {
            "description": "The version",
            "content": {
                "application/json": {"schema": UnitCostTableSummary},
                CSV: {"schema": {"type": "string"}},
            },
        }
    },
)
@errors(blp, 404)
def show_version(name: str, version: str) -> Any:
    session = get_session()
    table = find_version(name, version)
    if wants(CSV):
        with tempfile.TemporaryDirectory(prefix="froi-table-") as folder:
            path = Path(folder) / "table.csv"
            uc.write_table(path, engine_table(table).rows)
            body = path.read_bytes()
        response = Response(body, mimetype=CSV)
        safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in table.label)
        response.headers["Content-Disposition"] = f'attachment; filename="{safe}.csv"'
        return response
    return json_response(describe(table, current_table(session, current_organisation(session).id)))


@blp.route("/unit-cost-tables/<name>/versions/<version>/codes", methods=["GET"])
@blp.arguments(CodeArgs, location="query", as_kwargs=True)
@blp.response(200, UnitCostRowList)
@blp.doc(summary="A version's unit costs, in code order; q searches code, name, agency, unit")
@errors(blp, 404, 422)
def list_codes(name: str, version: str, q: str, **args: Any) -> Any:
    table = find_version(name, version)
    size, number = int(args["page_size"]), int(args["page"])
    rows, total = search_rows(get_session(), table, q, size, offset=(number - 1) * size)
    return {"items": [row_json(r, table) for r in rows], "paging": paging(number, size, total)}


@blp.route("/unit-cost-tables/<name>/versions/<version>/codes/<code>", methods=["GET"])
@blp.response(200, UnitCostRow)
@blp.doc(summary="One unit cost, with its source, grade and value at base-year prices")
@errors(blp, 404)
def show_code(name: str, version: str, code: str) -> Any:
    table = find_version(name, version)
    Row = models.UnitCostRow
    query = effective_rows(table).where(func.lower(Row.code) == code.lower())
    found = get_session().scalars(query.limit(1)).first()  # codes match regardless of case
    if found is None:
        raise ApiProblem(404, "not-found", f"Unit cost table '{table.label}' has no code '{code}'.")
    return json_response(row_json(found, table))


@blp.route("/unit-cost-tables", methods=["POST"])
@blp.doc(
    summary="Import a table version from a CSV or .xlsx file",
    description=(
        "The file as the form field `file`, with the metadata as form fields. A local "
        "table (an organisation administrator's) names the national version it lays its "
        "rows over with `parent_name` and `parent_version`; without them the table is "
        "national (a site administrator's). Saved whole as a draft, or published with "
        "`publish=true`, or not at all: every problem is listed with its row and field."
    ),
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        **{k: {"type": "string"} for k in META_FORM_FIELDS},
                        "parent_name": {"type": "string"},
                        "parent_version": {"type": "string"},
                        "publish": {"type": "boolean"},
                    },
                    "required": ["file", "name", "version"],
                    "additionalProperties": False,
                }
            }
        },
    },
)
@blp.response(201, UnitCostTableSummary, description="Imported; Location names it")
@errors(blp, 403, 404, 409, 413, 415, 422)
def import_table() -> Any:
    need(models.ADMIN, STEWARD)
    session = get_session()
    org = current_organisation(session)
    if request.mimetype != "multipart/form-data":
        raise ApiProblem(
            415,
            "unsupported-media-type",
            "Send the table as a multipart/form-data upload with the file in 'file'",
        )
    problems = [
        _field(k, "is not a field of this import")
        for k in [*request.form, *request.files]
        if k not in (*IMPORT_FIELDS, "file")
    ]
    form = {k: request.form.get(k, "") for k in IMPORT_FIELDS}
    meta, meta_errors = check_meta(form)
    problems += [_field(k, v) for k, v in meta_errors.items()]
    publish_now = form["publish"].strip().lower()
    if publish_now not in ("", "true", "false"):
        problems.append(_field("publish", "must be true or false"))
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        problems.append(_field("file", "Choose a CSV or Excel (.xlsx) file of unit costs"))
    elif not sent.filename.lower().endswith(ACCEPTED):
        problems.append(_field("file", "The file must be a CSV file or an Excel workbook (.xlsx)"))
    if problems:
        raise ApiProblem(
            422, "invalid-parameters", "; ".join(p["text"] for p in problems[:3]), errors=problems
        )
    assert sent is not None and sent.filename
    parent = None
    if form["parent_name"] or form["parent_version"]:
        parent = find_version(form["parent_name"], form["parent_version"])
        if parent.organisation_id is not None or parent.status != models.PUBLISHED:
            raise ApiProblem(
                422,
                "invalid-parameters",
                "A local table lays its rows over a published national version; name one "
                "with parent_name and parent_version",
            )
    else:
        need(models.SITE_ADMIN, "import a national unit cost table")
    read = check_table(sent.read(), sent.filename, app_reference().deflators)
    if read.problems:
        count = len(read.problems)
        raise ApiProblem(
            422,
            "invalid-input",
            f"{sent.filename} has {count:,} problem{'' if count == 1 else 's'}: "
            + "; ".join(str(p) for p in read.problems[:3]),
            errors=[
                {
                    "severity": "error",
                    "file": p.file,
                    "sheet": p.sheet,
                    "row": p.row,
                    "field": p.field,
                    "message": p.message,
                    "text": str(p),
                    "where": p.where(),
                }
                for p in read.problems
            ],
        )
    try:
        table = new_version(
            session, read.rows, meta, organisation_id=org.id if parent else None, parent=parent
        )
    except VersionTaken as taken:
        session.rollback()
        raise ApiProblem(409, "conflict", str(taken)) from None
    except IntegrityError:  # another import took the name and version meanwhile
        session.rollback()
        raise ApiProblem(
            409,
            "conflict",
            f"'{meta['name']}' version '{meta['version']}' was imported by another request "
            "meanwhile; nothing was saved",
        ) from None
    table.meta = {**table.meta, "uploaded_file": sent.filename}
    audit: dict[str, Any] = {
        "object_type": "unit_cost_table",
        "object_id": table.id,
        "organisation_id": table.organisation_id,
    }
    record(
        session,
        "table.uploaded",
        f"Uploaded {table.name}, version {table.version} from {sent.filename} through the "
        f"API: {table.row_count} unit costs",
        after={"file": sent.filename, "sha256": table.sha256},
        **audit,
    )
    if publish_now == "true":
        publish(session, table, org.id)
        record(
            session,
            "table.published",
            f"Published {table.name}, version {table.version}: {table.row_count} unit costs",
            after={"sha256": table.sha256, "rows": table.row_count},
            **audit,
        )
    session.commit()
    in_use = current_table(session, org.id)
    return json_response(describe(table, in_use), 201, {"Location": table_url(table)})


def _field(name: str, message: str) -> dict[str, Any]:
    return {
        "severity": "error",
        "location": "form",
        "field": name,
        "message": message,
        "text": f"form field '{name}': {message}",
    }
