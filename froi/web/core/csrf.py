"""Cross-site request forgery protection for every form that changes something.

Each browser session gets a random token (kept in the signed session cookie); every
form carries it in a hidden field, and any POST without the same token is refused
before a view runs.  Without it, another site could make a signed-in finance officer's
browser delete a project by posting to ``/projects/1/delete``.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session

FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The JSON API authenticates by bearer token only, never by the session cookie, so a
#: request from another site cannot act as anyone there: it needs no form token.
API_PREFIX = "/api/"


def token() -> str:
    """This session's token, created on first use."""
    value = session.get(FIELD)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        session[FIELD] = value
    return value


def check() -> None:
    """Refuse an unsafe request whose form token is missing or not this session's."""
    if request.method in SAFE_METHODS or request.path.startswith(API_PREFIX):
        return
    expected = session.get(FIELD)
    given = request.form.get(FIELD, "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected, given):
        abort(400, description="This form has expired. Go back, reload the page and try again.")


def init_app(app: Flask) -> None:
    app.before_request(check)
    app.jinja_env.globals["csrf_token"] = token
