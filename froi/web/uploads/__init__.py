"""Batch upload (``/batch``: upload, check, confirm, results, template; :mod:`.batch`),
the work behind it (store, check, compute; :mod:`.work`), background jobs (``/jobs``,
:mod:`.jobs`) and the cached results workbooks of runs (:mod:`.result_files`)."""

from . import batch, jobs

#: Registered by ``create_app`` in this order: blueprints ``batch``, ``jobs``.
blueprints = (batch.bp, jobs.bp)
