"""Cost and outcome rows through plain forms, with the unit cost picker inside the form."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from froi.web.core.db import get_session
from froi.web.core.models import Project

from .pages import LATEST, cost_form, page, submit
from .test_projects import create


def stored_doc(app: Flask, location: str) -> dict[str, object]:
    with app.app_context():
        project = get_session().get(Project, int(location.rsplit("/", 1)[1]))
        assert project is not None
        return project.doc


def test_add_a_cost_and_an_outcome(app: Flask, client: FlaskClient) -> None:
    location = create(client, project_id="ROWS-1")
    response = submit(
        client,
        f"{location}/costs/new",
        cost_form(
            {
                "description": "Two workers",
                "amount": "£60,000",
                "agency": "Local Authority",
                "kind": "recurring",
                "action": "save",
            }
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#list-costs")
    response = submit(
        client,
        f"{location}/outcomes/new",
        {"unit_cost_code": "SS3.0", "cohort": "40", "success": "30%", "action": "save"},
    )
    assert response.status_code == 302
    assert stored_doc(app, location) == {
        "project_id": "ROWS-1",
        "costs": [
            {
                "description": "Two workers",
                "amount": 60000,
                "agency": "Local Authority",
                "kind": "recurring",
                "price_year": LATEST,  # the year it was entered in, kept with it
            }
        ],
        "outcomes": [{"unit_cost_code": "SS3.0", "cohort": 40, "success": 0.3}],
    }
    shown = page(client.get(location))
    assert ("Change outcomes row 1", f"{location}/outcomes/1/edit") in shown.links


def test_the_picker_finds_and_fills_in_a_code_keeping_what_was_typed(client: FlaskClient) -> None:
    location = create(client, project_id="PICK-1")
    url = f"{location}/outcomes/new"
    hidden = page(client.get(url)).hidden()
    typed = {"cohort": "40", "success": "0.3", "description": "Care avoided"}
    found = client.post(
        url, data={**hidden, **typed, "search": "residential care", "action": "search"}
    )
    shown = page(found)
    picks = [c.value for c in shown.controls if c.name == "pick"]
    assert "SS3.0" in picks and all(p for p in picks)
    assert shown.value("cohort") == "40" and shown.value("search") == "residential care"
    assert shown.field_errors == {}  # a search is not a save: nothing is checked yet
    picked = page(client.post(url, data={**hidden, **typed, "pick": "SS3.0"}))
    assert picked.value("unit_cost_code") == "SS3.0"
    assert picked.value("description") == "Care avoided"


def test_engine_problems_with_the_row_appear_beside_its_field(
    app: Flask, client: FlaskClient
) -> None:
    location = create(client, project_id="ENG-1", **{"settings-appraisal_years": "3"})
    response = submit(
        client,
        f"{location}/outcomes/new",
        {"unit_cost_code": "NOPE", "cohort": "4", "success": "0.2", "action": "save"},
    )
    shown = page(response)
    assert response.status_code == 200
    assert shown.field_errors["field-unit_cost_code"].startswith(
        "Unit cost code 'NOPE' is not in table"
    )
    assert "froi unit-costs" not in shown.field_errors["field-unit_cost_code"]
    assert shown.summary_links[0][1] == "#field-unit_cost_code"
    response = submit(
        client,
        f"{location}/costs/new",
        cost_form({"amount": "10", "agency": "NHS", "year": "3", "action": "save"}),
    )
    assert page(response).field_errors["field-year"] == (
        "Year 3 is outside the appraisal period of 3 years (0 to 2)"
    )
    assert "costs" not in stored_doc(app, location) and "outcomes" not in stored_doc(app, location)


def test_change_and_delete_a_row(app: Flask, client: FlaskClient) -> None:
    location = create(client, project_id="DEL-ROW")
    for amount in ("100", "200", "300"):
        submit(
            client,
            f"{location}/costs/new",
            cost_form({"amount": amount, "agency": "NHS", "action": "save"}),
        )
    edit = page(client.get(f"{location}/costs/2/edit"))
    assert edit.value("amount") == "200"
    submit(
        client,
        f"{location}/costs/2/edit",
        cost_form({"amount": "250", "agency": "NHS", "action": "save"}),
    )
    confirm = page(client.get(f"{location}/costs/1/delete"))
    assert confirm.h1 == ["Are you sure you want to delete cost 1?"]
    assert submit(client, f"{location}/costs/1/delete", {}).status_code == 302
    assert stored_doc(app, location)["costs"] == [
        {"amount": 250, "agency": "NHS", "price_year": LATEST},
        {"amount": 300, "agency": "NHS", "price_year": LATEST},
    ]
    assert client.get(f"{location}/costs/3/edit").status_code == 404
    assert client.get(f"{location}/no_such_list/new").status_code == 404


def test_enter_in_the_search_box_searches_and_save_then_saves(
    app: Flask, client: FlaskClient
) -> None:
    # Enter submits with the form's first button, Save: a new search text means "search"
    location = create(client, project_id="ENTER-1")
    url = f"{location}/costs/new"
    hidden = page(client.get(url)).hidden()
    typed = {
        "description": "Social worker time",
        "costing": "unit",
        "unit-quantity": "400",
        "kind": "recurring",
    }
    shown = page(client.post(url, data={**hidden, **typed, "search": "SS18.2", "action": "save"}))
    assert "SS18.2" in [c.value for c in shown.controls if c.name == "pick"]
    assert "costs" not in stored_doc(app, location)
    # the search has run: Save now saves, with the code picked meanwhile
    response = client.post(
        url,
        data={
            **shown.hidden(),
            **typed,
            "search": "SS18.2",
            "unit_cost_code": "SS18.2",
            "action": "save",
        },
    )
    assert response.status_code == 302
    assert stored_doc(app, location)["costs"] == [
        {
            "description": "Social worker time",
            "unit_cost_code": "SS18.2",
            "quantity": 400,
            "kind": "recurring",
        }
    ]


def test_agency_is_chosen_from_the_runs_list(app: Flask, client: FlaskClient) -> None:
    """One controlled list of agencies (issue 9): the cost form offers the unit cost
    table's agencies as a choice, not free text, and a stored spelling outside the list
    is kept as an option rather than lost."""
    import re
    from html import unescape

    location = create(client, project_id="AG-1")
    html = unescape(client.get(f"{location}/costs/new").get_data(as_text=True))
    select = re.search(r'<select class="select" id="field-amount-agency".*?</select>', html, re.S)
    assert select, "agency is not a choice"
    options = re.findall(r'<option value="([^"]*)"', select.group(0))
    assert options[0] == "" and {"Local Authority", "NHS", "Police", "DWP"} <= set(options)
    assert options[1:] == sorted(options[1:], key=str.lower)
    response = submit(
        client,
        f"{location}/costs/new",
        cost_form({"description": "x", "amount": "100", "agency": "LA", "action": "save"}),
    )
    # a spelling outside the list (posted by hand) is an alias the engine reads as Local
    # Authority with a warning, so the row saves; its form keeps the spelling as an option
    assert response.status_code == 302
    edit = unescape(client.get(f"{location}/costs/1/edit").get_data(as_text=True))
    assert '<option value="LA" selected>LA (not in the list)</option>' in edit
