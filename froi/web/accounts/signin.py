"""Signing in and out, and changing one's password; every other page needs a signed-in user.

The session is Flask-Login's, kept in Flask's signed session cookie (HttpOnly,
SameSite=Lax, Secure when ``FROI_HTTPS`` says the service is served over
HTTPS), and it lapses after ``PERMANENT_SESSION_LIFETIME`` without use (12 hours).  What
it keeps is the user's id with their session version (``User.get_id``), so changing the
password signs out every other session: :func:`load_user` finds the old number stale.

Signed out, every page redirects to the sign-in page with ``next`` (a local path only, so
the sign-in page cannot be used to send people to another site), and a download
(``.xlsx``, ``.csv``, ``.json``) answers 401.  The sign-in form carries the CSRF token as
every form does.  Failed sign-ins are counted and, past a limit, refused for a while
(:mod:`.throttle`); every attempt, good or bad, is in the audit log.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ..core import models, observe
from ..core.audit import Actor, record
from ..core.db import get_session
from ..core.forms import ErrorItem
from . import first_start, throttle
from .access import user
from .passwords import RULE, hash_password, needs_rehash, password_problem, verify, waste_time
from .store import find_user, normalise_email, set_password

bp = Blueprint("accounts", __name__)
login_manager = LoginManager()

#: Endpoints a signed-out person may reach.
PUBLIC = frozenset({"accounts.sign_in", "static"}) | observe.PUBLIC
#: Addresses that are files, not pages: signed out, they answer 401 instead of a redirect.
DOWNLOADS = (".xlsx", ".xlsm", ".csv", ".json")
WRONG = "Enter a correct email address and password"
#: The JSON API's addresses: signed in by bearer token (froi.web.api.auth), not here.
API_PREFIX = "/api/"


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this service ("/projects/3"), else None: never
    another site (``//evil.example``, ``https://...``, ``/\\evil``)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def load_user(key: str) -> models.User | None:
    """The session's user, unless the account was deactivated or its session version
    moved on (a password change signed this session out)."""
    if request.path.startswith(API_PREFIX):
        return None  # the API is called with a token, never with the session cookie
    number, _, version = key.partition(":")
    if not (number.isascii() and number.isdigit() and version.isascii() and version.isdigit()):
        return None
    found = get_session().get(models.User, int(number)) if len(number) < 10 else None
    if found is None or not found.active or found.session_version != int(version):
        return None
    return found


def unauthorized() -> Response:
    """Signed out: files answer 401, pages send the person to sign in and back."""
    if request.path.endswith(DOWNLOADS):
        abort(401, description="Sign in to the service, then download the file again.")
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("accounts.sign_in", next=safe_next(back)))


def require_sign_in() -> Response | None:
    """Before every request: a page other than sign-in needs a signed-in user."""
    if request.endpoint is None or request.endpoint in PUBLIC:
        return None  # no such page (404, 405), or a public one
    if request.path.startswith(API_PREFIX):
        return None  # the API checks its bearer token itself (froi.web.api.auth)
    if current_user.is_authenticated:
        return None
    return login_manager.unauthorized()  # type: ignore[no-any-return]


def _address() -> str:
    return (request.remote_addr or "")[:64]


def _form(errors: list[ErrorItem], status: int = 200, **values: Any) -> tuple[str, int]:
    return render_template(
        "accounts/sign_in.html",
        errors=errors,
        next=safe_next(request.values.get("next")) or "",
        **values,
    ), status


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | tuple[str, int]:
    target = safe_next(request.values.get("next")) or url_for("projects.index")
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(target)
        return _form([])
    email = normalise_email(request.form.get("email", ""))
    password = request.form.get("password", "")
    field_errors = {}
    if not email:
        field_errors["email"] = "Enter your email address"
    if not password:
        field_errors["password"] = "Enter your password"
    if field_errors:
        errors = [ErrorItem(text, f"#field-{name}") for name, text in field_errors.items()]
        return _form(errors, 200, email=email, field_errors=field_errors)
    db = get_session()
    address = _address()
    found = find_user(db, email)
    actor = Actor(
        found.id if found else None, email, found.organisation_id if found else None, address
    )
    refused = throttle.refusal(db, email, address)
    if refused:
        record(
            db, "sign_in.refused", f"Sign-in refused for {email}: too many attempts", actor=actor
        )
        db.commit()
        return _form([ErrorItem(refused)], 429, email=email)
    if found is None:
        waste_time(password)
    correct = found is not None and verify(found.password_hash, password)
    if not correct or found is None or not found.active:
        why = "no such account" if found is None else "wrong password"
        if correct:
            why = "the account is deactivated"
        throttle.failed(db, email, address)
        record(db, "sign_in.failed", f"Sign-in failed for {email}: {why}", actor=actor)
        db.commit()
        message = WRONG
        if correct:
            message = (
                "Your account has been deactivated. Ask an administrator of your "
                "organisation if you need it again."
            )
        return _form([ErrorItem(message, "#field-email")], 200, email=email)
    if needs_rehash(found.password_hash):  # made with older parameters: made again
        found.password_hash = hash_password(password)
    found.last_signed_in_at = models.utcnow()
    throttle.succeeded(db, email)
    record(
        db,
        "sign_in.succeeded",
        f"{email} signed in",
        object_type="user",
        object_id=found.id,
        actor=actor,
    )
    db.commit()
    session.clear()  # a new session, with a new form token
    login_user(found)
    session.permanent = True  # lapses after PERMANENT_SESSION_LIFETIME without use
    return redirect(target)


@bp.post("/sign-out")
def sign_out() -> Response:
    db = get_session()
    me = user()
    record(db, "sign_out", f"{me.email} signed out", object_type="user", object_id=me.id)
    db.commit()
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> Response | str:
    """Change one's own password: asks for the current one; signs out other sessions."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        db = get_session()
        me = user()
        current = request.form.get("current_password", "")
        new = request.form.get("new_password", "")
        again = request.form.get("confirm_password", "")
        refused = throttle.refusal(db, me.email, _address())
        if refused:
            errors["current_password"] = refused
        elif not verify(me.password_hash, current):
            throttle.failed(db, me.email, _address())
            db.commit()
            errors["current_password"] = "Your current password is not correct"
        problem = password_problem(new, me.email)
        if problem:
            errors["new_password"] = problem
        elif new == current:
            errors["new_password"] = "Your new password must be different from your current one"
        if not problem and new != again:
            errors["confirm_password"] = "The passwords do not match: type the new one twice"
        if not errors:
            set_password(me, new)
            record(
                db,
                "password.changed",
                f"{me.email} changed their password",
                object_type="user",
                object_id=me.id,
            )
            db.commit()
            first_start.forget_password(current_app, me.email)
            login_user(me)  # this session carries on with the new session version
            session.permanent = True
            flash("Your password has been changed. Any other sessions have been signed out.")
            return redirect(url_for("projects.index"))
    return render_template(
        "accounts/password.html",
        rule=RULE,
        field_errors=errors,
        errors=[ErrorItem(text, f"#field-{name}") for name, text in errors.items()],
    )


def init_app(app: Flask) -> None:
    """Flask-Login on ``app``, sign-in required for every page, and the cookie settings."""
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=12))
    login_manager.user_loader(load_user)
    # an API request's user is the one its token named (set by froi.web.api.auth)
    login_manager.request_loader(lambda _request: g.get("api_user"))
    login_manager.unauthorized_handler(unauthorized)
    login_manager.init_app(app)
    app.before_request(require_sign_in)
