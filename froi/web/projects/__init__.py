"""Projects: the list, new, edit, copy, delete and import (``/projects``, :mod:`.routes`),
the rows of a project (costs, outcomes...; :mod:`.rows`), edits of a project's document
(:mod:`.documents`) and the project results page (``/projects/<id>/results``,
:mod:`.results`)."""

from . import results, routes, rows

#: Registered by ``create_app`` in this order: blueprints ``projects``, ``rows``, ``results``.
blueprints = (routes.bp, rows.bp, results.bp)
