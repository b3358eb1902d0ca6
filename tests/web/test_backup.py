"""``flask backup`` and ``flask restore`` round trip real data on SQLite and PostgreSQL,
and the restored database computes the same results; and retention (``flask purge``)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select, text

from calculator.engine import compute
from froi.web.core.db import Database, get_session
from froi.web.core.models import AuditEvent, Job, Project, Run, Upload, User, utcnow
from froi.web.core.reference import reference_for
from froi.web.uploads import jobs

from .conftest import SAMPLES
from .test_batch import PORTFOLIO, upload, upload_and_confirm

TABLES = ("organisation", "user_account", "unit_cost_table", "unit_cost_row", "project",
          "run", "upload", "job", "audit_event")  # fmt: skip


def _counts(app: Flask) -> dict[str, int]:
    db: Database = app.extensions["froi"]["db"]
    with db.engine.connect() as connection:
        return {
            name: int(connection.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar() or 0)
            for name in TABLES
        }


def _recomputed(app: Flask) -> dict[int, Any]:
    """Every run computed again from what the database holds (its input, its table)."""
    with app.app_context():
        runs = get_session().scalars(select(Run).order_by(Run.id)).all()
        return {
            run.id: compute(
                run.input_doc, reference_for(run.unit_cost_table), computed_at=run.computed_at
            ).to_dict()
            for run in runs
        }


def test_backup_and_restore_round_trip_and_compute_the_same(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, backend: str, tmp_path: Path
) -> None:
    upload_and_confirm(client, SAMPLES / "edge_of_care_appraisal.xlsx")
    upload_and_confirm(client, PORTFOLIO)
    jobs.wait_for_jobs(app)
    before, figures = _counts(app), _recomputed(app)
    assert before["project"] == 51 and before["run"] == 2 and before["user_account"] >= 2
    with app.app_context():
        stored = {r.id: r.results for r in get_session().scalars(select(Run))}
    assert {k: v["projects"] for k, v in figures.items()} == {
        k: v["projects"] for k, v in stored.items()
    }  # the recomputation is the engine's, as stored

    file = tmp_path / "backups" / f"froi.{backend}.backup"
    made = runner.invoke(args=["backup", str(file)])
    assert made.exit_code == 0, made.output
    assert f"backed up the {backend} database to {file}" in made.output
    assert file.read_bytes()[:5] == (b"SQLit" if backend == "sqlite" else b"PGDMP")
    assert oct(file.stat().st_mode & 0o777) == "0o600"
    assert list(file.parent.iterdir()) == [file]  # no part file left
    again = runner.invoke(args=["backup", str(file)])
    assert again.exit_code != 0 and "exists already" in again.output

    # after the backup: projects deleted, one added, a user's role changed
    db: Database = app.extensions["froi"]["db"]
    with db.engine.begin() as connection:
        for statement in ("DELETE FROM job", "DELETE FROM run", "DELETE FROM upload",
                          "DELETE FROM project WHERE id % 2 = 0",
                          "UPDATE user_account SET role = 'viewer'"):  # fmt: skip
            connection.execute(text(statement))
    assert _counts(app) != before

    asked = runner.invoke(args=["restore", str(file)], input="n\n")
    assert asked.exit_code != 0 and "Replace everything" in asked.output  # asks first
    restored = runner.invoke(args=["restore", str(file), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert _counts(app) == before
    assert _recomputed(app) == figures
    with app.app_context():
        roles = set(get_session().scalars(select(User.role)))
        assert roles != {"viewer"}
    # the service carries on with the restored data: still signed in, pages as before
    shown = client.get("/projects/")
    assert shown.status_code == 200 and "portfolio" in shown.get_data(as_text=True).lower()


def test_restore_refuses_what_is_not_a_backup_of_this_database(
    runner: FlaskCliRunner, backend: str, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.write_bytes(b"PGDMP..." if backend == "sqlite" else b"SQLite format 3\x00...")
    refused = runner.invoke(args=["restore", str(other), "--yes"])
    assert refused.exit_code != 0
    kind = "a PostgreSQL backup" if backend == "sqlite" else "a SQLite backup"
    assert f"is {kind}; this service's database is {backend}" in refused.output
    junk = tmp_path / "junk"
    junk.write_bytes(b"hello")
    refused = runner.invoke(args=["restore", str(junk), "--yes"])
    assert "is not a backup made by flask backup" in refused.output


def test_uploads_and_results_files_are_deleted_after_the_retention_period(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    app.config["BATCH_BACKGROUND_ABOVE_PROJECTS"] = 0
    upload_and_confirm(client, SAMPLES / "hampshire_offset.xlsx")  # computed in a job
    jobs.wait_for_jobs(app)
    upload(client, SAMPLES / "edge_of_care_appraisal.xlsx")  # recent: kept
    with app.app_context():
        session = get_session()
        old, recent = session.scalars(select(Upload).order_by(Upload.id)).all()
        old.created_at = utcnow() - timedelta(days=91)
        old_id, recent_id = old.id, recent.id
        session.commit()
        assert session.scalar(select(func.count()).select_from(Job)) == 1
    results = Path(app.config["RESULTS_DIR"])
    cached = sorted(results.glob("*.xlsx"))
    assert len(cached) == 1
    fresh = results / "run-999-fresh.xlsx"
    fresh.write_bytes(b"x")
    stale = cached[0]
    gone_at = time.time() - 91 * 86400
    os.utime(stale, (gone_at, gone_at))

    dry = runner.invoke(args=["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would delete 1 upload (" in dry.output and "and 1 results file (" in dry.output
    assert "older than 90 days" in dry.output
    assert stale.exists()
    assert runner.invoke(args=["purge", "--days", "100"]).output.startswith("deleted 0 uploads")

    done = runner.invoke(args=["purge"])
    assert done.exit_code == 0, done.output
    assert "deleted 1 upload (" in done.output
    assert not stale.exists() and fresh.exists()
    with app.app_context():
        session = get_session()
        assert list(session.scalars(select(Upload.id))) == [recent_id]
        assert session.scalar(select(func.count()).select_from(Job)) == 0
        run = session.scalars(select(Run)).one()  # what it produced stays
        assert run.upload_id is None
        assert session.scalar(select(func.count()).select_from(Project)) == 1
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "upload.deleted")
        ).one()
        assert (event.object_id, event.user_email) == (old_id, "retention")
        assert "after the retention period of 90 days" in event.summary
    assert client.get(f"/runs/{run.id}").status_code == 200
    assert client.get(f"/batch/{old_id}").status_code == 404
    # a second purge (another machine's, say) finds nothing more
    assert runner.invoke(args=["purge"]).output.startswith("deleted 0 uploads")
    # the setting sets the period, and the nightly task is on the queue
    app.config["RETENTION_DAYS"] = 1
    assert "older than 1 day" in runner.invoke(args=["purge", "--dry-run"]).output
    huey = app.extensions["froi"]["huey"]
    assert any(key.endswith("froi.purge") for key in huey._registry._registry)


def test_a_killed_helpers_temporary_files_are_deleted_after_an_hour(
    app: Flask, runner: FlaskCliRunner
) -> None:
    """A helper process killed while writing a workbook leaves its temporary file and its
    marker: the purge deletes them once they are an hour old, not after 90 days."""
    results = Path(app.config["RESULTS_DIR"])
    results.mkdir(parents=True, exist_ok=True)
    old_part, old_marker = results / "writing-old.part", results / "run-1-abc.writing"
    new_part = results / "writing-new.part"
    for path in (old_part, old_marker, new_part):
        path.write_bytes(b"x")
    two_hours_ago = time.time() - 2 * 3600
    for path in (old_part, old_marker):
        os.utime(path, (two_hours_ago, two_hours_ago))
    done = runner.invoke(args=["purge"])
    assert done.exit_code == 0, done.output
    assert "2 results files (" in done.output
    assert not old_part.exists() and not old_marker.exists() and new_part.exists()
