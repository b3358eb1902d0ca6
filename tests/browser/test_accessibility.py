"""axe-core on every page of the service, in Chromium: WCAG 2.0, 2.1 and 2.2, A and AA.

Each page is visited in a real browser, axe-core (from ``tests/browser/node_modules``) is
injected into it and run, and any violation of impact serious or critical fails the test
with the rule, the element and how to fix it.  Pages are also checked in the states a
person meets: a form with errors, the unit cost picker with search results, results with
the uncertainty analysis, the error pages.  The last test checks that every HTML page
the app routes was checked, so a new page cannot go unchecked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from froi.web.core.db import get_session
from froi.web.core.models import Job, Organisation, Run, utcnow

from .conftest import WCAG_TAGS, Samples, Visit, describe, run_axe
from .live import EMAIL, PASSWORD, LiveServer, add_user, sign_in_page
from .workbooks import input_workbook

CheckAxe = Callable[..., list[dict[str, Any]]]

#: Routes that answer with a file or a redirect, not a page: nothing for axe-core to check.
NOT_PAGES = {
    "static",
    "runs.input_json",
    "runs.table_csv",
    "batch.template",
    "batch.sample",
    "batch.results_workbook",
    "portfolio.export",
    "portfolio.export_file",  # the workbook an export job wrote
    "jobs.result",  # redirects to what the job made
    "accounts.sign_out",  # a form's post, then the sign-in page
    "health.healthz",  # JSON for a load balancer (docs/deployment.md)
    "health.readyz",
}

LISTS = (
    "costs",
    "outcomes",
    "intervention_usage",
    "comparison_usage",
    "cases",
    "case_outcomes",
    "teams",
)


def check(visit: Visit, check_axe: CheckAxe, path: str) -> None:
    visit.goto(path)
    check_axe(visit.page, path)


def press_button(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def test_lists_and_reference_pages(visit: Visit, check_axe: CheckAxe, samples: Samples) -> None:
    for path in (
        "/",
        "/glossary",
        "/projects/",
        "/projects/?q=edge",
        "/projects/?q=zzz",
        "/projects/new",
        "/projects/import",
        "/unit-costs/",
        "/unit-costs/?q=foster",
        "/runs/",
        f"/runs/{samples.run_id}",
        f"/runs/{samples.rerun_id}",
    ):
        check(visit, check_axe, path)


@pytest.mark.parametrize("kind", ["appraisal", "comparison", "case_level", "empty"])
def test_project_pages(visit: Visit, check_axe: CheckAxe, samples: Samples, kind: str) -> None:
    location = samples[kind]
    paths = [location, f"{location}/edit", f"{location}/copy", f"{location}/delete"]
    paths.append(f"{location}/results")
    if kind == "appraisal":
        paths.append(f"{location}/results?simulations=200")
        paths += [f"{location}/{name}/new" for name in LISTS]
    if kind != "empty":
        first = "cases" if kind == "case_level" else "costs"
        paths += [f"{location}/{first}/1/edit", f"{location}/{first}/1/delete"]
    for path in paths:
        check(visit, check_axe, path)


def test_forms_with_errors_and_the_picker(
    visit: Visit, check_axe: CheckAxe, samples: Samples
) -> None:
    page = visit.page
    visit.goto("/projects/new")
    page.locator("#field-participants").fill("x")
    press_button(page, "Create project")
    assert page.title().startswith("Error:")
    check_axe(page, "/projects/new with errors")

    location = samples["empty"]
    visit.goto(f"{location}/copy")
    page.locator("#field-project_id").fill("")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.title().startswith("Error:")
    check_axe(page, f"{location}/copy with errors")

    visit.goto(f"{location}/outcomes/new")
    page.locator("#field-success").fill("45")
    press_button(page, "Save outcome")
    assert page.title().startswith("Error:")
    check_axe(page, f"{location}/outcomes/new with errors")

    visit.goto(f"{location}/outcomes/new")
    page.get_by_label("Search the unit cost table").fill("foster")
    press_button(page, "Search unit costs")
    assert page.get_by_role("button", name="Use").count() > 0
    check_axe(page, f"{location}/outcomes/new with the picker's search results")

    visit.goto(f"{location}/costs/new")
    page.get_by_label("Search the unit cost table").fill("zzzz no such cost")
    press_button(page, "Search unit costs")
    check_axe(page, f"{location}/costs/new with a search that finds nothing")

    visit.goto(f"{samples['appraisal']}/results?simulations=x")
    check_axe(page, "results with simulations=x")

    visit.goto("/projects/import")
    press_button(page, "Import")
    check_axe(page, "/projects/import with no file")


def test_error_pages(visit: Visit, check_axe: CheckAxe, samples: Samples) -> None:
    page = visit.page
    response = page.goto(visit.url("/no/such/page"))
    assert response is not None and response.status == 404
    check_axe(page, "404")
    response = page.goto(visit.url(f"/runs/{samples.run_id}/rerun"))
    assert response is not None and response.status == 405
    check_axe(page, "405")
    # a form posted without its token, as another site's form would be
    visit.goto("/projects/")
    with page.expect_navigation():
        page.evaluate(
            """() => { const f = document.createElement('form'); f.method = 'post';
                       f.action = '/projects/new'; document.body.append(f); f.submit(); }"""
        )
    assert page.title().startswith("There is a problem")
    check_axe(page, "400")
    # a file over the 5 MB limit
    visit.goto("/projects/import")
    page.get_by_label("JSON file").set_input_files(
        {"name": "big.json", "mimeType": "application/json", "buffer": b" " * (6 << 20)}
    )
    press_button(page, "Import")
    # refused in the page or by the size limit, it is a page of the service
    assert page.title().startswith(("The file is too large", "Error: "))
    check_axe(page, "413")


def test_batch_and_job_pages(
    visit: Visit, check_axe: CheckAxe, live_server: LiveServer, tmp_path: Path
) -> None:
    page = visit.page
    check(visit, check_axe, "/batch/")
    press_button(page, "Upload and check")
    check_axe(page, "/batch/ with no file")

    def upload(path: Path) -> None:
        visit.goto("/batch/")
        page.get_by_label("Excel workbook").set_input_files(path)
        press_button(page, "Upload and check")

    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    upload(junk)
    check_axe(page, "batch: a file that is not a workbook")
    upload(input_workbook(tmp_path, "AXE-B1", success=45)[0])
    assert page.locator("h1").inner_text().startswith("Correct the problems")
    check_axe(page, "batch: a workbook with a problem")
    upload(input_workbook(tmp_path, "AXE-B1")[0])
    assert page.locator("h1").inner_text().startswith("Check and confirm")
    check_axe(page, "batch: check and confirm")
    press_button(page, "Confirm and compute")
    assert page.locator("h1").inner_text().startswith("Results of")
    check_axe(page, "batch: results")
    results = urlsplit(page.url).path
    check(visit, check_axe, results + "?sort=-froi")

    # a job's page while it runs, while it waits for an unreachable queue, once it
    # failed, and a finished portfolio export's (its download; other finished jobs' pages
    # lead to their result); the jobs are written as a worker would write them
    app = live_server.app
    with app.app_context():
        session = get_session()
        organisation_id = session.scalars(select(Organisation.id)).first()
        run_id = session.scalars(select(Run.id)).first()
        jobs = [
            Job(organisation_id=organisation_id, kind=kind, status=status, **extra)
            for kind, status, extra in (
                ("check", "running", {"stage": "Checking the rows", "done": 3, "total": 10}),
                ("check", "queued", {"stage": "Waiting to check a.xlsx", "unsent": True}),
                ("check", "failed", {"stage": "Checking the rows", "error": "The file went away."}),
                ("portfolio_export", "done", {"run_id": run_id, "stage": "Done"}),
            )
        ]  # fmt: skip
        for job in jobs:
            job.heartbeat = job.created_at = utcnow()
        session.add_all(jobs)
        session.commit()
        jobs[-1].result_url = f"/portfolio/exports/{jobs[-1].id}.xlsx"
        session.commit()
        ids = [job.id for job in jobs]
    states = ("running", "unsent", "failed", "finished export")
    for job_id, state in zip(ids, states, strict=True):
        visit.goto(f"/jobs/{job_id}")
        check_axe(page, f"a {state} job")
    assert "Download the results workbook" in page.locator("main").inner_text()


def test_portfolio_pages(visit: Visit, check_axe: CheckAxe, samples: Samples) -> None:
    for path in (
        "/portfolio/",
        "/portfolio/?view=themes",
        "/portfolio/?mode=appraisal&sort=-froi",
        "/portfolio/?q=zzz",
        "/portfolio/?appraisal_years=abc&base_year=1066",
    ):
        check(visit, check_axe, path)


def test_unit_cost_table_pages(visit: Visit, check_axe: CheckAxe) -> None:
    page = visit.page
    check(visit, check_axe, "/unit-costs/tables")
    national = page.locator("main table a[href^='/unit-costs/tables/']").first.get_attribute("href")
    assert national is not None
    national_id = national.rsplit("/", 1)[1]
    for path in (
        national,
        f"{national}?q=foster&agency=Local+Authority",
        f"{national}/quality",
        f"{national}/new-version",
        f"/unit-costs/compare?from={national_id}&to={national_id}",
        "/unit-costs/compare",
        "/unit-costs/upload",
        "/unit-costs/local/new",
        "/unit-costs/codes/SS3.0",
        f"/unit-costs/codes/SS3.0?table={national_id}",
    ):
        check(visit, check_axe, path)
    visit.goto("/unit-costs/upload")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    check_axe(page, "/unit-costs/upload with errors")
    visit.goto("/unit-costs/local/new")
    press_button(page, "Start the draft")
    check_axe(page, "/unit-costs/local/new with errors")

    # a local draft with a row of its own
    page.get_by_label("National version it inherits from").select_option(index=1)
    page.locator("#field-name").fill("Axe local costs")
    page.locator("#field-version").fill("axe.1")
    press_button(page, "Start the draft")
    draft = urlsplit(page.url).path
    check_axe(page, "a local draft")
    visit.goto(f"{draft}/rows/new?from=SS3.0")
    check_axe(page, "replace a national unit cost locally")
    page.locator("#field-value").fill("abc")
    press_button(page, "Save unit cost")
    check_axe(page, "a unit cost row with an error")
    page.locator("#field-value").fill("1500")
    press_button(page, "Save unit cost")
    edit = page.locator("main table a[href$='/edit']").first.get_attribute("href")
    assert edit is not None
    for path in (edit, edit.replace("/edit", "/delete"), f"{draft}/discard", f"{draft}/publish"):
        check(visit, check_axe, path)


def test_account_pages(
    open_tab: Callable[..., Visit], live_server: LiveServer, check_axe: CheckAxe
) -> None:
    visit = open_tab(live_server, sign_in=False)
    page = visit.page
    check(visit, check_axe, "/sign-in")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill("a wrong password here")
    press_button(page, "Sign in")
    assert page.title().startswith("Error:")
    check_axe(page, "sign in with an error")
    sign_in_page(page, visit.base)
    for path in (
        "/account/password",
        "/account/tokens/",
        "/accounts/users/",
        "/accounts/users/new",
        "/accounts/organisations/",
        "/accounts/audit/",
        "/accounts/audit/?action=sign_in.failed",
        "/accounts/audit/?from=yesterday",
    ):
        check(visit, check_axe, path)
    visit.goto("/account/password")
    press_button(page, "Change password")
    assert page.title().startswith("Error:")
    check_axe(page, "change password with errors")

    # an API token, shown once
    visit.goto("/account/tokens/")
    page.get_by_label("Name").fill("Axe check")
    press_button(page, "Make a token")
    assert page.locator("#new-token").inner_text().startswith("froi_")
    check_axe(page, "a new API token")

    # a new user, their first password shown once, and their page
    visit.goto("/accounts/users/new")
    page.get_by_label("Email address").fill("axe.viewer@council.example")
    page.get_by_label("Role").select_option("viewer")
    press_button(page, "Add user")
    assert "can now sign in" in page.locator("h1").inner_text()
    check_axe(page, "a new user's first password")
    visit.goto("/accounts/users/")
    person = page.get_by_role("link", name="axe.viewer@council.example").get_attribute("href")
    assert person is not None
    check(visit, check_axe, person)

    # an organisation, its page and the form to add its users
    visit.goto("/accounts/organisations/")
    organisation = page.locator("main table a").first.get_attribute("href")
    assert organisation is not None
    check(visit, check_axe, organisation)
    check(visit, check_axe, f"{organisation}/users/new")

    # what a viewer meets when they try what their role may not do
    add_user(live_server.app, "axe.reader@council.example", "viewer")
    visit.goto("/projects/")
    press_button(page, "Sign out")
    sign_in_page(page, visit.base, "axe.reader@council.example", PASSWORD)
    visit.goto("/projects/new", status=403)
    check_axe(page, "403")


def test_the_api_documentation_page(
    visit: Visit, axe_source: Path, checked_pages: list[str]
) -> None:
    """/api-docs draws the OpenAPI document with the service's own Swagger UI files,
    under the site's Content-Security-Policy (the fixture fails on any refusal, and on
    any request off the server).  The page's own words and links are held to the site's
    accessibility checks; Swagger UI's drawing of the document is its own markup, and
    its findings are printed, not failed."""
    page = visit.page
    visit.goto("/api-docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    drawn = page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    assert any("/api/v1/calculations" in text for text in drawn), drawn
    assert page.locator("footer a", has_text="API documentation").count() == 1
    page.evaluate(axe_source.read_text(encoding="utf-8"))
    found = json.loads(
        page.evaluate(
            """async (tags) => {
                const r = await axe.run({exclude: [['#swagger-ui']]},
                    {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
                return JSON.stringify(r.violations);
            }""",
            WCAG_TAGS,
        )
    )
    checked_pages.append(page.url)
    failing = [v for v in found if v["impact"] in ("serious", "critical")]
    assert failing == [], describe(failing)
    drawing = [v for v in run_axe(page, axe_source) if v not in found]
    if drawing:
        print(f"\n/api-docs, Swagger UI's own markup:\n{describe(drawing)}")


def test_the_checks_can_fail(visit: Visit, axe_source: Path) -> None:
    """axe-core finds a violation put there on purpose, and the network guard catches a
    request off the test server (then forgets it, so this test passes)."""
    page = visit.page
    visit.goto("/projects/")
    page.evaluate(
        """() => { const b = document.createElement('button');
                   document.querySelector('main').append(b); }"""
    )
    found = {v["id"]: v["impact"] for v in run_axe(page, axe_source)}
    assert found.get("button-name") == "critical", found
    assert "button-name" in describe([v for v in run_axe(page, axe_source)])
    # the page's Content-Security-Policy refuses a script's request to another site...
    page.evaluate("() => fetch('https://cdn.example.com/x.js').catch(() => null)")
    page.wait_for_timeout(200)
    assert any("cdn.example.com" in v for v in visit.csp_violations), visit.csp_violations
    visit.csp_violations.clear()
    # ...and the network guard catches what the policy does not govern (a navigation)
    page.evaluate("() => { window.location.href = 'https://cdn.example.com/x.js'; }")
    page.wait_for_timeout(300)
    assert visit.blocked == ["https://cdn.example.com/x.js"]
    visit.blocked.clear()


def test_every_page_was_checked(
    request: pytest.FixtureRequest, live_server: LiveServer, checked_pages: list[str]
) -> None:
    """Every route that answers GET with a page was checked by a test above."""
    here = request.module.__name__
    wanted = {n for n in dir(request.module) if n.startswith("test_") and n != request.node.name}
    ran = {
        item.originalname
        for item in request.session.items
        if isinstance(item, pytest.Function) and item.module.__name__ == here
    }
    if not wanted <= ran:
        pytest.skip("checks the coverage of the whole module's run only")
    if not checked_pages:
        pytest.skip("no page was checked: the browser tests did not run")
    adapter = live_server.app.url_map.bind("127.0.0.1")
    checked = set()
    for url in checked_pages:
        try:
            checked.add(adapter.match(urlsplit(url).path)[0])
        except HTTPException:  # the error pages
            continue
    pages = {
        rule.endpoint
        for rule in live_server.app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and rule.endpoint not in NOT_PAGES
        and not rule.rule.startswith("/api/")  # the JSON API: documents, not pages
    }
    missing = sorted(pages - checked)
    assert missing == [], (
        f"pages no axe-core test visits: {missing}; add them to tests/browser/"
        " (or to NOT_PAGES if they answer with a file)"
    )
