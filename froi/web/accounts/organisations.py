"""The site administrator's pages: every organisation, a new one, renaming, its people.

``/accounts/organisations/`` lists the organisations with how many users and projects
each has, and creates one together with its first administrator (whose first password
is shown once).  An organisation's page lists its users and adds more; the
organisation's own administrators manage them from then on (:mod:`.users`).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ..core import models
from ..core.audit import record
from ..core.db import get_session
from ..core.forms import ErrorItem
from .access import ROLE_WORDS, require_role
from .store import AccountProblem, create_user, find_organisation, normalise_email, random_password
from .users import add_user

bp = Blueprint("organisations", __name__, url_prefix="/accounts/organisations")

MANAGE = "manage organisations"
NAME_LENGTH = 200


def _name_problem(name: str, current: models.Organisation | None = None) -> str | None:
    if not name:
        return "Enter the organisation's name"
    if len(name) > NAME_LENGTH:
        return f"The name must be {NAME_LENGTH} characters or fewer"
    other = find_organisation(get_session(), name)
    if other is not None and other is not current:
        return f"There is already an organisation called '{other.name}'"
    return None


def _counts(model: type[models.User] | type[models.Project]) -> dict[int, int]:
    rows = get_session().execute(
        select(model.organisation_id, func.count()).group_by(model.organisation_id)
    )
    return {int(org): int(count) for org, count in rows}


@bp.route("/", methods=["GET", "POST"])
@require_role(models.SITE_ADMIN, MANAGE)
def index() -> str:
    db = get_session()
    name = request.form.get("name", "").strip()
    email = normalise_email(request.form.get("email", ""))
    errors: dict[str, str] = {}
    if request.method == "POST":
        problem = _name_problem(name)
        if problem:
            errors["name"] = problem
        else:
            organisation = models.Organisation(name=name)
            db.add(organisation)
            db.flush()
            password = random_password()
            try:
                admin = create_user(db, organisation, email, models.ADMIN, password)
            except AccountProblem as why:
                db.rollback()
                errors["email"] = str(why)
            else:
                record(
                    db,
                    "organisation.created",
                    f"Organisation '{name}' created",
                    object_type="organisation",
                    object_id=organisation.id,
                    organisation_id=organisation.id,
                )
                record(
                    db,
                    "user.created",
                    f"{admin.email} added to '{name}' as organisation administrator",
                    object_type="user",
                    object_id=admin.id,
                    after={"email": admin.email, "role": admin.role},
                    organisation_id=organisation.id,
                )
                try:
                    db.commit()
                except IntegrityError:  # the same name, created meanwhile
                    db.rollback()
                    errors["name"] = f"There is already an organisation called '{name}'"
                else:
                    return render_template(
                        "accounts/password_made.html",
                        title=f"Organisation {name} created",
                        person=admin,
                        password=password,
                        back=url_for("organisations.show", organisation_id=organisation.id),
                    )
    organisations = db.scalars(select(models.Organisation).order_by(models.Organisation.name))
    return render_template(
        "accounts/organisations.html",
        organisations=list(organisations),
        users=_counts(models.User),
        projects=_counts(models.Project),
        name=name,
        email=email,
        field_errors=errors,
        errors=[ErrorItem(text, f"#field-{key}") for key, text in errors.items()],
    )


def _organisation(organisation_id: int) -> models.Organisation:
    found = get_session().get(models.Organisation, organisation_id)
    if found is None:
        abort(404, description="There is no such organisation.")
    return found


def _page(organisation: models.Organisation, name: str, problem: str | None = None) -> str:
    people = get_session().scalars(
        select(models.User)
        .where(models.User.organisation_id == organisation.id)
        .order_by(models.User.email)
    )
    return render_template(
        "accounts/organisation.html",
        organisation=organisation,
        people=list(people),
        role_words=ROLE_WORDS,
        name=name,
        field_errors={"name": problem} if problem else {},
        errors=[ErrorItem(problem, "#field-name")] if problem else [],
    )


@bp.get("/<int:organisation_id>")
@require_role(models.SITE_ADMIN, MANAGE)
def show(organisation_id: int) -> str:
    organisation = _organisation(organisation_id)
    return _page(organisation, organisation.name)


@bp.post("/<int:organisation_id>/rename")
@require_role(models.SITE_ADMIN, MANAGE)
def rename(organisation_id: int) -> Response | str:
    db = get_session()
    organisation = _organisation(organisation_id)
    name = request.form.get("name", "").strip()
    problem = _name_problem(name, organisation)
    if problem:
        return _page(organisation, name, problem)
    before = organisation.name
    if name != before:
        organisation.name = name
        record(
            db,
            "organisation.renamed",
            f"Organisation '{before}' renamed '{name}'",
            object_type="organisation",
            object_id=organisation.id,
            before={"name": before},
            after={"name": name},
            organisation_id=organisation.id,
        )
        db.commit()
    flash(f"The organisation is now called {name}.")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


@bp.route("/<int:organisation_id>/users/new", methods=["GET", "POST"])
@require_role(models.SITE_ADMIN, MANAGE)
def new_user(organisation_id: int) -> str:
    organisation = _organisation(organisation_id)
    return add_user(
        organisation,
        url_for("organisations.new_user", organisation_id=organisation.id),
        url_for("organisations.show", organisation_id=organisation.id),
    )
