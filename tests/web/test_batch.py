"""Batch upload: upload, check page, confirm, results, results workbook, background jobs."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from calculator.errors import InvalidInput, Problem
from calculator.reference import load_reference
from froi.web.core.db import get_session
from froi.web.core.models import Job, Project, Run, Upload, utcnow
from froi.web.core.result_chunks import results_dict
from froi.web.uploads import jobs, result_files
from froi.workbook.limits import DEFAULT_LIMITS
from froi.workbook.reader import compute_workbook

from .conftest import SAMPLES, first_organisation
from .pages import Page, page

WORKBOOKS = Path(__file__).resolve().parents[1] / "data" / "workbooks"
PORTFOLIO = SAMPLES / "portfolio_50_projects.xlsx"


def upload(client: FlaskClient, path: Path, name: str | None = None) -> TestResponse:
    """Post a workbook through the upload form, as a browser would."""
    form = page(client.get("/batch/")).hidden()
    data = {**form, "file": (io.BytesIO(path.read_bytes()), name or path.name)}
    return client.post("/batch/", data=data, content_type="multipart/form-data")


def confirm(client: FlaskClient, check_url: str, **fields: str) -> TestResponse:
    shown = page(client.get(check_url))
    action = re.search(r'action="(/batch/\d+/confirm)"', shown.text)
    assert action, "no Confirm form on the check page"
    return client.post(action.group(1), data={**shown.hidden(), **fields})


def accessible(shown: Page) -> None:
    assert shown.mains == 1 and len(shown.h1) == 1
    assert not shown.unlabelled()
    assert len(shown.ids) == len(set(shown.ids))


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(get_session().scalar(select(func.count()).select_from(model)) or 0)


def words(shown: Page) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", shown.text).split())


def upload_and_confirm(client: FlaskClient, path: Path = PORTFOLIO) -> str:
    """Upload, confirm, and return the results page's address."""
    checked = upload(client, path)
    assert checked.status_code == 302
    done = confirm(client, checked.headers["Location"])
    assert done.status_code == 302
    return str(done.headers["Location"])


def test_the_upload_page_offers_the_template_and_samples(client: FlaskClient) -> None:
    shown = page(client.get("/batch/"))
    accessible(shown)
    assert shown.h1 == ["Upload a workbook"]
    assert shown.labels["field-file"] == "Excel workbook"
    hrefs = [href for _, href in shown.links]
    assert "/batch/template.xlsx" in hrefs
    assert "/batch/samples/portfolio_50_projects.xlsx" in hrefs
    template = client.get("/batch/template.xlsx")
    assert template.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(template.data), read_only=True)
    assert {"Instructions", "Projects", "Outcomes", "Costs"} <= set(book.sheetnames)
    with client.get("/batch/samples/portfolio_50_projects.xlsx") as sample:
        assert sample.data == PORTFOLIO.read_bytes()
    assert client.get("/batch/samples/../app.py").status_code == 404


def test_upload_check_confirm_and_the_figures_are_the_engines(
    app: Flask, client: FlaskClient
) -> None:
    checked = upload(client, PORTFOLIO)
    assert checked.status_code == 302
    check_page = page(client.get(checked.headers["Location"]))
    accessible(check_page)
    assert check_page.h1 == ["Check and confirm portfolio_50_projects.xlsx"]
    text = words(check_page)
    assert "50 in all" in text
    assert "Appraisal: 34; Comparison: 8; Case level: 8" in text
    assert "2024-25 (the base year)" in text and "version 2026.2" in text
    assert count(app, Run) == 0 and count(app, Project) == 0  # nothing saved before Confirm

    done = confirm(client, checked.headers["Location"])
    assert done.status_code == 302 and done.headers["Location"].endswith("/results")
    results_page = page(client.get(done.headers["Location"]))
    accessible(results_page)
    assert results_page.h1 == ["Results of portfolio_50_projects.xlsx"]

    engine = compute_workbook(PORTFOLIO, load_reference()).to_dict()["projects"]
    with app.app_context():
        run = get_session().scalars(select(Run)).one()
        assert run.upload_id is not None and run.label.startswith("Upload of portfolio_50")
        stored = run.results["projects"]
        assert len(stored) == len(engine) == 50
        for mine, theirs in zip(stored, engine, strict=True):
            for name in ("froi", "npv", "pv_costs", "pv_fiscal"):
                a, b = mine.get(name), theirs.get(name)
                assert (a is None and b is None) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        refs = set(get_session().scalars(select(Project.project_ref)))
        assert refs == {p["project_id"] for p in engine}
    first = engine[0]
    assert f"£{first['froi']:,.2f} per £1" in results_page.text
    assert results_page.text.count('<th scope="row">') == 50

    # sortable headings: sorted by FROI, largest first, with aria-sort
    by_froi = client.get(done.headers["Location"] + "?sort=-froi").get_data(as_text=True)
    assert 'aria-sort="descending"' in by_froi
    best = max((p for p in engine if p["froi"] is not None), key=lambda p: p["froi"])
    assert by_froi.index(best["project_id"]) < by_froi.index(first["project_id"])

    workbook = client.get(done.headers["Location"] + ".xlsx")
    assert workbook.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(workbook.data), data_only=True, read_only=True)
    assert "Summary" in book.sheetnames
    rows = list(book["Summary"].iter_rows(values_only=True))
    rows = rows[[r[0] for r in rows].index("Project #") :]  # the table, under any warnings
    header = list(rows[0])
    froi_col, id_col = header.index("FROI (£ per £1)"), header.index("Project ID")
    shown = {r[id_col]: r[froi_col] for r in rows[1:] if r[id_col]}
    for p in engine:
        if p["froi"] is not None:
            assert math.isclose(shown[p["project_id"]], p["froi"], rel_tol=1e-9)
    provenance = " ".join(
        str(c) for r in book["Provenance"].iter_rows(values_only=True) for c in r if c
    )
    with app.app_context():
        sha = get_session().scalars(select(Upload.sha256)).one()
    assert sha in provenance and "portfolio_50_projects.xlsx" in provenance


def test_a_batch_run_re_runs_and_reproduces(app: Flask, client: FlaskClient) -> None:
    upload_and_confirm(client, SAMPLES / "edge_of_care_appraisal.xlsx")
    with app.app_context():
        run_id = get_session().scalars(select(Run.id)).one()
    form = page(client.get(f"/runs/{run_id}")).hidden()
    again = client.post(f"/runs/{run_id}/rerun", data=form)
    assert again.status_code == 302
    assert "Reproduced" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_many_problems_are_listed_with_cells_and_nothing_is_saved(
    app: Flask, client: FlaskClient
) -> None:
    checked = upload(client, WORKBOOKS / "many_errors.xlsx")
    shown = page(client.get(checked.headers["Location"]))
    accessible(shown)
    assert shown.h1 == ["Correct the problems in many_errors.xlsx"]
    # a column's name in a message is shown as the workbook's header, in <code>
    items = re.findall(r"<li><strong>([^<]+)</strong>: ((?:[^<]|</?code>)+)</li>", shown.text)
    assert len(items) == 50
    assert any("<code>" in message for _, message in items)
    assert all(re.fullmatch(r"'?[A-Za-z ]+'?![A-Z]+\d+", where) for where, _ in items)
    assert "and 190 more problems not shown" in words(shown)
    assert shown.summary_links and shown.summary_links[0][1] == "#problems"
    assert "confirm" not in shown.text  # no way forward but a corrected workbook
    assert "field-file" in shown.ids
    assert count(app, Run) == 0 and count(app, Project) == 0
    with app.app_context():
        kept = get_session().scalars(select(Upload)).one()
        assert kept.status == "invalid"
        assert kept.content == b"" and kept.size > 0  # the report stays, the file does not


def test_a_percentage_typed_as_a_whole_number_names_its_cell(client: FlaskClient) -> None:
    checked = upload(client, WORKBOOKS / "rate_45.xlsx")
    text = page(client.get(checked.headers["Location"])).text
    assert re.search(
        r"<strong>Outcomes![A-Z]+\d+</strong>: success must be between 0 and 1; got 45 - did you",
        text,
    )


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("png_renamed.xlsx", "png_renamed.xlsx"),
        ("zip_bomb.xlsx", "zip_bomb.xlsx"),
        ("encrypted.xlsx", "password"),
        ("formula_without_value.xlsx", "formula with no saved value"),
    ],
)
def test_a_file_that_cannot_be_read_gets_one_clear_message(
    app: Flask, client: FlaskClient, name: str, says: str
) -> None:
    checked = upload(client, WORKBOOKS / name)
    shown = page(client.get(checked.headers["Location"]))
    accessible(shown)
    assert shown.h1 == [f"{name} cannot be read"]
    assert len(shown.summary_links) == 1
    message = shown.summary_links[0][0]
    assert message.startswith(f"{name}: ") and says in message
    assert count(app, Run) == 0 and count(app, Project) == 0
    with app.app_context():  # a refused file is not kept (issue 10)
        assert get_session().scalars(select(Upload.content)).one() == b""


def test_no_file_or_not_a_workbook_is_an_error_beside_the_field(client: FlaskClient) -> None:
    form = page(client.get("/batch/")).hidden()
    empty = client.post("/batch/", data=form, content_type="multipart/form-data")
    assert empty.status_code == 400
    assert page(empty).summary_links == [
        ("Select an Excel workbook (.xlsx or .xlsm) to upload", "#field-file")
    ]
    csv = client.post(
        "/batch/",
        data={**form, "file": (io.BytesIO(b"a,b\n"), "data.csv")},
        content_type="multipart/form-data",
    )
    assert csv.status_code == 400 and "data.csv is not an Excel workbook" in csv.text


def test_larger_than_the_limit_is_refused_with_the_413_page(
    app: Flask, client: FlaskClient
) -> None:
    # a workbook at the reader's limit (20 MB) fits; anything much bigger is not read
    assert app.config["MAX_CONTENT_LENGTH"] >= DEFAULT_LIMITS.max_bytes + 64 * 1024
    body = b"0" * (22 * 1024 * 1024)  # raw bytes: the test client spools nothing to disk
    response = client.post("/batch/", data=body, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413
    assert page(response).h1 == ["The file is too large"]


def test_a_clashing_reference_gets_a_suffix_or_updates_by_choice(
    app: Flask, client: FlaskClient
) -> None:
    sample = SAMPLES / "edge_of_care_appraisal.xlsx"
    ref = json.loads((SAMPLES / "edge_of_care_appraisal.json").read_text())["projects"][0][
        "project_id"
    ]
    upload_and_confirm(client, sample)
    second = upload(client, sample)
    shown = page(client.get(second.headers["Location"]))
    accessible(shown)
    assert "1 project reference is already used" in words(shown)
    assert shown.labels["clash-update"].startswith("Update that project")
    assert shown.labels["clash-suffix"].startswith("Add copies as new projects")
    # the page lists what it found: each project with its rows and total costs
    assert f"{ref} already used" in words(shown)
    # nothing is chosen for the person: confirming without a choice asks for one
    asked = confirm(client, second.headers["Location"])
    assert asked.status_code == 400
    assert page(asked).summary_links == [
        (
            "Choose whether to update the projects whose references are already used, or to "
            "add copies of them",
            "#clash-update",
        )
    ]
    assert count(app, Run) == 1
    confirm(client, second.headers["Location"], clash="suffix")  # a copy, suffixed
    with app.app_context():
        refs = sorted(get_session().scalars(select(Project.project_ref)))
    assert refs == [ref, f"{ref}-2"]
    third = upload(client, sample)
    confirm(client, third.headers["Location"], clash="update")
    with app.app_context():
        projects = get_session().scalars(select(Project).order_by(Project.id)).all()
        assert [p.project_ref for p in projects] == [ref, f"{ref}-2"]
        assert projects[0].revision == 2  # updated from the workbook: a new revision
        assert count(app, Run) == 3


def wait(app: Flask) -> None:
    jobs.wait_for_jobs(app, timeout=120)


def test_background_jobs_check_and_compute_with_progress(app: Flask, client: FlaskClient) -> None:
    app.config["BATCH_BACKGROUND_ABOVE_BYTES"] = 0
    app.config["BATCH_BACKGROUND_ABOVE_PROJECTS"] = 0
    checked = upload(client, PORTFOLIO)
    assert re.fullmatch(r"/jobs/\d+", checked.headers["Location"])
    wait(app)
    check_page = client.get(checked.headers["Location"])  # done: on to the check page
    assert check_page.status_code == 302 and "/batch/" in check_page.headers["Location"]
    computing = confirm(client, check_page.headers["Location"])
    job_url = computing.headers["Location"]
    assert re.fullmatch(r"/jobs/\d+", job_url)
    wait(app)
    finished = client.get(job_url)
    assert finished.status_code == 302 and finished.headers["Location"].endswith("/results")
    assert page(client.get(finished.headers["Location"])).h1 == [
        "Results of portfolio_50_projects.xlsx"
    ]
    with app.app_context():
        job = get_session().get(Job, int(job_url.rsplit("/", 1)[1]))
        assert job is not None
        assert (job.status, job.kind, job.done, job.total) == ("done", "compute", 50, 50)
        assert job.started_at is not None and job.finished_at is not None
        # the job's last stage wrote the results workbook; the download serves that file
        run = get_session().scalars(select(Run)).one()
        upload_row = get_session().scalars(select(Upload)).one()
        kept = result_files.cache_path(run, upload_row)
        assert kept.is_file()
    assert count(app, Run) == 1 and count(app, Project) == 50
    download = client.get(finished.headers["Location"] + ".xlsx")
    assert download.data == kept.read_bytes()


def test_the_job_page_shows_progress_and_refreshes_itself(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        session = get_session()
        job = Job(
            organisation_id=first_organisation(session).id,
            kind="compute",
            status="running",
            stage="Computing the results of each project: 400 of 1,000",
            done=400,
            total=1000,
            worker=jobs.worker_name(),
            heartbeat=utcnow(),
        )
        session.add(job)
        session.commit()
        job_id = job.id
    shown = page(client.get(f"/jobs/{job_id}"))
    accessible(shown)
    # it updates itself only when asked (WCAG 2.2.1: no timed reload by default)
    assert '<meta http-equiv="refresh"' not in shown.text
    auto = client.get(f"/jobs/{job_id}?auto=on").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in auto
    assert '<progress id="job-progress" class="progress" value="400" max="1000">' in shown.text
    assert shown.labels["job-progress"] == "Computing the results of each project: 400 of 1,000"
    assert "400 of 1,000 done" in words(shown)


def test_a_job_that_fails_says_so_and_saves_nothing(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["BATCH_BACKGROUND_ABOVE_PROJECTS"] = 0

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    checked = upload(client, SAMPLES / "hampshire_offset.xlsx")
    monkeypatch.setattr("froi.web.uploads.batch.compute_upload", broken)
    job_url = confirm(client, checked.headers["Location"]).headers["Location"]
    wait(app)
    shown = page(client.get(job_url))
    accessible(shown)
    text = words(shown)
    assert "The work did not finish" in text and "Nothing was saved" in text
    assert "disk on fire" not in text  # no internals shown
    assert "refresh" not in shown.text
    assert count(app, Run) == 0 and count(app, Project) == 0
    with app.app_context():
        assert get_session().scalars(select(Upload.status)).one() == "checked"  # can retry

    def no_longer_valid(*_: object, **__: object) -> None:
        raise InvalidInput([Problem("unit cost code X1 is not in the table")])

    monkeypatch.setattr("froi.web.uploads.batch.compute_upload", no_longer_valid)
    job_url = confirm(client, checked.headers["Location"]).headers["Location"]
    wait(app)
    assert "no longer passes its checks" in words(page(client.get(job_url)))


def test_a_check_job_that_fails_leaves_the_upload_failed(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["BATCH_BACKGROUND_ABOVE_BYTES"] = 0

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("reader crashed")

    monkeypatch.setattr("froi.web.uploads.batch.check_upload", broken)
    job_url = upload(client, SAMPLES / "hampshire_offset.xlsx").headers["Location"]
    wait(app)
    assert "The work did not finish" in words(page(client.get(job_url)))
    with app.app_context():
        upload_id = get_session().scalars(select(Upload.id)).one()
    shown = page(client.get(f"/batch/{upload_id}"))
    accessible(shown)
    assert shown.h1 == ["The work on hampshire_offset.xlsx did not finish"]
    assert "field-file" in shown.ids  # upload it again from here


def test_results_are_turned_into_dicts_a_chunk_at_a_time_exactly() -> None:
    results = compute_workbook(PORTFOLIO, load_reference())
    whole = json.dumps(results.to_dict(), sort_keys=True)
    assert json.dumps(results_dict(results, chunk=7), sort_keys=True) == whole


def test_a_big_run_page_draws_ten_projects_at_a_time(app: Flask, client: FlaskClient) -> None:
    upload_and_confirm(client)
    with app.app_context():
        run = get_session().scalars(select(Run)).one()
        assert len(run.results["projects"]) == 50

    def sections(shown: Page) -> list[int]:
        return [int(i.split("-")[1]) for i in shown.ids if re.fullmatch(r"results-\d+", i)]

    first = page(client.get(f"/runs/{run.id}"))
    assert sections(first) == list(range(10))
    assert "Projects 1 to 10 of 50." in words(first)
    last = page(client.get(f"/runs/{run.id}?page=5"))
    assert sections(last) == list(range(40, 50))
    assert ("Page 4", f"/runs/{run.id}?page=4#what-came-out") in last.links
    # each project's downloads keep its number in the run
    assert any(href.startswith(f"/runs/{run.id}/projects/49/") for _, href in last.links)
    beyond = page(client.get(f"/runs/{run.id}?page=99"))
    assert sections(beyond) == list(range(40, 50))


@pytest.mark.parametrize("background", [False, True], ids=["in the request", "in a job"])
def test_a_failure_after_the_projects_are_written_leaves_nothing_half_saved(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, background: bool
) -> None:
    """The projects are flushed before the run is made: a failure then rolls them back."""
    app.config["BATCH_BACKGROUND_ABOVE_PROJECTS"] = 0 if background else 10**6
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the 500 page, as a person would see it
    checked = upload(client, PORTFOLIO)
    assert checked.status_code == 302 and "/batch/" in checked.headers["Location"]
    reached: list[bool] = []

    def fail_after_flush(*_: object, **__: object) -> None:
        reached.append(True)  # the 50 projects are flushed, not yet committed
        raise RuntimeError("the database went away")

    monkeypatch.setattr("froi.web.uploads.work.new_run", fail_after_flush)
    response = confirm(client, checked.headers["Location"])
    if background:
        wait(app)
        text = words(page(client.get(response.headers["Location"])))
        assert "The work did not finish" in text and "Nothing was saved" in text
    else:
        assert response.status_code == 500
    assert reached == [True]
    assert count(app, Run) == 0 and count(app, Project) == 0
    with app.app_context():
        assert get_session().scalars(select(Upload.status)).one() == "checked"  # can retry
    monkeypatch.undo()
    done = confirm(client, checked.headers["Location"])
    if background:
        wait(app)
    assert count(app, Run) == 1 and count(app, Project) == 50
    assert done.status_code == 302


def test_a_large_upload_goes_to_a_job_at_the_default_thresholds(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    """Over 1 MB (the default), the upload answers at once with its job page instead of
    checking the workbook in the request; the job then leads to the check page."""
    from bench.common import portfolio
    from froi.workbook.template import write_input_workbook

    assert app.config["BATCH_BACKGROUND_ABOVE_BYTES"] == 1024 * 1024
    path = tmp_path / "large.xlsx"
    write_input_workbook(portfolio(load_reference(), 1000, 20, 5), path)
    assert path.stat().st_size > 1024 * 1024
    # encoded in memory: the test client would spool a body this large to a temporary
    # file it never closes
    form = page(client.get("/batch/")).hidden()
    boundary, body = encode_multipart(
        {**form, "file": FileStorage(io.BytesIO(path.read_bytes()), filename=path.name)}
    )
    checked = client.post(
        "/batch/", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert re.fullmatch(r"/jobs/\d+", checked.headers["Location"])
    wait(app)
    done = client.get(checked.headers["Location"])
    assert done.status_code == 302 and re.fullmatch(r"/batch/\d+", done.headers["Location"])
    assert "Check and confirm large.xlsx" in page(client.get(done.headers["Location"])).h1


def test_the_check_page_lists_each_project_and_names_unrecognised_columns(
    client: FlaskClient, tmp_path: Path
) -> None:
    book = openpyxl.load_workbook(SAMPLES / "edge_of_care_appraisal.xlsx")
    costs = book["Costs"]
    costs.cell(1, costs.max_column + 1).value = "Budget code"
    path = tmp_path / "with_a_column_of_its_own.xlsx"
    book.save(path)
    shown = page(client.get(upload(client, path).headers["Location"]))
    text = words(shown)
    assert "1 column was not recognised and will be ignored" in text
    assert re.search(r"Column Budget code at Costs!\w+1", text), text
    # each project: reference, name, type, rows and total costs at base-year prices
    assert re.search(r"EOC-HUB Edge of care hub Appraisal 16 £1,273,6\d\d", text), text[
        text.find("The projects found") :
    ][:400]
