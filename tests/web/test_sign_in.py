"""Signing in and out, passwords, throttling, cookies, the first start and create-user."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from froi.web import create_app
from froi.web.accounts.first_start import FILE_NAME
from froi.web.accounts.passwords import RULE, password_problem
from froi.web.accounts.signin import safe_next
from froi.web.core.db import get_session
from froi.web.core.models import ANALYST, Project, SignInFailure, User
from froi.web.uploads.jobs import shutdown

from .conftest import PASSWORD, ClientAs, make_user, sign_in
from .pages import page, submit
from .test_projects import create


def test_sign_in_goes_back_to_the_page_asked_for(app: Flask) -> None:
    make_user(app, ANALYST)
    client = app.test_client()
    asked = client.get("/runs/?x=1")
    assert asked.status_code == 302
    assert asked.headers["Location"] == "/sign-in?next=/runs/?x%3D1"
    form = page(client.get(asked.headers["Location"]))
    assert form.hidden()["next"] == "/runs/?x=1"
    assert form.labels["field-email"] == "Email address"
    response = client.post(
        "/sign-in", data={**form.hidden(), "email": "Analyst@LA.example ", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/runs/?x=1"
    shown = page(client.get("/runs/"))
    assert "analyst@la.example" in shown.text and "Sign out" in shown.text


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/projects/3", "/projects/3"),
        ("/runs/?page=2", "/runs/?page=2"),
        ("//evil.example/x", None),
        ("https://evil.example/", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("/x\r\nLocation: https://evil.example", None),
        ("", None),
    ],
)
def test_next_is_only_ever_a_path_on_this_service(target: str, kept: str | None) -> None:
    assert safe_next(target) == kept


def test_a_next_to_another_site_is_ignored(app: Flask) -> None:
    make_user(app, ANALYST)
    client = app.test_client()
    token = page(client.get("/sign-in?next=//evil.example")).hidden()["csrf_token"]
    response = client.post(
        "/sign-in?next=//evil.example",
        data={"csrf_token": token, "email": "analyst@la.example", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/projects/"


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app: Flask) -> None:
    make_user(app, ANALYST)
    client = app.test_client()
    wrong = sign_in(client, "analyst@la.example", "not the password at all")
    unknown = sign_in(client, "nobody@la.example", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 200
        shown = page(response)
        assert shown.summary_links == [
            ("Enter a correct email address and password", "#field-email")
        ]
        assert shown.h1 == ["Sign in"]
    assert client.get("/projects/").status_code == 302  # still signed out
    empty = page(sign_in(client, "", ""))
    assert [href for _, href in empty.summary_links] == ["#field-email", "#field-password"]


def test_the_sign_in_form_needs_its_token(app: Flask) -> None:
    make_user(app, ANALYST)
    client = app.test_client()
    response = client.post("/sign-in", data={"email": "analyst@la.example", "password": PASSWORD})
    assert response.status_code == 400


def test_five_failures_refuse_the_email_for_a_while_in_every_process(app: Flask) -> None:
    make_user(app, ANALYST)
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, "analyst@la.example", "a wrong password here").status_code == 200
    refused = sign_in(client, "analyst@la.example", PASSWORD)
    assert refused.status_code == 429
    assert "too many attempts to sign in" in refused.text
    assert re.search(r"wait 1[45] minutes and try again", refused.text)
    # another process (another app on the same database) refuses it too
    other = create_app(dict(app.config), instance_path=app.instance_path)
    try:
        assert sign_in(other.test_client(), "analyst@la.example", PASSWORD).status_code == 429
    finally:
        shutdown(other)  # its job queue workers too
        other.extensions["froi"]["db"].engine.dispose()
    # another email from another address is not affected
    make_user(app, ANALYST, email="second@la.example")
    elsewhere = app.test_client()
    response = elsewhere.post(
        "/sign-in",
        data={
            "csrf_token": page(elsewhere.get("/sign-in")).hidden()["csrf_token"],
            "email": "second@la.example",
            "password": PASSWORD,
        },
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert response.status_code == 302
    # once the failures are older than the window, the email may try again
    with app.app_context():
        session = get_session()
        for failure in session.scalars(select(SignInFailure)):
            failure.at = failure.at.replace(year=failure.at.year - 1)
        session.commit()
    assert sign_in(client, "analyst@la.example", PASSWORD).status_code == 302


def test_failures_from_one_address_are_limited_across_emails(app: Flask) -> None:
    app.config["SIGN_IN_MAX_PER_ADDRESS"] = 3
    make_user(app, ANALYST)
    client = app.test_client()
    for n in range(3):
        sign_in(client, f"guess{n}@la.example", "a wrong password here")
    assert sign_in(client, "analyst@la.example", PASSWORD).status_code == 429


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short one", "at least 12 characters"),
        ("someone@la.example", "cannot be your email address"),
        ("SOMEONE", "at least 12 characters"),
        ("someone-long", None),
        ("Password2024!", "too commonly used"),
        ("qwertyuiop123", "too commonly used"),
        ("123456789012", "only numbers and symbols"),
        ("aaaaaaaaaaaaaaa", "one character repeated"),
        ("x" * 201, "200 characters or fewer"),
        ("three unrelated words", None),
    ],
)
def test_the_password_rule(password: str, problem: str | None) -> None:
    found = password_problem(password, "someone@la.example")
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_passwords_are_hashed_with_argon2id_by_default(tmp_path: Path) -> None:
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'f.sqlite'}", "SECRET_KEY": "x"},
        instance_path=str(tmp_path / "instance"),
    )
    try:
        with app.app_context():
            stored = get_session().scalars(select(User.password_hash)).one()
    finally:
        shutdown(app)  # its job queue workers too
        app.extensions["froi"]["db"].engine.dispose()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PasswordHasher().check_needs_rehash(stored) is False


def test_session_cookie_flags(app: Flask, database_url: str, tmp_path: Path) -> None:
    make_user(app, ANALYST)
    response = sign_in(app.test_client(), "analyst@la.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie  # a lifetime: it lapses after 12 hours without use
    secure = create_app(
        {**app.config, "SESSION_COOKIE_SECURE": True}, instance_path=app.instance_path
    )
    try:
        response = sign_in(secure.test_client(), "analyst@la.example")
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        shutdown(secure)  # its job queue workers too
        secure.extensions["froi"]["db"].engine.dispose()


def test_the_secure_setting_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """FROI_HTTPS=true, the one switch for a service behind HTTPS, makes cookies Secure."""
    monkeypatch.setenv("FROI_HTTPS", "true")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'e.sqlite'}")
    monkeypatch.setenv("FROI_SECRET_KEY", "from the environment")
    app = create_app(instance_path=str(tmp_path / "instance"))
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
    finally:
        shutdown(app)  # its job queue workers too
        app.extensions["froi"]["db"].engine.dispose()


def test_a_secure_setting_that_is_not_true_or_false_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """FROI_HTTPS=False (not JSON's false) would be text, and text counts as yes: the
    service refuses to start rather than guess, naming the setting."""
    monkeypatch.setenv("FROI_HTTPS", "False")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'e.sqlite'}")
    monkeypatch.setenv("FROI_SECRET_KEY", "from the environment")
    with pytest.raises(ValueError, match="FROI_HTTPS must be true or false, not 'False'"):
        create_app(instance_path=str(tmp_path / "instance"))


def test_sign_out_ends_the_session(client: FlaskClient) -> None:
    response = submit(client, "/projects/", {}, action="/sign-out")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert "You have signed out." in client.get("/sign-in").text
    assert client.get("/projects/").status_code == 302


def test_changing_the_password_signs_out_other_sessions(app: Flask, client_as: ClientAs) -> None:
    here = client_as(ANALYST)
    elsewhere = app.test_client()
    assert sign_in(elsewhere, "analyst@la.example").status_code == 302
    form = page(here.get("/account/password"))
    assert RULE in form.text and form.labels["field-new_password"] == "New password"
    wrong = submit(
        here,
        "/account/password",
        {"current_password": "not it at all", "new_password": "short", "confirm_password": ""},
    )
    errors = page(wrong).field_errors
    assert "not correct" in errors["field-current_password"]
    assert "at least 12 characters" in errors["field-new_password"]
    new = "a different pass phrase"
    mismatch = submit(
        here,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new + "x"},
    )
    assert "do not match" in page(mismatch).field_errors["field-confirm_password"]
    done = submit(
        here,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert done.status_code == 302
    assert here.get("/projects/").status_code == 200  # this session carries on
    assert elsewhere.get("/projects/").status_code == 302  # the other one is signed out
    assert sign_in(app.test_client(), "analyst@la.example").status_code == 200  # old one
    assert sign_in(app.test_client(), "analyst@la.example", new).status_code == 302


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(
    app: Flask, admin_client: FlaskClient, client: FlaskClient
) -> None:
    with app.app_context():
        person = get_session().scalars(select(User).where(User.email == "analyst@la.example"))
        user_id = person.one().id
    url = f"/accounts/users/{user_id}"
    response = submit(admin_client, url, {"active": "no"}, action=f"{url}/active")
    assert response.status_code == 302
    assert client.get("/projects/").status_code == 302
    refused = sign_in(app.test_client(), "analyst@la.example")
    assert "has been deactivated" in refused.text
    submit(admin_client, url, {"active": "yes"}, action=f"{url}/active")
    assert sign_in(app.test_client(), "analyst@la.example").status_code == 302


def test_an_administrator_adds_a_user_who_can_then_sign_in(
    app: Flask, admin_client: FlaskClient
) -> None:
    form = page(admin_client.get("/accounts/users/new"))
    roles = [c for c in form.controls if c.name == "role"]
    assert roles and form.labels["field-role"] == "Role"
    taken = submit(admin_client, "/accounts/users/new", {"email": "admin@la.example"})
    assert "already an account" in page(taken).field_errors["field-email"]
    # an organisation administrator cannot make a site administrator
    high = submit(
        admin_client, "/accounts/users/new", {"email": "x@la.example", "role": "site_admin"}
    )
    assert "Choose a role you may give" in page(high).field_errors["field-role"]
    made = submit(
        admin_client, "/accounts/users/new", {"email": "New.Person@LA.example", "role": "viewer"}
    )
    assert made.status_code == 200
    password = re.search(r"<code>([^<]+)</code>", made.text)
    assert password is not None
    newcomer = app.test_client()
    assert sign_in(newcomer, "new.person@la.example", password.group(1)).status_code == 302
    assert "Viewer" in newcomer.get("/projects/").text
    assert newcomer.get("/projects/new").status_code == 403
    listed = admin_client.get("/accounts/users/").text
    assert "new.person@la.example" in listed
    # an administrator cannot deactivate themselves (the organisation keeps one)
    with app.app_context():
        me = get_session().scalars(select(User).where(User.email == "admin@la.example")).one()
    url = f"/accounts/users/{me.id}"
    assert submit(admin_client, url, {"active": "no"}, action=f"{url}/active").status_code == 409


def test_a_reset_password_is_shown_once_and_signs_the_user_out(
    app: Flask, admin_client: FlaskClient, client: FlaskClient
) -> None:
    with app.app_context():
        person = get_session().scalars(select(User).where(User.email == "analyst@la.example"))
        user_id = person.one().id
    url = f"/accounts/users/{user_id}"
    response = submit(admin_client, url, {}, action=f"{url}/reset-password")
    password = re.search(r"<code>([^<]+)</code>", response.text)
    assert password is not None
    assert client.get("/projects/").status_code == 302
    assert sign_in(app.test_client(), "analyst@la.example", password.group(1)).status_code == 302


def test_the_create_user_command(app: Flask) -> None:
    runner = app.test_cli_runner()
    weak = runner.invoke(
        args=["create-user", "cli@la.example", "--organisation", "Local authority"],
        input="password123\n",
    )
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output
    common = runner.invoke(
        args=["create-user", "cli@la.example", "--organisation", "Local authority"],
        input="Password2024!!\n",
    )
    assert common.exit_code != 0 and "too commonly used" in common.output
    missing = runner.invoke(
        args=["create-user", "cli@new.example", "--organisation", "New council"],
        input=f"{PASSWORD}\n",
    )
    assert missing.exit_code != 0 and "--create-organisation" in missing.output
    made = runner.invoke(
        args=[
            "create-user",
            "cli@new.example",
            "--organisation",
            "New council",
            "--create-organisation",
            "--role",
            "admin",
        ],
        input=f"{PASSWORD}\n",
    )
    assert made.exit_code == 0, made.output
    assert "organisation administrator of 'New council'" in made.output
    client = app.test_client()
    assert sign_in(client, "cli@new.example").status_code == 302
    assert client.get("/accounts/users/").status_code == 200
    again = runner.invoke(
        args=["create-user", "CLI@new.example", "--organisation", "new council"],
        input=f"{PASSWORD}\n",
    )
    assert again.exit_code != 0 and "already an account" in again.output


def test_the_first_start_prints_how_to_sign_in_and_keeps_the_password_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = {"DATABASE_URL": f"sqlite:///{tmp_path / 'first.sqlite'}", "SECRET_KEY": "x"}
    instance = tmp_path / "instance"
    app = create_app(config, instance_path=str(instance))
    printed = capsys.readouterr().out
    email = re.search(r"email:\s+(\S+)", printed)
    password = re.search(r"password:\s+(\S+)", printed)
    assert email and password, printed
    assert "http://127.0.0.1:5000/sign-in" in printed
    kept = instance / FILE_NAME
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.read_text() == f"{email.group(1)}\n{password.group(1)}\n"
    client = app.test_client()
    assert sign_in(client, email.group(1), password.group(1)).status_code == 302
    assert client.get("/accounts/organisations/").status_code == 200  # a site administrator
    shutdown(app)  # its job queue workers too
    app.extensions["froi"]["db"].engine.dispose()

    # a second start makes no one new, and says where the password is
    second = create_app(config, instance_path=str(instance))
    again = capsys.readouterr()  # (the request log is on stderr too)
    # a reminder on standard error: a command's output (a token) stays alone on stdout
    assert "password:" not in again.out + again.err and str(kept) in again.err
    assert again.out == ""
    new = "the administrator's own phrase"
    changed = submit(
        client,
        "/account/password",
        {"current_password": password.group(1), "new_password": new, "confirm_password": new},
    )
    assert changed.status_code == 302
    assert not kept.exists()  # removed once that password has changed
    shutdown(second)  # its job queue workers too
    second.extensions["froi"]["db"].engine.dispose()
    third = create_app(config, instance_path=str(instance))
    said = capsys.readouterr()
    assert said.out == "" and "first administrator" not in said.err
    shutdown(third)  # its job queue workers too
    third.extensions["froi"]["db"].engine.dispose()


def test_a_deleted_projects_id_is_never_given_again(app: Flask, client: FlaskClient) -> None:
    first = create(client, project_id="GONE-1")
    old_id = int(first.rsplit("/", 1)[1])
    assert submit(client, f"{first}/delete", {}).status_code == 302
    second = create(client, project_id="NEW-1")
    assert int(second.rsplit("/", 1)[1]) > old_id
    assert client.get(first).status_code == 404
    with app.app_context():
        assert get_session().get(Project, old_id) is None
