"""The unit cost steward's work: upload, local overrides, drafts, publishing, the table in use.

Views on the ``unit_costs`` blueprint (:mod:`.routes`):

- ``/unit-costs/upload``: a table or a new version of one, as CSV or .xlsx, with its
  metadata typed in; checked strictly by the engine, saved whole as a draft or not at all;
- ``/unit-costs/local/new``: a local override table that inherits from a national version;
- ``/unit-costs/tables/<id>/rows/...``: add, change and delete rows of a draft, each row
  checked by the engine's rules;
- ``/unit-costs/tables/<id>/publish``, ``/new-version``, ``/discard``: publish a draft
  (it never changes again), start the next draft of a published version, drop a draft;
- ``/unit-costs/in-use``: choose which published version new runs use.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from calculator.unit_costs import COLUMNS
from froi.workbook.unit_cost_fields import UNIT_COST_FIELDS

from ..accounts.access import current_organisation, need, require_role, table_role
from ..core import models
from ..core.audit import CHANGES_SHOWN, changed_fields, newest_events, record
from ..core.db import get_session
from ..core.formatting import date_time
from ..core.forms import ErrorItem, form_fields, posted, summary
from ..core.reference import app_reference, current_table, row_record
from ..core.running import user_name
from ..core.words import plain_text
from .files import check_table, empty_rows
from .routes import bp, get_table
from .store import (
    META_FORM_FIELDS,
    VersionTaken,
    check_row,
    choose,
    discard,
    new_version,
    next_draft,
    publish,
    refresh,
)

#: Problems listed in full on the upload page; the rest are counted.
SHOWN_PROBLEMS = 50
#: Hints for the metadata fields of the upload and new-table forms.
META_HINTS = {
    "name": "The table's name. A new version of a table already here uses the same name.",
    "version": "A version string the table does not have yet, for example 2027.1.",
    "publisher": "Who published the figures.",
    "licence": "The terms the figures may be used under.",
    "date": "When this version was published, for example 22 November 2026 or 2026-11-22.",
    "source": "Where the figures come from: publications, editions, addresses.",
    "description": "What the table is for.",
}
REQUIRED_META = ("name", "version")
#: What the organisation administrator's role is needed for, in words.
STEWARD = "upload, edit, publish and choose unit cost tables"


#: A draft changed between the page that posted and the save (another tab or steward).
DRAFT_CHANGED = (
    "This draft changed since you opened it (it was saved from another page, tab or "
    "person). Nothing was saved: check the draft below and make your change again."
)


def _audit(
    action: str, table: models.UnitCostTable, summary: str, before: Any = None, after: Any = None
) -> None:
    """Record a change to ``table`` (a national table's belongs to no organisation).

    A draft's changes carry its SHA-256 after the change (``draft``), so that a save from
    an older page can say which changes it missed (:func:`_draft_changes`).
    """
    if table.status == models.DRAFT:
        after = {**(after or {}), "draft": table.sha256}
    record(
        get_session(),
        action,
        summary,
        object_type="unit_cost_table",
        object_id=table.id,
        before=before,
        after=after,
        organisation_id=table.organisation_id,
    )


def _draft_is_stale(table: models.UnitCostTable) -> bool:
    """Whether the posted form was built from an older state of the draft."""
    return request.form.get("draft", "") != table.sha256


def _save_draft(session: Any) -> bool:
    """Commit a change of a draft; False (rolled back) when another change won the race
    (every UPDATE of the table is conditional on the hash it read)."""
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        return False
    return True


def _draft_changes(table: models.UnitCostTable) -> list[ErrorItem]:
    """:data:`DRAFT_CHANGED`, then the changes made since the posted form's hash."""
    session = get_session()
    session.refresh(table)
    seen = request.form.get("draft", "")
    events = newest_events(session, "unit_cost_table", table.id)
    newer = []
    for event in events:
        if (event.after or {}).get("draft") == seen:
            break
        newer.append(event)
    items = [ErrorItem(DRAFT_CHANGED)]
    for event in reversed(newer[:CHANGES_SHOWN]):
        what = event.summary.removeprefix(f"{_label(table)}: ")
        when = date_time(event.at)
        items.append(ErrorItem(f"Since then: {what}, by {event.user_email} at {when}."))
    return items


def _label(table: models.UnitCostTable) -> str:
    return f"{table.name}, version {table.version}"


def parse_date(text: str) -> str | None:
    """A date typed as 22 November 2026 or 2026-11-22, as ISO text; None if unreadable."""
    for pattern in ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date().isoformat()
        except ValueError:
            continue
    return None


def check_meta(form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The typed metadata, cleaned, and an error per field that is wrong."""
    meta = {k: form.get(k, "").strip() for k in META_FORM_FIELDS}
    errors = {k: f"Enter the table's {k}" for k in REQUIRED_META if not meta[k]}
    for key in META_FORM_FIELDS:
        why = models.too_long(meta[key], models.column_length(models.UnitCostTable, key))
        if why and key not in errors:
            errors[key] = f"The table's {key} {why}"
    if meta["date"]:
        parsed = parse_date(meta["date"])
        if parsed is None:
            errors["date"] = "Enter the date as 22 November 2026 or 2026-11-22"
        else:
            meta["date"] = parsed
    else:
        meta["date"] = date.today().isoformat()
    return meta, errors


def _national_versions() -> list[models.UnitCostTable]:
    Table = models.UnitCostTable
    return list(
        get_session().scalars(
            select(Table)
            .where(Table.organisation_id.is_(None), Table.status == models.PUBLISHED)
            .order_by(Table.name, Table.id.desc())
        )
    )


def _parent_options() -> list[tuple[str, str]]:
    return [(str(t.id), f"{t.name}, version {t.version}") for t in _national_versions()]


def _parent(value: str, required: bool) -> tuple[models.UnitCostTable | None, str | None]:
    table = next((t for t in _national_versions() if str(t.id) == value), None)
    if table is None and (required or value):
        return None, "Choose the published national version the local table inherits from"
    return table, None


def _changeable(table_id: int, doing: str) -> models.UnitCostTable:
    """A table this organisation sees, if the user's role may change it (a national table
    needs a site administrator), else 403."""
    table = get_table(table_id)
    need(
        table_role(table),
        f"{doing} a {'national' if table.organisation_id is None else 'local'} unit cost table",
    )
    return table


def _draft(table_id: int, doing: str) -> models.UnitCostTable:
    table = _changeable(table_id, doing)
    if table.status != models.DRAFT:
        abort(
            409,
            description="This version is published and cannot change. Start a new version "
            "to edit it.",
        )
    return table


@bp.route("/upload", methods=["GET", "POST"])
@require_role(models.ADMIN, STEWARD)
def upload() -> str | Response:
    """Upload a table or a new version of one; every problem shown, nothing half-saved."""
    session = get_session()
    form = {k: request.form.get(k, "") for k in (*META_FORM_FIELDS, "parent")}
    errors: dict[str, str] = {}
    problems: list[Any] = []
    count = 0
    if request.method == "POST":
        meta, errors = check_meta(form)
        parent, parent_error = _parent(form["parent"], required=False)
        if parent_error:
            errors["parent"] = parent_error
        elif parent is None:
            need(models.SITE_ADMIN, "upload a national unit cost table")
        upload_file = request.files.get("file")
        if upload_file is None or not upload_file.filename:
            errors["file"] = "Choose a CSV or Excel (.xlsx) file of unit costs"
        elif not upload_file.filename.lower().endswith((".csv", ".xlsx", ".xlsm")):
            errors["file"] = "The file must be a CSV file or an Excel workbook (.xlsx)"
        else:
            read = check_table(upload_file.read(), upload_file.filename, app_reference().deflators)
            count, problems = len(read.problems), read.problems[:SHOWN_PROBLEMS]
            if problems:
                errors["file"] = (
                    f"The file has {count} problem{'' if count == 1 else 's'}; "
                    "fix them and upload it again"
                )
        if not errors and upload_file is not None:
            org_id = current_organisation(session).id if parent is not None else None
            try:
                table = new_version(session, read.rows, meta, organisation_id=org_id, parent=parent)
            except VersionTaken as taken:
                session.rollback()
                errors["version"] = str(taken)
            else:
                table.meta = {**table.meta, "uploaded_file": upload_file.filename}
                _audit(
                    "table.uploaded",
                    table,
                    f"Uploaded {_label(table)} from {upload_file.filename}: "
                    f"{table.row_count} unit costs, as a draft",
                    after={"file": upload_file.filename, "sha256": table.sha256},
                )
                session.commit()
                flash(
                    f"Uploaded {table.name}, version {table.version}: {table.row_count} unit "
                    "costs, saved as a draft. Check it, then publish it."
                )
                return redirect(url_for("unit_costs.show", table_id=table.id))
    return _meta_page(
        "unit_costs/upload.html",
        form,
        errors,
        columns=COLUMNS,
        column_specs=[(f.name, f.required, plain_text(f.help)) for f in UNIT_COST_FIELDS],
        problems=problems,
        count=count,
    )


@bp.route("/local/new", methods=["GET", "POST"])
@require_role(models.ADMIN, STEWARD)
def new_local() -> str | Response:
    """Start a local override table: the organisation's rows over a national version."""
    session = get_session()
    form = {k: request.form.get(k, "") for k in (*META_FORM_FIELDS, "parent")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        meta, errors = check_meta(form)
        parent, parent_error = _parent(form["parent"], required=True)
        if parent_error:
            errors["parent"] = parent_error
        if not errors and parent is not None:
            try:
                table = new_version(
                    session,
                    empty_rows(),
                    meta,
                    organisation_id=current_organisation(session).id,
                    parent=parent,
                )
            except VersionTaken as taken:
                session.rollback()
                errors["version"] = str(taken)
            else:
                _audit(
                    "table.local_started",
                    table,
                    f"Started the local table {_label(table)} over {_label(parent)}",
                )
                session.commit()
                flash(f"Started the local table {table.name}, version {table.version}, as a draft.")
                return redirect(url_for("unit_costs.show", table_id=table.id))
    return _meta_page("unit_costs/local.html", form, errors)


def _meta_page(template: str, form: dict[str, str], errors: dict[str, str], **more: Any) -> str:
    """A page with the table metadata form (upload, new local table): each error beside
    its field and in the summary, in form order."""
    return render_template(
        template,
        form=form,
        field_errors=errors,
        hints=META_HINTS,
        parents_options=_parent_options(),
        errors=[
            ErrorItem(errors[k], f"#field-{k}")
            for k in ("file", *META_FORM_FIELDS, "parent")
            if k in errors
        ],
        **more,
    )


def _own_row(table: models.UnitCostTable, row_id: int) -> models.UnitCostRow:
    row = get_session().get(models.UnitCostRow, row_id)
    if row is None or row.table_id != table.id:
        abort(404, description="That table version has no such row.")
    return row


def _prefill(table: models.UnitCostTable, code: str) -> dict[str, Any]:
    """The row a local table would replace, to start a local figure from (or nothing)."""
    source = table.parent if table.parent is not None else None
    row = next((r for r in (source.rows if source else []) if r.code == code), None)
    return row_record(row) if row is not None else {}


@bp.route("/tables/<int:table_id>/rows/new", methods=["GET", "POST"])
@bp.route("/tables/<int:table_id>/rows/<int:row_id>/edit", methods=["GET", "POST"])
@require_role(models.ADMIN, STEWARD)
def edit_row(table_id: int, row_id: int | None = None) -> str | Response:
    """Add a row to a draft, or change one: checked by the engine's rules for a table."""
    session = get_session()
    table = _draft(table_id, "change")
    row = _own_row(table, row_id) if row_id is not None else None
    values: dict[str, Any] = (
        row_record(row) if row else _prefill(table, request.args.get("from", ""))
    )
    errors: dict[str, str] = {}
    stale: list[ErrorItem] = []
    if request.method == "POST":
        values = posted(UNIT_COST_FIELDS, request.form)
        checked, problems = check_row(table, values, replacing=row.code if row else None)
        for problem in problems:
            errors.setdefault(problem.field or "code", problem.message)
        if _draft_is_stale(table):
            stale = _draft_changes(table)
        elif checked is not None:
            old = row_record(row) if row is not None else None
            if row is None:
                row = models.UnitCostRow(**checked)
                table.rows.append(row)
            else:
                for key, value in checked.items():
                    setattr(row, key, value)
            session.flush()
            refresh(table)
            new = row_record(row)
            before, after = changed_fields(old, new) if old is not None else (None, new)
            _audit(
                "table.row_added" if old is None else "table.row_changed",
                table,
                f"{_label(table)}: unit cost {new['code']} {'added' if old is None else 'changed'}",
                before,
                after,
            )
            if _save_draft(session):
                flash(f"Saved unit cost {new['code']} in {table.name}, version {table.version}.")
                return redirect(url_for("unit_costs.show", table_id=table.id, q=new["code"]))
            stale = _draft_changes(table)
            row = _own_row(table, row_id) if row_id is not None else None
    fields = form_fields(UNIT_COST_FIELDS, values, errors)
    return render_template(
        "unit_costs/row_form.html",
        table=table,
        row=row,
        fields=fields,
        errors=stale + summary(fields),
    )


@bp.route("/tables/<int:table_id>/rows/<int:row_id>/delete", methods=["GET", "POST"])
@require_role(models.ADMIN, STEWARD)
def delete_row(table_id: int, row_id: int) -> str | Response:
    session = get_session()
    table = _draft(table_id, "change")
    row = _own_row(table, row_id)
    stale: list[ErrorItem] = []
    if request.method == "POST":
        if not _draft_is_stale(table):
            code = row.code
            before = row_record(row)
            table.rows.remove(row)
            session.delete(row)
            session.flush()
            refresh(table)
            _audit(
                "table.row_deleted",
                table,
                f"{_label(table)}: unit cost {code} deleted",
                before=before,
            )
            if _save_draft(session):
                flash(f"Deleted unit cost {code} from {table.name}, version {table.version}.")
                return redirect(url_for("unit_costs.show", table_id=table.id))
        stale = _draft_changes(table)
        row = _own_row(table, row_id)
    return render_template(
        "unit_costs/confirm.html",
        errors=stale,
        table=table,
        title=f"Are you sure you want to delete unit cost {row.code}?",
        detail=f"{row.code}: {row.name}, {row.unit}",
        action=url_for("unit_costs.delete_row", table_id=table.id, row_id=row.id),
        button=f"Yes, delete {row.code}",
    )


@bp.route("/tables/<int:table_id>/publish", methods=["GET", "POST"])
@require_role(models.ADMIN, STEWARD)
def publish_view(table_id: int) -> str | Response:
    """Publish a draft after a confirmation page: a published version never changes."""
    session = get_session()
    table = _draft(table_id, "publish")
    if request.method == "GET":
        return render_template(
            "unit_costs/confirm.html",
            table=table,
            title=f"Publish {table.name}, version {table.version}?",
            detail=f"Once published, its {table.row_count:,} unit costs can never change: a "
            "correction needs a new version. Runs do not use it until you choose it as the "
            "table in use.",
            action=url_for("unit_costs.publish_view", table_id=table.id),
            button="Yes, publish it",
            button_class="button",
            cancel="No, keep it as a draft",
        )
    if _draft_is_stale(table):
        flash(" ".join(item.text for item in _draft_changes(table)))
        return redirect(url_for("unit_costs.show", table_id=table.id))
    publish(session, table, current_organisation(session).id)
    _audit(
        "table.published",
        table,
        f"Published {_label(table)}: {table.row_count} unit costs",
        after={"sha256": table.sha256, "rows": table.row_count},
    )
    if not _save_draft(session):
        flash(" ".join(item.text for item in _draft_changes(table)))
        return redirect(url_for("unit_costs.show", table_id=table.id))
    flash(
        f"Published {table.name}, version {table.version}. It can no longer change. "
        "New runs use it only once you choose it."
    )
    return redirect(url_for("unit_costs.show", table_id=table.id))


@bp.route("/tables/<int:table_id>/new-version", methods=["GET", "POST"])
@require_role(models.ADMIN, STEWARD)
def new_version_view(table_id: int) -> str | Response:
    """Start a new draft version of a published table (a published one never changes)."""
    session = get_session()
    table = _changeable(table_id, "start a new version of")
    version = request.form.get("version", "").strip()
    error = None
    if request.method == "POST":
        long = models.too_long(version, models.column_length(models.UnitCostTable, "version"))
        if not version:
            error = "Enter a version string for the new version, for example 2027.1"
        elif long:
            error = f"The version {long}"
        else:
            try:
                draft = next_draft(session, table, version)
            except VersionTaken as taken:
                session.rollback()
                error = str(taken)
            else:
                _audit(
                    "table.version_started",
                    draft,
                    f"Started {_label(draft)} as a draft from version {table.version}",
                    after={"from": table.id},
                )
                session.commit()
                flash(
                    f"Started version {version} of {table.name} as a draft, "
                    f"from version {table.version}."
                )
                return redirect(url_for("unit_costs.show", table_id=draft.id))
    return render_template(
        "unit_costs/new_version.html",
        table=table,
        version=version,
        error=error,
        errors=[ErrorItem(error, "#field-version")] if error else [],
    )


@bp.route("/tables/<int:table_id>/discard", methods=["GET", "POST"])
@require_role(models.ADMIN, STEWARD)
def discard_view(table_id: int) -> str | Response:
    session = get_session()
    table = _draft(table_id, "delete")
    if request.method == "POST":
        label = f"{table.name}, version {table.version}"
        _audit(
            "table.discarded", table, f"Deleted the draft {label}", before={"rows": table.row_count}
        )
        discard(session, table)
        session.commit()
        flash(f"Deleted the draft {label}.")
        return redirect(url_for("unit_costs.tables"))
    return render_template(
        "unit_costs/confirm.html",
        table=table,
        title=f"Are you sure you want to delete the draft {table.name}, version {table.version}?",
        detail=f"Its {table.row_count} rows are deleted with it. "
        "Published versions are not affected.",
        action=url_for("unit_costs.discard_view", table_id=table.id),
        button="Yes, delete this draft",
    )


@bp.post("/in-use")
@require_role(models.ADMIN, STEWARD)
def in_use() -> Response:
    """Choose the published version new runs use (runs already made keep theirs)."""
    session = get_session()
    table = get_table(request.form.get("table_id", 0, type=int) or 0)
    if table.status != models.PUBLISHED:
        abort(409, description="Only a published version can be used for runs. Publish it first.")
    organisation_id = current_organisation(session).id
    was = current_table(session, organisation_id)
    choose(session, organisation_id, table, user_name())
    record(
        session,
        "table.chosen",
        f"New runs now use {_label(table)}",
        object_type="unit_cost_table",
        object_id=table.id,
        before={"table": _label(was), "id": was.id},
        after={"table": _label(table), "id": table.id},
    )
    session.commit()
    flash(f"New runs now use {table.name}, version {table.version}.")
    return redirect(url_for("unit_costs.tables"))
