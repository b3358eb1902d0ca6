"""The results workbook of a run, written once and kept as a cache file.

Writing the standard results workbook of 1,000 projects takes about 2.5 seconds.  So as
soon as a confirmed upload's figures are computed, a helper process
(:mod:`..core.offload`) starts writing its workbook into a temporary file of
``<instance>/results/`` (``RESULTS_DIR``) while the job saves the run on another core
(:func:`start_writing`); once the run is committed the file takes the run's name, and the
download serves it (a download that comes first, in any process of the machine, waits
for it).  Where there can be no helper (``make worker``'s processes, or
``RESULTS_WORKBOOK_PROCESS`` off) the workbook is written by a task on the job queue
(:func:`.jobs.after`) instead.  A portfolio export (a job of its own,
:mod:`froi.web.portfolio.routes`) keeps its workbook there too (:func:`write_export`),
and its download serves only the kept file (a missing one is written again by the
export's job).  It is a cache, not a record: the run holds everything, and a file that
is missing (another machine, a cleared folder, the retention period passed) is written
again from the run's stored input, on its stored table version and with its computation
time, so it comes out the same.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import socket
import tempfile
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from flask import current_app

from calculator.engine import Results, compute
from calculator.reference import ReferenceData
from froi.workbook.results import write_results_workbook

from ..core import models, offload
from ..core.db import database
from ..core.reference import reference_for
from ..core.retention import results_folder
from . import jobs

log = logging.getLogger(__name__)

#: Seconds a download waits for a workbook being written (see :func:`_mark`) before
#: writing it again itself.
WAIT_FOR_WRITING = 300


def _path(run: models.Run, prefix: str, source: str) -> Path:
    """The file of a run's workbook: named by everything it shows, so that no other run
    (of another database, say, or a run with the same id) can be served from it."""
    database = current_app.extensions["froi"]["db"].engine.url.render_as_string()
    key = "|".join((database, str(run.id), run.input_sha256, run.computed_at.isoformat(), source))
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return results_folder(current_app) / f"{prefix}-{run.id}-{digest}.xlsx"


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


class Writing:
    """A computed upload's results workbook being written by a helper process
    (:mod:`..core.offload`) into a temporary file of the results folder while the run
    is saved; :meth:`keep` names it the run's workbook once the run is committed,
    :meth:`discard` throws it away if it is not.  Either must be said, once."""

    def __init__(self, work: offload.Work, part: Path) -> None:
        self.work, self.part = work, part

    def keep(self, path: Path) -> None:
        """When written, the run's kept workbook ``path``.  Meanwhile a marker beside it
        (``<name>.writing``, naming this machine and process) tells a download in any
        process that it is coming (:func:`workbook_bytes`).  Raises nothing: a workbook
        not kept is written by its first download."""
        marker = _mark(path)

        def kept(future: Future[Any]) -> None:
            try:
                if future.cancelled() or future.exception() is not None:
                    log.warning(
                        "results workbook %s not written: %r",
                        path,
                        None if future.cancelled() else future.exception(),
                    )
                else:
                    os.replace(self.part, path)
            except OSError:
                log.warning("results workbook %s not kept", path, exc_info=True)
            finally:
                self.part.unlink(missing_ok=True)  # gone already once renamed
                marker.unlink(missing_ok=True)

        self.work.then(kept)

    def discard(self) -> None:
        """The run was not saved: stop writing, or delete what was written."""
        self.work.future.cancel()
        self.work.then(lambda _future: self.part.unlink(missing_ok=True))


#: The suffix of the marker of a workbook being written (see :meth:`Writing.keep`).
MARKER = ".writing"


def _mark(path: Path) -> Path:
    """Leave the marker saying this process (on this machine) is writing ``path``; the
    writer deletes it when done."""
    marker = path.with_suffix(MARKER)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"{socket.gethostname()} {os.getpid()}", encoding="utf-8")
    except OSError:
        log.warning("marker %s not written", marker, exc_info=True)
    return marker


def start_writing(
    results: Results, reference: ReferenceData, upload: models.Upload, document: dict[str, Any]
) -> Writing | None:
    """Start writing a computed upload's results workbook (of ``results``, computed from the
    canonical input ``document``) in a helper process; None when that is switched off
    (``RESULTS_WORKBOOK_PROCESS``) or cannot be done here (a worker process of ``make
    worker``, which may not start processes; the folder cannot be written), so that the
    caller has it written by a task on the queue instead."""
    if not current_app.config["RESULTS_WORKBOOK_PROCESS"] or not offload.available():
        return None
    try:
        folder = results_folder(current_app)
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, prefix="writing-", suffix=".part")
        os.close(handle)
    except OSError:
        log.warning("results folder cannot be written: workbook written later", exc_info=True)
        return None
    part = Path(name)
    try:
        work = offload.submit(
            write_results_workbook,
            results,
            part,
            reference=reference,
            input_sha256=upload.sha256,
            input_name=upload.file_name,
            document=document,
        )
    except Exception:
        log.warning("no helper process: workbook written on the queue", exc_info=True)
        part.unlink(missing_ok=True)
        return None
    return Writing(work, part)


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
            marker = _mark(path)  # a download meanwhile waits for this, not writes its own
            try:
                _keep(path, _write(run, upload))
            finally:
                marker.unlink(missing_ok=True)


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


def _writer_alive(marker: Path) -> bool:
    """Whether the process that left ``marker`` may still be writing its workbook: on
    this machine, whether that process is running; on another (a shared results folder),
    whether the marker is younger than :data:`WAIT_FOR_WRITING`."""
    try:
        host, pid = marker.read_text(encoding="utf-8").split()
        if host != socket.gethostname():
            return time.time() - marker.stat().st_mtime < WAIT_FOR_WRITING
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # running, as another user
    except (OSError, ValueError):
        return False  # gone meanwhile, or not a marker
    return True


def _wait_for_writing(path: Path) -> None:
    """Wait (up to :data:`WAIT_FOR_WRITING`) for the workbook ``path`` while the marker
    beside it says a live process is writing it (this one's helper, another web
    process's, or the queue's task)."""
    marker = path.with_suffix(MARKER)
    deadline = time.monotonic() + WAIT_FOR_WRITING
    while not path.is_file() and time.monotonic() < deadline and _writer_alive(marker):
        time.sleep(0.1)


def workbook_bytes(run: models.Run, upload: models.Upload) -> bytes:
    """The run's results workbook: the kept file (waited for while a helper writes it),
    or written again (and kept)."""
    path = cache_path(run, upload)
    if not path.is_file():
        _wait_for_writing(path)
    if path.is_file():
        return path.read_bytes()
    body = _write(run, upload)
    _keep(path, body)
    return body
