"""Who may reach what: organisations apart, sign-in required, roles ranked.

The address of every route is built from ``app.url_map`` itself, so a route added later
is tried too: a test cannot forget it.  One organisation's objects (a project with rows,
its run, an upload, a job, a local unit cost table with a row, a user) are made through
the pages, then every route that takes an id is tried by a site administrator of another
organisation (404, as for an id that does not exist) and by someone signed out (the
sign-in page, or 401 for a download).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from froi.web.accounts.access import RANK
from froi.web.accounts.signin import PUBLIC
from froi.web.accounts.tokens import new_token
from froi.web.core.db import get_session
from froi.web.core.figures import project_tables
from froi.web.core.models import (
    ADMIN,
    ANALYST,
    ROLES,
    SITE_ADMIN,
    VIEWER,
    ApiToken,
    Job,
    Upload,
    User,
)

from .conftest import OTHER, SAMPLES, ClientAs, first_organisation
from .pages import page, see_results, submit
from .test_batch import upload_and_confirm
from .test_results import import_sample, latest_run
from .test_unit_cost_tables import META, national_id, table_id

#: Endpoints that are not one organisation's: a site administrator manages every
#: organisation, so another organisation's id is theirs to open.
EVERY_ORGANISATION = ("organisations.",)
DOWNLOADS = (".xlsx", ".csv", ".json")


@dataclass
class World:
    """The first organisation's objects, by the name of the address part that holds each."""

    values: dict[str, object]

    def url(self, rule: Rule) -> str:
        values = dict(self.values)
        if rule.endpoint == "batch.sample":
            values["name"] = "hampshire_offset.xlsx"
        if rule.endpoint == "portfolio.export_file":
            values["job_id"] = values["export_job_id"]
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


@pytest.fixture
def world(app: Flask, client: FlaskClient, admin_client: FlaskClient) -> World:
    project = int(import_sample(client, "edge_of_care_appraisal.json").rsplit("/", 1)[1])
    see_results(client, f"/projects/{project}")
    run = latest_run(app)
    upload_and_confirm(client, SAMPLES / "hampshire_offset.xlsx")
    local = table_id(
        submit(
            admin_client,
            "/unit-costs/local/new",
            {**META, "name": "Local", "version": "L1", "parent": str(national_id(app))},
        )
    )
    row = submit(
        admin_client,
        f"/unit-costs/tables/{local}/rows/new?from=SS3.0",
        {
            **{
                c.name: c.value
                for c in page(
                    admin_client.get(f"/unit-costs/tables/{local}/rows/new?from=SS3.0")
                ).controls
                if c.type == "text"
            },
            "category": "fiscal",
            "cashable": "false",
        },
    )
    assert row.status_code == 302
    with app.app_context():
        session = get_session()
        organisation = first_organisation(session)
        upload = session.scalars(select(Upload)).one()
        job = Job(organisation_id=organisation.id, kind="check", status="done")
        job.upload_id, job.result_url = upload.id, f"/batch/{upload.id}"
        session.add(job)
        export = Job(organisation_id=organisation.id, kind="portfolio_export", status="done")
        export.run_id, export.result_url = run.id, "/portfolio/exports/0.xlsx"
        session.add(export)
        session.commit()
        from froi.web.core.models import UnitCostRow

        row_id = session.scalars(select(UnitCostRow.id).where(UnitCostRow.table_id == local)).one()
        user_id = session.scalars(select(User.id).where(User.email == "analyst@la.example")).one()
        names = sorted(project_tables(run.results["projects"][0]))
        owner = session.get(User, user_id)
        assert owner is not None
        new_token(session, owner, "world")
        session.commit()
        token_id = session.scalars(select(ApiToken.id)).one()
        values = {
            "project_id": project,
            "run_id": run.id,
            "upload_id": upload.id,
            "job_id": job.id,
            "export_job_id": export.id,
            "table_id": local,
            "row_id": row_id,
            "user_id": user_id,
            "organisation_id": organisation.id,
            "token_id": token_id,
            "list_name": "costs",
            "row": 1,
            "index": 0,
            "code": "SS3.0",
            "name": names[0],
        }
    return World(values)


def is_api(rule: Rule) -> bool:
    """The JSON API: token-signed, its own tests (test_api_*) cover its boundaries."""
    return rule.rule.startswith("/api/")


def takes_an_id(rule: Rule) -> bool:
    return any(type(c).__name__ == "IdConverter" for c in rule._converters.values())


def token(client: FlaskClient) -> str:
    """A form token of ``client``'s session (signed in or not)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)
    if found is None:  # signed in: the sign-in page sends you on; any page has a form
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/projects/").text)
    assert found
    return found.group(1)


def test_every_id_of_another_organisation_is_not_found(
    app: Flask, world: World, site_admin_client: FlaskClient, client_as: ClientAs
) -> None:
    # the highest role of another organisation: no role check stands before the 404
    stranger = client_as(SITE_ADMIN, OTHER)
    stranger_token = token(stranger)
    tried = 0
    for rule in app.url_map.iter_rules():
        if not takes_an_id(rule) or is_api(rule):
            continue
        url = world.url(rule)
        methods = rule.methods or set()
        if "GET" in methods:
            # the owner's site administrator reaches it: the 404 below is not a broken url
            owner = site_admin_client.get(url)
            assert owner.status_code in (200, 302, 409), (url, owner.status_code)
            response = stranger.get(url)
        else:
            response = stranger.post(url, data={"csrf_token": stranger_token})
        if rule.endpoint.startswith(EVERY_ORGANISATION):
            assert response.status_code != 404, url
            continue
        assert response.status_code == 404, (url, response.status_code)
        tried += 1
    assert tried >= 25  # projects, rows, results, runs, uploads, jobs, tables, users


def test_signed_out_every_page_goes_to_sign_in_and_every_download_is_401(
    app: Flask, world: World
) -> None:
    anonymous = app.test_client()
    form_token = token(anonymous)
    tried = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or is_api(rule):
            continue
        url = world.url(rule)
        methods = rule.methods or set()
        for method in ("GET", "POST"):
            if method not in methods:
                continue
            if method == "GET":
                response = anonymous.get(url)
            else:
                response = anonymous.post(url, data={"csrf_token": form_token})
            tried += 1
            if method == "GET" and url.endswith(DOWNLOADS):
                assert response.status_code == 401, url
                assert "Sign in" in response.text
                continue
            assert response.status_code == 302, (method, url, response.status_code)
            where = urlsplit(response.headers["Location"])
            assert where.path == "/sign-in", url
            if method == "GET":  # and back to the page once signed in
                assert parse_qs(where.query)["next"] == [url], url
    assert tried >= 60


#: (what, method, address, form data, the least role that may do it)
ACTIONS = [
    ("read a project", "GET", "/projects/{project_id}", {}, VIEWER),
    ("read its results", "GET", "/projects/{project_id}/results", {}, VIEWER),
    ("read a run", "GET", "/runs/{run_id}", {}, VIEWER),
    ("download a run's input", "GET", "/runs/{run_id}/input.json", {}, VIEWER),
    ("read the portfolio", "GET", "/portfolio/", {}, VIEWER),
    ("read unit cost tables", "GET", "/unit-costs/tables", {}, VIEWER),
    ("download the template", "GET", "/batch/template.xlsx", {}, VIEWER),
    ("change one's password", "GET", "/account/password", {}, VIEWER),
    ("open the new project form", "GET", "/projects/new", {}, ANALYST),
    ("create a project", "POST", "/projects/new", {"project_id": "R-{role}"}, ANALYST),
    ("change a project", "GET", "/projects/{project_id}/edit", {}, ANALYST),
    ("add a row", "GET", "/projects/{project_id}/costs/new", {}, ANALYST),
    ("delete a row", "GET", "/projects/{project_id}/costs/1/delete", {}, ANALYST),
    ("copy a project", "GET", "/projects/{project_id}/copy", {}, ANALYST),
    ("delete a project", "GET", "/projects/{project_id}/delete", {}, ANALYST),
    ("import projects", "GET", "/projects/import", {}, ANALYST),
    ("upload a workbook", "GET", "/batch/", {}, ANALYST),
    ("re-run a run", "POST", "/runs/{run_id}/rerun", {}, ANALYST),
    ("re-run on the current tables", "POST", "/runs/{run_id}/rerun-current", {}, ANALYST),
    ("list the users", "GET", "/accounts/users/", {}, ADMIN),
    ("add a user", "GET", "/accounts/users/new", {}, ADMIN),
    ("read the audit log", "GET", "/accounts/audit/", {}, ADMIN),
    ("upload a unit cost table", "GET", "/unit-costs/upload", {}, ADMIN),
    ("start a local table", "GET", "/unit-costs/local/new", {}, ADMIN),
    ("edit a local draft", "GET", "/unit-costs/tables/{table_id}/rows/new", {}, ADMIN),
    ("discard a local draft", "GET", "/unit-costs/tables/{table_id}/discard", {}, ADMIN),
    ("choose the table in use", "POST", "/unit-costs/in-use", {"table_id": "{national}"}, ADMIN),
    ("upload a national table", "POST", "/unit-costs/upload", {"parent": ""}, SITE_ADMIN),
    (
        "start a national version",
        "GET",
        "/unit-costs/tables/{national}/new-version",
        {},
        SITE_ADMIN,
    ),
    ("manage organisations", "GET", "/accounts/organisations/", {}, SITE_ADMIN),
    ("open an organisation", "GET", "/accounts/organisations/{organisation_id}", {}, SITE_ADMIN),
]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_do_what_its_rank_allows_and_no_more(
    app: Flask, world: World, client_as: ClientAs, role: str
) -> None:
    person = client_as(role, email=f"{role}.table@la.example")
    form_token = token(person)
    values = {**world.values, "national": national_id(app), "role": role}
    allowed, refused = [], []
    for what, method, address, data, least in ACTIONS:
        url = address.format(**values)
        if method == "GET":
            response = person.get(url)
        else:
            filled = {k: v.format(**values) for k, v in data.items()}
            response = person.post(url, data={"csrf_token": form_token, **filled})
        may = RANK[role] >= RANK[least]
        if may:
            assert response.status_code in (200, 302), (what, role, response.status_code)
            allowed.append(what)
        else:
            assert response.status_code == 403, (what, role, response.status_code)
            assert "you need the role" in response.text  # and it says which
            refused.append(what)
    # the table is not one-sided for any role but the highest
    assert allowed and (refused or role == SITE_ADMIN)


def test_every_view_that_changes_something_names_the_role_it_needs(app: Flask) -> None:
    """A POST route without ``require_role`` would let a viewer change things."""
    open_to_everyone = {
        "accounts.sign_in",
        "accounts.sign_out",
        "accounts.change_password",
        "tokens.create",  # one's own API tokens
        "tokens.revoke",
    }
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint in open_to_everyone:
            continue
        if is_api(rule):  # the API's views check roles inside (test_api_access.py)
            continue
        view = app.view_functions[rule.endpoint]
        role = getattr(view, "required_role", None)
        assert role in ROLES and RANK[role] >= RANK[ANALYST], rule.endpoint


def test_a_refusal_says_which_role_is_needed(viewer_client: FlaskClient) -> None:
    response = viewer_client.get("/projects/new")
    assert response.status_code == 403
    shown = page(response)
    assert shown.h1 == ["You do not have permission to do this"]
    assert "create and change projects you need the role analyst or above" in shown.text
    assert "Your role is viewer" in shown.text
    # and what a viewer cannot use is not offered
    assert "/projects/new" not in page(viewer_client.get("/projects/")).text


def test_a_viewer_reads_an_upload_but_is_not_offered_its_confirm(
    app: Flask, client: FlaskClient, viewer_client: FlaskClient
) -> None:
    from .test_batch import upload

    checked = upload(client, SAMPLES / "hampshire_offset.xlsx")
    url = checked.headers["Location"]
    assert "Confirm and compute" in client.get(url).text
    shown = viewer_client.get(url)
    assert shown.status_code == 200 and "Confirm and compute" not in shown.text
    assert "An analyst or administrator of your organisation confirms" in shown.text
