"""Retention: uploaded workbooks and cached results files are deleted after a period.

An uploaded workbook is kept (its bytes, and its check report) for ``RETENTION_DAYS``
days (``FROI_RETENTION_DAYS``, 90 unless set), then deleted with its jobs, each with an
audit event ("Upload deleted after the retention period").  What the upload produced
stays: its projects, and its run, which holds the workbook's whole input and so
re-runs and downloads as before (the run no longer links to the upload).  An upload
still being checked or computed is left until its work ends.  Results workbooks cached
in ``RESULTS_DIR`` (``instance/results/``) are deleted once they are older than the
period too; any of them is written again from its run when asked for.

Run by a periodic task on the job queue every night at 03:17 (the sweeper's queue: see
:mod:`froi.web.uploads.jobs`) and by ``flask --app app purge`` (``--days`` to use
another period once, ``--dry-run`` to see what would go).  Deleting is conditional per
upload, so purges running at once on several machines delete and record each upload
once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import delete, select

from . import models
from .audit import Actor, record
from .db import Database

log = logging.getLogger(__name__)

#: Days an upload and a cached results file are kept unless ``RETENTION_DAYS`` says.
DEFAULT_DAYS = 90
#: Uploads whose work is under way are left alone.
BUSY = ("checking", "computing")
SYSTEM = Actor(None, "retention", None)


@dataclass
class Purged:
    uploads: list[int] = field(default_factory=list)
    upload_bytes: int = 0
    files: list[str] = field(default_factory=list)
    file_bytes: int = 0


def retention_days(app: Flask) -> int:
    days = int(app.config.get("RETENTION_DAYS") or DEFAULT_DAYS)
    if days < 1:
        raise click.ClickException(f"RETENTION_DAYS must be 1 or more, not {days}")
    return days


def results_folder(app: Flask) -> Path:
    """Where results workbooks are kept (``RESULTS_DIR``, else ``<instance>/results``)."""
    return Path(app.config.get("RESULTS_DIR") or Path(app.instance_path) / "results")


def purge(
    app: Flask, days: int | None = None, now: datetime | None = None, dry_run: bool = False
) -> Purged:
    """Delete the uploads and cached results files older than ``days`` (the setting's
    period unless given), and temporary files of the results folder older than an hour;
    what was (or, with ``dry_run``, would be) deleted."""
    days = retention_days(app) if days is None else days
    cutoff = (now or models.utcnow()) - timedelta(days=days)
    purged = Purged()
    db: Database = app.extensions["froi"]["db"]
    with db.sessions() as session:
        old = session.execute(
            select(
                models.Upload.id,
                models.Upload.organisation_id,
                models.Upload.file_name,
                models.Upload.size,
                models.Upload.created_at,
            ).where(models.Upload.created_at < cutoff, models.Upload.status.not_in(BUSY))
        ).all()
        for upload_id, organisation_id, file_name, size, created_at in old:
            if not dry_run:
                gone = session.execute(
                    delete(models.Upload).where(
                        models.Upload.id == upload_id, models.Upload.status.not_in(BUSY)
                    )
                )
                if getattr(gone, "rowcount", 0) != 1:
                    continue  # another purge took it, or its work started meanwhile
                record(
                    session,
                    "upload.deleted",
                    f"Upload {upload_id} ({file_name}, {created_at:%d %B %Y}) deleted after "
                    f"the retention period of {days} days",
                    object_type="upload",
                    object_id=upload_id,
                    before={"file": file_name, "size": size},
                    organisation_id=organisation_id,
                    actor=SYSTEM,
                )
            purged.uploads.append(upload_id)
            purged.upload_bytes += size
        session.commit()
    folder = results_folder(app)
    # workbooks older than the period, and what a helper process killed while writing left
    # behind (its temporary file and its marker) once it is an hour old
    leftover = (now or models.utcnow()) - timedelta(hours=1)
    found = [(p, cutoff) for p in folder.glob("*.xlsx")] if folder.is_dir() else []
    for pattern in ("*.part", "*.writing") if folder.is_dir() else ():
        found += [(p, leftover) for p in folder.glob(pattern)]
    for path, before in sorted(found):
        try:
            stat = path.stat()
            if stat.st_mtime >= before.timestamp():
                continue
            if not dry_run:
                path.unlink()
        except FileNotFoundError:
            continue  # another purge took it
        purged.files.append(path.name)
        purged.file_bytes += stat.st_size
    if purged.uploads or purged.files:
        log.info(
            "retention (%s days): %s %d uploads (%d bytes) and %d results files (%d bytes)",
            days,
            "would delete" if dry_run else "deleted",
            len(purged.uploads),
            purged.upload_bytes,
            len(purged.files),
            purged.file_bytes,
        )
    return purged


@click.command("purge")
@click.option("--days", type=click.IntRange(min=1), help="Keep this many days (this once).")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted; delete nothing.")
@with_appcontext
def purge_command(days: int | None, dry_run: bool) -> None:
    """Delete uploads and cached results files older than the retention period."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    kept = retention_days(app) if days is None else days
    done = purge(app, days, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"{verb} {len(done.uploads)} upload{'' if len(done.uploads) == 1 else 's'} "
        f"({done.upload_bytes:,} bytes) and {len(done.files)} results "
        f"file{'' if len(done.files) == 1 else 's'} ({done.file_bytes:,} bytes) older "
        f"than {kept} day{'' if kept == 1 else 's'}"
    )
