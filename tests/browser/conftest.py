"""Browser tests: the real service in Debian's headless Chromium, driven by Playwright.

The app is built as a first start builds it (``create_app`` on a temporary SQLite
database) and served by werkzeug's ``make_server`` on 127.0.0.1 and a free port in a
background thread for the session (:mod:`.live`, which docs/screenshots.py shares).
Chromium is never downloaded: Playwright launches ``/usr/bin/chromium`` with the flags
of ``/work/shared/TESTING.md`` and a fresh user data directory.  Every request that is
not to the test server is blocked and recorded (``page.route``), and each test asserts
that none was attempted: no CDN, no fonts, no calls home.

axe-core comes from the npm registry (``tests/browser/package.json``, installed with
``npm ci --prefix tests/browser``) and is injected into each page the tests check.

Without Chromium, Playwright or axe-core the tests are skipped with the reason on a
workstation, and fail under ``CI=true``: CI must not pass by not running them.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from .live import CHROMIUM_ARGS, CSRF, LiveServer, post_form, serving, sign_in_page, signed_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Request, Route

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SAMPLES = ROOT / "sample_workbooks"
CHROMIUM = Path(os.environ.get("FROI_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.0, 2.1 and 2.2, levels A and AA: the tags axe-core files its rules under.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
#: Impacts that fail a page.  Moderate and minor findings are printed, not failed.
FAILING_IMPACTS = ("serious", "critical")


def unavailable(reason: str) -> None:
    """Skip with the reason on a workstation; fail under CI=true."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}, and CI=true: the browser tests must run in CI", pytrace=False)
    pytest.skip(reason)


# -- the service ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory.mktemp("froi-browser")) as running:
        yield running


# -- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        unavailable(f"Chromium is not at {CHROMIUM} (apt-get install -y chromium)")
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, never a downloaded one.

    ``launch`` starts it on a fresh, empty user data directory of its own
    (``--user-data-dir=/tmp/playwright_chromiumdev_profile-*``, removed on close); each
    test opens an isolated context on it.
    """
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class Visit:
    """A browser tab on the live server, with what it tried to fetch elsewhere."""

    page: Page
    base: str
    blocked: list[str] = field(default_factory=list)
    #: what Chromium reported as blocked by the Content-Security-Policy
    csp_violations: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def goto(self, path: str, status: int = 200) -> None:
        response = self.page.goto(self.url(path))
        assert response is not None, path
        assert response.status == status, f"{path}: {response.status}"


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def open_tab(context: BrowserContext) -> Iterator[Callable[..., Visit]]:
    """``open_tab(server, sign_in=True)``: a new tab that may only talk to ``server``,
    signed in through the sign-in form as the server's site administrator (who may open
    every page) unless ``sign_in`` is False.

    Every request elsewhere is aborted and recorded; the test fails if there was any.
    """
    tabs: list[Visit] = []

    def open_on(server: LiveServer, sign_in: bool = True) -> Visit:
        page = context.new_page()
        shown = Visit(page, server.url)
        allowed = server.url + "/"

        def guard(route: Route, request: Request) -> None:
            if request.url.startswith(allowed) or request.url == server.url:
                route.continue_()
            else:
                shown.blocked.append(request.url)
                route.abort("blockedbyclient")

        page.route("**/*", guard)

        def console(message: Any) -> None:
            if "Content Security Policy" in message.text:
                shown.csp_violations.append(f"{page.url}: {message.text}")

        page.on("console", console)
        tabs.append(shown)
        if sign_in:
            sign_in_page(page, server.url)
        return shown

    yield open_on
    blocked = [url for tab in tabs for url in tab.blocked]
    assert blocked == [], f"requests off the test server were attempted: {blocked}"
    # every page ran under the service's Content-Security-Policy with nothing refused
    violations = [v for tab in tabs for v in tab.csp_violations]
    assert violations == [], "the Content-Security-Policy refused:\n" + "\n".join(violations)


@pytest.fixture
def visit(open_tab: Callable[..., Visit], live_server: LiveServer) -> Visit:
    """A tab on the session's server, signed in."""
    return open_tab(live_server)


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of the test's own, on a new database, for journeys that change what
    every run uses (the unit cost table in use) or need a known set of projects."""
    with serving(tmp_path) as running:
        yield running


# -- axe-core ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE.is_file():
        unavailable(f"axe-core is not installed at {AXE} (npm ci --prefix tests/browser)")
    return AXE


def describe(violations: list[dict[str, Any]]) -> str:
    """axe's violations as lines a person can act on."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}")
            lines.append(f"       {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n       ")
            if summary:
                lines.append(f"       {summary}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def run_axe(page: Page, axe: Path) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1/2.2 A and AA violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluated by the test harness (DevTools), not as a script of the page: the
        # page's Content-Security-Policy allows only the service's own scripts
        page.evaluate(axe.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return JSON.stringify(r.violations);
        }""",
        WCAG_TAGS,
    )
    violations: list[dict[str, Any]] = json.loads(result)
    return violations


#: The narrowest screen WCAG 1.4.10 (reflow) asks a page to fit: 1280 px at 400% zoom.
NARROW = 320
#: What a name from the code looks like: two or more lowercase words joined by "_".
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
#: A number as a program writes it, not a person: 1e+06, 2.5E-3.
EXPONENT = re.compile(r"\b\d+(?:\.\d+)?[eE][+-]?\d+\b")
#: Text a person reads as words on a page (labels, hints, errors, headings, legends,
#: table headings, options, buttons): none may speak in field names from the code.
#: A workbook column, the one place a code name helps, is shown as such in <code>.
WORDS = (
    "label, .hint, .error-message, .error-summary, legend, h1, h2, h3, th, dt, option,"
    " button, .warning-text, .warning-banner, .problem-box, .inset, .banner, summary"
)


def page_problems(page: Page) -> list[str]:
    """What fails a page beyond axe-core: sideways scroll at 320 CSS px (the page's own
    width, not a table's, which scrolls in its box) and snake_case in visible words."""
    problems = []
    size = page.viewport_size or {"width": 1280, "height": 900}
    page.set_viewport_size({"width": NARROW, "height": size["height"]})
    try:
        width = page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        )
        if width > NARROW:
            widest = page.evaluate(
                """(narrow) => [...document.querySelectorAll('body *')]
                     .filter(e => e.getBoundingClientRect().right > narrow + 1
                                  && getComputedStyle(e).position !== 'fixed')
                     .slice(0, 3).map(e => e.tagName.toLowerCase()
                        + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
                        + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')""",
                NARROW,
            )
            problems.append(f"the page is {width} px wide at {NARROW} px: {widest}")
    finally:
        page.set_viewport_size(size)
    texts = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
             .filter(e => e.checkVisibility ? e.checkVisibility() : e.offsetParent !== null)
             .map(e => { const c = e.cloneNode(true);
                         c.querySelectorAll('code, .code-name').forEach(x => x.remove());
                         return c.textContent; })""",
        WORDS,
    )
    names = sorted({m for text in texts for m in SNAKE_CASE.findall(text)})
    if names:
        problems.append(f"field names from the code in visible words: {names}")
    exponents = sorted({m for text in texts for m in EXPONENT.findall(text)})
    if exponents:
        problems.append(f"numbers written with an exponent: {exponents}")
    return problems


@pytest.fixture(scope="session")
def checked_pages() -> list[str]:
    """Every page address axe-core checked in the session (for the coverage test)."""
    return []


@pytest.fixture
def check_axe(axe_source: Path, checked_pages: list[str]) -> Iterator[Any]:
    """``check_axe(page, label)``: collect serious and critical violations; fail at the end.

    Every page of a test is checked before the test fails, so one run lists every page's
    problems rather than the first.
    """
    failures: list[str] = []

    def check(page: Page, label: str | None = None) -> list[dict[str, Any]]:
        violations = run_axe(page, axe_source)
        checked_pages.append(page.url)
        where = label or page.url
        failures.extend(f"{where}: {problem}" for problem in page_problems(page))
        others = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
        if others:
            print(f"\n{where}: axe findings below serious:\n{describe(others)}")
        failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
        if failing:
            failures.append(f"{where}\n{describe(failing)}")
        return failing

    yield check
    if failures:
        pytest.fail(
            "axe-core found serious or critical WCAG 2.2 AA violations, or a page"
            " scrolls sideways at 320 px or speaks in field names:\n\n" + "\n\n".join(failures),
            pytrace=False,
        )


# -- data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Samples:
    """The sample projects, imported once for the session: kind -> project page path."""

    paths: dict[str, str]
    run_id: int
    rerun_id: int

    def __getitem__(self, kind: str) -> str:
        return self.paths[kind]


@pytest.fixture(scope="session")
def samples(live_server: LiveServer) -> Samples:
    return seed_samples(live_server)


def seed_samples(server: LiveServer) -> Samples:
    """Import the sample inputs through the import page, compute one, re-run its run."""
    client = signed_in(server.app)
    paths = {}
    for kind, name in (
        ("appraisal", "edge_of_care_appraisal.json"),
        ("comparison", "comparison_group_study.json"),
        ("case_level", "enfield_case_level.json"),
    ):
        file = (io.BytesIO((SAMPLES / name).read_bytes()), name)
        response = post_form(client, "/projects/import", {"file": file}, multipart=True)
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
        paths[kind] = urlsplit(response.headers["Location"]).path
    response = post_form(client, "/projects/new", {"project_id": "EMPTY-1", "name": "Empty"})
    assert response.status_code == 302
    paths["empty"] = urlsplit(response.headers["Location"]).path
    # "Calculate the results" (a POST): viewing a results page never computes
    for kind in ("appraisal", "comparison", "case_level"):
        assert post_form(client, f"{paths[kind]}/results", {}).status_code == 302
    calculated = post_form(client, f"{paths['appraisal']}/results", {"simulations": "200"})
    assert calculated.status_code == 302
    html = client.get(f"{paths['appraisal']}/results").get_data(as_text=True)
    run_id = int(re.findall(r'href="/runs/(\d+)"', html)[0])
    # the re-run form posts to /runs/<id>/rerun with the run page's token
    token = CSRF.search(client.get(f"/runs/{run_id}").get_data(as_text=True))
    assert token
    response = client.post(f"/runs/{run_id}/rerun", data={"csrf_token": token.group(1)})
    assert response.status_code == 302, response.status_code
    rerun_id = int(urlsplit(response.headers["Location"]).path.rsplit("/", 1)[1])
    return Samples(paths, run_id, rerun_id)
