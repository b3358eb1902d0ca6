"""Who is calling the API: a bearer token, never the browser's session cookie.

Every request under ``/api/v1`` (but the OpenAPI document) must carry
``Authorization: Bearer <token>`` with a live token (:mod:`froi.web.accounts.tokens`);
without one it is answered 401.  The token's user becomes the request's user, so every
rule of :mod:`froi.web.accounts.access` applies unchanged: another organisation's ids
are 404, a lesser role is 403.  The session cookie is ignored under ``/api/`` (see
:func:`froi.web.accounts.signin.load_user`), which is why the API needs no CSRF token: a
page of another site cannot make a browser send someone's token.

**Rate limit.**  Each token may make ``API_RATE_LIMIT`` requests (default 120) in each
minute (``API_RATE_WINDOW`` seconds); past that the request is answered 429 with
``Retry-After``.  The count is kept on the token's row and bumped in one UPDATE, so
every worker process of the service counts against the same number.
"""

from __future__ import annotations

import math
from datetime import timedelta

from flask import g, request
from sqlalchemy import case, literal, update

from ..accounts.tokens import find_token
from ..core import models
from ..core.db import get_session
from . import limits
from .problems import ApiProblem

PREFIX = "/api/"
#: API addresses anyone may read: the OpenAPI document (the documentation page,
#: /api-docs, is a page of the site, behind sign-in like every page).
PUBLIC_ENDPOINTS = frozenset({"api-docs.openapi_json"})


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


def _unauthorised(detail: str) -> ApiProblem:
    return ApiProblem(
        401,
        "unauthorised",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="froi"'},
    )


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise _unauthorised(
            "Send an API token as 'Authorization: Bearer <token>'. Make one on your "
            "account's API tokens page (/account/tokens)."
        )
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorised("The Authorization header must be 'Bearer <token>'.")
    return token.strip()


def authenticate() -> None:
    """Before every API request: the token's user, within the rate limit, or a problem."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return  # public, or no such address (answered 404/405 as a problem)
    session = get_session()
    row = find_token(session, bearer_token())
    if row is None:
        raise _unauthorised(
            "The API token is not valid: it may have been revoked, or its user deactivated."
        )
    _count(row)
    g.api_user = row.user
    g.api_token_id = row.id


def _count(row: models.ApiToken) -> None:
    """Count this request against the token's minute; 429 past the limit."""
    most = limits.limit("API_RATE_LIMIT")
    window = timedelta(seconds=limits.limit("API_RATE_WINDOW"))
    now = models.utcnow()
    # fixed windows aligned to the epoch, so every process agrees where one starts
    seconds = window.total_seconds()
    start = now - timedelta(seconds=now.timestamp() % seconds)
    Token = models.ApiToken
    fresh = (Token.window_start.is_(None)) | (Token.window_start < start)
    session = get_session()
    session.execute(
        update(Token)
        .where(Token.id == row.id)
        .values(
            window_count=case((fresh, 1), else_=Token.window_count + 1),
            window_start=case(
                (fresh, literal(start, models.UTCDateTime())), else_=Token.window_start
            ),
            last_used_at=now,
        )
    )
    session.commit()
    session.refresh(row)
    if row.window_count > most:
        wait = max(1, math.ceil((start + window - now).total_seconds()))
        raise ApiProblem(
            429,
            "rate-limited",
            f"This token has made more than {most} requests in {int(seconds)} seconds. "
            f"Wait {wait} second{'' if wait == 1 else 's'} and try again.",
            headers={"Retry-After": str(wait)},
        )
