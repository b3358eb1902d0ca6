"""Bad input found in review: hostile or mistyped requests get a page, never a 500."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from froi.web.core.db import get_session
from froi.web.core.models import Project
from froi.web.uploads import jobs

from .conftest import SAMPLES
from .pages import page, see_results, submit
from .test_batch import upload as batch_upload
from .test_results import import_sample, latest_run
from .test_unit_cost_tables import (
    national_id,
    national_rows,
    publish,
    table_id,
    to_csv,
    upload,
    use,
)

HUGE = "9" * 25


@pytest.mark.parametrize(
    "url",
    [
        f"/projects/{HUGE}",
        f"/runs/{HUGE}",
        f"/batch/{HUGE}",
        f"/batch/{HUGE}/results",
        f"/jobs/{HUGE}",
        f"/unit-costs/tables/{HUGE}",
    ],
)
def test_an_id_too_large_for_the_database_is_not_found(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        f"page={HUGE}",
        f"grade={HUGE}",
        "grade=%C2%B2",  # a superscript two: str.isdigit() says yes, int() says no
    ],
)
def test_unit_cost_browse_survives_odd_queries(client: FlaskClient, query: str) -> None:
    assert client.get(f"/unit-costs/?{query}").status_code == 200


def test_portfolio_appraisal_years_that_are_not_ascii_digits(client: FlaskClient) -> None:
    response = client.get("/portfolio/?appraisal_years=%C2%B2")
    assert response.status_code == 200
    assert "appraisal years must be a whole number" in response.get_data(as_text=True)
    token = page(client.get("/portfolio/")).hidden()["csrf_token"]
    exported = client.post(
        "/portfolio/export", data={"csrf_token": token, "appraisal_years": "\u00b2"}
    )
    assert exported.status_code == 302  # the export's job: the bad basis is ignored there
    jobs.wait_for_jobs(client.application, timeout=60)
    job = client.get(exported.headers["Location"])
    assert job.status_code == 200
    assert "something went wrong on our side" not in job.get_data(as_text=True)


def test_a_csv_table_with_an_overlong_cell_is_a_problem_not_a_crash(
    site_admin_client: FlaskClient,
) -> None:
    data = b"code,name\n" + b'"' + b"x" * 200_000 + b'",y\n'
    response = upload(site_admin_client, data, "long.csv", "2026.9")
    assert response.status_code == 200
    assert "cannot be read" in response.get_data(as_text=True)


def test_rerun_on_a_table_without_a_code_the_run_used(
    app: Flask, client: FlaskClient, site_admin_client: FlaskClient
) -> None:
    location = import_sample(client, "edge_of_care_appraisal.json")
    see_results(client, location)
    original = latest_run(app)
    rows = [r for r in national_rows() if r["code"] != "SS3.0"]  # the sample uses SS3.0
    newer = table_id(upload(site_admin_client, to_csv(rows), "fewer.csv", "2026.7"))
    publish(site_admin_client, newer)
    use(site_admin_client, newer)
    url = f"/runs/{original.id}"
    response = submit(client, url, {}, action=f"{url}/rerun-current")
    assert response.status_code == 302
    assert latest_run(app).id == original.id  # nothing recorded
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "SS3.0" in shown and "cannot be re-run" in shown


def test_choosing_a_table_id_too_large_for_the_database(admin_client: FlaskClient) -> None:
    response = submit(admin_client, "/unit-costs/tables", {"table_id": HUGE}, "/unit-costs/in-use")
    assert response.status_code == 404


def _long_named_workbook(tmp_path: Path) -> Path:
    book = openpyxl.load_workbook(SAMPLES / "edge_of_care_appraisal.xlsx")
    book["Projects"]["B2"] = "Edge of care hub " + "x" * 400  # the name column holds 300
    path = tmp_path / "long_name.xlsx"
    book.save(path)
    return path


def test_a_project_name_longer_than_its_column_is_a_problem_on_the_check_page(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    checked = batch_upload(client, _long_named_workbook(tmp_path))
    assert checked.status_code == 302
    shown = client.get(checked.headers["Location"]).get_data(as_text=True)
    assert "may have at most 300" in shown
    assert "/confirm" not in shown  # nothing to confirm: PostgreSQL would refuse the name
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Project)) == 0


def test_unit_cost_metadata_longer_than_its_column_is_an_error(
    site_admin_client: FlaskClient,
) -> None:
    rows = national_rows()[:3]
    response = upload(site_admin_client, to_csv(rows), "t.csv", "1" * 150)
    assert response.status_code == 200
    assert "100 characters" in response.get_data(as_text=True)


def test_a_unit_cost_code_longer_than_its_column_is_a_problem(
    site_admin_client: FlaskClient,
) -> None:
    rows = national_rows()[:3]
    rows[1]["code"] = "X" * 80
    response = upload(site_admin_client, to_csv(rows), "t.csv", "2026.8")
    assert response.status_code == 200
    assert "60 characters" in response.get_data(as_text=True)


def test_a_new_version_string_longer_than_its_column_is_an_error(
    app: Flask, site_admin_client: FlaskClient
) -> None:
    url = f"/unit-costs/tables/{national_id(app)}/new-version"
    response = submit(site_admin_client, url, {"version": "9" * 150}, action=url)
    assert response.status_code == 200
    assert "100 characters" in response.get_data(as_text=True)
