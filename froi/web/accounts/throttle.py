"""Refusing repeated guesses at sign-in, in the database so every process agrees.

Each failed sign-in is kept as a :class:`~froi.web.core.models.SignInFailure` (the email
typed and the client address).  Within a window of ``SIGN_IN_WINDOW`` seconds (15
minutes), an email with ``SIGN_IN_MAX_PER_EMAIL`` failures (5), or a client address with
``SIGN_IN_MAX_PER_ADDRESS`` failures (20, since an office may share one address), is
refused without the password being checked until the oldest of those failures leaves the
window.  A successful sign-in clears its email's failures.  Being refused does not count
as a failure, so a person who waits is let in however many times an attacker tried.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ..core import models

Failure = models.SignInFailure


@dataclass(frozen=True)
class Limits:
    window: timedelta
    per_email: int
    per_address: int


def limits() -> Limits:
    config = current_app.config
    return Limits(
        timedelta(seconds=int(config.get("SIGN_IN_WINDOW", 15 * 60))),
        int(config.get("SIGN_IN_MAX_PER_EMAIL", 5)),
        int(config.get("SIGN_IN_MAX_PER_ADDRESS", 20)),
    )


def _wait(
    session: Session, column: InstrumentedAttribute[str], value: str, most: int, rules: Limits
) -> int | None:
    """Whole minutes until ``value`` (an email or address) may try again, or None if now."""
    since = models.utcnow() - rules.window
    where = (column == value, Failure.at > since)
    count = session.scalar(select(func.count()).select_from(Failure).where(*where)) or 0
    if count < most:
        return None
    # the (count - most + 1)th oldest failure in the window must leave it first
    oldest = session.scalars(
        select(Failure.at).where(*where).order_by(Failure.at).offset(count - most).limit(1)
    ).first()
    if oldest is None:
        return None
    seconds = (oldest + rules.window - models.utcnow()).total_seconds()
    return max(1, math.ceil(seconds / 60))


def refusal(session: Session, email: str, address: str) -> str | None:
    """Why sign-in is refused now for ``email`` from ``address``, in words; None if not."""
    rules = limits()
    minutes = _wait(session, Failure.email, email, rules.per_email, rules)
    if minutes is None:
        minutes = _wait(session, Failure.address, address, rules.per_address, rules)
    if minutes is None:
        return None
    return (
        "There have been too many attempts to sign in. For your security, wait "
        f"{minutes} minute{'' if minutes == 1 else 's'} and try again. If you have "
        "forgotten your password, ask an administrator of your organisation to reset it."
    )


def failed(session: Session, email: str, address: str) -> None:
    """Count a failed sign-in (the caller commits), and forget failures long past."""
    session.execute(delete(Failure).where(Failure.at < models.utcnow() - 4 * limits().window))
    session.add(Failure(email=email[:254], address=address[:64], at=models.utcnow()))


def succeeded(session: Session, email: str) -> None:
    """Clear an email's failures once its owner has signed in (the caller commits)."""
    session.execute(delete(Failure).where(Failure.email == email))
