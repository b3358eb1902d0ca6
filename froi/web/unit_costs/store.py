"""Unit cost table versions in the database: create, edit a draft, publish, choose.

A version is created as a **draft** (from an upload, as a new local override, or as the
next version of a published one); a draft's rows can be added, changed and deleted, each
checked by the engine's ``validate_rows``; publishing freezes it (the session hook in
:mod:`froi.web.core.models` refuses any later change).  An organisation's steward then chooses which
published version its new runs use (:class:`~froi.web.core.models.UnitCostChoice`).

A local override version stores only the organisation's own rows and names its national
version in ``parent_id``; a run computes on both (see :func:`froi.web.core.reference.engine_table`).
Its ``sha256`` is the hash of its own rows; the run's results name the combined table and
the national version with their hashes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from calculator import unit_costs as uc
from calculator.errors import Problem
from calculator.provenance import TableMeta

from ..core import models
from ..core.reference import (
    ROW_ATTRIBUTES,
    app_reference,
    current_table,
    row_attributes,
    row_record,
    table_model,
)
from .files import long_cell

#: The metadata typed in the upload and new-table forms, in form order.
META_FORM_FIELDS = ("name", "version", "publisher", "licence", "date", "source", "description")


class VersionTaken(Exception):
    """A table name and version that is already stored: a new version needs a new string."""


def version_taken(session: Session, name: str, version: str) -> bool:
    found = session.scalar(
        select(func.count())
        .select_from(models.UnitCostTable)
        .where(models.UnitCostTable.name == name, models.UnitCostTable.version == version)
    )
    return bool(found)


def new_version(
    session: Session,
    rows: pd.DataFrame,
    meta: dict[str, str],
    *,
    organisation_id: int | None = None,
    parent: models.UnitCostTable | None = None,
) -> models.UnitCostTable:
    """A draft table version holding ``rows`` (already validated), added to the session."""
    if version_taken(session, meta["name"], meta["version"]):
        raise VersionTaken(
            f"'{meta['name']}' already has a version '{meta['version']}'; "
            "give the new version a version string of its own"
        )
    typed = {k: str(meta.get(k, "")) for k in META_FORM_FIELDS}
    table_meta = TableMeta(
        name=typed["name"],
        version=typed["version"],
        publisher=typed["publisher"],
        licence=typed["licence"],
        date=typed["date"],
        source=typed["source"],
        description=typed["description"],
    )
    engine = uc.UnitCostTable(meta=table_meta, rows=rows, sha256=uc.table_hash(rows))
    model = table_model(engine, organisation_id=organisation_id)
    model.status = models.DRAFT
    model.published_at = None
    model.parent = parent
    session.add(model)
    session.flush()
    return model


def check_row(
    table: models.UnitCostTable, values: dict[str, Any], replacing: str | None = None
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Check one row as typed in a form, in the table it would join.

    Returns the row's stored attributes, or the problems (by field).  A code already in
    the table (other than the row being changed, ``replacing``) is refused.
    """
    frame, problems = uc.validate_rows(
        [(1, values)], uc.COLUMNS, file=None, deflators=app_reference().deflators
    )
    code = str(values.get("code", "")).strip()
    taken = {r.code for r in table.rows} - {replacing}
    if code and code in taken:
        problems.append(
            Problem(
                f"code '{code}' is already in this table; change that row instead",
                field="code",
            )
        )
    if problems:
        return None, problems
    record = frame.reset_index().to_dict(orient="records")[0]
    long = [(c, long_cell(c, record.get(c))) for c in uc.COLUMNS]
    if any(why for _, why in long):
        return None, [Problem(f"the {why}", field=c) for c, why in long if why]
    return row_attributes(record), []


def refresh(table: models.UnitCostTable) -> None:
    """Recompute a draft's row count and SHA-256 after its rows changed."""
    records = [(i, row_record(r)) for i, r in enumerate(table.rows, start=1)]
    frame, _ = uc.validate_rows(records, uc.COLUMNS, file=None, deflators=app_reference().deflators)
    table.row_count = len(frame)
    table.sha256 = uc.table_hash(frame)


def next_draft(session: Session, table: models.UnitCostTable, version: str) -> models.UnitCostTable:
    """A new draft version of a published table, with a copy of its rows."""
    if version_taken(session, table.name, version):
        raise VersionTaken(
            f"'{table.name}' already has a version '{version}'; choose a version string "
            "it does not have"
        )
    draft = models.UnitCostTable(
        organisation_id=table.organisation_id,
        name=table.name,
        version=version,
        sha256=table.sha256,
        row_count=table.row_count,
        publisher=table.publisher,
        licence=table.licence,
        date=table.date,
        last_verified=table.last_verified,
        source=table.source,
        description=table.description,
        meta={**table.meta, "version": version, "previous_version": table.version},
        status=models.DRAFT,
        parent_id=table.parent_id,
    )
    for row in table.rows:
        draft.rows.append(
            models.UnitCostRow(**{a: getattr(row, a) for a in ROW_ATTRIBUTES.values()})
        )
    session.add(draft)
    session.flush()
    return draft


def publish(session: Session, table: models.UnitCostTable, organisation_id: int) -> None:
    """Publish a draft: it never changes again.  What new runs use does not change."""
    pin_choice(session, organisation_id)
    refresh(table)
    table.status = models.PUBLISHED
    table.published_at = models.utcnow()


def pin_choice(session: Session, organisation_id: int) -> None:
    """Record the table in use as an explicit choice, if the organisation has none yet,
    so that publishing another version never silently changes what new runs use."""
    if session.get(models.UnitCostChoice, organisation_id) is None:
        table = current_table(session, organisation_id)
        session.add(models.UnitCostChoice(organisation_id=organisation_id, table_id=table.id))
        session.flush()


def choose(session: Session, organisation_id: int, table: models.UnitCostTable, user: str) -> None:
    """Make ``table`` (published) the version the organisation's new runs use."""
    choice = session.get(models.UnitCostChoice, organisation_id)
    if choice is None:
        choice = models.UnitCostChoice(organisation_id=organisation_id, table_id=table.id)
        session.add(choice)
    choice.table_id = table.id
    choice.table = table
    choice.chosen_by = user
    choice.chosen_at = models.utcnow()
    session.flush()


def discard(session: Session, table: models.UnitCostTable) -> None:
    """Delete a draft and its rows (a published version is never deleted)."""
    for row in list(table.rows):
        session.delete(row)
    session.delete(table)
    session.flush()


def visible_tables(session: Session, organisation_id: int) -> list[models.UnitCostTable]:
    """Every national version and the organisation's own, by name then newest first."""
    Table = models.UnitCostTable
    return list(
        session.scalars(
            select(Table)
            .where((Table.organisation_id.is_(None)) | (Table.organisation_id == organisation_id))
            .order_by(Table.organisation_id.is_not(None), Table.name, Table.id.desc())
        )
    )
