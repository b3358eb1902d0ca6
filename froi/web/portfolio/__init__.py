"""The portfolio (``/portfolio``): the page and its export (:mod:`.routes`) and the
computation of every project's latest figures (:mod:`.data`)."""

from flask import Flask

from . import data, routes

#: Registered by ``create_app``: blueprint ``portfolio``.
blueprints = (routes.bp,)


def init_app(app: Flask) -> None:
    """Projects changed by a save get their stored summaries at once (:mod:`.data`)."""
    data.watch_saves(app)
