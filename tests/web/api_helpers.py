"""Helpers of the API tests: a token for a user of a role and organisation."""

from __future__ import annotations

from typing import Any

from flask import Flask

from froi.web.accounts.tokens import new_token
from froi.web.core.audit import Actor
from froi.web.core.db import get_session
from froi.web.core.models import User

from .conftest import make_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROBLEM = "application/problem+json"


def token_for(app: Flask, user: User, name: str = "test") -> str:
    with app.app_context():
        session = get_session()
        owner = session.get(User, user.id)
        assert owner is not None
        token = new_token(session, owner, name, Actor(None, "test", owner.organisation_id))
        session.commit()
        return token


def auth(app: Flask, role: str, organisation: str | None = None, email: str = "") -> dict[str, str]:
    """Headers carrying a new token of a new user of ``role`` in ``organisation``."""
    user = make_user(app, role, organisation, email)
    return {"Authorization": f"Bearer {token_for(app, user)}"}


def problem(response: Any, status: int) -> dict[str, Any]:
    """The response's problem document, checked to be one with ``status``."""
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = response.get_json(force=True)
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= set(body)
    return body
