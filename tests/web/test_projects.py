"""Projects: create, search, edit, validation, copy as a scenario, delete, import."""

from __future__ import annotations

import io
import json
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from froi.web.core.db import get_session
from froi.web.core.models import Project, Run

from .conftest import SAMPLES
from .pages import LATEST, cost_form, page, see_results, submit


def create(client: FlaskClient, **fields: str) -> str:
    """Create a project through the form; return its page's address."""
    response = submit(client, "/projects/new", fields)
    assert response.status_code == 302, page(response).field_errors
    return str(response.headers["Location"])


def project_in_db(app: Flask, reference: str) -> Project | None:
    with app.app_context():
        return (
            get_session().scalars(select(Project).where(Project.project_ref == reference)).first()
        )


def test_create_a_project_through_the_form(app: Flask, client: FlaskClient) -> None:
    location = create(
        client,
        project_id="EOC-01",
        name="Edge of care hub",
        organisation="Anytown Council",
        participants="120",
        **{"settings-appraisal_years": "5", "settings-discount": "3.5%"},
    )
    shown = page(client.get(location))
    assert shown.h1 == ["EOC-01: Edge of care hub"]
    stored = project_in_db(app, "EOC-01")
    assert stored is not None
    assert stored.doc == {
        "project_id": "EOC-01",
        "name": "Edge of care hub",
        "organisation": "Anytown Council",
        "participants": 120,
    }
    assert stored.settings == {"appraisal_years": 5, "discount": 0.035}


def test_errors_appear_beside_the_field_and_in_the_summary(client: FlaskClient) -> None:
    response = submit(
        client,
        "/projects/new",
        {"project_id": "", "participants": "-3", "margin_of_error": "45", "settings-seed": "1.5"},
    )
    assert response.status_code == 200
    shown = page(response)
    assert shown.field_errors["field-project_id"] == "Enter the project reference"
    assert shown.field_errors["field-participants"] == (
        "People or families supported must be a number from 0 to 100,000,000; you typed -3"
    )
    assert shown.field_errors["field-margin_of_error"].endswith("Did you mean 45%?")
    assert shown.field_errors["field-settings-seed"] == (
        "Random seed must be a whole number; you typed 1.5"
    )
    # the summary lists each error once, linking to its field, in the page's order
    assert [href for _, href in shown.summary_links] == [
        "#field-project_id",
        "#field-participants",
        "#field-margin_of_error",
        "#field-settings-seed",
    ]
    assert all(href[1:] in shown.ids for _, href in shown.summary_links)
    assert response.get_data(as_text=True).count("<title>Error: ") == 1
    # what was typed comes back, so nothing has to be typed again
    assert shown.value("participants") == "-3"


def test_a_reference_can_only_be_used_once(client: FlaskClient) -> None:
    create(client, project_id="DUP")
    shown = page(submit(client, "/projects/new", {"project_id": "DUP"}))
    assert "already used" in shown.field_errors["field-project_id"]


def test_list_and_search(client: FlaskClient) -> None:
    create(client, project_id="EOC-01", name="Edge of care hub", organisation="Anytown Council")
    create(client, project_id="HCC-PA", name="Personal assistants", organisation="Hampshire")
    create(client, project_id="X_1", name="100% literal", organisation="Elsewhere")

    def found(query: str) -> list[str]:
        shown = page(client.get("/projects/", query_string={"q": query}))
        return sorted(text for text, href in shown.links if re.fullmatch(r"/projects/\d+", href))

    assert found("") == ["EOC-01", "HCC-PA", "X_1"]
    assert found("hampshire") == ["HCC-PA"]  # organisation, any case
    assert found("eoc") == ["EOC-01"]  # reference
    assert found("care hub") == ["EOC-01"]  # every word of the name
    assert found("_") == ["X_1"]  # LIKE wildcards are taken literally
    assert found("%") == ["X_1"]
    assert found("nothing like this") == []


def test_edit_details_keeps_the_lists(app: Flask, client: FlaskClient) -> None:
    location = create(client, project_id="ED-1", name="Before")
    project_id = location.rsplit("/", 1)[1]
    submit(
        client,
        f"/projects/{project_id}/costs/new",
        cost_form({"amount": "1000", "agency": "Local Authority", "action": "save"}),
    )
    response = submit(
        client,
        f"/projects/{project_id}/edit",
        {"project_id": "ED-1", "name": "After", "mode": "appraisal"},
    )
    assert response.status_code == 302
    stored = project_in_db(app, "ED-1")
    assert stored is not None
    assert stored.name == "After" and stored.doc["mode"] == "appraisal"
    # an amount entered without a price year keeps the base year it was entered in
    assert stored.doc["costs"] == [
        {"amount": 1000, "agency": "Local Authority", "price_year": LATEST}
    ]


def test_a_stale_form_does_not_overwrite_a_newer_save(app: Flask, client: FlaskClient) -> None:
    location = create(client, project_id="ST-1", name="First")
    edit = f"{location}/edit"
    old_form = page(client.get(edit)).hidden()
    submit(client, edit, {"project_id": "ST-1", "name": "Second"})
    response = client.post(edit, data={**old_form, "project_id": "ST-1", "name": "Third"})
    assert response.status_code == 200
    assert "This project changed since you opened it" in response.get_data(as_text=True)
    stored = project_in_db(app, "ST-1")
    assert stored is not None and stored.name == "Second"


def test_copy_as_a_scenario(app: Flask, client: FlaskClient) -> None:
    location = create(client, project_id="BASE", name="Base case", participants="10")
    submit(
        client,
        f"{location}/costs/new",
        cost_form({"amount": "500", "agency": "NHS", "action": "save"}),
    )
    copy_page = page(client.get(f"{location}/copy"))
    assert copy_page.value("project_id") == "BASE-S1"
    response = submit(client, f"{location}/copy", {"project_id": "BASE-S1", "name": "Lean"})
    assert response.status_code == 302
    base, scenario = project_in_db(app, "BASE"), project_in_db(app, "BASE-S1")
    assert base is not None and scenario is not None
    assert scenario.scenario_of_id == base.id
    assert scenario.doc == {**base.doc, "project_id": "BASE-S1", "name": "Lean"}
    # the copy is independent: changing it leaves the original alone
    submit(
        client,
        f"/projects/{scenario.id}/costs/1/edit",
        cost_form({"amount": "900", "agency": "NHS", "action": "save"}),
    )
    base = project_in_db(app, "BASE")
    assert base is not None
    assert base.doc["costs"] == [{"amount": 500, "agency": "NHS", "price_year": LATEST}]
    # copying again under a taken reference is refused beside the field
    shown = page(submit(client, f"{location}/copy", {"project_id": "BASE-S1", "name": "x"}))
    assert "already used" in shown.field_errors["field-project_id"]


def test_delete_asks_first_and_keeps_the_runs(app: Flask, client: FlaskClient) -> None:
    location = create(client, project_id="DEL-1")
    submit(
        client,
        f"{location}/costs/new",
        cost_form({"amount": "100", "agency": "NHS", "action": "save"}),
    )
    assert see_results(client, location).status_code == 200
    confirm = page(client.get(f"{location}/delete"))
    assert confirm.h1 == ["Are you sure you want to delete DEL-1?"]
    assert project_in_db(app, "DEL-1") is not None  # asking deletes nothing
    response = submit(client, f"{location}/delete", {})
    assert response.status_code == 302
    assert project_in_db(app, "DEL-1") is None
    assert client.get(location).status_code == 404
    with app.app_context():
        runs = get_session().scalars(select(Run).where(Run.project_ref == "DEL-1")).all()
        assert len(runs) == 1 and runs[0].project_id is None


def test_changes_without_the_form_token_are_refused(app: Flask, client: FlaskClient) -> None:
    location = create(client, project_id="CSRF-1")
    response = client.post(f"{location}/delete", data={})
    assert response.status_code == 400
    assert project_in_db(app, "CSRF-1") is not None
    response = client.post(f"{location}/delete", data={"csrf_token": "forged"})
    assert response.status_code == 400


def test_import_a_json_input(app: Flask, client: FlaskClient) -> None:
    sample = (SAMPLES / "hampshire_offset.json").read_bytes()
    form = page(client.get("/projects/import")).hidden()
    response = client.post(
        "/projects/import",
        data={**form, "file": (io.BytesIO(sample), "hampshire_offset.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    stored = project_in_db(app, "HCC-PA")
    doc = json.loads(sample)
    assert stored is not None
    assert stored.doc == doc["projects"][0]
    assert stored.settings == doc["settings"] and stored.unit_costs == doc["unit_costs"]


def test_import_refuses_a_broken_file_with_every_problem(client: FlaskClient) -> None:
    form = page(client.get("/projects/import")).hidden()
    broken = {
        "projects": [
            {
                "project_id": "B",
                "outcomes": [{"unit_cost_code": "SS3.0", "cohort": 5, "success": 45}],
            }
        ]
    }
    response = client.post(
        "/projects/import",
        data={**form, "file": (io.BytesIO(json.dumps(broken).encode()), "b.json")},
        content_type="multipart/form-data",
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "project &#39;B&#39;, outcomes row 1, field &#39;success&#39;" in text
    assert "did you mean 45%?" in text
    response = client.post(
        "/projects/import",
        data={**form, "file": (io.BytesIO(b"\x89PNG not json"), "picture.json")},
        content_type="multipart/form-data",
    )
    assert "file &#39;picture.json&#39;: is not UTF-8 text" in response.get_data(as_text=True)
    # hostile JSON is a message beside the field, never a server error (issue 10)
    for hostile, words in (
        (b"[" * 100_000 + b"]" * 100_000, "nests lists and objects 100,000 deep"),
        (b'{"projects": [{"project_id": "\\ud800"}]}', "half of a character pair"),
        (b'{"projects": [{"participants": ' + b"9" * 5000 + b"}]}", "5,000 characters"),
    ):
        response = client.post(
            "/projects/import",
            data={**form, "file": (io.BytesIO(hostile), "h.json")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200
        assert words in response.get_data(as_text=True)
