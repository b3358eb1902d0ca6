"""Who may see and do what: the rules every feature uses, in one place.

**Organisations.**  Everything that belongs to a council is fetched through
:func:`owned` (or filtered by :func:`current_organisation`): a project, run, upload, job
or local unit cost table of another organisation answers 404, exactly as one that does
not exist, so an id guessed from an address tells nothing.

**Roles** are ranked, each allowed everything the one before it may do:

- *viewer* reads: projects, results, runs, unit cost tables, the portfolio, downloads;
- *analyst* also creates and changes projects, uploads workbooks and re-runs runs;
- *organisation administrator* also manages the organisation's users and its local unit
  cost tables (upload, edit, publish, choose the table in use) and reads its audit log;
- *site administrator* also manages organisations and the national unit cost tables,
  and reads the whole audit log.

:func:`require_role` marks a view with the least role it needs; a signed-in person with a
lesser role gets 403 and a page that says which role is needed.  Sign-in itself is
required for every page by :mod:`.signin`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy.orm import Session

from ..core import models
from ..core.db import get_session

#: Each role's rank: a role may do what any lower rank may.
RANK = {role: rank for rank, role in enumerate(models.ROLES)}
#: Roles in words, as pages show them.
ROLE_WORDS = {
    models.VIEWER: "Viewer",
    models.ANALYST: "Analyst",
    models.ADMIN: "Organisation administrator",
    models.SITE_ADMIN: "Site administrator",
}
#: What each role may do, in words (the roles table of the users page and the 403 page).
ROLE_ALLOWS = {
    models.VIEWER: "reads projects, results, runs, unit cost tables and the portfolio",
    models.ANALYST: "also creates and changes projects, uploads workbooks and re-runs runs",
    models.ADMIN: "also manages the organisation's users and its local unit cost tables, "
    "chooses the table new runs use and reads its audit log",
    models.SITE_ADMIN: "also manages organisations and the national unit cost tables, and "
    "reads the whole audit log",
}


def user() -> models.User:
    """The signed-in user (every view but sign-in runs with one)."""
    if not current_user.is_authenticated:
        abort(401)
    signed_in: models.User = current_user
    return signed_in


def has_role(role: str) -> bool:
    """Whether the signed-in user's role is ``role`` or above."""
    return bool(current_user.is_authenticated) and RANK[user().role] >= RANK[role]


def current_organisation(session: Session | None = None) -> models.Organisation:
    """The organisation of the signed-in user: everything a page shows is scoped to it."""
    organisation = (session or get_session()).get(models.Organisation, user().organisation_id)
    if organisation is None:  # the user row names it: a foreign key keeps it there
        abort(500, description="Your account names no organisation.")
    return organisation


def need(role: str, doing: str) -> None:
    """Refuse (403) unless the signed-in user has ``role`` or above; ``doing`` says what,
    in words that follow "To ...", for the page that explains the refusal."""
    if has_role(role):
        return
    abort(
        403,
        description=f"To {doing} you need the role {ROLE_WORDS[role].lower()} or above. "
        f"Your role is {ROLE_WORDS[user().role].lower()}. Ask an administrator of your "
        "organisation if you need to do this.",
    )


View = TypeVar("View", bound=Callable[..., Any])


def require_role(role: str, doing: str) -> Callable[[View], View]:
    """A view decorator: :func:`need` ``role`` before the view runs.  The role is kept on
    the view (``required_role``) so a test can check that every form that changes
    something asks for one."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            need(role, doing)
            return view(*args, **kwargs)

        checked.required_role = role  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


#: What belongs to an organisation and is fetched by id from a page's address.
Owned = TypeVar("Owned", models.Project, models.Run, models.Upload, models.Job, models.User)


def owned(session: Session, model: type[Owned], key: int, missing: str) -> Owned:
    """The ``model`` row ``key`` of the user's organisation; 404 saying ``missing`` if there
    is none (another organisation's row is not found either: it looks the same)."""
    row = session.get(model, key)
    if row is None or row.organisation_id != user().organisation_id:
        abort(404, description=missing)
    return row


def table_role(table: models.UnitCostTable) -> str:
    """The role that may change a unit cost table: a site administrator for a national
    table, an organisation administrator for the organisation's own."""
    return models.SITE_ADMIN if table.organisation_id is None else models.ADMIN
