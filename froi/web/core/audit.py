"""The audit log: every change, recorded in the same transaction as the change.

:func:`record` adds an :class:`~.models.AuditEvent` to the session that makes the change,
so the two commit together or not at all: there is no change without its record and no
record of a change that did not happen.  Who did it comes from the signed-in user
(:func:`current_actor`) or, for work done in the background, from the :class:`Actor`
captured when the work was started.

Before and after values are kept where they are small (a project's changed fields, a
row, a role): a value whose JSON is over :data:`MAX_DETAIL_BYTES` is replaced by a note
of its size, since the log is a record of who changed what, not a second copy of every
document (the runs keep the documents they computed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import models

#: Before or after values larger than this (as JSON) are not kept, only their size.
MAX_DETAIL_BYTES = 4096

#: Every action the log records, with the words the audit page shows.
ACTIONS = {
    "sign_in.succeeded": "Signed in",
    "sign_in.failed": "Sign-in failed",
    "sign_in.refused": "Sign-in refused (too many attempts)",
    "sign_out": "Signed out",
    "password.changed": "Password changed",
    "user.created": "User added",
    "user.role_changed": "User's role changed",
    "user.deactivated": "User deactivated",
    "user.reactivated": "User reactivated",
    "user.password_reset": "User's password reset",
    "organisation.created": "Organisation created",
    "organisation.renamed": "Organisation renamed",
    "project.created": "Project created",
    "project.changed": "Project details changed",
    "project.copied": "Project copied as a scenario",
    "project.deleted": "Project deleted",
    "project.imported": "Project imported from JSON",
    "row.added": "Row added to a project",
    "row.changed": "Row of a project changed",
    "row.deleted": "Row of a project deleted",
    "upload.received": "Workbook uploaded",
    "upload.confirmed": "Upload confirmed and computed",
    "upload.deleted": "Upload deleted after the retention period",
    "run.recorded": "Run recorded",
    "run.rerun": "Run re-run",
    "table.uploaded": "Unit cost table uploaded",
    "table.local_started": "Local unit cost table started",
    "table.version_started": "New version of a unit cost table started",
    "table.row_added": "Unit cost added to a draft",
    "table.row_changed": "Unit cost of a draft changed",
    "table.row_deleted": "Unit cost deleted from a draft",
    "table.published": "Unit cost table published",
    "table.discarded": "Draft unit cost table deleted",
    "table.chosen": "Unit cost table chosen for new runs",
    "token.created": "API token made",
    "token.revoked": "API token revoked",
}

#: Kinds of object the log names, with their words.
OBJECT_TYPES = {
    "user": "User",
    "organisation": "Organisation",
    "project": "Project",
    "upload": "Upload",
    "run": "Run",
    "unit_cost_table": "Unit cost table",
}


@dataclass(frozen=True)
class Actor:
    """Who a change is recorded against."""

    user_id: int | None
    email: str
    organisation_id: int | None
    address: str = ""


#: Who a background job acts for (the person who started it), while it runs.
_acting: ContextVar[Actor | None] = ContextVar("froi_acting", default=None)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Inside, :func:`current_actor` is ``actor``: a job's runs and audit events name the
    person who started it, not the worker."""
    token = _acting.set(actor)
    try:
        yield
    finally:
        _acting.reset(token)


def current_actor() -> Actor:
    """The signed-in user (or the person a background job acts for), or the configured
    ``RUN_USER`` outside a signed-in request."""
    acting = _acting.get()
    if acting is not None:
        return acting
    address = (request.remote_addr or "")[:64] if has_request_context() else ""
    if has_request_context() and current_user.is_authenticated:
        user: models.User = current_user
        return Actor(user.id, user.email, user.organisation_id, address)
    return Actor(None, str(current_app.config.get("RUN_USER", models.LOCAL_USER)), None, address)


def small(value: Any) -> Any:
    """``value`` if its JSON is small enough to keep in the log, else a note of its size."""
    if value is None:
        return None
    text = json.dumps(value, default=str, ensure_ascii=False)
    if len(text.encode()) <= MAX_DETAIL_BYTES:
        loaded: Any = json.loads(text)
        return loaded if isinstance(loaded, dict) else {"value": loaded}
    return {"omitted": f"{len(text.encode()):,} bytes, too large for the log"}


def changed_fields(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keys whose values differ between two dicts, as (before, after) of just those."""
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


_UNSET: Any = object()


def record(
    session: Session,
    action: str,
    summary: str,
    *,
    object_type: str = "",
    object_id: int | None = None,
    before: Any = None,
    after: Any = None,
    organisation_id: int | None = _UNSET,
    actor: Actor | None = None,
) -> models.AuditEvent:
    """Add an audit event for ``action`` to ``session`` (the caller's commit keeps it).

    ``organisation_id`` defaults to the actor's organisation; pass None for what belongs
    to no organisation (a national table, a sign-in to an unknown address).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    who = actor or current_actor()
    event = models.AuditEvent(
        at=models.utcnow(),
        organisation_id=who.organisation_id if organisation_id is _UNSET else organisation_id,
        user_id=who.user_id,
        user_email=who.email[:254],
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary if len(summary) <= 500 else summary[:499] + "…",
        before=small(before),
        after=small(after),
        address=who.address,
    )
    session.add(event)
    return event


#: Changes a "changed since you opened it" error lists at most (the newest).
CHANGES_SHOWN = 5


def newest_events(session: Session, object_type: str, object_id: int) -> list[models.AuditEvent]:
    """One object's newest audit events, newest first: enough (``4 * CHANGES_SHOWN``) to
    find the :data:`CHANGES_SHOWN` made since a form was read."""
    return list(
        session.scalars(
            select(models.AuditEvent)
            .where(
                models.AuditEvent.object_type == object_type,
                models.AuditEvent.object_id == object_id,
            )
            .order_by(models.AuditEvent.id.desc())
            .limit(4 * CHANGES_SHOWN)
        )
    )
