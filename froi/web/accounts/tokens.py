"""API tokens: made, listed and revoked by their user on ``/account/tokens``.

A token is ``froi_`` and 43 characters of a 256-bit random number
(:func:`secrets.token_urlsafe`).  It is shown once, on the page that made it (or printed
by ``flask --app app create-token EMAIL``); only its SHA-256 is stored, with its first
characters to tell tokens apart, so a copy of the database holds nothing that can be
used to call the API.  A 256-bit random token cannot be guessed, so a fast hash is
enough (a password, chosen by a person, needs argon2id; a token does not).

A token acts as its user: the user's organisation, and the user's role at the time of
each request (:mod:`froi.web.api.auth`).  Revoking it, or deactivating its user, stops
it at once.  Making and revoking a token are in the audit log.
"""

from __future__ import annotations

import hashlib
import secrets

import click
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from ..core import models
from ..core.audit import Actor, record
from ..core.db import database, get_session
from ..core.forms import ErrorItem
from .access import user
from .commands import COMMAND_LINE
from .store import find_user, normalise_email

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")

#: What every token starts with, so a leaked one is recognisable (and greppable).
PREFIX = "froi_"
#: Characters of a token kept to tell it apart on the account page.
SHOWN = len(PREFIX) + 6
NAME_LIMIT = models.column_length(models.ApiToken, "name") or 100


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token(session: Session, owner: models.User, name: str, actor: Actor | None = None) -> str:
    """Make a token for ``owner`` (the caller commits) and return it: the only time it is
    seen."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = models.ApiToken(
        user_id=owner.id,
        name=name,
        prefix=token[:SHOWN],
        token_sha256=digest(token),
        window_count=0,
    )
    session.add(row)
    session.flush()
    record(
        session,
        "token.created",
        f"API token '{name}' ({row.prefix}…) made for {owner.email}",
        object_type="user",
        object_id=owner.id,
        after={"token": row.id, "name": name},
        organisation_id=owner.organisation_id,
        actor=actor,
    )
    return token


def find_token(session: Session, token: str) -> models.ApiToken | None:
    """The live token row of ``token`` (not revoked, its user active), or None."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = session.scalars(
        select(models.ApiToken).where(models.ApiToken.token_sha256 == digest(token))
    ).first()
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return row


def user_tokens(session: Session, owner: models.User) -> list[models.ApiToken]:
    return list(
        session.scalars(
            select(models.ApiToken)
            .where(models.ApiToken.user_id == owner.id)
            .order_by(models.ApiToken.revoked_at.is_not(None), models.ApiToken.id.desc())
        )
    )


def name_problem(name: str) -> str | None:
    if not name:
        return "Enter a name for the token, to tell it apart from your others"
    if len(name) > NAME_LIMIT:
        return f"The name is {len(name):,} characters long; use at most {NAME_LIMIT}"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "The name must not contain control characters"
    return None


def _page(made: str | None = None, errors: dict[str, str] | None = None, name: str = "") -> str:
    me = user()
    errors = errors or {}
    return render_template(
        "accounts/tokens.html",
        tokens=user_tokens(get_session(), me),
        made=made,
        name=name,
        field_errors=errors,
        errors=[ErrorItem(text, f"#field-{key}") for key, text in errors.items()],
    )


@bp.get("/")
def index() -> str:
    return _page()


@bp.post("/")
def create() -> str:
    """Make a token and show it, once."""
    name = request.form.get("name", "").strip()
    problem = name_problem(name)
    if problem:
        return _page(errors={"name": problem}, name=name)
    session = get_session()
    token = new_token(session, user(), name)
    session.commit()
    return _page(made=token)


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int) -> Response:
    session = get_session()
    me = user()
    row = session.get(models.ApiToken, token_id)
    if row is None or row.user_id != me.id:
        abort(404, description="There is no such token.")
    if row.revoked_at is None:
        row.revoked_at = models.utcnow()
        record(
            session,
            "token.revoked",
            f"API token '{row.name}' ({row.prefix}…) of {me.email} revoked",
            object_type="user",
            object_id=me.id,
            before={"token": row.id, "name": row.name},
        )
        session.commit()
    flash(f"The token '{row.name}' has been revoked: it can no longer be used.")
    return redirect(url_for("tokens.index"))


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="command line", show_default=True, help="what it is for")
@with_appcontext
def create_token_command(email: str, name: str) -> None:
    """Print a new API token for the user EMAIL (shown only this once)."""
    problem = name_problem(name.strip())
    if problem:
        raise click.ClickException(problem)
    with database().sessions() as session:
        owner = find_user(session, normalise_email(email))
        if owner is None or not owner.active:
            raise click.ClickException(f"there is no active user '{email}'")
        actor = Actor(None, COMMAND_LINE, owner.organisation_id)
        token = new_token(session, owner, name.strip(), actor)
        session.commit()
    click.echo(token)
