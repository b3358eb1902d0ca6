"""The helper process that writes results workbooks beside the web process
(froi.web.core.offload), and the embedded workers that a queued task wakes."""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from froi.web.core import offload, queue, settings
from froi.web.core.db import get_session
from froi.web.core.models import Run, Upload
from froi.web.core.retention import results_folder
from froi.web.uploads import jobs, result_files, work

from .conftest import SAMPLES
from .test_batch import confirm, upload, upload_and_confirm

SAMPLE = SAMPLES / "edge_of_care_appraisal.xlsx"


def held_until(gate: str, seconds: float = 60) -> None:
    """Run in the helper: keep it busy until the file ``gate`` exists (so the work queued
    behind it waits for the test, however fast or slow the machine)."""
    deadline = time.monotonic() + seconds
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.02)


def hold(tmp_path: Path) -> Path:
    """Hold the helper busy until the returned file is created."""
    gate = tmp_path / "gate"
    offload.submit(held_until, str(gate)).then(lambda _f: None)
    return gate


def settled(work_: offload.Work) -> list[Future[Any]]:
    seen: list[Future[Any]] = []
    work_.then(seen.append)
    assert work_.wait(60), "the helper did not finish within a minute"
    return seen


def test_work_runs_in_another_process_and_settles_once_its_callback_has_run() -> None:
    work_ = offload.submit(os.getpid)
    assert offload.busy() >= 1
    (future,) = settled(work_)
    assert future.result() != os.getpid()
    (after,) = settled(offload.submit(os.getpid))  # each helper ends after its work
    assert after.result() not in (os.getpid(), future.result())
    assert offload.wait_all(60) and offload.busy() == 0
    with pytest.raises(RuntimeError, match="said already"):
        work_.then(lambda _f: None)


def test_an_error_in_the_helper_reaches_the_future_and_a_dead_helper_is_replaced() -> None:
    (failed,) = settled(offload.submit(int, "not a number"))
    assert isinstance(failed.exception(), ValueError)
    (died,) = settled(offload.submit(os._exit, 3))  # a helper killed (for its memory, say)
    assert isinstance(died.exception(), BrokenProcessPool)
    (again,) = settled(offload.submit(os.getpid))  # a new helper takes the next piece
    assert again.result() != os.getpid()


def test_an_idle_embedded_worker_wakes_when_its_process_queues_a_task() -> None:
    """Huey's worker would sleep out its backed-off delay; this one wakes at the nudge."""

    class Storage:
        blocking = False

    class Huey:
        storage = Storage()

        def dequeue(self) -> None:
            return None

    consumer_flag = threading.Event()
    worker = queue.WakeableWorker(Huey(), consumer_flag, 30.0, 30.0, 1.15)
    worker.queued = threading.Event()
    woke = threading.Event()

    def idle() -> None:
        worker.loop()  # finds nothing and sleeps up to 30 s
        woke.set()

    threading.Thread(target=idle, daemon=True).start()
    time.sleep(0.2)
    assert not woke.is_set()
    worker.queued.set()
    assert woke.wait(10), "the worker slept on after a task was queued"
    assert worker.delay == worker.default_delay and not worker.queued.is_set()


def cells(body: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(body))
    try:
        return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in book}
    finally:
        book.close()


def kept_workbook(app: Flask) -> tuple[Path, Path]:
    with app.app_context():
        run = get_session().scalars(select(Run)).one()
        upload_row = get_session().scalars(select(Upload)).one()
        return result_files.cache_path(run, upload_row), results_folder(app)


def test_the_workbook_is_written_by_the_helper_while_the_run_is_saved(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Written in the helper process, not this one (writing here would fail); a download
    that comes while it is being written waits for it; no temporary file is left."""

    def not_here(*_args: Any, **_kwargs: Any) -> bytes:
        raise AssertionError("the workbook was written by the web process")

    monkeypatch.setattr(result_files, "_write", not_here)
    gate = hold(tmp_path)  # the helper is busy: the workbook waits behind
    results = upload_and_confirm(client, SAMPLE)
    kept, folder = kept_workbook(app)
    assert not kept.exists() and kept.with_suffix(".writing").exists()
    threading.Timer(0.3, gate.touch).start()  # let it go once the download is waiting
    download = client.get(results + ".xlsx")
    assert download.status_code == 200 and download.data == kept.read_bytes()
    # the same cells as the workbook written here from the stored run
    with app.app_context():
        run = get_session().scalars(select(Run)).one()
        upload_row = get_session().scalars(select(Upload)).one()
        here = result_files.write_workbook(
            run, input_sha256=upload_row.sha256, input_name=upload_row.file_name
        )
    theirs, ours = cells(kept.read_bytes()), cells(here)
    assert list(theirs) == list(ours)
    for sheet, rows in theirs.items():
        assert len(rows) == len(ours[sheet]), sheet
        differing = [
            (i, a, b)
            for i, (a, b) in enumerate(zip(rows, ours[sheet], strict=True))
            if a != b and a[0] != "Workbook written at"  # the one thing that may differ
        ]
        assert not differing, (sheet, differing[:3])
    jobs.wait_for_jobs(app, timeout=60)
    assert [p.name for p in folder.iterdir()] == [kept.name]


def test_a_confirm_that_saves_nothing_keeps_no_workbook(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(work, "plan_projects", fails)
    checked = upload(client, SAMPLE)
    with pytest.raises(RuntimeError, match="went away"):
        confirm(client, checked.headers["Location"])
    jobs.wait_for_jobs(app, timeout=60)
    with app.app_context():
        assert get_session().scalars(select(Run)).first() is None
        folder = results_folder(app)
        assert get_session().scalars(select(Upload)).one().status == "checked"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_workbook_the_helper_could_not_write_is_written_by_the_download(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    gate = hold(tmp_path)
    results = upload_and_confirm(client, SAMPLE)
    kept, folder = kept_workbook(app)
    for part in folder.iterdir():  # the folder is emptied before the helper writes
        part.unlink()
    folder.rmdir()
    gate.touch()
    with caplog.at_level(logging.WARNING, logger=result_files.__name__):
        jobs.wait_for_jobs(app, timeout=60)
    assert "not written" in caplog.text and not kept.exists()
    download = client.get(results + ".xlsx")
    assert download.status_code == 200 and download.data == kept.read_bytes()


def test_with_the_helper_switched_off_the_queue_writes_the_workbook(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queue's task marks the workbook it is writing (so a download meanwhile waits
    for it rather than writing its own) and removes the mark when done."""
    app.config["RESULTS_WORKBOOK_PROCESS"] = False
    marked: list[list[str]] = []
    write = result_files._write

    def spy(run: Run, upload_row: Upload) -> bytes:
        marked.append([p.name for p in results_folder(app).glob("*.writing")])
        return write(run, upload_row)

    monkeypatch.setattr(result_files, "_write", spy)
    upload_and_confirm(client, SAMPLE)
    assert offload.busy() == 0
    jobs.wait_for_jobs(app, timeout=120)
    kept, folder = kept_workbook(app)
    assert kept.is_file() and marked == [[kept.with_suffix(".writing").name]]
    assert [p.name for p in folder.iterdir()] == [kept.name]


def test_a_download_in_another_process_waits_for_the_workbook_being_written(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Another web process is writing it (its marker names a running process of this
    machine): the download waits for the file; a marker whose process has ended is not
    waited for."""
    app.config["RESULTS_WORKBOOK_PROCESS"] = False  # no helper here: the marker speaks
    results = upload_and_confirm(client, SAMPLE)
    jobs.wait_for_jobs(app, timeout=120)
    kept, _folder = kept_workbook(app)
    body = kept.read_bytes()
    kept.unlink()
    marker = kept.with_suffix(".writing")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        marker.write_text(f"{socket.gethostname()} {other.pid}", encoding="utf-8")

        def not_here(*_args: Any, **_kwargs: Any) -> bytes:
            raise AssertionError("written again although another process was writing it")

        monkeypatch.setattr(result_files, "_write", not_here)
        threading.Timer(0.5, lambda: (kept.write_bytes(body), marker.unlink())).start()
        assert client.get(results + ".xlsx").data == body
    finally:
        other.kill()
        other.wait()
    kept.unlink()
    marker.write_text(f"{socket.gethostname()} {other.pid}", encoding="utf-8")  # ended
    monkeypatch.undo()
    assert client.get(results + ".xlsx").status_code == 200 and kept.is_file()


def test_the_helper_setting_takes_true_or_false_only(app: Flask) -> None:
    assert app.config["RESULTS_WORKBOOK_PROCESS"] is True  # the default
    bare = Flask(__name__)
    for given, read in ((False, False), (True, True)):  # FROI_...=false / true, as JSON
        bare.config["RESULTS_WORKBOOK_PROCESS"] = given
        assert settings.flag(bare, "RESULTS_WORKBOOK_PROCESS", True) is read
    for wrong in ("False", "no", "off", 0):  # not JSON's false: refused, not taken as yes
        bare.config["RESULTS_WORKBOOK_PROCESS"] = wrong
        with pytest.raises(ValueError, match="FROI_RESULTS_WORKBOOK_PROCESS must be true or"):
            settings.flag(bare, "RESULTS_WORKBOOK_PROCESS", True)


@pytest.mark.parametrize("helper", [True, False])
def test_nothing_after_the_save_fails_the_confirm(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, helper: bool
) -> None:
    """Once the run is committed, a failure to keep the workbook (or to queue its task:
    Redis gone) leaves the upload computed, not open to a second confirm; the download
    writes the workbook."""
    app.config["RESULTS_WORKBOOK_PROCESS"] = helper
    path_of = result_files.cache_path

    def fails(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the queue went away")

    if helper:
        monkeypatch.setattr(result_files, "cache_path", fails)
    else:
        monkeypatch.setattr(jobs, "after", fails)
    results = upload_and_confirm(client, SAMPLE)
    assert results.endswith("/results")
    jobs.wait_for_jobs(app, timeout=120)
    with app.app_context():
        assert get_session().scalars(select(Upload)).one().status == "computed"
        run = get_session().scalars(select(Run)).one()
        upload_row = get_session().scalars(select(Upload)).one()
        kept = path_of(run, upload_row)
        assert not kept.exists() and list(results_folder(app).glob("*.part")) == []
    monkeypatch.undo()
    download = client.get(results + ".xlsx")
    assert download.status_code == 200 and download.data == kept.read_bytes()
