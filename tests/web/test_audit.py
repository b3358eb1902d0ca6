"""The audit log: every kind of change is recorded, with its change, and shown to admins."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from froi.web.accounts import audit_log
from froi.web.core.audit import ACTIONS, MAX_DETAIL_BYTES, small
from froi.web.core.db import get_session
from froi.web.core.models import AuditEvent, Project, Run, Upload, User

from .conftest import OTHER, PASSWORD, SAMPLES, ClientAs, sign_in
from .pages import cost_form, page, see_results, submit
from .test_batch import confirm, upload
from .test_projects import create
from .test_results import import_sample, latest_run
from .test_unit_cost_tables import META, national_id, national_rows, publish, table_id, to_csv, use
from .test_unit_cost_tables import upload as upload_table


def events(app: Flask, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return list(get_session().scalars(query))


def user_id(app: Flask, email: str) -> int:
    with app.app_context():
        return get_session().scalars(select(User.id).where(User.email == email)).one()


def test_every_kind_of_change_is_recorded(
    app: Flask,
    client: FlaskClient,
    admin_client: FlaskClient,
    site_admin_client: FlaskClient,
) -> None:
    # projects and their rows
    location = create(client, project_id="AUD-1", name="Audited")
    project = int(location.rsplit("/", 1)[1])
    edit = page(client.get(f"{location}/edit"))
    typed = {c.name: c.value for c in edit.controls if c.type == "text" and c.name}
    submit(client, f"{location}/edit", {**typed, "name": "Audited again"})
    submit(
        client,
        f"{location}/costs/new",
        cost_form({"amount": "100", "agency": "Police", "action": "save"}),
    )
    submit(
        client,
        f"{location}/costs/1/edit",
        cost_form({"amount": "200", "agency": "Police", "action": "save"}),
    )
    submit(client, f"{location}/costs/1/delete", {})
    copy = submit(client, f"{location}/copy", {"project_id": "AUD-2", "name": "Copy"})
    submit(client, copy.headers["Location"] + "/delete", {})
    imported = import_sample(client, "edge_of_care_appraisal.json")
    # runs
    see_results(client, imported)
    run = latest_run(app)
    submit(client, f"/runs/{run.id}", {}, action=f"/runs/{run.id}/rerun")
    # an upload, confirmed
    checked = upload(client, SAMPLES / "hampshire_offset.xlsx")
    confirm(client, checked.headers["Location"])
    # unit cost tables: a local one, its rows, published and chosen; a national version
    national = national_id(app)
    local = table_id(
        submit(
            admin_client,
            "/unit-costs/local/new",
            {**META, "name": "Audit local", "version": "A1", "parent": str(national)},
        )
    )
    form = page(admin_client.get(f"/unit-costs/tables/{local}/rows/new?from=SS3.0"))
    typed = {c.name: c.value for c in form.controls if c.type == "text"}
    row_form = {**typed, "category": "fiscal", "cashable": "false"}
    submit(admin_client, f"/unit-costs/tables/{local}/rows/new?from=SS3.0", row_form)
    with app.app_context():
        from froi.web.core.models import UnitCostRow

        row = get_session().scalars(select(UnitCostRow.id).where(UnitCostRow.table_id == local))
        row_id = row.one()
    edit_row = f"/unit-costs/tables/{local}/rows/{row_id}/edit"
    submit(admin_client, edit_row, {**row_form, "value": "4000"})
    added = submit(
        admin_client,
        f"/unit-costs/tables/{local}/rows/new",
        {**row_form, "code": "LOC1.0", "name": "Ours"},
    )
    assert added.status_code == 302
    with app.app_context():
        extra = (
            get_session().scalars(select(UnitCostRow.id).where(UnitCostRow.code == "LOC1.0")).one()
        )
    submit(admin_client, f"/unit-costs/tables/{local}/rows/{extra}/delete", {})
    publish(admin_client, local)
    use(admin_client, local)
    uploaded = upload_table(
        admin_client,
        to_csv(national_rows()[:2]),
        "ours.csv",
        "A2",
        name="Audit upload",
        parent=str(national),
    )
    assert uploaded.status_code == 302
    draft = table_id(
        submit(site_admin_client, f"/unit-costs/tables/{national}/new-version", {"version": "9"})
    )
    submit(site_admin_client, f"/unit-costs/tables/{draft}/discard", {})
    # users and organisations
    made = submit(admin_client, "/accounts/users/new", {"email": "v@la.example", "role": "viewer"})
    assert made.status_code == 200
    person = f"/accounts/users/{user_id(app, 'v@la.example')}"
    submit(admin_client, person, {"role": "analyst"}, action=f"{person}/role")
    submit(admin_client, person, {"active": "no"}, action=f"{person}/active")
    submit(admin_client, person, {"active": "yes"}, action=f"{person}/active")
    submit(admin_client, person, {}, action=f"{person}/reset-password")
    submit(
        site_admin_client,
        "/accounts/organisations/",
        {"name": "Audit council", "email": "boss@audit.example"},
    )
    with app.app_context():
        from froi.web.core.models import Organisation

        org = (
            get_session()
            .scalars(select(Organisation.id).where(Organisation.name == "Audit council"))
            .one()
        )
    url = f"/accounts/organisations/{org}"
    submit(site_admin_client, url, {"name": "Audit borough"}, action=f"{url}/rename")
    # an API token made and revoked
    submit(client, "/account/tokens/", {"name": "Audit"})
    with app.app_context():
        from froi.web.core.models import ApiToken

        token = get_session().scalars(select(ApiToken.id)).one()
    submit(client, "/account/tokens/", {}, action=f"/account/tokens/{token}/revoke")
    # an upload kept past the retention period, deleted by the nightly purge
    assert upload(client, SAMPLES / "edge_of_care_appraisal.xlsx").status_code == 302
    with app.app_context():
        session = get_session()
        kept = session.scalars(select(Upload).order_by(Upload.id.desc())).first()
        assert kept is not None
        kept.created_at -= timedelta(days=365)
        session.commit()
    assert "deleted 1 upload" in app.test_cli_runner().invoke(args=["purge"]).output
    # a password, signing in and out
    change = submit(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "x" + PASSWORD,
            "confirm_password": "x" + PASSWORD,
        },
    )
    assert change.status_code == 302
    app.config["SIGN_IN_MAX_PER_EMAIL"] = 1
    sign_in(app.test_client(), "analyst@la.example", "not the password")
    assert sign_in(app.test_client(), "analyst@la.example", "x" + PASSWORD).status_code == 429
    submit(client, "/projects/", {}, action="/sign-out")

    recorded = {e.action for e in events(app)}
    assert set(ACTIONS) - recorded == set()

    changed = events(app, "project.changed")[0]
    assert changed.before == {"name": "Audited"}
    # the revision the change made: a stale form lists the changes made since its own
    assert changed.after == {"name": "Audited again", "revision": 2}
    assert changed.user_email == "analyst@la.example" and changed.object_id == project
    row_changed = events(app, "row.changed")[0]
    assert row_changed.after is not None and row_changed.after.pop("revision") > 2
    assert row_changed.after == {"list": "costs", "row": 1, "amount": 200.0}
    chosen = events(app, "table.chosen")[0]
    assert chosen.after is not None and chosen.after["id"] == local
    national_draft = events(app, "table.version_started")[0]
    assert national_draft.organisation_id is None  # a national table belongs to no one
    failed = events(app, "sign_in.failed")[0]
    assert failed.summary == "Sign-in failed for analyst@la.example: wrong password"
    role = events(app, "user.role_changed")[0]
    assert (role.before, role.after) == ({"role": "viewer"}, {"role": "analyst"})
    confirmed = events(app, "upload.confirmed")[0]
    assert confirmed.after is not None and confirmed.after["run"] == latest_upload_run(app)
    rerun = events(app, "run.rerun")[0]
    assert "reproduced" in rerun.summary and rerun.object_id == latest_rerun(app)


def latest_upload_run(app: Flask) -> int:
    with app.app_context():
        return get_session().scalars(select(Run.id).where(Run.upload_id.is_not(None))).one()


def latest_rerun(app: Flask) -> int:
    with app.app_context():
        return get_session().scalars(select(Run.id).where(Run.rerun_of_id.is_not(None))).one()


def test_an_audit_record_commits_with_its_change_or_not_at_all(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from froi.web.uploads import work

    real = work.record

    def then_fail(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise RuntimeError("the database went away before the commit")

    monkeypatch.setattr(work, "record", then_fail)
    checked = upload(client, SAMPLES / "hampshire_offset.xlsx")
    with pytest.raises(RuntimeError):
        confirm(client, checked.headers["Location"])
    with app.app_context():
        session = get_session()
        assert session.scalars(select(Project)).all() == []
        assert session.scalars(select(Run)).all() == []
        assert session.scalars(select(Upload.status)).one() == "checked"
    assert [e.action for e in events(app)][-1] == "upload.received"
    assert events(app, "run.recorded") == [] and events(app, "upload.confirmed") == []


def test_large_values_are_not_copied_into_the_log() -> None:
    assert small({"name": "x"}) == {"name": "x"}
    big = small({"doc": "x" * (MAX_DETAIL_BYTES + 1)})
    assert set(big) == {"omitted"} and "too large" in big["omitted"]


def test_the_log_is_shown_to_administrators_of_their_own_organisation(
    app: Flask,
    client: FlaskClient,
    admin_client: FlaskClient,
    site_admin_client: FlaskClient,
    client_as: ClientAs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    create(client, project_id="MINE-1")
    create(client, project_id="MINE-2")
    stranger = client_as("analyst", OTHER)
    create(stranger, project_id="THEIRS-1")
    sign_in(app.test_client(), "nobody@nowhere.example", "some wrong password")

    shown = admin_client.get("/accounts/audit/").text
    assert "MINE-1" in shown and "MINE-2" in shown
    assert "THEIRS-1" not in shown and "nobody@nowhere.example" not in shown
    everything = site_admin_client.get("/accounts/audit/").text
    assert "THEIRS-1" in everything and "nobody@nowhere.example" in everything
    assert client.get("/accounts/audit/").status_code == 403

    # filtered by user, action, kind of object and dates, in the database
    def rows(query: str) -> list[str]:
        html = admin_client.get(f"/accounts/audit/?{query}").text
        return re.findall(r"<td[^>]*>(Project [A-Z]+-\d [a-z]+|\S+ signed in)", html)

    assert rows("action=project.created") == ["Project MINE-2 created", "Project MINE-1 created"]
    assert rows("user=admin@la.example&action=sign_in.succeeded") == ["admin@la.example signed in"]
    assert rows("object_type=project&from=2000-01-01&to=22/11/2001") == []
    assert len(rows("object_type=project&from=01/01/2000")) == 2
    wrong = page(admin_client.get("/accounts/audit/?from=yesterday"))
    assert [h for _, h in wrong.summary_links] == ["#field-from"]
    nothing = site_admin_client.get("/accounts/audit/?organisation=none").text
    assert "nobody@nowhere.example" in nothing and "MINE-1" not in nothing

    # paged: newest first, a page at a time
    monkeypatch.setattr(audit_log, "PAGE_SIZE", 1)
    first = admin_client.get("/accounts/audit/?action=project.created").text
    assert "MINE-2" in first and "MINE-1" not in first and "page 1 of 2" in first
    second = admin_client.get("/accounts/audit/?action=project.created&page=2").text
    assert "MINE-1" in second and "MINE-2" not in second
