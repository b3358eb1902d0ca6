"""The portfolio: every project on one basis, sorted, filtered, by theme, exported."""

from __future__ import annotations

import dataclasses
import errno
import io
import math
import re
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from calculator.reference import load_reference
from froi.web.core import retention
from froi.web.core.db import get_session
from froi.web.core.formatting import money, ratio
from froi.web.core.models import Job, Project, ProjectSummary, Run, utcnow
from froi.web.uploads import jobs
from froi.workbook.reader import compute_workbook

from .conftest import first_organisation
from .job_helpers import job_row
from .pages import page
from .test_batch import PORTFOLIO, accessible, upload_and_confirm


def engine_figures() -> dict[str, dict[str, object]]:
    return {
        p["project_id"]: p
        for p in compute_workbook(PORTFOLIO, load_reference()).to_dict()["projects"]
    }


def row_refs(html: str) -> list[str]:
    """Project references of the side-by-side table's rows, in order."""
    body = html.split('id="portfolio-caption"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<th scope="row"><a href="/projects/\d+">([^<]+)</a>', body)


def portfolio_runs(app: Flask) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Run).where(Run.label.like("Portfolio%"))
        return int(get_session().scalar(query) or 0)


def test_every_project_side_by_side_on_one_basis(app: Flask, client: FlaskClient) -> None:
    upload_and_confirm(client)
    response = client.get("/portfolio/")
    shown = page(response)
    accessible(shown)
    assert shown.h1 == ["Portfolio"]
    html = response.get_data(as_text=True)
    assert len(row_refs(html)) == 50
    engine = engine_figures()
    with app.app_context():
        stored = (
            get_session()
            .execute(
                select(Project.project_ref, ProjectSummary).join(
                    ProjectSummary, ProjectSummary.project_id == Project.id
                )
            )
            .all()
        )
        assert len(stored) == 50
        for ref, summary in stored:
            theirs = engine[ref]
            for name, key in (("froi", "froi"), ("npv", "npv"), ("pv_costs", "pv_costs")):
                a, b = getattr(summary, name), theirs.get(key)
                assert (a is None and b is None) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        first = {ref: summary.computed_at for ref, summary in stored}
    # headings sort, with aria-sort on the sorted one; the default is by reference
    assert 'aria-sort="ascending"' in html
    assert row_refs(html) == sorted(engine, key=str.casefold)
    assert portfolio_runs(app) == 0  # viewing records no run
    # viewing again computes nothing; a changed project is the only one computed again
    client.get("/portfolio/")
    with app.app_context():
        session = get_session()
        changed = session.scalars(select(Project).where(Project.project_ref == "PF-07")).one()
        changed.set_doc({**changed.doc, "name": "Renamed"})
        session.commit()
    html = client.get("/portfolio/?q=Renamed").get_data(as_text=True)
    assert row_refs(html) == ["PF-07"]
    with app.app_context():
        again = dict(
            get_session()
            .execute(
                select(Project.project_ref, ProjectSummary.computed_at).join(
                    ProjectSummary, ProjectSummary.project_id == Project.id
                )
            )
            .all()
        )
    assert [ref for ref in first if again[ref] != first[ref]] == ["PF-07"]
    assert portfolio_runs(app) == 0


def test_the_portfolio_pages_in_the_database(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from froi.web.portfolio import data

    upload_and_confirm(client)
    engine = engine_figures()
    monkeypatch.setattr(data, "PAGE_SIZE", 20)
    by_froi = sorted(
        (r for r in engine if engine[r].get("froi") is not None),
        key=lambda r: -float(engine[r]["froi"]),  # type: ignore[arg-type]
    )
    refs: list[str] = []
    for n in (1, 2, 3):
        html = client.get(f"/portfolio/?sort=-froi&page={n}").get_data(as_text=True)
        assert f"page {n} of 3" in html
        refs += row_refs(html)
    assert refs[: len(by_froi)] == by_froi and len(refs) == 50


def test_sorting_by_any_column_both_ways(client: FlaskClient) -> None:
    upload_and_confirm(client)
    engine = engine_figures()
    html = client.get("/portfolio/?sort=-froi").get_data(as_text=True)
    assert re.search(
        r'<th scope="col" class="numeric" aria-sort="descending">\s*<a[^>]*>FROI', html
    )
    with_froi = [r for r in engine if engine[r]["froi"] is not None]
    expected = sorted(with_froi, key=lambda r: -float(engine[r]["froi"]))  # type: ignore[arg-type]
    assert row_refs(html)[: len(expected)] == expected
    ascending = row_refs(client.get("/portfolio/?sort=froi").get_data(as_text=True))
    assert ascending[: len(expected)] == expected[::-1]
    for column in ("mode", "themes", "pv_costs", "pv_fiscal", "npv", "payback", "band", "cashable"):
        response = client.get(f"/portfolio/?sort=-{column}")
        assert response.status_code == 200 and len(row_refs(response.get_data(as_text=True))) == 50


def test_filters_by_mode_theme_and_words(client: FlaskClient) -> None:
    upload_and_confirm(client)
    engine = engine_figures()
    comparison = row_refs(client.get("/portfolio/?mode=comparison").get_data(as_text=True))
    assert sorted(comparison) == sorted(r for r, p in engine.items() if p["mode"] == "comparison")
    assert len(comparison) == 8
    theme = "Reducing youth crime"
    themed = row_refs(client.get(f"/portfolio/?theme={theme}").get_data(as_text=True))
    expected = [
        r
        for r, p in engine.items()
        if any(o.get("outcome_theme") == 7 for o in p.get("outcomes", []))  # type: ignore[union-attr]
    ]
    assert themed and sorted(themed) == sorted(expected)
    one = row_refs(client.get("/portfolio/?q=pf-01").get_data(as_text=True))
    assert one == ["PF-01"]
    shown = page(client.get("/portfolio/?q=nothing-like-this"))
    assert "No project matches the filters" in shown.text
    assert "Showing 0 of 50 projects" in shown.text


def test_the_view_by_outcome_theme(client: FlaskClient) -> None:
    upload_and_confirm(client)
    shown = page(client.get("/portfolio/?view=themes"))
    accessible(shown)
    assert "Present value of fiscal benefits by theme" in shown.text
    assert '<th scope="row">Reducing youth crime</th>' in shown.text


def test_theme_lists_and_totals_are_those_of_every_stored_summary(
    app: Flask, client: FlaskClient
) -> None:
    """The page reads only the summaries that have themes for its theme list and its
    totals by theme: they are what every summary (a project without outcomes among them)
    adds up to, with a filter or without; without one, every computed project matches."""
    from froi.web.portfolio import data

    upload_and_confirm(client)
    form = page(client.get("/projects/new")).hidden()
    assert client.post("/projects/new", data={**form, "project_id": "NO-THEMES"}).status_code == 302
    with app.app_context():
        session = get_session()
        org = first_organisation(session).id
        basis = data.portfolio_summaries(session, org, {})
        stored = session.scalars(
            select(ProjectSummary).where(
                ProjectSummary.basis == basis.key, ProjectSummary.computed.is_(True)
            )
        ).all()
        assert any(not s.themes for s in stored) and any(s.themes for s in stored)
        for filters in ({}, {"mode": "appraisal"}, {"q": "PF-0"}):
            shown = data.summary_page(session, org, basis, filters, "project", False, 1)
            assert shown.total == len(stored)
            rows = [
                s
                for s in stored
                if s.mode == filters.get("mode", s.mode)
                and filters.get("q", "") in session.get(Project, s.project_id).project_ref  # type: ignore[union-attr]
            ]
            assert shown.matching == len(rows)
            totals: dict[str, float] = {}
            counts: dict[str, int] = {}
            for s in rows:
                for theme, value in (s.themes or {}).items():
                    totals[theme] = totals.get(theme, 0.0) + float(value or 0.0)
                    counts[theme] = counts.get(theme, 0) + 1
            expected = {t: (v, counts[t]) for t, v in totals.items()}
            # the same themes and counts; sums added in whatever order the rows came
            assert {t: n for t, _, n in shown.theme_totals} == counts
            for theme, value, _ in shown.theme_totals:
                assert math.isclose(value, expected[theme][0], rel_tol=1e-12)
            assert shown.themes == sorted({t for s in stored for t in s.themes or {}})


def test_export_is_the_filtered_set_as_the_standard_workbook(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    upload_and_confirm(client)
    engine = engine_figures()
    html = client.get("/portfolio/?mode=comparison&sort=-npv").get_data(as_text=True)
    form = re.search(
        r'<form method="post" action="/portfolio/export"[^>]*>(.*?)</form>', html, re.S
    )
    assert form is not None
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))
    assert fields["mode"] == "comparison" and fields["csrf_token"]
    started = client.post("/portfolio/export", data=fields)
    assert started.status_code == 302
    job_url = started.headers["Location"]
    assert re.fullmatch(r"/jobs/\d+", job_url)  # the work is a job on the queue
    jobs.wait_for_jobs(app, timeout=120)
    job = job_row(app, int(job_url.rsplit("/", 1)[1]))
    assert (job.kind, job.status, job.attempts) == ("portfolio_export", "done", 1)
    assert job.params["actor"]["email"] == "analyst@la.example"
    done = page(client.get(job_url))  # progress, then the download
    accessible(done)
    assert done.h1 == ["Exporting the portfolio as the standard workbook"]
    download = f"/portfolio/exports/{job.id}.xlsx"
    assert f'href="{download}"' in done.text and f"run {job.run_id}" in done.text
    kept = list((tmp_path / "results").glob(f"portfolio-run-{job.run_id}-*.xlsx"))
    assert len(kept) == 1  # stored with the other results files
    response = client.get(download)
    assert response.status_code == 200 and response.data == kept[0].read_bytes()
    assert f"portfolio-run-{job.run_id}.xlsx" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data), data_only=True, read_only=True)
    rows = list(book["Summary"].iter_rows(values_only=True))
    rows = rows[[r[0] for r in rows].index("Project #") :]  # the table, under any warnings
    header = list(rows[0])
    ids = [r[header.index("Project ID")] for r in rows[1:] if r[header.index("Project ID")]]
    assert sorted(ids) == sorted(r for r, p in engine.items() if p["mode"] == "comparison")
    froi = header.index("FROI (£ per £1)")
    for r in rows[1:]:
        if r[header.index("Project ID")]:
            expected = engine[r[header.index("Project ID")]]["froi"]
            assert math.isclose(r[froi], expected, rel_tol=1e-9)  # type: ignore[arg-type]
    assert portfolio_runs(app) == 1  # the export's (the page records none)
    with app.app_context():
        run = get_session().get(Run, job.run_id)
        assert run is not None and run.user_name == "analyst@la.example"
    # delivered again (as a queue may): nothing recorded twice
    jobs._send(app, job.id)
    jobs.wait_for_jobs(app, timeout=60)
    assert job_row(app, job.id).attempts == 1 and portfolio_runs(app) == 1
    # a worker that recorded the run and the file and was killed before it could say so:
    # the attempt after it finds the run (the job's run_id), records nothing, writes the file
    kept[0].unlink()
    with app.app_context():
        session = get_session()
        again_job = session.get(Job, job.id)
        assert again_job is not None
        again_job.status, again_job.worker = "running", "another-machine:1:x:y"
        again_job.lease_until, again_job.result_url = utcnow() - timedelta(seconds=1), ""
        session.commit()
    assert jobs.sweep(app).retried == [job.id]
    jobs.wait_for_jobs(app, timeout=60)
    retried = job_row(app, job.id)
    assert (retried.status, retried.attempts, retried.run_id) == ("done", 2, job.run_id)
    assert portfolio_runs(app) == 1 and kept[0].exists()
    rewritten = client.get(download)
    assert summary_values(rewritten.data) == summary_values(response.data)
    # the retention period passes: the file goes, and the download does not write it in
    # the request (at the row limit a minute and most of a gigabyte): it queues the job
    # again, which has its run, so it only writes the file, and shows its page
    purged = retention.purge(app, days=1, now=utcnow() + timedelta(days=2))
    assert kept[0].name in purged.files and not kept[0].exists()
    again = client.get(download)
    assert again.status_code == 302 and again.headers["Location"] == job_url
    told = page(client.get(job_url))
    assert f"The workbook of run {job.run_id} is no longer kept" in told.text
    jobs.wait_for_jobs(app, timeout=60)
    rewritten_job = job_row(app, job.id)
    assert (rewritten_job.status, rewritten_job.run_id) == ("done", job.run_id)
    assert kept[0].exists() and portfolio_runs(app) == 1
    assert f'href="{download}"' in page(client.get(job_url)).text
    again = client.get(download)
    assert again.status_code == 200 and again.is_streamed  # the file, streamed
    assert summary_values(again.data) == summary_values(response.data)
    for opened in (response, rewritten, again):
        opened.close()
    # the export of the same projects again reuses the run: one more job, no new run
    again_job = client.post("/portfolio/export", data=fields).headers["Location"]
    jobs.wait_for_jobs(app, timeout=120)
    second = job_row(app, int(again_job.rsplit("/", 1)[1]))
    assert (second.status, second.run_id) == ("done", job.run_id) and portfolio_runs(app) == 1


def summary_values(body: bytes) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(body), data_only=True, read_only=True)
    return [tuple(r) for r in book["Summary"].iter_rows(values_only=True)]


def test_an_export_whose_workbook_cannot_be_written_says_its_run_was_recorded(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run is recorded (and audited) before the workbook is written: if writing fails
    (a full disk), the job's page must not say "Nothing was saved" but that run N was
    recorded, with a link that writes the workbook again (without a second run)."""
    from froi.web.portfolio import routes

    upload_and_confirm(client)
    write = routes.write_export

    def full_disk(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(routes, "write_export", full_disk)
    token = page(client.get("/portfolio/")).hidden()["csrf_token"]
    job_url = client.post("/portfolio/export", data={"csrf_token": token}).headers["Location"]
    jobs.wait_for_jobs(app, timeout=120)
    job = job_row(app, int(job_url.rsplit("/", 1)[1]))
    assert job.status == "failed" and job.run_id is not None and portfolio_runs(app) == 1
    shown = page(client.get(job_url))
    accessible(shown)
    assert "Nothing was saved" not in shown.text
    assert f"The projects were computed and recorded as run {job.run_id}" in shown.text
    assert "could not be written: The service cannot save anything at the moment (disk full)" in (
        shown.text
    )
    download = f"/portfolio/exports/{job.id}.xlsx"
    assert (f"Write the workbook of run {job.run_id} again", download) in shown.links
    monkeypatch.setattr(routes, "write_export", write)
    again = client.get(download)  # the link: the job again, which only writes the file
    assert again.status_code == 302 and again.headers["Location"] == job_url
    jobs.wait_for_jobs(app, timeout=60)
    done = job_row(app, job.id)
    assert (done.status, done.run_id, done.error) == ("done", job.run_id, "")
    workbook = client.get(download)
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"
    workbook.close()
    assert portfolio_runs(app) == 1


def test_an_export_with_nothing_to_compute_fails_with_a_message(
    app: Flask, client: FlaskClient
) -> None:
    """A portfolio whose every project has problems: the job fails and says what to do;
    nothing is recorded and no download is offered."""
    with app.app_context():
        session = get_session()
        broken = Project(organisation_id=first_organisation(session).id, revision=0)
        broken.set_doc(
            {
                "project_id": "BROKEN-1",
                "outcomes": [{"unit_cost_code": "NO-SUCH-CODE", "cohort": 10, "success": 0.5}],
                "costs": [{"amount": 1000, "year": 0, "agency": "Local Authority"}],
            }
        )
        session.add(broken)
        session.commit()
    token = page(client.get("/portfolio/")).hidden()["csrf_token"]
    job_url = client.post("/portfolio/export", data={"csrf_token": token}).headers["Location"]
    jobs.wait_for_jobs(app, timeout=60)
    job = job_row(app, int(job_url.rsplit("/", 1)[1]))
    assert (job.status, job.run_id) == ("failed", None)
    shown = page(client.get(job_url))
    accessible(shown)
    assert "No project can be computed, so there is nothing to export" in shown.text
    assert 'href="/portfolio/"' in shown.text
    assert client.get(f"/portfolio/exports/{job.id}.xlsx").status_code == 404
    assert portfolio_runs(app) == 0


def test_a_project_with_problems_is_listed_apart_with_a_link(
    app: Flask, client: FlaskClient
) -> None:
    upload_and_confirm(client)
    with app.app_context():
        session = get_session()
        broken = Project(organisation_id=first_organisation(session).id, revision=0)
        broken.set_doc(
            {
                "project_id": "BROKEN-1",
                "name": "Half filled in",
                "outcomes": [{"unit_cost_code": "NO-SUCH-CODE", "cohort": 10, "success": 0.5}],
                "costs": [{"amount": 1000, "year": 0, "agency": "Local Authority"}],
            }
        )
        session.add(broken)
        session.commit()
        broken_id = broken.id
    response = client.get("/portfolio/")
    assert response.status_code == 200
    shown = page(response)
    accessible(shown)
    html = response.get_data(as_text=True)
    assert len(row_refs(html)) == 50  # the others are all there
    left_out = html.split('id="left-out"', 1)[1]
    assert f'href="/projects/{broken_id}">BROKEN-1: Half filled in</a>' in left_out
    assert "NO-SUCH-CODE" in left_out


def test_an_empty_portfolio_says_what_to_do(client: FlaskClient) -> None:
    shown = page(client.get("/portfolio/"))
    accessible(shown)
    assert "There are no projects yet" in shown.text


def test_a_basis_outside_the_tables_is_an_error_beside_the_field(client: FlaskClient) -> None:
    upload_and_confirm(client)
    shown = page(client.get("/portfolio/?base_year=1900-01&appraisal_years=0"))
    assert [href for _, href in shown.summary_links] == [
        "#field-base_year",
        "#field-appraisal_years",
    ]
    assert shown.field_errors["field-appraisal_years"].startswith("appraisal years must be")
    shorter = client.get("/portfolio/?appraisal_years=3").get_data(as_text=True)
    assert "over 3 years" in shorter


def test_figures_and_dates_read_as_the_service_writes_them(app: Flask, client: FlaskClient) -> None:
    """Money as £1,234, FROI as "£1.84 per £1", the run's date as 22 November 2026."""
    upload_and_confirm(client)
    html = client.get("/portfolio/?q=PF-01").get_data(as_text=True)
    assert row_refs(html) == ["PF-01"]
    row = html.split('id="portfolio-caption"', 1)[1].split("</tbody>", 1)[0]
    cells = re.findall(r'<td class="numeric">([^<]*)</td>', row)
    p = engine_figures()["PF-01"]
    assert money(p["pv_costs"]) in cells and money(p["npv"]) in cells
    assert ratio(p["froi"]) in cells
    assert re.fullmatch(r"£\d\.\d\d per £1", ratio(p["froi"]))
    assert re.fullmatch(r"-?£\d{1,3}(,\d{3})+", money(p["pv_costs"]))
    assert "at 2" in html and "prices over 5 years" in html


def test_a_save_stores_the_changed_projects_summaries_at_once(
    app: Flask, client: FlaskClient
) -> None:
    """The few projects a save changes have their check and portfolio summary stored on
    commit, so the next portfolio view computes nothing."""
    from froi.web.portfolio import data

    upload_and_confirm(client)
    client.get("/portfolio/")
    response = client.post(
        "/projects/new",
        data={**page(client.get("/projects/new")).hidden(), "project_id": "NEW-1", "name": "N"},
    )
    assert response.status_code == 302
    with app.app_context():
        session = get_session()
        new = session.scalars(select(Project).where(Project.project_ref == "NEW-1")).one()
        rows = session.scalars(
            select(ProjectSummary).where(ProjectSummary.project_id == new.id)
        ).all()
        assert len(rows) == 2 and {r.revision for r in rows} == {new.revision}
        basis = data.portfolio_summaries(session, first_organisation(session).id, {})
        assert basis.computed_now == 0  # the view reads: nothing left to compute


def test_a_save_checks_a_project_once_for_its_check_and_its_summary(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new project without settings of its own is the same document for its stored
    check and its portfolio summary: the engine reads it once at the save, and both rows
    hold what checking and computing it afresh give.  A project with its own settings is
    two documents, read twice, each stored with its own answer."""
    from calculator import inputs
    from froi.web.core import running
    from froi.web.core.reference import current_table, reference_for
    from froi.web.core.summaries import project_problems
    from froi.web.portfolio import data

    reads: list[object] = []

    def counted(doc: object, reference: object) -> object:
        reads.append(doc)
        return inputs.read_input(doc, reference)  # type: ignore[arg-type]

    monkeypatch.setattr(running, "read_input", counted)
    monkeypatch.setattr(data, "read_input", counted)

    def create(ref: str, **extra: str) -> Project:
        form = {**page(client.get("/projects/new")).hidden(), "project_id": ref, "name": ref}
        reads.clear()
        assert client.post("/projects/new", data={**form, **extra}).status_code == 302
        with app.app_context():
            session = get_session()
            found = session.scalars(select(Project).where(Project.project_ref == ref)).one()
            session.expunge(found)
            return found

    plain = create("ONE-READ")
    assert len(reads) == 1
    own = create("TWO-READS", **{"settings-appraisal_years": "7"})
    assert own.settings.get("appraisal_years") == 7
    assert len(reads) == 2
    monkeypatch.undo()
    with app.app_context():
        session = get_session()
        org = first_organisation(session).id
        table = current_table(session, org)
        for project in (plain, own):
            stored = project_problems(session, session.get(Project, project.id))
            fresh = running.check_input(session, project.input_doc(), org)
            assert stored == fresh and any(p.code == "no_outcomes" for p in stored)
        basis = data.portfolio_summaries(session, org, {})
        assert basis.computed_now == 0  # both stored at the save
        reference = reference_for(table)
        for project in (plain, own):
            summary = session.scalars(
                select(ProjectSummary).where(
                    ProjectSummary.project_id == project.id, ProjectSummary.basis == basis.key
                )
            ).one()
            checked, *_ = data.check([session.get(Project, project.id)], {}, reference)
            assert checked is not None
            again = data.summary_rows(
                data.results_dict(data.compute_run(checked, reference)), reference
            )[0]
            assert (summary.pv_costs, summary.froi, summary.band) == (
                again.pv_costs,
                again.froi,
                again.band[:60],
            )


def test_a_new_project_is_committed_with_its_check_and_summary(app: Flask) -> None:
    """The rows of a project a request adds go in with it, in one commit: no one can see
    the project without them (and compute them again), and nothing is left to refresh at
    the end of the request.  A project changed again after its rows were prepared gets
    none of those (they were of another revision): the refresh after the save computes
    its own; and a batch of more than ``REFRESH_AT_SAVE`` gets none at its save."""
    from flask import g

    from froi.web.core.reference import current_table, reference_for
    from froi.web.core.running import check_input
    from froi.web.core.summaries import basis_key
    from froi.web.portfolio import data

    with app.app_context():
        org = first_organisation(get_session()).id

    def add(session: Session, ref: str) -> Project:
        project = Project(organisation_id=org, settings={})
        project.set_doc({"project_id": ref, "name": ref})
        session.add(project)
        return project

    def rows_of(project_id: int) -> list[ProjectSummary]:
        with app.app_context():
            return list(
                get_session().scalars(
                    select(ProjectSummary).where(ProjectSummary.project_id == project_id)
                )
            )

    with app.test_request_context("/projects/new", method="POST"):
        session = get_session()
        project = add(session, "WITH-ROWS")
        session.commit()
        table = current_table(session, org)
        stored = rows_of(project.id)  # committed, before the request ends
        assert len(stored) == 2 and {r.revision for r in stored} == {project.revision}
        check_key = basis_key(table, reference_for(table), None, "check")
        portfolio_key = basis_key(table, reference_for(table), {}, "portfolio")
        by_basis = {r.basis: r for r in stored}
        fresh = [dataclasses.asdict(p) for p in check_input(session, project.input_doc(), org)]
        assert by_basis[check_key].problems == fresh
        assert by_basis[portfolio_key].computed and by_basis[portfolio_key].mode == "appraisal"
        assert project.id not in g.get("changed_projects", set())  # nothing left to do
        first_id = project.id

        again = add(session, "CHANGED-AGAIN")
        session.flush()  # its rows prepared at revision 1
        again.set_doc({**again.doc, "name": "Renamed before the commit"})
        session.commit()
        assert rows_of(again.id) == []  # none of revision 1
        assert again.id in g.changed_projects  # refreshed at the end of the request
        again_id, again_revision = again.id, again.revision
    after = rows_of(again_id)
    assert len(after) == 2 and {r.revision for r in after} == {again_revision}
    assert len(rows_of(first_id)) == 2

    with app.test_request_context("/batch/1/confirm", method="POST"):
        session = get_session()
        many = [add(session, f"BATCH-{i}") for i in range(data.REFRESH_AT_SAVE + 1)]
        session.commit()  # added in one flush, as a batch is
        assert all(rows_of(p.id) == [] for p in many)


def test_shared_checks_answer_each_document_as_the_engine_does(app: Flask) -> None:
    """``SharedChecks`` reads each distinct document once and gives each its own answer:
    a second document is read, a refused one is refused again, another table is not its."""
    from calculator.errors import InvalidInput
    from calculator.inputs import read_input
    from froi.web.core.reference import current_table, reference_for
    from froi.web.core.running import SharedChecks

    good = {"settings": {}, "projects": [{"project_id": "A", "name": "A"}]}
    other = {"settings": {"appraisal_years": 3}, "projects": [{"project_id": "A", "name": "A"}]}
    bad = {"settings": {}, "projects": [{"project_id": "B", "costs": [{"amount": "x"}]}]}
    with app.app_context():
        session = get_session()
        table = current_table(session, first_organisation(session).id)
        reference = reference_for(table)
        shared = SharedChecks(table, reference)
        first = shared.read(good)
        assert shared.read(dict(reversed(list(good.items())))) is first  # same document
        assert shared.read(other) is not first
        assert shared.read(other).settings.appraisal_years == 3
        assert shared.problems(good) == read_input(good, reference).warnings
        with pytest.raises(InvalidInput) as refused:
            shared.read(bad)
        with pytest.raises(InvalidInput) as again:
            read_input(bad, reference)
        assert shared.problems(bad) == refused.value.problems == again.value.problems
        assert shared.serves(table)
        changed = type(table)(id=table.id, sha256="0" * 64)
        assert not shared.serves(changed)


def test_exporting_is_an_analysts_post_and_viewing_records_nothing(
    app: Flask, client: FlaskClient, viewer_client: FlaskClient
) -> None:
    """Computing the export costs seconds and records a run, so a GET (a link followed, a
    page prefetched) is refused and a viewer gets no button and a 403."""
    upload_and_confirm(client)
    assert client.get("/portfolio/export").status_code == 405
    assert portfolio_runs(app) == 0
    shown = viewer_client.get("/portfolio/").get_data(as_text=True)
    assert "Export as the standard workbook" not in shown
    token = page(viewer_client.get("/portfolio/")).hidden()["csrf_token"]
    refused = viewer_client.post("/portfolio/export", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "To export the portfolio as a workbook you need the role" in refused.get_data(
        as_text=True
    )
    assert portfolio_runs(app) == 0


def test_a_checks_key_needs_only_the_file_reference(app: Flask) -> None:
    """``project_problems`` keys a stored check with the file reference, not the engine's
    copy of the unit cost table (built for nothing on every page): the key is the same."""
    from froi.web.core.reference import app_reference, current_table, reference_for
    from froi.web.core.summaries import basis_key

    with app.app_context():
        session = get_session()
        table = current_table(session, first_organisation(session).id)
        by_file = basis_key(table, app_reference(), None, "check")
        assert by_file == basis_key(table, reference_for(table), None, "check")
        assert by_file != basis_key(table, app_reference(), {"seed": 1}, "check")
