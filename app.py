"""The web service's entry point: ``flask --app app run``, or ``app:app`` for a WSGI server.

The application is built by :func:`froi.web.create_app`.  ``app`` is created on first
access rather than on import (a module ``__getattr__``), because creating it migrates
and seeds the database: importing this module for ``create_app`` (as tests and tools
do) must not touch the instance database.  Flask's ``--app app`` and gunicorn's
``app:app`` both ask for the attribute, so both get the one application.
"""

from __future__ import annotations

import click
from flask import Flask

from froi.web import create_app
from froi.web.core.failures import StartupFailure

__all__ = ["create_app"]  # and ``app``, made on first access

_app: Flask | None = None


def __getattr__(name: str) -> Flask:
    global _app
    if name != "app":
        raise AttributeError(f"module 'app' has no attribute {name!r}")
    if _app is None:
        try:
            _app = create_app()
        except StartupFailure as failure:  # one sentence, not a traceback
            raise click.ClickException(str(failure)) from None
    return _app


if __name__ == "__main__":
    create_app().run()
