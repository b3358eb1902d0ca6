"""The portfolio (``/portfolio``): the page and its export (:mod:`.routes`) and the
computation of every project's latest figures (:mod:`.data`)."""

from . import routes

#: Registered by ``create_app``: blueprint ``portfolio``.
blueprints = (routes.bp,)
