"""Reference data between the engine and the database.

The deflator, optimism bias and discount tables are read from the files that ship in
``unit_costs/`` (they are cited by hash in every run).  Unit cost tables live in the
database, one row per unit cost, so they can be searched, versioned and, later, uploaded
and overridden; a run computes on a table read back from the database, never on the
file, so that a re-run finds exactly the figures the run used.

A table read back is checked by the engine's own loader (``validate_rows``) and its
SHA-256 recomputed: if it differs from the hash recorded when the table was published,
the stored figures are not the published ones and nothing is computed on them.  Because
published tables never change, a table read back is cached per process.
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache
from typing import Any, TypeVar

from flask import current_app, g, has_request_context, request
from sqlalchemy import Select, case, func, literal, or_, select
from sqlalchemy.orm import Session

from calculator import unit_costs as uc
from calculator.categories import category_problems
from calculator.provenance import TableMeta
from calculator.reference import ReferenceData, load_reference

from . import models

#: Columns of a unit cost row, as the engine names them, and the model attribute of each.
ROW_ATTRIBUTES = {column: ("group_name" if column == "group" else column) for column in uc.COLUMNS}


class StoredTableCorrupt(Exception):
    """A stored table whose rows no longer hash to the published SHA-256."""


@lru_cache(maxsize=4)
def file_reference(directory: str | None = None) -> ReferenceData:
    """The reference data shipped as files (read once per process: they are read-only)."""
    return load_reference(directory)


def app_reference() -> ReferenceData:
    """The file reference data of the running app (``REFERENCE_DIR``, default the shipped)."""
    return file_reference(current_app.config.get("REFERENCE_DIR"))


def table_model(
    table: uc.UnitCostTable, organisation_id: int | None = None
) -> models.UnitCostTable:
    """A database table version (with its rows) for an engine table, published now."""
    meta = table.meta
    model = models.UnitCostTable(
        organisation_id=organisation_id,
        name=meta.name,
        version=meta.version,
        sha256=table.sha256,
        row_count=len(table),
        publisher=meta.publisher,
        licence=meta.licence,
        date=meta.date,
        last_verified=meta.last_verified,
        source=meta.source,
        description=meta.description,
        meta=meta.as_dict(),
        status=models.PUBLISHED,
        published_at=models.utcnow(),
    )
    frame = table.rows.reset_index()
    for record in frame.to_dict(orient="records"):
        model.rows.append(models.UnitCostRow(**row_attributes(record)))
    return model


def row_attributes(record: dict[Any, Any]) -> dict[str, Any]:
    """A row as ``validate_rows`` types it (code included) as a stored row's attributes."""
    grade = record["confidence_grade"]
    values: dict[str, Any] = {ROW_ATTRIBUTES[c]: record[c] for c in uc.COLUMNS}
    values["confidence_grade"] = None if math.isnan(grade) else int(grade)
    values["value"] = float(record["value"])
    values["cashable"] = bool(record["cashable"])
    return values


def row_record(row: models.UnitCostRow) -> dict[str, Any]:
    """A stored row in the engine's columns (a blank grade as ''), as ``validate_rows``
    reads a file's row."""
    record = {c: getattr(row, ROW_ATTRIBUTES[c]) for c in uc.COLUMNS}
    if record["confidence_grade"] is None:
        record["confidence_grade"] = ""
    return record


#: Tables read back, by database and table id.  A published table never changes, so one
#: check per process is enough; workers and apps on the same database share nothing else.
_TABLES: dict[tuple[str, int, str, str], uc.UnitCostTable] = {}


def engine_table(model: models.UnitCostTable) -> uc.UnitCostTable:
    """The engine's table for a stored version, checked and hash-verified (cached).

    A local override table (``parent_id`` set) is its national version with the local
    rows laid over it (``UnitCostTable.with_local``): the result's provenance names the
    combined table and, as its base, the national version with its hash.  Drafts change,
    so they are checked afresh each time and never cached.
    """
    database = current_app.extensions["froi"]["db"].engine.url.render_as_string()
    # the hashes too: SQLite may give a deleted draft's id to a new table
    parent_hash = model.parent.sha256 if model.parent is not None else ""
    key = (database, model.id, model.sha256, parent_hash)
    if key in _TABLES:
        return _TABLES[key]
    own = stored_table(model)
    table = own
    if model.parent is not None:
        table = engine_table(model.parent).with_local(
            own.rows, name=model.name, version=model.version
        )
    if model.status == models.PUBLISHED:
        _TABLES[key] = table
    return table


def stored_table(model: models.UnitCostTable) -> uc.UnitCostTable:
    """A stored version's own rows as an engine table, checked and hash-verified.

    A published version never changes, so it is read back as it was published: a table
    from before the rule that a unit cost described as including economic or social
    value is never fiscal (METHOD 2.2; table 2026.1 broke it) still loads, so its runs
    reproduce, and the rows that break the rule are listed in its quality report.
    """
    records = [(i, row_record(row)) for i, row in enumerate(model.rows, start=1)]
    frame, problems = uc.validate_rows(
        records,
        uc.COLUMNS,
        file=None,
        deflators=app_reference().deflators,
        check_categories=False,
    )
    digest = uc.table_hash(frame)
    if problems or digest != model.sha256:
        raise StoredTableCorrupt(
            f"unit cost table '{model.label}' as stored does not match its published "
            f"SHA-256 ({model.sha256[:12]}, stored rows hash to {digest[:12]}; "
            f"{len(problems)} problem(s)); it cannot be used"
        )
    known = {f.name for f in dataclasses.fields(TableMeta)}
    meta = dict(model.meta)
    meta["notes"] = tuple(meta.get("notes") or ())
    table = uc.UnitCostTable(
        meta=TableMeta(**{k: v for k, v in meta.items() if k in known}),
        rows=frame,
        sha256=digest,
        quality=(
            *uc.hierarchy_problems(frame),
            *(
                dataclasses.replace(p, severity="warning")
                for p in category_problems(
                    frame, {code: i for i, code in enumerate(frame.index, 1)}, file=None
                )
            ),
        ),
    )
    return table


def reference_for(model: models.UnitCostTable) -> ReferenceData:
    """The reference data for a run on a stored unit cost table version."""
    return dataclasses.replace(app_reference(), unit_costs=engine_table(model))


def current_table(session: Session, organisation_id: int | None = None) -> models.UnitCostTable:
    """The table version new runs compute on: the organisation's choice, if it made one.

    Without a choice (a database from before choices were recorded), the newest published
    national table.  ``organisation_id`` defaults to the first organisation (the only
    one until accounts exist).
    """
    if organisation_id is None:
        organisation_id = session.scalar(select(func.min(models.Organisation.id)))
    memo = _page_memo(session)
    if memo is not None and organisation_id in memo:
        return memo[organisation_id]
    choice = session.get(models.UnitCostChoice, organisation_id) if organisation_id else None
    table = choice.table if choice is not None else newest_national(session)
    if memo is not None:
        memo[organisation_id] = table
    return table


def _page_memo(session: Session) -> dict[int | None, models.UnitCostTable] | None:
    """Where a page (a GET) keeps the tables it has looked up, so that asking again (its
    stored check, then its figures) costs no query: a GET chooses and publishes no
    table, and the memo ends with the request.  None for anything else (a save, which
    may change the choice, or a session other than the request's)."""
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return None
    if g.get("db_session") is not session:
        return None
    memo: dict[int | None, models.UnitCostTable] = g.setdefault("current_tables", {})
    return memo


def newest_national(session: Session) -> models.UnitCostTable:
    """The newest published national table."""
    table = session.scalars(
        select(models.UnitCostTable)
        .where(
            models.UnitCostTable.organisation_id.is_(None),
            models.UnitCostTable.status == models.PUBLISHED,
        )
        .order_by(models.UnitCostTable.id.desc())
        .limit(1)
    ).first()
    if table is None:
        raise LookupError("no unit cost table is loaded; run `flask --app app init-db`")
    return table


_Q = TypeVar("_Q", bound="Select[*tuple[Any, ...]]")


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def projects_matching(query: _Q, text: str) -> _Q:
    """``query`` (of projects) narrowed to those whose reference, name or organisation
    contains every word of ``text`` (the projects list's, the portfolio's and the API's
    search)."""
    Project = models.Project
    for word in text.split():
        pattern = like_pattern(word)
        query = query.where(
            or_(
                Project.project_ref.ilike(pattern, escape="\\"),
                Project.name.ilike(pattern, escape="\\"),
                Project.organisation_name.ilike(pattern, escape="\\"),
            )
        )
    return query


def effective_rows(table: models.UnitCostTable) -> Select[models.UnitCostRow]:
    """The rows a run on ``table`` uses: for a local override, its own rows and the
    national version's rows whose code it does not replace."""
    Row = models.UnitCostRow
    if table.parent_id is None:
        return select(Row).where(Row.table_id == table.id)
    local_codes = select(Row.code).where(Row.table_id == table.id)
    return select(Row).where(
        or_(
            Row.table_id == table.id,
            (Row.table_id == table.parent_id) & Row.code.not_in(local_codes),
        )
    )


#: Filters of a table's rows, by the query argument that carries each.
FILTERS = ("agency", "category", "grade", "price_year", "theme")


def theme_of(group_name: str) -> str:
    """A row's theme: the first part of its group (``Crime / ANTI-SOCIAL BEHAVIOUR``)."""
    return group_name.split(" / ", 1)[0].strip()


#: Words too common to narrow a search ("cost of a week in care" searches "cost week care").
STOP_WORDS = frozenset({"a", "an", "and", "the", "of", "for", "in", "to", "per", "on", "or"})


def search_rows(
    session: Session,
    table: models.UnitCostTable,
    text: str,
    limit: int,
    *,
    filters: dict[str, str] | None = None,
    offset: int = 0,
) -> tuple[list[models.UnitCostRow], int]:
    """Rows of ``table`` whose code, name, agency or unit contain any word of ``text``
    (any case), those holding most of the words first, then in code order.

    ``filters`` narrow by agency, category, grade (a number, or ``none``), price year or
    theme (see :data:`FILTERS`; blank means any).  Returns ``limit`` rows from ``offset``
    and how many matched in all.
    """
    Row = models.UnitCostRow
    query = effective_rows(table)
    wanted = {k: v for k, v in (filters or {}).items() if k in FILTERS and v}
    for name in ("agency", "category", "price_year"):
        if name in wanted:
            query = query.where(getattr(Row, name) == wanted[name])
    if "grade" in wanted:
        grade = wanted["grade"]
        query = query.where(
            Row.confidence_grade.is_(None)
            if grade == "none"
            else Row.confidence_grade
            # ASCII digits only ("²" is a digit to isdigit()) and few enough for a column
            == (int(grade) if grade.isascii() and grade.isdigit() and len(grade) < 6 else -1)
        )
    if "theme" in wanted:
        theme = wanted["theme"]
        query = query.where(
            or_(
                Row.group_name == theme,
                Row.group_name.like(like_pattern(theme + " / ")[1:], escape="\\"),
            )
        )
    # any of the words may match, so "residential care entry" finds "Entry to residential
    # care" and also rows with only some of the words; rows with more of them come first
    words = [w for w in text.split() if w.lower() not in STOP_WORDS] or text.split()
    order: list[Any] = [Row.code]
    if words:
        hits = [
            or_(
                Row.code.ilike(like_pattern(word), escape="\\"),
                Row.name.ilike(like_pattern(word), escape="\\"),
                Row.agency.ilike(like_pattern(word), escape="\\"),
                Row.unit.ilike(like_pattern(word), escape="\\"),
            )
            for word in words
        ]
        score = sum((case((hit, 1), else_=0) for hit in hits), start=literal(0))
        query = query.where(or_(*hits))
        order = [score.desc(), Row.code]
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(*order).offset(offset).limit(limit)))
    return rows, int(total)


def value_at_base(row: models.UnitCostRow, base_year: str, reference: ReferenceData) -> float:
    """A unit cost at ``base_year`` prices (METHOD 1.2: value x D(base) / D(price year))."""
    return row.value * reference.deflators.factor(row.price_year, base_year)
