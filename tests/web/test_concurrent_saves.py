"""No lost updates: saves of one project made at the same moment from the same revision.

Each person has the form open at the same revision and presses Save at once.  To be
sure every save has read the project and passed the page's own revision check before
any of them commits (the race a check-then-write loses), the saves wait for each other
just before committing; then exactly one may change the project and every other must
be told that the project changed since it was opened, with what changed, and save
nothing.  Both backends (SQLite in WAL mode with its busy timeout; PostgreSQL).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from froi.web.core.db import get_session
from froi.web.core.models import ANALYST, AuditEvent, Project
from froi.web.projects import routes

from .conftest import ClientAs
from .pages import cost_form, page, submit

SAVES = 6
CHANGED = "This project changed since you opened it"


def _create(client: FlaskClient, reference: str) -> str:
    response = submit(client, "/projects/new", {"project_id": reference, "name": "First"})
    assert response.status_code == 302, page(response).field_errors
    return str(response.headers["Location"])


def _at_once(
    monkeypatch: pytest.MonkeyPatch, posts: list[Callable[[], TestResponse]]
) -> list[TestResponse]:
    """Run the posts in threads; each waits for all the others just before it commits."""
    barrier = threading.Barrier(len(posts), timeout=60)
    original = routes.save

    def save_together(session: Session) -> bool:
        barrier.wait()  # every save has read the same revision and passed is_stale
        return original(session)

    monkeypatch.setattr(routes, "save", save_together)
    from froi.web.projects import rows

    monkeypatch.setattr(rows, "save", save_together)
    results: list[Any] = [None] * len(posts)

    def run(i: int) -> None:
        try:
            results[i] = posts[i]()
        except BaseException as error:  # reported below, not lost in the thread
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def _clients(client_as: ClientAs, count: int) -> list[FlaskClient]:
    return [client_as(ANALYST, email=f"saver{i}@la.example") for i in range(count)]


def test_simultaneous_saves_of_the_details_one_wins(
    app: Flask, client: FlaskClient, client_as: ClientAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = _create(client, "RACE-1")
    edit = f"{location}/edit"
    people = _clients(client_as, SAVES)
    forms = [page(c.get(edit)).hidden() for c in people]  # all opened at revision 1
    assert {f["revision"] for f in forms} == {"1"}

    def post(i: int) -> Callable[[], TestResponse]:
        data = {**forms[i], "project_id": "RACE-1", "name": f"Name {i}"}
        return lambda: people[i].post(edit, data=data)

    responses = _at_once(monkeypatch, [post(i) for i in range(SAVES)])
    won = [i for i, r in enumerate(responses) if r.status_code == 302]
    assert len(won) == 1, [r.status_code for r in responses]
    for i, response in enumerate(responses):
        if i in won:
            continue
        assert response.status_code == 200
        text = page(response).text
        assert CHANGED in text
        # what changed, and who changed it
        assert f"name: First to Name {won[0]}" in text, text
        assert f"saver{won[0]}@la.example" in text
    with app.app_context():
        stored = get_session().scalars(select(Project).where(Project.project_ref == "RACE-1"))
        project = stored.one()
        assert project.name == f"Name {won[0]}"
        assert project.revision == 2
        changes = get_session().scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "project.changed")
        )
        assert changes == 1  # the losers' audit records went with their rolled-back saves


def test_simultaneous_rows_added_one_wins(
    app: Flask, client: FlaskClient, client_as: ClientAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = _create(client, "RACE-2")
    new_cost = f"{location}/costs/new"
    people = _clients(client_as, SAVES)
    forms = [page(c.get(new_cost)).hidden() for c in people]

    def post(i: int) -> Callable[[], TestResponse]:
        typed = {"amount": str(1000 + i), "agency": "Local Authority"}
        data = {**forms[i], **cost_form(typed)}
        return lambda: people[i].post(new_cost, data=data)

    responses = _at_once(monkeypatch, [post(i) for i in range(SAVES)])
    won = [i for i, r in enumerate(responses) if r.status_code == 302]
    assert len(won) == 1, [r.status_code for r in responses]
    losers = [r for i, r in enumerate(responses) if i not in won]
    assert all(CHANGED in page(r).text and "cost 1 added" in page(r).text for r in losers)
    with app.app_context():
        project = (
            get_session().scalars(select(Project).where(Project.project_ref == "RACE-2")).one()
        )
        assert [c["amount"] for c in project.doc["costs"]] == [1000 + won[0]]


def test_a_stale_form_says_what_changed(client: FlaskClient) -> None:
    location = _create(client, "RACE-3")
    edit = f"{location}/edit"
    old_form = page(client.get(edit)).hidden()
    submit(client, edit, {"project_id": "RACE-3", "name": "Second", "participants": "40"})
    response = client.post(edit, data={**old_form, "project_id": "RACE-3", "name": "Third"})
    assert response.status_code == 200
    text = page(response).text
    assert CHANGED in text
    assert "name: First to Second" in text and "participants: blank to 40" in text, text


def test_a_batch_confirm_does_not_overwrite_a_save_made_meanwhile(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A confirm that updates a project someone saved after the confirm read it saves
    nothing, says so, and can be confirmed again."""
    from froi.web.core.db import Database
    from froi.web.uploads import work

    from .conftest import SAMPLES
    from .test_batch import confirm, upload, upload_and_confirm

    sample = SAMPLES / "edge_of_care_appraisal.xlsx"
    upload_and_confirm(client, sample)
    again = upload(client, sample)
    plan = work.plan_projects

    def plan_then_someone_saves(*args: Any) -> list[Project]:
        planned = plan(*args)
        db: Database = app.extensions["froi"]["db"]
        with db.sessions() as other:  # another person's save, committed meanwhile
            project = other.get(Project, planned[0].id)
            assert project is not None
            project.set_doc({**project.doc, "name": "Saved meanwhile"})
            other.commit()
        return planned

    monkeypatch.setattr(work, "plan_projects", plan_then_someone_saves)
    response = confirm(client, again.headers["Location"], clash="update")
    assert response.headers["Location"].endswith(again.headers["Location"])
    shown = page(client.get(again.headers["Location"]))
    assert "changed since you opened this page" in shown.text
    with app.app_context():
        project = get_session().scalars(select(Project)).one()
        assert project.name == "Saved meanwhile" and project.revision == 2
    monkeypatch.setattr(work, "plan_projects", plan)
    confirm(client, again.headers["Location"], clash="update")  # again: now it updates
    with app.app_context():
        project = get_session().scalars(select(Project)).one()
        assert project.revision == 3 and project.name != "Saved meanwhile"


def test_simultaneous_changes_of_a_draft_table_one_wins(
    app: Flask, client_as: ClientAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stewards adding unit costs to one draft at once: one is saved, the others are told
    the draft changed (and by what), and save nothing."""
    from froi.web.core.models import SITE_ADMIN, UnitCostTable
    from froi.web.unit_costs import edit

    from .test_unit_cost_tables import national_id, table_id

    stewards = [client_as(SITE_ADMIN, email=f"steward{i}@la.example") for i in range(4)]
    national = national_id(app)
    draft = table_id(
        submit(stewards[0], f"/unit-costs/tables/{national}/new-version", {"version": "2026.7"})
    )
    url = f"/unit-costs/tables/{draft}/rows/new"
    forms = [page(s.get(url)).hidden() for s in stewards]
    assert len({f["draft"] for f in forms}) == 1
    barrier = threading.Barrier(len(stewards), timeout=60)
    original = edit._draft_is_stale

    def checked_together(table: UnitCostTable) -> bool:
        stale = original(table)
        barrier.wait()  # every change has passed the page's check before any writes
        return stale

    monkeypatch.setattr(edit, "_draft_is_stale", checked_together)
    row = {
        "name": "New cost",
        "unit": "each",
        "value": "1200",
        "price_year": "2020/21",
        "agency": "Police",
        "category": "fiscal",
        "source": "me",
    }
    results: list[Any] = [None] * len(stewards)

    def post(i: int) -> None:
        data = {**forms[i], **row, "code": f"RACE{i}.0"}
        results[i] = stewards[i].post(url, data=data)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(stewards))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    won = [i for i, r in enumerate(results) if r is not None and r.status_code == 302]
    assert len(won) == 1, [getattr(r, "status_code", r) for r in results]
    for i, response in enumerate(results):
        if i not in won:
            text = page(response).text
            assert "This draft changed since you opened it" in text
            assert f"unit cost RACE{won[0]}.0 added, by steward{won[0]}@la.example" in text
    with app.app_context():
        table = get_session().get(UnitCostTable, draft)
        assert table is not None
        codes = {r.code for r in table.rows if r.code.startswith("RACE")}
        assert codes == {f"RACE{won[0]}.0"} and table.row_count == 490
