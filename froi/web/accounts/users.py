"""The organisation administrator's pages: the organisation's users.

``/accounts/users/`` lists them with their roles; an administrator adds a person (email
and role; the service makes a first password, shown once, to hand over), changes a role,
deactivates or reactivates an account (a deactivated account cannot sign in and its
sessions end at once) and resets a forgotten password.  Nobody changes their own role or
deactivates themselves, so an organisation cannot lock out its last administrator by
accident; only a site administrator changes a site administrator.  Every change is in
the audit log.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..core import models
from ..core.audit import record
from ..core.db import get_session
from ..core.forms import ErrorItem
from .access import (
    RANK,
    ROLE_ALLOWS,
    ROLE_WORDS,
    current_organisation,
    has_role,
    need,
    owned,
    require_role,
    user,
)
from .store import AccountProblem, create_user, normalise_email, random_password, set_password

bp = Blueprint("users", __name__, url_prefix="/accounts/users")

MANAGE = "manage the organisation's users"


def assignable_roles() -> list[tuple[str, str]]:
    """The roles the signed-in administrator may give: up to their own."""
    mine = RANK[user().role]
    return [(role, ROLE_WORDS[role]) for role in models.ROLES if RANK[role] <= mine]


def add_user(organisation: models.Organisation, action: str, back: str) -> str:
    """The add-a-user form for ``organisation`` (GET draws it, POST adds the person and
    shows their first password once).  Shared with the site administrator's page of an
    organisation."""
    email = normalise_email(request.form.get("email", ""))
    role = request.form.get("role", models.VIEWER)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if role not in dict(assignable_roles()):
            errors["role"] = "Choose a role you may give"
        else:
            db = get_session()
            password = random_password()
            try:
                added = create_user(db, organisation, email, role, password)
            except AccountProblem as problem:
                errors["email"] = str(problem)
            else:
                record(
                    db,
                    "user.created",
                    f"{added.email} added to '{organisation.name}' as {ROLE_WORDS[role].lower()}",
                    object_type="user",
                    object_id=added.id,
                    after={"email": added.email, "role": role},
                    organisation_id=organisation.id,
                )
                db.commit()
                return render_template(
                    "accounts/password_made.html",
                    title=f"{added.email} can now sign in",
                    person=added,
                    password=password,
                    back=back,
                )
    return render_template(
        "accounts/user_new.html",
        organisation=organisation,
        email=email,
        role=role,
        roles=assignable_roles(),
        action=action,
        back=back,
        field_errors=errors,
        errors=[ErrorItem(text, f"#field-{name}") for name, text in errors.items()],
    )


@bp.get("/")
@require_role(models.ADMIN, MANAGE)
def index() -> str:
    db = get_session()
    organisation = current_organisation(db)
    people = db.scalars(
        select(models.User)
        .where(models.User.organisation_id == organisation.id)
        .order_by(models.User.email)
    )
    return render_template(
        "accounts/users.html",
        organisation=organisation,
        people=list(people),
        role_words=ROLE_WORDS,
        role_allows=ROLE_ALLOWS,
    )


@bp.route("/new", methods=["GET", "POST"])
@require_role(models.ADMIN, MANAGE)
def new() -> str:
    return add_user(current_organisation(), url_for("users.new"), url_for("users.index"))


def _person(user_id: int) -> models.User:
    """A user of the organisation that the signed-in administrator may change."""
    person = owned(get_session(), models.User, user_id, "There is no such user.")
    if person.role == models.SITE_ADMIN:
        need(models.SITE_ADMIN, "change a site administrator's account")
    return person


@bp.get("/<int:user_id>")
@require_role(models.ADMIN, MANAGE)
def show(user_id: int) -> str:
    person = owned(get_session(), models.User, user_id, "There is no such user.")
    return render_template(
        "accounts/user.html",
        person=person,
        roles=assignable_roles(),
        role_words=ROLE_WORDS,
        is_me=person.id == user().id,
        may_change=person.role != models.SITE_ADMIN or has_role(models.SITE_ADMIN),
    )


def _not_myself(person: models.User, doing: str) -> None:
    if person.id == user().id:
        abort(
            409,
            description=f"You cannot {doing} yourself: ask another administrator, so that "
            "the organisation always keeps one.",
        )


@bp.post("/<int:user_id>/role")
@require_role(models.ADMIN, MANAGE)
def change_role(user_id: int) -> Response:
    db = get_session()
    person = _person(user_id)
    _not_myself(person, "change the role of")
    role = request.form.get("role", "")
    if role not in dict(assignable_roles()):
        abort(400, description="Choose a role you may give.")
    before = person.role
    if role != before:
        person.role = role
        record(
            db,
            "user.role_changed",
            f"{person.email}: {ROLE_WORDS[before].lower()} to {ROLE_WORDS[role].lower()}",
            object_type="user",
            object_id=person.id,
            before={"role": before},
            after={"role": role},
            organisation_id=person.organisation_id,
        )
        db.commit()
    flash(f"{person.email} is now {ROLE_WORDS[role].lower()}.")
    return redirect(url_for("users.show", user_id=person.id))


@bp.post("/<int:user_id>/active")
@require_role(models.ADMIN, MANAGE)
def set_active(user_id: int) -> Response:
    """Deactivate (signing out every session at once) or reactivate an account."""
    db = get_session()
    person = _person(user_id)
    _not_myself(person, "deactivate")
    active = request.form.get("active") == "yes"
    if active != person.active:
        person.active = active
        person.session_version += 1
        action = "user.reactivated" if active else "user.deactivated"
        words = "reactivated" if active else "deactivated"
        record(
            db,
            action,
            f"{person.email} {words}",
            object_type="user",
            object_id=person.id,
            before={"active": not active},
            after={"active": active},
            organisation_id=person.organisation_id,
        )
        db.commit()
    flash(f"{person.email} {'can sign in again' if active else 'can no longer sign in'}.")
    return redirect(url_for("users.show", user_id=person.id))


@bp.post("/<int:user_id>/reset-password")
@require_role(models.ADMIN, MANAGE)
def reset_password(user_id: int) -> str:
    """A new random password, shown once; the person's sessions end."""
    db = get_session()
    person = _person(user_id)
    _not_myself(person, "reset the password of")
    password = random_password()
    set_password(person, password)
    record(
        db,
        "user.password_reset",
        f"Password of {person.email} reset",
        object_type="user",
        object_id=person.id,
        organisation_id=person.organisation_id,
    )
    db.commit()
    return render_template(
        "accounts/password_made.html",
        title=f"New password for {person.email}",
        person=person,
        password=password,
        back=url_for("users.show", user_id=person.id),
    )
