"""Every response carries the headers that make the browser enforce the service's promises
(froi/web/core/security.py): no inline script or style, nothing from another site, no
framing, no sniffing, no shared caching of pages, no version banner."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.client import HTTPConnection

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from froi.web import create_app
from froi.web.uploads.jobs import shutdown


def test_every_page_and_file_carries_the_headers(client: FlaskClient) -> None:
    for path in ("/projects/", "/unit-costs/", "/static/froi.css", "/no-such-page"):
        with client.get(path) as response:
            headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "'unsafe-inline'" not in csp and "http" not in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in headers  # not served over HTTPS here
    assert client.get("/projects/").headers["Cache-Control"] == "no-store"
    with client.get("/static/froi.css") as css:
        assert "no-store" not in css.headers.get("Cache-Control", "")


def test_https_setting_adds_hsts_and_secure_cookies(database_url: str) -> None:
    app = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t", "HTTPS": True}
    )
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        response = app.test_client().get("/projects/")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        shutdown(app)
        app.extensions["froi"]["db"].engine.dispose()


@pytest.fixture
def served(app: Flask) -> Iterator[int]:
    """The app on the development server (werkzeug), as `make run` serves it."""
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()


def test_the_development_server_sends_no_version_banner(served: int) -> None:
    connection = HTTPConnection("127.0.0.1", served, timeout=10)
    connection.request("GET", "/static/froi.css")
    response = connection.getresponse()
    response.read()
    assert response.getheader("Server") == "froi"
