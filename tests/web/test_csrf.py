"""Every form that changes something refuses a post without this session's form token."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from froi.web.core.db import get_session
from froi.web.core.models import Base, Project, Upload
from froi.web.core.reference import current_table

from .conftest import SAMPLES
from .pages import see_results
from .test_batch import upload
from .test_results import import_sample, latest_run


def snapshot(app: Flask) -> dict[str, object]:
    """How many rows each table holds, and each project's and upload's state."""
    with app.app_context():
        session = get_session()
        counts: dict[str, object] = {
            t.name: session.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }
        counts["projects"] = session.execute(select(Project.id, Project.revision)).all()
        counts["uploads"] = session.execute(select(Upload.id, Upload.status)).all()
        return counts


def test_every_post_without_the_session_token_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    location = import_sample(client, "edge_of_care_appraisal.json")
    see_results(client, location)
    checked = upload(client, SAMPLES / "hampshire_offset.xlsx")
    assert checked.status_code == 302
    with app.app_context():
        table_id = current_table(get_session()).id
        upload_id = get_session().scalars(select(Upload.id)).one()
    values = {
        "project_id": int(location.rsplit("/", 1)[1]),
        "run_id": latest_run(app).id,
        "upload_id": upload_id,
        "table_id": table_id,
        "list_name": "costs",
        "row": 1,
        "row_id": 1,
        "user_id": 1,
        "organisation_id": 1,
        "token_id": 1,
    }
    posts = [
        re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)
        for rule in app.url_map.iter_rules()
        # the JSON API takes a bearer token, never the session cookie (test_api_*)
        if "POST" in (rule.methods or ()) and not rule.rule.startswith("/api/")
    ]
    assert len(posts) >= 30  # projects, rows, runs, unit cost tables, batch, accounts
    assert "/sign-in" in posts and "/sign-out" in posts
    before = snapshot(app)
    stranger = app.test_client()  # another site's post: no session at all
    for url in posts:
        for poster, data in (
            (client, {}),
            (client, {"csrf_token": "forged"}),
            (stranger, {"csrf_token": "forged"}),
        ):
            response = poster.post(url, data=data)
            assert response.status_code == 400, (url, data)
            assert "This form has expired" in response.get_data(as_text=True)
    assert snapshot(app) == before
