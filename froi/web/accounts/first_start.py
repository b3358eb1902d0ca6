"""The first start: an administrator to sign in with, and how to find its password.

When the database has no user at all (a new installation), the start creates a site
administrator in the first organisation with a random password, prints how to sign in
(email, password, address) and writes the two to ``<instance>/first-admin-password``,
readable by its owner only, so that a second start can say where the password is.  The
file is removed when that administrator changes the password.  Further people are added
on the users page or with ``flask --app app create-user``.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from sqlalchemy import select, text

from ..core import models
from ..core.audit import Actor, record
from ..core.db import STARTUP_LOCK, Database
from .store import create_user, random_password

FILE_NAME = "first-admin-password"
DEFAULT_EMAIL = "admin@froi.local"


def password_file(app: Flask) -> Path:
    return Path(app.instance_path) / FILE_NAME


def sign_in_address(app: Flask) -> str:
    """Where people sign in: ``FROI_PUBLIC_URL`` (``make serve`` sets its own address when
    it is unset), else the server name, else the development server's address."""
    public = str(app.config.get("PUBLIC_URL") or "").rstrip("/")
    if public:
        return f"{public}/sign-in"
    server = app.config.get("SERVER_NAME")
    return f"http://{server}/sign-in" if server else "http://127.0.0.1:5000/sign-in"


def create_first_admin(app: Flask) -> list[str]:
    """Make the first administrator if there is no user; the lines to print either way."""
    db: Database = app.extensions["froi"]["db"]
    path = password_file(app)
    with app.app_context(), db.sessions() as session:
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STARTUP_LOCK})
        if session.scalar(select(models.User.id).limit(1)) is not None:
            return _reminder(path)
        organisation = session.scalars(
            select(models.Organisation).order_by(models.Organisation.id)
        ).first()
        if organisation is None:
            return []
        email = str(app.config.get("FIRST_ADMIN_EMAIL") or DEFAULT_EMAIL)
        password = random_password()
        admin = create_user(session, organisation, email, models.SITE_ADMIN, password)
        record(
            session,
            "user.created",
            f"The first start created the site administrator {admin.email}",
            object_type="user",
            object_id=admin.id,
            after={"email": admin.email, "role": admin.role},
            actor=Actor(None, "first start", organisation.id),
        )
        session.commit()
    kept = _write(path, f"{email}\n{password}\n")
    lines = [
        f"Created the site administrator {email} in '{organisation.name}'. Sign in with:",
        f"    address:  {sign_in_address(app)}",
        f"    email:    {email}",
        f"    password: {password}",
    ]
    if kept:
        lines.append(f"The password is also in {path} (readable by you only) until it is changed.")
    lines.append("Change it after signing in: your email address at the top of each page.")
    return lines


def _write(path: Path, content: str) -> bool:
    """Write ``content`` to a new file only its owner can read; False if it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a file left from before keeps its mode otherwise
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
    except OSError:
        return False
    return True


def _reminder(path: Path) -> list[str]:
    if not path.is_file():
        return []
    email = path.read_text(encoding="utf-8").split("\n", 1)[0]
    return [
        f"The first administrator, {email}, has not changed the password yet: it is in "
        f"{path} (readable by its owner only)."
    ]


def forget_password(app: Flask, email: str) -> None:
    """Remove the first administrator's password file once that password has changed."""
    path = password_file(app)
    try:
        if path.read_text(encoding="utf-8").split("\n", 1)[0] == email:
            path.unlink()
    except OSError:
        return
