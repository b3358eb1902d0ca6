"""The audit log page: who changed what and when, for administrators.

An organisation administrator sees their organisation's events; a site administrator
sees every event, of every organisation and of none (national tables, sign-ins to
unknown addresses).  Filters by user, action, kind of object, organisation (site
administrators) and dates, as a GET form, so each view has an address; newest first,
:data:`PAGE_SIZE` to a page, counted and paged in the database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, render_template, request, url_for
from sqlalchemy import Select, func, select

from ..core import models
from ..core.audit import ACTIONS, OBJECT_TYPES
from ..core.db import get_session
from ..core.forms import ErrorItem
from ..core.words import field_label, plain_text
from .access import current_organisation, has_role, require_role

bp = Blueprint("audit", __name__, url_prefix="/accounts/audit")

PAGE_SIZE = 50
#: The highest page looked up (five million events).
MAX_PAGE = 100_000
Event = models.AuditEvent


def parse_day(text: str) -> date | None:
    """A day typed as 2026-11-22, 22/11/2026 or 22 November 2026; None if unreadable."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def _scope(query: Select[Any]) -> Select[Any]:
    """Only the events this administrator may read."""
    if has_role(models.SITE_ADMIN):
        return query
    return query.where(Event.organisation_id == current_organisation().id)


def _filters() -> tuple[dict[str, str], list[Any], dict[str, str]]:
    """The filters asked for, the conditions they make, and an error per unreadable one."""
    asked = {
        k: request.args.get(k, "").strip()
        for k in ("user", "action", "object_type", "organisation", "from", "to")
    }
    where: list[Any] = []
    errors: dict[str, str] = {}
    if asked["user"]:
        where.append(Event.user_email == asked["user"])
    if asked["action"] in ACTIONS:
        where.append(Event.action == asked["action"])
    if asked["object_type"] in OBJECT_TYPES:
        where.append(Event.object_type == asked["object_type"])
    org = asked["organisation"]
    if has_role(models.SITE_ADMIN) and org:
        if org == "none":
            where.append(Event.organisation_id.is_(None))
        elif org.isascii() and org.isdigit() and len(org) < 10:
            where.append(Event.organisation_id == int(org))
    for key, words, shift in (("from", "from", 0), ("to", "to", 1)):
        if not asked[key]:
            continue
        day = parse_day(asked[key])
        if day is None:
            errors[key] = f"Enter the date {words} as 22/11/2026 or 2026-11-22"
            continue
        # "to" takes in the whole of its day
        moment = datetime.combine(day + timedelta(days=shift), time(0), tzinfo=UTC)
        where.append(Event.at >= moment if key == "from" else Event.at < moment)
    return asked, where, errors


def _people() -> list[str]:
    """The email addresses the events in scope name, for the user filter."""
    query = _scope(select(Event.user_email).distinct().order_by(Event.user_email))
    return [e for e in get_session().scalars(query) if e]


@bp.get("/")
@require_role(models.ADMIN, "read the audit log")
def index() -> str:
    session = get_session()
    asked, where, errors = _filters()
    query = _scope(select(Event).where(*where))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    events = list(
        session.scalars(
            query.order_by(Event.at.desc(), Event.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    organisations = {}
    if has_role(models.SITE_ADMIN):
        organisations = {
            o.id: o.name
            for o in session.scalars(select(models.Organisation).order_by(models.Organisation.name))
        }

    def page_url(number: int) -> str | None:
        if not 1 <= number <= pages or number == page:
            return None
        args: dict[str, Any] = {k: v for k, v in asked.items() if v}
        return url_for("audit.index", **args, page=number)

    return render_template(
        "accounts/audit.html",
        events=events,
        total=total,
        page=page,
        pages=pages,
        prev_url=page_url(page - 1),
        next_url=page_url(page + 1),
        asked=asked,
        people=[(email, email) for email in _people()],
        actions=ACTIONS,
        object_types=OBJECT_TYPES,
        organisations=organisations,
        field_errors=errors,
        errors=[ErrorItem(text, f"#field-{key}") for key, text in errors.items()],
        everyone=has_role(models.SITE_ADMIN),
    )


def detail(value: dict[str, Any] | None) -> str:
    """Before or after values as short text: ``Label: value; ...``, each field said as
    its label on the pages ("Project reference", not ``project_id``)."""
    if not value:
        return ""
    return "; ".join(
        f"{field_label(str(k).rsplit('.', 1)[-1])}: {plain_text(str(v))}" for k, v in value.items()
    )
