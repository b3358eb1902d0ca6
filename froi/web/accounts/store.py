"""Users and organisations in the database: create, find, passwords.

Shared by the pages (:mod:`.users`, :mod:`.organisations`, :mod:`.signin`), the
``create-user`` command and the first start (:mod:`.commands`).  Nothing here commits:
the caller commits the change together with its audit record.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import models
from .passwords import hash_password, password_problem

#: An address with something before and after one @, and a dot in the part after it
#: (or ``localhost``): enough to catch a slip; whether mail reaches it is not our concern.
EMAIL = re.compile(r"^[^@\s]+@(?:[^@\s.]+\.)+[^@\s.]+$|^[^@\s]+@localhost$")


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def email_problem(email: str) -> str | None:
    """Why ``email`` (normalised) cannot be an account's address; None if it can."""
    if not email:
        return "Enter an email address"
    if len(email) > 254 or not EMAIL.match(email):
        return "Enter an email address in the correct format, like name@council.gov.uk"
    return None


def find_user(session: Session, email: str) -> models.User | None:
    return session.scalars(
        select(models.User).where(models.User.email == normalise_email(email))
    ).first()


def find_organisation(session: Session, name: str) -> models.Organisation | None:
    return session.scalars(
        select(models.Organisation).where(
            func.lower(models.Organisation.name) == name.strip().lower()
        )
    ).first()


class AccountProblem(Exception):
    """An account that cannot be made as asked (the message says why, in words)."""


def create_user(
    session: Session,
    organisation: models.Organisation,
    email: str,
    role: str,
    password: str,
) -> models.User:
    """A new user (added to the session, flushed for its id) after checking the email, the
    role and the password rule; raises :class:`AccountProblem` saying what is wrong."""
    address = normalise_email(email)
    problem = email_problem(address) or password_problem(password, address)
    if role not in models.ROLES:
        problem = f"The role must be one of {', '.join(models.ROLES)}; got '{role}'"
    if problem is None and find_user(session, address) is not None:
        problem = f"There is already an account for {address}"
    if problem is not None:
        raise AccountProblem(problem)
    user = models.User(
        organisation_id=organisation.id,
        email=address,
        role=role,
        password_hash=hash_password(password),
        session_version=1,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def set_password(user: models.User, password: str) -> None:
    """Give ``user`` a new password and sign out every session that used the old one."""
    user.password_hash = hash_password(password)
    user.password_changed_at = models.utcnow()
    user.session_version = (user.session_version or 0) + 1


def random_password() -> str:
    """A password for a new account or a reset: 20 random letters and digits in groups of
    five, easy to copy and far beyond guessing."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    letters = "".join(secrets.choice(alphabet) for _ in range(20))
    return "-".join(letters[i : i + 5] for i in range(0, 20, 5))
