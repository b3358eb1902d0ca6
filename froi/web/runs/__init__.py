"""Runs: the ``/runs`` pages (:mod:`.routes`: the list, a run, re-running it) and why a
re-run on the current table differs (:mod:`.rerun_reasons`).  Computing and recording a
run is shared by every feature: :mod:`froi.web.core.running`."""

from . import routes

#: Registered by ``create_app``: blueprint ``runs``.
blueprints = (routes.bp,)
