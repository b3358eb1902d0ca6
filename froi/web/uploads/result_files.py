"""The results workbook of a run, written once and kept as a cache file.

Writing the standard results workbook of 1,000 projects takes about ten seconds, so
once an upload is computed (and its results page can be shown) the workbook is written
on the job queue (:func:`.jobs.after`) into ``<instance>/results/``, and the download
serves that file.  A portfolio export (a job of its own, :mod:`froi.web.portfolio.routes`)
keeps its workbook there the same way (:func:`write_export`), and its download
serves only the kept file (a missing one is written again by the export's job).  It is a
cache, not a record: the run holds everything, and a file that is missing (another
machine, a cleared folder, the retention period passed) is written again from the run's
stored input, on its stored table version and with its computation time, so it comes
out the same.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
from pathlib import Path

from flask import current_app

from calculator.engine import Results, compute
from froi.workbook.results import write_results_workbook

from ..core import models
from ..core.db import database
from ..core.reference import reference_for
from . import jobs

log = logging.getLogger(__name__)


def _path(run: models.Run, prefix: str, source: str) -> Path:
    """The file of a run's workbook: named by everything it shows, so that no other run
    (of another database, say, or a run with the same id) can be served from it."""
    database = current_app.extensions["froi"]["db"].engine.url.render_as_string()
    key = "|".join((database, str(run.id), run.input_sha256, run.computed_at.isoformat(), source))
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    folder = current_app.config.get("RESULTS_DIR") or Path(current_app.instance_path) / "results"
    return Path(folder) / f"{prefix}-{run.id}-{digest}.xlsx"


def cache_path(run: models.Run, upload: models.Upload) -> Path:
    """The file of a batch run's workbook (it names the uploaded file)."""
    return _path(run, "run", upload.sha256)


def export_path(run: models.Run) -> Path:
    """The file of a portfolio export's workbook."""
    return _path(run, "portfolio-run", "portfolio")


def export_name(run: models.Run) -> str:
    """What a portfolio export's workbook names as its input."""
    return f"portfolio (run {run.id})"


def write_workbook(
    run: models.Run, results: Results | None = None, *, input_sha256: str, input_name: str
) -> bytes:
    """The standard results workbook of a stored run (computed again on its stored
    table, at its computation time, when its engine results are not at hand)."""
    reference = reference_for(run.unit_cost_table)
    if results is None:
        results = compute(run.input_doc, reference, computed_at=run.computed_at)
    stream = io.BytesIO()
    write_results_workbook(
        results, stream, reference=reference, input_sha256=input_sha256, input_name=input_name
    )
    return stream.getvalue()


def _write(run: models.Run, upload: models.Upload) -> bytes:
    return write_workbook(run, input_sha256=upload.sha256, input_name=upload.file_name)


def _keep(path: Path, body: bytes) -> None:
    """Write ``body`` to ``path`` atomically (a reader never sees half a file)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".part") as fh:
            fh.write(body)
        os.replace(fh.name, path)
    except OSError:
        log.warning("results workbook %s not cached", path, exc_info=True)


@jobs.after_task("results_workbook")
def store(run_id: int, upload_id: int) -> None:
    """Write and keep the workbook of a run just computed.

    A task on the queue (any worker, any machine), so it reads the run and upload in a
    session of its own and computes the results again from the run's stored input.
    """
    with database().sessions() as session:
        run = session.get(models.Run, run_id)
        upload = session.get(models.Upload, upload_id)
        if run is None or upload is None:
            return
        path = cache_path(run, upload)
        if not path.is_file():
            _keep(path, _write(run, upload))


def write_export(run: models.Run, results: Results | None = None) -> Path:
    """Write a portfolio export's results workbook into the results folder unless it is
    there; its path.  Unlike the cache of a batch run's workbook, a failure to keep it
    (a full disk) is raised: the export's download serves only the kept file."""
    path = export_path(run)
    if path.is_file():
        return path
    body = write_workbook(run, results, input_sha256=run.input_sha256, input_name=export_name(run))
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".part") as fh:
        try:
            fh.write(body)
        except BaseException:
            fh.close()
            os.unlink(fh.name)
            raise
    os.replace(fh.name, path)
    return path


def workbook_bytes(run: models.Run, upload: models.Upload) -> bytes:
    """The run's results workbook: the kept file, or written again (and kept)."""
    path = cache_path(run, upload)
    if path.is_file():
        return path.read_bytes()
    body = _write(run, upload)
    _keep(path, body)
    return body
