"""Accounts: organisations, users and roles, signing in, and the audit log.

- :mod:`.access`: the rules every feature uses: :func:`~.access.current_organisation`,
  :func:`~.access.owned` (another organisation's id answers 404) and
  :func:`~.access.require_role` (a lesser role answers 403, saying which is needed);
- :mod:`.signin`: ``/sign-in``, ``/sign-out``, ``/account/password``, Flask-Login, and
  sign-in required on every other page; :mod:`.throttle` refuses repeated guesses;
  :mod:`.passwords` hashes with argon2id and holds the password rule;
- :mod:`.users` (``/accounts/users``): an organisation administrator's users;
  :mod:`.organisations` (``/accounts/organisations``): a site administrator's
  organisations; :mod:`.audit_log` (``/accounts/audit``): the audit log (the events are
  written by :mod:`froi.web.core.audit`, in each change's own transaction);
- :mod:`.first_start` and :mod:`.commands`: the first administrator, and
  ``flask --app app create-user``;
- :mod:`.tokens` (``/account/tokens``): a user's API tokens, made, listed and revoked,
  and ``flask --app app create-token``.
"""

from __future__ import annotations

import logging

import click
from flask import Flask

from . import audit_log, commands, first_start, organisations, signin, tokens, users
from .access import ROLE_WORDS, has_role

log = logging.getLogger(__name__)

#: Registered by ``create_app``.
blueprints = (signin.bp, users.bp, organisations.bp, audit_log.bp, tokens.bp)


def init_app(app: Flask) -> None:
    """Sign-in on every page, the templates' helpers, the command, and on a first start
    the first administrator (printed, with where its password is kept)."""
    signin.init_app(app)
    app.jinja_env.globals.update(has_role=has_role, role_words=ROLE_WORDS)
    app.jinja_env.filters["audit_detail"] = audit_log.detail
    app.cli.add_command(commands.create_user_command)
    app.cli.add_command(tokens.create_token_command)
    lines = first_start.create_first_admin(app)
    # the first start's sign-in details are the start's output; the later reminder is a
    # warning in the log (standard error, JSON under make serve), so a command's own
    # output (create-token's token) is all that standard output carries
    first = any(line.startswith("Created the ") for line in lines)
    for line in lines:
        if first:
            click.echo(line)
        else:
            log.warning("%s", line)
