"""The service's tables: organisations and their users, unit cost tables and their rows,
projects, runs, uploads, jobs, and the audit log.

Every row that belongs to a council carries ``organisation_id``, and every page fetches
such a row through the signed-in user's organisation (``froi.web.accounts.access``), so
another organisation's rows are simply not found.  National unit cost tables belong to no
organisation (``organisation_id`` is NULL): every organisation reads them.

Ids appear in addresses, so an id is never given out twice: on SQLite every table with
an id in an address is ``AUTOINCREMENT`` (:data:`NEVER_REUSE_IDS`; without it SQLite
hands the largest id out again once its row is deleted, and an old link would open a
new project); PostgreSQL's sequences never go back.

A published unit cost table never changes (:func:`refuse_changes_to_published_tables`):
runs cite a table by version and SHA-256, and a re-run must find exactly the figures the
run used.  Projects hold the canonical project object of METHOD 6 as JSON, the same
shape the JSON input and the workbook reader produce, so every caller hands the engine
the same document.  The schema itself is created by the Alembic migrations in
``migrations/``; these classes must agree with them (a test compares the two).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy import (
    false as sa_false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

#: The name recorded as a run's user when no one is signed in (the command line, tools).
LOCAL_USER = "local user"
#: The organisation a first start creates.
DEFAULT_ORGANISATION = "Local authority"
#: Table options of every table whose ids appear in addresses: on SQLite, ids are never
#: reused after a delete (PostgreSQL's sequences never reuse them anyway).
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}
PUBLISHED = "published"
DRAFT = "draft"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zone type and hands back naive values; PostgreSQL keeps the zone.
    Storing UTC and re-attaching it on the way out makes both return the same value,
    so pages and tests never compare naive with aware times.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Named constraints, so migrations can alter them on SQLite (batch mode) and PostgreSQL.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class Organisation(Base):
    """A council (or other body) whose projects, runs and local tables are its own."""

    __tablename__ = "organisation"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnitCostTable(Base):
    """One version of a unit cost table: its metadata, content hash and rows."""

    __tablename__ = "unit_cost_table"
    __table_args__ = (UniqueConstraint("name", "version"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    row_count: Mapped[int] = mapped_column(Integer)
    publisher: Mapped[str] = mapped_column(Text, default="")
    licence: Mapped[str] = mapped_column(Text, default="")
    date: Mapped[str] = mapped_column(String(40), default="")
    last_verified: Mapped[str] = mapped_column(String(40), default="")
    source: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    #: the whole sidecar (notes, counts by kind...), as published
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default=PUBLISHED)
    published_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: for a local override table: the national version whose rows it replaces or adds to
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit_cost_table.id"), index=True)

    rows: Mapped[list[UnitCostRow]] = relationship(
        back_populates="table", order_by="UnitCostRow.id"
    )
    parent: Mapped[UnitCostTable | None] = relationship(remote_side=[id])

    #: a draft's SHA-256 changes with every change of its rows, so it serves as the
    #: draft's revision: every UPDATE of a table is ``... WHERE sha256 = :loaded``, and of
    #: two changes made to the same draft at once the second is refused (StaleDataError)
    #: instead of being written over the first; a form carries the hash it was built from.
    __mapper_args__ = {  # noqa: RUF012 (SQLAlchemy reads it; mypy refuses ClassVar here)
        "version_id_col": sha256,
        "version_id_generator": False,
    }

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


class UnitCostChoice(Base):
    """Which unit cost table version an organisation's new runs compute on.

    No row means the newest published national table (the behaviour before a steward
    chose); choosing a version, or publishing one, records the choice explicitly.
    """

    __tablename__ = "unit_cost_choice"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("unit_cost_table.id"))
    chosen_by: Mapped[str] = mapped_column(String(200), default=LOCAL_USER)
    chosen_at: Mapped[datetime] = mapped_column(default=utcnow)

    table: Mapped[UnitCostTable] = relationship()


class UnitCostRow(Base):
    """One unit cost of a table version, in the columns of ``calculator.unit_costs``."""

    __tablename__ = "unit_cost_row"
    __table_args__ = (UniqueConstraint("table_id", "code"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("unit_cost_table.id"))
    code: Mapped[str] = mapped_column(String(60), index=True)
    name: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(200))
    #: pounds at ``price_year`` prices; a double, so the hash of the rows read back
    #: equals the hash of the file they came from
    value: Mapped[float] = mapped_column(Double)
    price_year: Mapped[str] = mapped_column(String(7))
    agency: Mapped[str] = mapped_column(String(200))
    agency_detail: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20))
    cashable: Mapped[bool] = mapped_column(Boolean)
    confidence_grade: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    grade_reason: Mapped[str] = mapped_column(Text, default="")
    group_name: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    table: Mapped[UnitCostTable] = relationship(back_populates="rows")


class Project(Base):
    """A project: the canonical project object (METHOD 6) plus its run settings.

    ``project_ref``, ``name`` and ``organisation_name`` repeat the document's
    ``project_id``, ``name`` and ``organisation`` so lists can be searched and sorted in
    SQL; :meth:`set_doc` is the only writer, so they cannot drift from the document.
    ``revision`` counts saves: a form carries the revision it was built from, and a save
    from a stale page is refused instead of silently undoing someone's edit.
    """

    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("organisation_id", "project_ref"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    project_ref: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300), default="")
    organisation_name: Mapped[str] = mapped_column(String(300), default="")
    doc: Mapped[dict[str, Any]] = mapped_column()
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: local unit cost rows laid over the national table for this project's runs
    unit_costs: Mapped[list[Any]] = mapped_column(default=list)
    #: agencies the project's input adds on purpose (the input's top-level ``agencies``)
    agencies: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    scenario_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="SET NULL")
    )
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    scenario_of: Mapped[Project | None] = relationship(remote_side=[id])

    #: every UPDATE of a project is ``... WHERE id = :id AND revision = :loaded``: a save
    #: that lost a race with another (both read the same revision) changes no row and
    #: raises ``StaleDataError`` instead of silently overwriting the other's change.  The
    #: service sets the new revision itself (:meth:`set_doc`, :func:`bump_revisions`).
    __mapper_args__ = {  # noqa: RUF012 (SQLAlchemy reads it; mypy refuses ClassVar here)
        "version_id_col": revision,
        "version_id_generator": False,
    }

    def set_doc(self, doc: dict[str, Any]) -> None:
        """Replace the document (a new object, so the JSON column sees the change)."""
        self.doc = doc
        self.project_ref = str(doc.get("project_id") or "")
        self.name = str(doc.get("name") or "")
        self.organisation_name = str(doc.get("organisation") or "")
        self.revision = (self.revision or 0) + 1
        self.updated_at = utcnow()

    def input_doc(self, settings: dict[str, Any] | None = None) -> dict[str, Any]:
        """The canonical input (METHOD 6) that computes this project alone."""
        doc: dict[str, Any] = {"settings": {**self.settings, **(settings or {})}}
        if self.unit_costs:
            doc["unit_costs"] = self.unit_costs
        if self.agencies:
            doc["agencies"] = self.agencies
        doc["projects"] = [self.doc]
        return doc


def bump_revisions(session: Session, *_: Any) -> None:
    """Session hook (``before_flush``): a project changed without a new revision gets one.

    Every change of a project's inputs is a new revision, so that a form built from the
    old one is refused and results stored for it are known to be out of date.
    """
    for obj in session.dirty:
        changed = isinstance(obj, Project) and session.is_modified(obj)
        if changed and not inspect(obj).attrs.revision.history.has_changes():
            obj.revision = (obj.revision or 0) + 1


class Run(Base):
    """One calculation, with everything needed to reproduce and audit it (METHOD 6)."""

    __tablename__ = "run"
    __table_args__ = (
        Index("ix_run_organisation_id_id", "organisation_id", "id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    #: kept when the project is deleted: the run is the audit record
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="SET NULL"), index=True
    )
    project_ref: Mapped[str] = mapped_column(String(100))
    input_doc: Mapped[dict[str, Any]] = mapped_column()
    input_sha256: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column()
    unit_cost_table_id: Mapped[int] = mapped_column(ForeignKey("unit_cost_table.id"))
    unit_cost_table_name: Mapped[str] = mapped_column(String(300))
    unit_cost_table_version: Mapped[str] = mapped_column(String(100))
    unit_cost_table_sha256: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(40))
    #: ``Results.to_dict()``: the figures exactly as computed
    results: Mapped[dict[str, Any]] = mapped_column()
    user_name: Mapped[str] = mapped_column(String(200), default=LOCAL_USER)
    computed_at: Mapped[datetime] = mapped_column()
    rerun_of_id: Mapped[int | None] = mapped_column(ForeignKey("run.id", ondelete="SET NULL"))
    #: for a re-run: whether every figure equals the original's (to 1e-9)
    reproduced: Mapped[bool | None] = mapped_column(Boolean)
    #: the uploaded workbook a batch run computed (NULL for a project's own run)
    upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("upload.id", ondelete="SET NULL"), index=True
    )
    #: what the run was, in words, when it is not one project's ("Portfolio, 12 projects")
    label: Mapped[str] = mapped_column(String(300), default="", server_default="")
    #: headline figures kept beside ``results`` so that lists never read the results:
    #: how many projects, and a one-project run's FROI
    project_count: Mapped[int | None] = mapped_column(Integer)
    froi: Mapped[float | None] = mapped_column(Double)

    project: Mapped[Project | None] = relationship()
    unit_cost_table: Mapped[UnitCostTable] = relationship()
    rerun_of: Mapped[Run | None] = relationship(remote_side=[id])
    upload: Mapped[Upload | None] = relationship()


class ProjectSummary(Base):
    """What a project's check and headline figures came to, kept so pages read them.

    A page that lists problems (the project page) or figures (the portfolio) reads the
    row for the project's current ``revision`` under a ``basis``: a digest of what the
    figures depend on besides the project (the settings they were computed with, the
    unit cost table's id and SHA-256, the engine version, the reference tables).  A row
    of an older revision or another basis is simply not used, so only projects whose
    inputs or tables changed are checked or computed again.  These rows are a cache of
    pure functions of the project, not a record: runs are the record.
    """

    __tablename__ = "project_summary"
    __table_args__ = (UniqueConstraint("project_id", "basis"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    basis: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    #: the engine's problems and warnings, each as ``Problem`` fields
    problems: Mapped[list[Any]] = mapped_column(default=list)
    #: whether the figures below were computed (False: the project has problems)
    computed: Mapped[bool] = mapped_column(Boolean, default=False)
    mode: Mapped[str] = mapped_column(String(20), default="")
    pv_costs: Mapped[float | None] = mapped_column(Double)
    pv_fiscal: Mapped[float | None] = mapped_column(Double)
    froi: Mapped[float | None] = mapped_column(Double)
    npv: Mapped[float | None] = mapped_column(Double)
    payback: Mapped[float | None] = mapped_column(Double)
    cashable: Mapped[float | None] = mapped_column(Double)
    band: Mapped[str] = mapped_column(String(60), default="")
    #: present value of fiscal benefits by outcome theme
    themes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: the themes as ``|Crime|Health|``, so a theme filter is a LIKE in the database
    themes_text: Mapped[str] = mapped_column(Text, default="")
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Upload(Base):
    """An uploaded input workbook: its bytes, as received, and how far it has got.

    ``status`` is ``received``, ``checking``, ``invalid`` (problems found), ``refused``
    (not read at all), ``checked`` (ready to confirm), ``computing``, ``computed`` or
    ``failed``; ``report`` holds what the check found (problems, warnings, a summary).
    """

    __tablename__ = "upload"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_name: Mapped[str] = mapped_column(String(200), default=LOCAL_USER)
    status: Mapped[str] = mapped_column(String(20), default="received")
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Job(Base):
    """Work done in the background (a large upload checked or computed), with progress.

    ``status`` is ``queued``, ``running``, ``done`` or ``failed``; ``stage`` says in words
    what it is doing, ``done`` of ``total`` how far.  The row is also the lease on the
    work (:mod:`froi.web.uploads.jobs`): ``worker`` names the claim that holds it,
    ``lease_until`` when that claim lapses, ``attempts`` how many claims there have been,
    so a job whose worker has gone is tried again or failed with a message, never left
    running for ever and never saved twice.
    """

    __tablename__ = "job"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    stage: Mapped[str] = mapped_column(String(300), default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    worker: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    heartbeat: Mapped[datetime | None] = mapped_column()
    user_name: Mapped[str] = mapped_column(String(200), default=LOCAL_USER)
    upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("upload.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id", ondelete="SET NULL"))
    #: where the result is shown, once done (a path of this service)
    result_url: Mapped[str] = mapped_column(String(300), default="")
    #: how many workers have claimed it (a worker that stopped mid-job leaves it to the
    #: next, up to ``JOB_MAX_ATTEMPTS``)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: when the current claim lapses unless its worker renews it (None while queued)
    lease_until: Mapped[datetime | None] = mapped_column()
    #: what the work needs beside the row (the clash rule, who started it, ...)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    #: its task could not be put on the queue (unreachable): it is sent as soon as the
    #: queue answers again (:func:`froi.web.uploads.jobs.resend_unsent`)
    unsent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


#: Roles, each allowed what the one before it may do and more (see
#: :mod:`froi.web.accounts.access`): read; create and change projects, uploads and
#: runs; manage the organisation's users and local unit cost tables; manage
#: organisations and national unit cost tables.
VIEWER, ANALYST, ADMIN, SITE_ADMIN = "viewer", "analyst", "admin", "site_admin"
ROLES = (VIEWER, ANALYST, ADMIN, SITE_ADMIN)


class User(Base):
    """A person who signs in: one organisation, one role, an argon2id password hash.

    ``session_version`` is part of the id kept in a signed-in session (:meth:`get_id`,
    Flask-Login's "alternative token"): changing the password (or deactivating the
    account) raises it, and every other session holding the old number is signed out on
    its next request.
    """

    __tablename__ = "user_account"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: kept in lower case: addresses are compared without regard to case
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(20), default=VIEWER)
    password_hash: Mapped[str] = mapped_column(String(200))
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column()
    last_signed_in_at: Mapped[datetime | None] = mapped_column()

    organisation: Mapped[Organisation] = relationship()

    # what Flask-Login asks of a user (its UserMixin, written out: models import no
    # web framework)
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str:
        """What the session keeps: the id and the session version (see the class)."""
        return f"{self.id}:{self.session_version}"


class ApiToken(Base):
    """A user's token for the JSON API (``/api/v1``), stored as its SHA-256 only.

    The token itself is shown once, when it is made; what is kept is its hash (the token
    is 256 random bits, so a fast hash is enough: there is nothing to guess), the first
    characters to tell tokens apart on the account page, and when it was last used.  A
    request with the token acts as its user, with the user's organisation and role as
    they are at the time of the request; a revoked token, or one whose user is
    deactivated, is refused.  ``window_start`` and ``window_count`` count the requests
    of the current minute for the rate limit, in the database so every worker shares
    them (see :mod:`froi.web.api.auth`).
    """

    __tablename__ = "api_token"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    #: the token's first characters, as shown on the account page ("froi_Ab3d...")
    prefix: Mapped[str] = mapped_column(String(20))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    window_start: Mapped[datetime | None] = mapped_column()
    window_count: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """One change, recorded in the same transaction as the change itself.

    Who (the user's id and email, kept even if the account goes), when, in which
    organisation (NULL for national tables and for sign-in attempts on unknown
    addresses), what (``action``, a code such as ``project.changed``), to what
    (``object_type`` and ``object_id``), a one-line ``summary``, and the values before
    and after where they are small (see :mod:`froi.web.core.audit`).
    """

    __tablename__ = "audit_event"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    user_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="", index=True)
    object_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(500), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    #: the client address the request came from ("" outside a request)
    address: Mapped[str] = mapped_column(String(64), default="")


class SignInFailure(Base):
    """A failed sign-in, kept for a while so that repeated guesses can be refused in
    every process (see :mod:`froi.web.accounts.throttle`)."""

    __tablename__ = "sign_in_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PublishedTableChanged(Exception):
    """An attempt to change, extend or delete a published unit cost table."""


def refuse_changes_to_published_tables(session: Session, *_: Any) -> None:
    """Session hook (``before_flush``): published tables and their rows are immutable.

    A new version is a new table; the old one stays exactly as runs cited it.  Adding
    rows to a table published in an earlier transaction counts as a change too.
    """
    for obj in [*session.dirty, *session.deleted]:
        table = obj.table if isinstance(obj, UnitCostRow) else obj
        if not isinstance(table, UnitCostTable) or not _was_published(table):
            continue
        if obj in session.deleted or session.is_modified(obj):
            raise PublishedTableChanged(
                f"unit cost table '{table.label}' is published and cannot change; "
                "publish a new version instead"
            )
    for obj in session.new:
        adding = isinstance(obj, UnitCostRow) and obj.table not in session.new
        if adding and _was_published(obj.table):
            raise PublishedTableChanged(
                f"unit cost table '{obj.table.label}' is published; rows cannot be added to it"
            )


def _was_published(table: UnitCostTable) -> bool:
    """Whether the table was published before this flush (publishing a draft is allowed)."""
    history = inspect(table).attrs.status.history
    before = history.deleted[0] if history.deleted else table.status
    return bool(before == PUBLISHED)


def watch_published_tables(session_factory: Any) -> None:
    """Attach :func:`refuse_changes_to_published_tables` to a sessionmaker."""
    event.listen(session_factory, "before_flush", refuse_changes_to_published_tables)
    event.listen(session_factory, "before_flush", bump_revisions)


def column_length(model: type[Base], attribute: str) -> int | None:
    """The most characters ``model.attribute`` holds (None: no limit).  PostgreSQL refuses
    a longer value (SQLite keeps it), so input is checked against this before saving."""
    length = getattr(model.__table__.c[attribute].type, "length", None)
    return int(length) if length else None


def too_long(value: Any, limit: int | None) -> str | None:
    """Why ``value`` does not fit a column of ``limit`` characters, or None if it does."""
    if limit is None or not isinstance(value, str) or len(value) <= limit:
        return None
    return f"is {len(value):,} characters long; the service keeps at most {limit} characters"
