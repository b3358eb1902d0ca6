"""What the job tests share: a job's row as the database holds it now."""

from __future__ import annotations

from flask import Flask

from froi.web.core.db import Database
from froi.web.core.models import Job


def job_row(app: Flask, job_id: int) -> Job:
    """Job ``job_id`` read in a session of its own (what another process would see)."""
    db: Database = app.extensions["froi"]["db"]
    with db.sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job
