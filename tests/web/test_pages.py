"""Every page: 200, one <main>, one <h1>, a label for every input, unique ids.

Read with the standard library's html.parser, as a screen reader would meet the page:
the checks are structural (WCAG 2.2 AA's labels, headings, name and role); colour
contrast and focus order need a browser and come with the Chromium and axe tests.
"""

from __future__ import annotations

from collections import Counter

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .pages import Page, see_results, submit
from .test_projects import create
from .test_results import import_sample, latest_run


def _check(client: FlaskClient, url: str, html: str | None = None) -> None:
    if html is None:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
    shown = Page(html)
    assert shown.mains == 1, url
    assert len(shown.h1) == 1 and shown.h1[0], url
    assert shown.unlabelled() == [], url
    duplicated = [i for i, n in Counter(shown.ids).items() if n > 1]
    assert duplicated == [], url
    for control in shown.controls:
        for target in control.described_by.split():
            assert target in shown.ids, (url, control.name, target)
    assert 'lang="en-GB"' in html and 'class="skip-link"' in html


@pytest.fixture
def projects(client: FlaskClient) -> dict[str, str]:
    appraisal = import_sample(client, "edge_of_care_appraisal.json")
    return {
        "appraisal": appraisal,
        "comparison": import_sample(client, "comparison_group_study.json"),
        "case_level": import_sample(client, "enfield_case_level.json"),
        "empty": create(client, project_id="EMPTY"),
    }


def test_every_page(app: Flask, client: FlaskClient, projects: dict[str, str]) -> None:
    urls = [
        "/projects/",
        "/projects/?q=edge",
        "/projects/?q=zzz",
        "/projects/new",
        "/projects/import",
        "/unit-costs/",
        "/unit-costs/?q=foster",
        "/runs/",
    ]
    for kind, location in projects.items():
        urls += [
            location,
            f"{location}/edit",
            f"{location}/copy",
            f"{location}/delete",
            f"{location}/results",
        ]
        for list_name in ("costs", "outcomes", "cases", "intervention_usage", "teams"):
            urls.append(f"{location}/{list_name}/new")
        if kind != "empty":
            first_list = "cases" if kind == "case_level" else "costs"
            urls += [f"{location}/{first_list}/1/edit", f"{location}/{first_list}/1/delete"]
    urls.append(f"{projects['appraisal']}/results?simulations=200")
    for url in urls:  # results not yet calculated: the page offering "Calculate"
        _check(client, url)
    for location in projects.values():  # and the results, once calculated
        response = see_results(client, location)
        assert response.status_code == 200, location
        _check(client, f"{location}/results", response.get_data(as_text=True))
    with_simulations = see_results(client, projects["appraisal"], simulations="200")
    _check(client, "results with simulations", with_simulations.get_data(as_text=True))
    run = latest_run(app)
    _check(client, f"/runs/{run.id}")
    rerun = submit(client, f"/runs/{run.id}", {}, action=f"/runs/{run.id}/rerun")
    _check(client, rerun.headers["Location"])


def test_pages_with_errors_and_search_results(
    client: FlaskClient, projects: dict[str, str]
) -> None:
    location = projects["empty"]
    for url, data in (
        ("/projects/new", {"project_id": "", "participants": "x"}),
        (f"{location}/edit", {"project_id": "EMPTY", "settings-simulations": "-1"}),
        (f"{location}/copy", {"project_id": ""}),
        (f"{location}/outcomes/new", {"success": "45", "action": "save"}),
        (f"{location}/outcomes/new", {"search": "foster", "action": "search"}),
    ):
        response = submit(client, url, data)
        assert response.status_code == 200, url
        _check(client, url, response.get_data(as_text=True))
    _check(client, f"{location}/results?simulations=x")
