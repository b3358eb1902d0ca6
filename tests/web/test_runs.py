"""Every calculation is stored as a run, and a stored run re-runs to the same figures."""

from __future__ import annotations

import copy
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from calculator import ENGINE_VERSION
from calculator.engine import input_hash
from calculator.reference import load_reference
from froi.web.core.db import get_session
from froi.web.core.formatting import date_time
from froi.web.core.models import Run
from froi.web.core.reference import current_table
from froi.web.core.running import differences

from .pages import cost_form, page, see_results, submit
from .test_projects import create
from .test_results import import_sample, latest_run


def test_a_run_records_what_went_in(app: Flask, client: FlaskClient) -> None:
    location = import_sample(client, "edge_of_care_appraisal.json")
    see_results(client, location)
    run = latest_run(app)
    shipped = load_reference().unit_costs
    assert (run.unit_cost_table_name, run.unit_cost_table_version, run.unit_cost_table_sha256) == (
        shipped.meta.name,
        shipped.meta.version,
        shipped.sha256,
    )
    assert run.results["run"]["unit_cost_table"]["sha256"] == shipped.sha256
    assert run.engine_version == ENGINE_VERSION
    assert run.input_sha256 == input_hash(run.input_doc)
    assert run.input_doc["projects"][0]["project_id"] == "EOC-HUB"
    assert run.settings["base_year"] == run.results["run"]["base_year"]
    # the signed-in user recorded as who ran it (was the configured RUN_USER)
    assert run.user_name == "analyst@la.example" and run.project_ref == "EOC-HUB"
    html = client.get(f"/runs/{run.id}").get_data(as_text=True)
    for shown in (shipped.sha256, run.input_sha256, shipped.meta.version, ENGINE_VERSION):
        assert shown in html
    downloaded = client.get(f"/runs/{run.id}/input.json")
    assert json.loads(downloaded.get_data(as_text=True)) == run.input_doc
    listing = page(client.get("/runs/"))
    assert (f"Run {run.id}", f"/runs/{run.id}") in listing.links


def test_a_rerun_reproduces_every_figure(app: Flask, client: FlaskClient) -> None:
    location = import_sample(client, "enfield_case_level.json")
    see_results(client, location)
    original = latest_run(app)
    response = submit(client, f"/runs/{original.id}", {}, action=f"/runs/{original.id}/rerun")
    assert response.status_code == 302
    again = latest_run(app)
    assert again.id != original.id and again.rerun_of_id == original.id
    assert again.reproduced is True
    assert differences(original.results, again.results) == []
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Reproduced" in html and "every figure is the same" in html


def test_a_rerun_that_differs_names_the_figures(app: Flask, client: FlaskClient) -> None:
    location = import_sample(client, "comparison_group_study.json")
    see_results(client, location)
    run = latest_run(app)
    with app.app_context():  # tamper with the record, as a changed engine would show up
        session = get_session()
        stored = session.get(Run, run.id)
        assert stored is not None
        results = copy.deepcopy(stored.results)
        results["projects"][0]["froi"] *= 1 + 1e-6
        stored.results = results
        session.commit()
    response = submit(client, f"/runs/{run.id}", {}, action=f"/runs/{run.id}/rerun")
    again = latest_run(app)
    assert again.reproduced is False
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    ref = results["projects"][0]["project_id"]
    assert "Not reproduced" in html and f'<th scope="row">Project {ref}, FROI</th>' in html
    # a change smaller than the rounding is shown to nine significant figures
    shown = re.findall(r"Project [^<]*, FROI</th><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)<", html)
    assert shown and shown[0][0] != shown[0][1] and len(shown[0][0]) < 14, shown


def test_differences_are_within_a_relative_1e_9() -> None:
    stored = {"run": {"computed_at": "a"}, "projects": [{"froi": 1.5, "band": "low", "n": None}]}
    same = {
        "run": {"computed_at": "b"},
        "projects": [{"froi": 1.5 * (1 + 5e-10), "band": "low", "n": None}],
    }
    assert differences(stored, same) == []
    moved = copy.deepcopy(same)
    moved["projects"][0]["froi"] = 1.5 * (1 + 2e-9)
    moved["projects"][0]["band"] = "medium"
    moved["projects"][0]["n"] = 0.0
    assert [d.path for d in differences(stored, moved)] == [
        "projects[0].band",
        "projects[0].froi",
        "projects[0].n",
    ]
    assert [d.path for d in differences(stored, {"run": {}, "projects": []})] == [
        "projects",
        "run.computed_at",
    ]
    assert [d.path for d in differences({"x": True}, {"x": 1})] == ["x"]


def test_pages_give_the_time_of_a_run_as_22_november_2026(app: Flask, client: FlaskClient) -> None:
    location = import_sample(client, "edge_of_care_appraisal.json")
    results_html = see_results(client, location).get_data(as_text=True)
    run = latest_run(app)
    when = date_time(run.computed_at)
    day = run.computed_at
    assert when.startswith(f"{day.day} {day:%B} {day.year} at {day:%H:%M}")
    assert f"Computed {when} on unit cost table" in results_html
    assert when in page(client.get(f"/runs/{run.id}")).text
    assert f"<td>{when}</td>" in page(client.get("/runs/")).text


def test_the_runs_list_pages_in_the_database_and_names_the_table(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from froi.web.runs import routes

    monkeypatch.setattr(routes, "PAGE_SIZE", 2)
    location = create(client, project_id="LIST-1", name="Listed")
    submit(
        client, f"{location}/costs/new", cost_form({"amount": "100", "agency": "Local Authority"})
    )
    for amount in ("200", "300"):  # each change, then asking, records a run
        submit(
            client,
            f"{location}/costs/1/edit",
            cost_form({"amount": amount, "agency": "Local Authority"}),
        )
        see_results(client, location)
    see_results(client, location)  # nothing changed: no new run
    first = page(client.get("/runs/"))
    assert "Runs 1 to 2 of 2, newest first." in first.text
    table = first.text.split("<tbody>")[1]
    with app.app_context():
        in_use = current_table(get_session(), None)
    assert table.count(f"{in_use.name}, version {in_use.version} (national)") == 2, table
    assert "not available" not in table  # the FROI comes from the run's own column
    # a third run: the second page holds the oldest
    submit(
        client,
        f"{location}/costs/1/edit",
        cost_form({"amount": "400", "agency": "Local Authority"}),
    )
    see_results(client, location)
    second = page(client.get("/runs/?page=2"))
    assert "Runs 3 to 3 of 3" in second.text and 'aria-current="page">Page 2' in second.text
    with app.app_context():
        oldest = get_session().scalars(select(Run).order_by(Run.id)).first()
        assert oldest is not None and f"/runs/{oldest.id}" in second.text
        assert oldest.project_count == 1 and oldest.froi == oldest.results["projects"][0]["froi"]


def test_what_differs_is_said_in_words_with_rounded_money() -> None:
    from froi.web.runs.differences import in_words

    stored = {
        "run": {"engine_version": "1.0"},
        "projects": [
            {
                "project_id": "EOC-01",
                "froi": 1.8412345678901,
                "fiscal_by_agency": {"Local Authority": 1810344.447087125},
                "outcomes": [{"description": "Fewer care entries", "pv_fiscal": 1000.123456}],
                "years": [{"t": 0, "costs": 5.5}, {"t": 1, "costs": 12.25}],
            }
        ],
    }
    now = copy.deepcopy(stored)
    now["run"]["engine_version"] = "1.1"
    p = now["projects"][0]
    p["froi"], p["fiscal_by_agency"]["Local Authority"] = 1.79, 1790120.4
    p["outcomes"][0]["pv_fiscal"], p["years"][1]["costs"] = 990.6, 13.0
    words = [(c.figure, c.before, c.now) for c in in_words(differences(stored, now), stored)]
    assert words == [
        ("Project EOC-01, fiscal benefits by agency, Local Authority", "£1,810,344", "£1,790,120"),
        ("Project EOC-01, FROI", "£1.84 per £1", "£1.79 per £1"),
        (
            "Project EOC-01, outcome 1 (Fewer care entries), present value of fiscal benefits",
            "£1,000",
            "£991",
        ),
        ("Project EOC-01, year 1, costs", "£12", "£13"),
        ("The run's record, calculator version", "1.0", "1.1"),
    ]
