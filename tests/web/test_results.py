"""Results pages: the engine's figures, in words and charts, each chart with its numbers."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from calculator.engine import compute
from calculator.reference import load_reference
from froi.web.core.db import get_session
from froi.web.core.formatting import money, ratio
from froi.web.core.models import Job, Run
from froi.web.uploads import jobs

from .conftest import SAMPLES
from .pages import cost_form, page, see_results, submit
from .test_projects import create


def import_sample(client: FlaskClient, name: str) -> str:
    """Import a sample input through the import page; return the project's address."""
    form = page(client.get("/projects/import")).hidden()
    response = client.post(
        "/projects/import",
        data={**form, "file": (io.BytesIO((SAMPLES / name).read_bytes()), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return str(response.headers["Location"])


def headline(html: str) -> dict[str, str]:
    """The headline figures of a results page, by name; each name links to the glossary."""
    pairs = re.findall(
        r'<dt><a class="term-link" href="/glossary#[a-z-]+">([^<]+)<span class="visually-hidden">'
        r' \(what this means\)</span></a></dt>\s*<dd class="headline-value">([^<]+)</dd>',
        html,
    )
    return {name: value.replace("&#39;", "'") for name, value in pairs}


def latest_run(app: Flask) -> Run:
    with app.app_context():
        run = get_session().scalars(select(Run).order_by(Run.id.desc())).first()
        assert run is not None
        return run


def test_froi_of_a_project_made_through_the_forms(app: Flask, client: FlaskClient) -> None:
    location = create(client, project_id="FORM-1", participants="40")
    submit(
        client,
        f"{location}/costs/new",
        cost_form({"amount": "60000", "agency": "Local Authority", "action": "save"}),
    )
    submit(
        client,
        f"{location}/outcomes/new",
        {
            "unit_cost_code": "SS3.0",
            "cohort": "40",
            "success": "0.3",
            "quantity": "26",
            "action": "save",
        },
    )
    response = see_results(client, location)
    assert response.status_code == 200
    doc = {
        "settings": {},
        "projects": [
            {
                "project_id": "FORM-1",
                "participants": 40,
                "costs": [{"amount": 60000, "agency": "Local Authority"}],
                "outcomes": [
                    {"unit_cost_code": "SS3.0", "cohort": 40, "success": 0.3, "quantity": 26}
                ],
            }
        ],
    }
    direct = compute(doc, load_reference()).to_dict()["projects"][0]
    figures = headline(response.get_data(as_text=True))
    assert figures["Fiscal return on investment (FROI)"] == ratio(direct["froi"])
    assert figures["Net present value (NPV)"] == money(direct["npv"])
    assert figures["Net budget impact"] == money(direct["net_fiscal_benefit"])
    stored = latest_run(app).results["projects"][0]
    for key in ("froi", "npv", "pv_costs", "pv_fiscal", "net_fiscal_benefit"):
        assert math.isclose(stored[key], direct[key], rel_tol=1e-9), key


def test_the_worked_example_of_the_readme(app: Flask, client: FlaskClient) -> None:
    location = import_sample(client, "edge_of_care_appraisal.json")
    html = see_results(client, location).get_data(as_text=True)
    figures = headline(html)
    assert figures["Fiscal return on investment (FROI)"] == "£1.45 per £1"
    assert figures["Net present value (NPV)"] == "£544,281"
    assert figures["Net budget impact"] == "£544,281"
    assert figures["Payback"] == "Year 2 (the third year)"
    assert figures["Value for money"] == "Low"  # the band in words, not a colour
    assert figures["Present value of costs"] == "£1,220,372"
    assert figures["Cost per participant"] == "£10,170"
    assert "Net return £0.45 per £1." in html
    # who pays and who saves, cashable or not
    for agency, saves in (
        ("Local Authority", "£1,655,720"),
        ("DWP", "£60,189"),
        ("NHS", "£30,219"),
        ("Criminal Justice System", "£18,524"),
    ):
        assert re.search(rf"<th scope=\"row\">{agency}</th>.*?{saves}", html, re.S), agency
    # the cash-flow chart marks the payback year, and says so in words too
    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg is not None and "Payback: year 2" in svg.group(0)
    assert "Payback in year 2." in svg.group(0)
    # switching values, outcomes and warnings sections are there
    assert "Switching value (success rate for FROI of 1)" in html


def test_every_chart_offers_its_numbers_as_csv(app: Flask, client: FlaskClient) -> None:
    location = import_sample(client, "edge_of_care_appraisal.json")
    html = see_results(client, location).get_data(as_text=True)
    run = latest_run(app)
    for name in ("cashflow", "agencies", "outcomes", "costs"):
        url = f"/runs/{run.id}/projects/0/{name}.csv"
        assert f'href="{url}"' in html
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/runs/{run.id}/projects/0/cashflow.csv").get_data(as_text=True)
            )
        )
    )
    years = run.results["projects"][0]["years"]
    assert [float(r["Cumulative net position"]) for r in rows] == [
        y["cumulative_fiscal_net"] for y in years
    ]
    agencies = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/runs/{run.id}/projects/0/agencies.csv").get_data(as_text=True)
            )
        )
    )
    total_cashable = sum(float(a["Of which cashable"]) for a in agencies)
    assert math.isclose(
        total_cashable, run.results["projects"][0]["pv_fiscal_cashable"], abs_tol=1e-6
    )
    assert client.get(f"/runs/{run.id}/projects/0/nothing.csv").status_code == 404


def test_csv_text_cannot_run_as_a_formula(app: Flask, client: FlaskClient) -> None:
    location = create(client, project_id="CSV-1")
    submit(
        client,
        f"{location}/costs/new",
        # an agency must be one of the run's, so the hostile text is the cost's description
        cost_form(
            {
                "amount": "100",
                "agency": "Local Authority",
                "description": '=HYPERLINK("http://x")',
                "action": "save",
            }
        ),
    )
    see_results(client, location)
    body = client.get(f"/runs/{latest_run(app).id}/projects/0/costs.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def test_comparison_figures(client: FlaskClient) -> None:
    location = import_sample(client, "comparison_group_study.json")
    figures = headline(see_results(client, location).get_data(as_text=True))
    direct = compute(
        json.loads((SAMPLES / "comparison_group_study.json").read_text()), load_reference()
    ).to_dict()["projects"][0]
    assert figures["Costs avoided per case"] == money(direct["costs_avoided_per_case"])
    assert figures["Costs-avoided ratio (FROI)"] == ratio(direct["froi"])
    assert figures["Net saving per case"] == money(direct["net_saving_per_case"])


def test_case_level_figures(client: FlaskClient) -> None:
    location = import_sample(client, "enfield_case_level.json")
    html = see_results(client, location).get_data(as_text=True)
    figures = headline(html)
    assert figures["Observed FROI"] == "£2.99 per £1"
    assert figures["Sample confidence level"] == "87.6%"
    assert figures["Projected annual FROI"] == "£1.98 per £1"
    assert "95% bootstrap interval £" in html


def test_uncertainty_from_the_query_or_the_settings(app: Flask, client: FlaskClient) -> None:
    location = import_sample(client, "edge_of_care_appraisal.json")
    html = see_results(client, location, simulations="300").get_data(as_text=True)
    figures = headline(html)
    assert figures["Chance that FROI is at least £1 per £1"].endswith("%")
    assert figures["Simulations"] == "300"
    assert "FROI with each input at its low and high end, largest swing first" in html
    tornado = re.findall(r"<svg.*?</svg>", html, re.S)[-1]
    assert "How FROI moves with each uncertain input" in tornado
    assert tornado.count("<rect x=") == 12  # the twelve largest swings; the table has all
    (spread,) = [s for s in re.findall(r"<svg.*?</svg>", html, re.S) if "spread" in s]
    assert "Break-even: £1 per £1" in spread and "300 simulations of FROI" in spread
    run = latest_run(app)
    uncertainty = run.results["projects"][0]["uncertainty"]
    assert run.settings["simulations"] == 300 and uncertainty["tornado"]
    assert figures["Chance that FROI is at least £1 per £1"] == (
        f"{uncertainty['prob_froi_at_least_1'] * 100:.1f}%"
    )
    # a bad number of simulations is refused beside the field, nothing computed
    for response in (
        see_results(client, location, simulations="lots"),
        client.get(f"{location}/results", query_string={"simulations": "lots"}),
    ):
        shown = page(response)
        assert shown.field_errors["field-simulations"].startswith(
            "Number of simulations must be a whole number"
        )
    # more than the service computes at once is refused too, saying the limit
    app.config["MAX_SIMULATIONS"] = 1000
    shown = page(see_results(client, location, simulations="5000"))
    assert shown.field_errors["field-simulations"].startswith(
        "This service computes at most 1,000 simulations at a time; 5,000 were asked for"
    )
    # viewing with ?simulations= reads the stored run, or says none is stored: never
    # computes (a GET costs no CPU and records nothing)
    again = client.get(f"{location}/results", query_string={"simulations": "300"})
    assert headline(again.get_data(as_text=True))["Simulations"] == "300"
    unseen = page(client.get(f"{location}/results", query_string={"simulations": "900"}))
    assert "have not been calculated yet with 900 simulations" in unseen.text
    assert latest_run(app).id == run.id
    # set on the project, the analysis runs on every visit
    edit = page(client.get(f"{location}/edit"))
    # (the type of analysis is a set of radios: the checked one is the project's own)
    values = {
        c.name: c.value for c in edit.controls if c.name and c.type not in ("hidden", "radio")
    }
    values["mode"] = "appraisal"
    submit(client, f"{location}/edit", {**values, "settings-simulations": "200"})
    html = see_results(client, location).get_data(as_text=True)
    assert headline(html)["Simulations"] == "200"


def test_engine_problems_are_summarised_with_a_link_to_the_field(client: FlaskClient) -> None:
    location = create(client, project_id="CMP-1", mode="comparison")
    response = see_results(client, location)
    shown = page(response)
    assert response.status_code == 200
    assert (
        "A comparison project needs ‘cases in the intervention group’ greater than 0",
        f"{location}/edit#field-intervention_cases",
    ) in shown.summary_links
    project_page = page(client.get(location))
    assert any(
        href == f"{location}/edit#field-intervention_cases" for _, href in project_page.links
    )


def _runs(app: Flask) -> int:
    with app.app_context():
        return len(get_session().scalars(select(Run.id)).all())


def test_viewing_results_never_records_a_run_and_reuses_the_last(
    app: Flask, client: FlaskClient, viewer_client: FlaskClient
) -> None:
    location = import_sample(client, "edge_of_care_appraisal.json")
    # nothing calculated yet: the page says so and offers an analyst the button
    first = page(client.get(f"{location}/results"))
    assert "have not been calculated yet" in first.text and _runs(app) == 0
    assert "Calculate the results" in first.text
    viewer_page = page(viewer_client.get(f"{location}/results"))
    assert "An analyst of your organisation can calculate them" in viewer_page.text
    assert viewer_client.post(f"{location}/results", data=viewer_page.hidden()).status_code in (
        400,
        403,
    )
    figures = headline(see_results(client, location).get_data(as_text=True))
    assert _runs(app) == 1
    for _ in range(3):  # viewing (and asking again) with nothing changed reuses the run
        assert headline(client.get(f"{location}/results").get_data(as_text=True)) == figures
        assert headline(viewer_client.get(f"{location}/results").get_data(as_text=True)) == figures
        see_results(client, location)
    assert _runs(app) == 1
    # a change makes the stored run out of date: viewing says so, asking records a new one
    submit(
        client, f"{location}/costs/new", cost_form({"amount": "5000", "agency": "Local Authority"})
    )
    assert "have not been calculated yet" in page(client.get(f"{location}/results")).text
    assert _runs(app) == 1
    changed = headline(see_results(client, location).get_data(as_text=True))
    assert changed != figures and _runs(app) == 2


def test_calculating_stores_the_projects_check_from_the_same_reading(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Calculating a project's results reads its input once for the run and its stored
    check (the project page's problems), which is then the check of that revision as
    checking afresh gives it; a project with problems has them stored the same way."""
    from calculator import inputs
    from froi.web.core import running
    from froi.web.core.models import Project, ProjectSummary
    from froi.web.core.summaries import project_problems

    good = import_sample(client, "edge_of_care_appraisal.json")
    bad = create(client, project_id="CMP-2", mode="comparison")
    with app.app_context():  # as a project from before stored checks: none kept
        session = get_session()
        for row in session.scalars(select(ProjectSummary)):
            session.delete(row)
        session.commit()
    reads: list[object] = []

    def counted(doc: object, reference: object) -> object:
        reads.append(doc)
        return inputs.read_input(doc, reference)  # type: ignore[arg-type]

    monkeypatch.setattr(running, "read_input", counted)
    for location, expected in ((good, 302), (bad, 200)):
        token = page(client.get(f"{location}/results")).hidden()["csrf_token"]
        reads.clear()
        response = client.post(f"{location}/results", data={"csrf_token": token})
        assert response.status_code == expected
        assert len(reads) == 1
    monkeypatch.undo()
    with app.app_context():
        session = get_session()
        for location in (good, bad):
            project = session.get(Project, int(location.rsplit("/", 1)[1]))
            assert project is not None
            stored = session.scalars(
                select(ProjectSummary).where(ProjectSummary.project_id == project.id)
            ).one()
            assert stored.revision == project.revision
            fresh = running.check_input(session, project.input_doc(), project.organisation_id)
            assert project_problems(session, project) == fresh
        assert any(p.severity == "error" for p in project_problems(session, project))


def test_a_large_monte_carlo_is_a_job_with_its_stages_then_the_results(
    app: Flask, client: FlaskClient
) -> None:
    """Above BACKGROUND_ABOVE_SIMULATIONS, "Calculate the results" queues a job acting as
    the person who asked; its page leads to the results; delivered twice it records one
    run; asked again with nothing changed, no job (the stored run is shown)."""
    location = import_sample(client, "edge_of_care_appraisal.json")
    app.config["BACKGROUND_ABOVE_SIMULATIONS"] = 500
    token = page(client.get(f"{location}/results")).hidden()["csrf_token"]
    started = client.post(f"{location}/results", data={"csrf_token": token, "simulations": "2000"})
    job_url = started.headers["Location"]
    assert re.fullmatch(r"/jobs/\d+", job_url)
    job_id = int(job_url.rsplit("/", 1)[1])
    shown = page(client.get(job_url))
    assert shown.h1 in (["Calculating the results of EOC-HUB"], [])  # [] once redirected
    jobs.wait_for_jobs(app, timeout=120)
    with app.app_context():
        job = get_session().get(Job, job_id)
        assert job is not None
        assert (job.kind, job.status, job.attempts) == ("calculate", "done", 1)
        assert (job.done, job.total) == (2000, 2000) and job.run_id is not None
        run = get_session().get(Run, job.run_id)
        assert run is not None and run.user_name == "analyst@la.example"
        assert run.settings["simulations"] == 2000
    done = client.get(job_url)
    assert done.headers["Location"] == f"{location}/results?simulations=2000"
    html = client.get(done.headers["Location"]).get_data(as_text=True)
    assert headline(html)["Simulations"] == "2,000"
    jobs._send(app, job_id)  # delivered twice: nothing recorded twice
    jobs.wait_for_jobs(app, timeout=60)
    assert _runs(app) == 1
    again = client.post(f"{location}/results", data={"csrf_token": token, "simulations": "2000"})
    assert again.headers["Location"] == f"{location}/results?simulations=2000"  # no job
    assert _runs(app) == 1
    # at or below the threshold it is computed within the request, as before
    within = client.post(f"{location}/results", data={"csrf_token": token, "simulations": "500"})
    assert within.headers["Location"] == f"{location}/results?simulations=500"
    assert _runs(app) == 2


def test_the_same_large_monte_carlo_asked_for_twice_is_one_job(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double click (or two analysts) on "Calculate the results" while the first is still
    queued or running: no second job (two workers would each find no stored run and each
    record one); the second request is shown the first job, with a message."""
    sent: list[int] = []
    monkeypatch.setattr(jobs, "_enqueue", lambda _a, _t, *args: sent.append(int(args[0])))
    location = import_sample(client, "edge_of_care_appraisal.json")
    app.config["BACKGROUND_ABOVE_SIMULATIONS"] = 500
    token = page(client.get(f"{location}/results")).hidden()["csrf_token"]
    asked = {"csrf_token": token, "simulations": "2000"}
    first = client.post(f"{location}/results", data=asked).headers["Location"]
    second = client.post(f"{location}/results", data=asked)
    assert second.headers["Location"] == first
    shown = client.get(first).get_data(as_text=True)
    assert "The same calculation of EOC-HUB (with these simulations) is already running" in shown
    other = client.post(f"{location}/results", data={**asked, "simulations": "3000"})
    assert other.headers["Location"] != first  # other settings: a job of its own
    assert len(sent) == 2
    with app.app_context():
        assert len(get_session().scalars(select(Job.id)).all()) == 2


def test_a_large_monte_carlo_of_a_project_with_problems_shows_them_without_a_job(
    app: Flask, client: FlaskClient
) -> None:
    app.config["BACKGROUND_ABOVE_SIMULATIONS"] = 0
    location = create(client, project_id="CMP-2", mode="comparison")
    shown = page(see_results(client, location, simulations="100"))
    assert any("cases in the intervention group" in text for text, _ in shown.summary_links)
    with app.app_context():
        assert get_session().scalars(select(Job.id)).all() == []
