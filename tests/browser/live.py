"""The service as a real browser meets it, shared by the browser tests and the screenshots.

``serving(folder)`` builds the app as a first start builds it (``create_app`` on a new
SQLite database in ``folder``, its instance folder there too), adds a site administrator
with ``flask create-user`` (:data:`EMAIL`, :data:`PASSWORD`) and serves it with
werkzeug's ``make_server`` on 127.0.0.1 and a free port in a background thread; Chromium
is launched with ``CHROMIUM_ARGS``.  People sign in through the sign-in form
(:func:`sign_in_page` in a browser, :func:`signed_in` for the test client that loads
data).  ``tests/browser/conftest.py`` and ``docs/screenshots.py`` both use
these, so the two cannot drift apart.  Nothing here needs pytest: the screenshots run
without it.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import TestResponse

from froi.web import create_app
from froi.web.uploads.jobs import shutdown

#: Chromium's flags on these machines (TESTING.md): without the networking ones it floods
#: the closed network with refused connections.  --headless is Playwright's own option.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: The site administrator every served app has, made with ``flask create-user``.
EMAIL = "steward@council.example"
PASSWORD = "browser tests pass phrase"


@dataclass
class LiveServer:
    """The app served on 127.0.0.1."""

    app: Any
    url: str
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


def serve(app: Any) -> LiveServer:
    """Serve ``app`` on a free port of 127.0.0.1 in a daemon thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.serve_forever, name="froi-live-server", daemon=True)
    thread.start()
    # the port answers before the first page is asked for
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    return LiveServer(app, f"http://127.0.0.1:{port}", server, thread)


@contextmanager
def serving(folder: Path, secret: str = "browser-tests") -> Iterator[LiveServer]:
    """The app on a new SQLite database in ``folder`` (results files beside it), served."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'froi.sqlite'}",
            "SECRET_KEY": secret,
            "RESULTS_DIR": str(folder / "results"),
        },
        instance_path=str(folder / "instance"),
    )
    add_user(app, EMAIL, "site_admin")
    running = serve(app)
    try:
        yield running
    finally:
        running.stop()
        shutdown(app)  # its job queue workers too
        app.extensions["froi"]["db"].engine.dispose()


def add_user(app: Any, email: str, role: str, password: str = PASSWORD) -> None:
    """A user of the first organisation, made as an administrator would make one:
    ``flask create-user``, the password on standard input."""
    done = app.test_cli_runner().invoke(
        args=["create-user", email, "--organisation", "Local authority", "--role", role],
        input=password + "\n",
    )
    assert done.exit_code == 0, done.output


def signed_in(app: Any, email: str = EMAIL, password: str = PASSWORD) -> FlaskClient:
    """A test client signed in through the sign-in form (to load data quickly)."""
    client: FlaskClient = app.test_client()
    response = post_form(client, "/sign-in", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[-1000:]
    return client


def sign_in_page(page: Any, base: str, email: str = EMAIL, password: str = PASSWORD) -> None:
    """Sign in in the browser as a person does: fill in the sign-in form and submit it."""
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert "/sign-in" not in page.url, page.url


def post_form(
    client: FlaskClient, url: str, data: dict[str, Any], *, multipart: bool = False
) -> TestResponse:
    """POST a form the way a browser does: with the page's CSRF token."""
    found = CSRF.search(client.get(url).get_data(as_text=True))
    assert found, url
    return client.post(
        url,
        data={"csrf_token": found.group(1), **data},
        content_type="multipart/form-data" if multipart else None,
    )
