"""Journeys as a person makes them in the browser, by keyboard only where it matters.

The first journey is made with the keyboard alone (Tab, Shift+Tab, Enter, Space and
typing): create a project, recover from a mistake through the error summary, add a cost
and an outcome by finding their unit costs with the picker, and read the FROI, which
must be the engine's figure for the same input.  Every focus stop is checked for a
visible focus and for moving in the page's order (:mod:`.keyboard`), and each page met
on the way is checked with axe-core.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from playwright.sync_api import Page

from calculator.engine import compute
from calculator.reference import load_reference
from froi.web.core.formatting import ratio
from froi.web.uploads import jobs

from .conftest import SAMPLES, Visit, seed_samples
from .keyboard import Keyboard
from .live import EMAIL, PASSWORD, LiveServer, post_form, signed_in
from .workbooks import input_document, input_workbook

CheckAxe = Callable[..., list[dict[str, Any]]]


def pounds_per_pound(value: float) -> str:
    return f"£{value:,.2f} per £1"


def test_create_a_project_add_rows_with_the_picker_and_read_its_froi_by_keyboard(
    visit: Visit, check_axe: CheckAxe
) -> None:
    page = visit.page
    keys = Keyboard(page)
    visit.goto("/projects/")

    # the first Tab reaches the skip link, which takes focus past the navigation
    assert keys.tab_to(".skip-link") == 1
    keys.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    assert keys.tab_to('a[href="/projects/new"]') == 1
    keys.press("Enter", navigates=True)
    assert page.title().startswith("Create a project")

    # the form, with a mistake in it
    keys.tab_to("#field-project_id")
    keys.type("KB-1")
    assert keys.tab_to("#field-name") == 1
    keys.type("Keyboard journey")
    keys.tab_to("#field-participants")
    keys.type("forty")
    keys.press("Enter", navigates=True)  # Enter in a field submits the form
    assert page.title().startswith("Error: Create a project")
    # the error summary takes focus, its link takes focus to the field
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    check_axe(page, "create a project, with an error")
    keys.tab_to('.error-summary a[href="#field-participants"]')
    keys.press("Enter")
    assert page.evaluate("document.activeElement.id") == "field-participants"
    keys.type("40")
    keys.tab_to("main form button[type=submit]")
    keys.press("Enter", navigates=True)
    assert page.locator("h1").inner_text() == "KB-1: Keyboard journey"
    project = page.url.split("#")[0]  # a redirect keeps the fragment of the link used

    # a cost, costed from the unit cost table: the picker link, then its search button
    keys.tab_to('a[href$="/costs/new"]')
    keys.press("Enter", navigates=True)
    # "How is this cost worked out?": nothing is asked until a way is chosen, then only
    # that way's questions show (GOV.UK radios with a conditional reveal, no script)
    assert not page.locator("#field-amount").is_visible()
    assert not page.locator("#field-unit_cost_code").is_visible()
    keys.tab_to("#field-costing")
    keys.press("ArrowDown")  # arrows move through radios and choose
    assert page.locator("#field-costing-unit").is_checked()
    assert page.locator("#field-unit_cost_code").is_visible()
    assert not page.locator("#field-amount").is_visible()
    assert not page.locator("#field-salary").is_visible()
    keys.tab_to('#costing-unit a[href="#picker"]')
    keys.press("Enter")
    assert keys.tab_to("#field-search") == 1
    keys.type("social worker children")
    keys.tab_to('button[value="search"]')
    keys.press("Space", navigates=True)
    assert "match ‘social worker children’" in page.locator("#picker [role=status]").inner_text()
    check_axe(page, "cost form with the picker's results")
    keys.tab_to('button[name="pick"][value="SS18.2"]')
    keys.press("Space", navigates=True)
    # "Use" fills in the code and brings focus back to it
    assert page.evaluate("document.activeElement.id") == "field-unit_cost_code"
    assert page.locator("#field-unit_cost_code").input_value() == "SS18.2"
    assert page.locator("#field-costing-unit").is_checked()  # the way chosen is kept
    assert page.locator("#costing-unit").get_by_text("Chosen:").is_visible()
    keys.tab_to("#field-unit-quantity")
    keys.type("1000")
    keys.tab_to('button[value="save"]')
    keys.press("Enter", navigates=True)
    assert page.url.endswith("#list-costs")

    # an outcome: Enter in the search box searches, as the text is new
    keys.tab_to('a[href$="/outcomes/new"]')
    keys.press("Enter", navigates=True)
    keys.tab_to("#field-search")
    keys.type("residential care home children")
    keys.press("Enter", navigates=True)
    assert page.locator("#field-unit_cost_code").input_value() == ""
    keys.tab_to('button[name="pick"][value="SS3.0"]')
    keys.press("Space", navigates=True)
    assert page.locator("#field-unit_cost_code").input_value() == "SS3.0"
    for selector, text in (
        ("#field-cohort", "40"),
        ("#field-success", "30%"),
        ("#field-quantity", "26"),
    ):
        keys.tab_to(selector)
        keys.type(text)
    keys.press("Enter", navigates=True)  # Enter in a field saves
    assert page.url.split("#")[0] == project
    check_axe(page, "project with a cost and an outcome")

    # back up the page to the results
    keys.tab_to('form[action$="/results"] button', backwards=True)  # "See the results"
    keys.press("Enter", navigates=True)
    assert page.locator("h1").inner_text() == "Results of KB-1"
    check_axe(page, "results")
    shown = page.locator(
        "xpath=//dt[starts-with(normalize-space(), 'Fiscal return on investment (FROI)')]"
        "/following-sibling::dd[contains(@class, 'headline-value')]"
    )
    froi = shown.first.inner_text()
    assert re.fullmatch(r"£\d[\d,]*\.\d\d per £1", froi), froi

    doc = {
        "settings": {},
        "projects": [
            {
                "project_id": "KB-1",
                "name": "Keyboard journey",
                "participants": 40,
                "costs": [{"unit_cost_code": "SS18.2", "quantity": 1000}],
                "outcomes": [
                    {"unit_cost_code": "SS3.0", "cohort": 40, "success": 0.3, "quantity": 26}
                ],
            }
        ],
    }
    direct = compute(doc, load_reference()).to_dict()["projects"][0]
    assert froi == pounds_per_pound(direct["froi"])
    # nothing in the journey was done by pointer: every stop was a Tab or Shift+Tab
    assert len(keys.stops) > 10


def test_sign_in_with_a_wrong_password_then_the_right_one_and_sign_out_by_keyboard(
    open_tab: Callable[..., Visit], live_server: LiveServer, check_axe: CheckAxe
) -> None:
    visit = open_tab(live_server, sign_in=False)
    page = visit.page
    keys = Keyboard(page)
    # signed out, a page sends you to sign in, and back to it afterwards
    visit.goto("/runs/")
    where = urlsplit(page.url)
    assert where.path == "/sign-in" and parse_qs(where.query)["next"] == ["/runs/"]
    assert page.locator("h1").inner_text() == "Sign in"
    check_axe(page, "sign in")

    keys.tab_to("#field-email")
    keys.type(EMAIL)
    keys.tab_to("#field-password")
    keys.type("not my password at all")
    keys.press("Enter", navigates=True)
    assert page.title().startswith("Error: Sign in")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert (
        "Enter a correct email address and password" in page.locator(".error-summary").inner_text()
    )
    assert page.locator("#field-email").input_value() == EMAIL  # what was typed is kept
    check_axe(page, "sign in with a wrong password")

    keys.tab_to("#field-password")
    keys.type(PASSWORD)
    keys.press("Enter", navigates=True)
    assert urlsplit(page.url).path == "/runs/"
    assert EMAIL in page.locator("header").inner_text()

    keys.tab_to("header form button")
    assert page.evaluate("document.activeElement.innerText") == "Sign out"
    keys.press("Enter", navigates=True)
    assert urlsplit(page.url).path == "/sign-in"
    assert "You have signed out." in page.locator(".banner").inner_text()
    check_axe(page, "signed out")
    visit.goto("/projects/")
    assert urlsplit(page.url).path == "/sign-in"  # signed out for good
    download = page.request.get(visit.url("/batch/template.xlsx"))
    assert download.status == 401


def test_the_keyboard_checks_can_fail(visit: Visit) -> None:
    """A focus style removed on purpose, and a tab order against the page, are caught."""
    page = visit.page
    visit.goto("/projects/")
    # a rule added to the service's own style sheet (an inline style would be refused by
    # the page's Content-Security-Policy)
    page.evaluate(
        """() => { const sheet = document.styleSheets[0];
                   sheet.insertRule('a:focus-visible { outline: none !important; '
                                    + 'box-shadow: none !important; }', sheet.cssRules.length); }"""
    )
    with pytest.raises(AssertionError, match="focus cannot be seen"):
        Keyboard(page).tab_to(".skip-link")
    visit.goto("/projects/")
    page.evaluate("() => document.querySelector('.header-service').tabIndex = 1")
    keys = Keyboard(page)
    keys.tab_to(".header-service")  # first, by its tabindex
    with pytest.raises(AssertionError, match="against the page's order"):
        keys.tab_to(".skip-link")


def choose_file(keys: Keyboard, path: Path) -> None:
    """Pick ``path`` in the focused file input, as a person does in the chooser that Space
    opens there.  The chooser is the operating system's dialog, not the page: headless
    Chromium opens it only while the key press still counts as a user's gesture, which a
    loaded machine can let lapse (the journey failed that way in CI), so the test checks
    that the keyboard reached the input and then gives it the file directly."""
    focused = keys.page.evaluate("() => document.activeElement && document.activeElement.id")
    assert focused == "field-file", f"the keyboard is on {focused!r}, not the file input"
    keys.page.locator("#field-file").set_input_files(path)


def column(page: Page, table: str, heading: str) -> list[str]:
    """The cells of a table's column by its heading (the row headings are column one)."""
    headings = [h.strip() for h in page.locator(f"{table} thead th").all_inner_texts()]
    # a sort link's heading ends at its arrow or its words for screen readers
    names = [re.split(r"[,\n▲▼]", h)[0].strip() for h in headings]
    index = names.index(heading)
    cells = page.locator(f"{table} tbody tr").evaluate_all(
        "(rows, i) => rows.map(r => r.children[i] ? r.children[i].innerText.trim() : '')",
        index,
    )
    return list(cells)


def pounds(text: str) -> float:
    """'£1,234.56 per £1' or '-£12' -> the number."""
    match = re.search(r"(-?)£([\d,]+(?:\.\d+)?)", text)
    assert match, text
    return float(match.group(1) + match.group(2).replace(",", ""))


def test_upload_a_workbook_fix_its_problem_confirm_and_download_the_results(
    visit: Visit, check_axe: CheckAxe, tmp_path: Path
) -> None:
    page = visit.page
    keys = Keyboard(page)
    broken, cell = input_workbook(tmp_path, "WB-1", success=45)
    visit.goto("/batch/")
    keys.tab_to("#field-file")
    choose_file(keys, broken)
    keys.tab_to("main form button[type=submit]")
    keys.press("Enter", navigates=True)

    # the problem, with its sheet and cell
    assert page.locator("h1").inner_text() == "Correct the problems in wb-1.xlsx"
    problems = page.locator(".problem-list li").all_inner_texts()
    assert len(problems) == 1 and problems[0].startswith(f"{cell}: "), problems
    assert "success must be between 0 and 1; got 45" in problems[0], problems
    check_axe(page, "batch: the workbook's problem")

    # corrected with openpyxl (the sample's own 12%), uploaded again from the same page
    corrected, _ = input_workbook(tmp_path, "WB-1")
    keys.tab_to("#field-file")
    choose_file(keys, corrected)
    keys.tab_to("main form button[type=submit]")
    keys.press("Enter", navigates=True)
    assert page.locator("h1").inner_text() == "Check and confirm wb-1.xlsx"
    keys.tab_to("main form button[type=submit]")
    assert page.evaluate("document.activeElement.innerText") == "Confirm and compute"
    keys.press("Enter", navigates=True)
    assert page.locator("h1").inner_text() == "Results of wb-1.xlsx"
    check_axe(page, "batch: results")

    direct = compute(input_document("WB-1"), load_reference()).to_dict()["projects"][0]
    shown = column(page, "main table", "FROI")
    assert shown == [pounds_per_pound(direct["froi"])]

    # the results workbook, downloaded and opened
    keys.tab_to("main a[download]")
    with page.expect_download() as download:
        keys.press("Enter")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".xlsx"
    book = openpyxl.load_workbook(saved, data_only=True, read_only=True)
    rows = list(book["Summary"].iter_rows(values_only=True))
    rows = rows[[r[0] for r in rows].index("Project #") :]  # the table, under any warnings
    header = list(rows[0])
    found = [r for r in rows[1:] if r[header.index("Project ID")] == "WB-1"]
    assert len(found) == 1
    froi = found[0][header.index("FROI (£ per £1)")]
    assert math.isclose(froi, direct["froi"], rel_tol=1e-9), (froi, direct["froi"])
    book.close()


def test_compare_projects_on_the_portfolio_sorted_and_filtered_by_keyboard(
    open_tab: Callable[[LiveServer], Visit],
    own_server: LiveServer,
    check_axe: CheckAxe,
    tmp_path: Path,
) -> None:
    seed_samples(own_server)
    client = signed_in(own_server.app)
    file = (io.BytesIO((SAMPLES / "hampshire_offset.json").read_bytes()), "hampshire.json")
    response = post_form(client, "/projects/import", {"file": file}, multipart=True)
    assert response.status_code == 302
    visit = open_tab(own_server)
    page = visit.page
    keys = Keyboard(page)
    visit.goto("/portfolio/")
    table = "main table"
    everything = column(page, table, "Project")
    assert len(everything) == 5, everything

    # sort by FROI: smallest first, then again for largest first
    for order, descending in (("ascending", False), ("descending", True)):
        keys.tab_to("th a.sort-link")
        while not page.evaluate("document.activeElement.innerText").startswith("FROI"):
            keys.tab_to("th a.sort-link")
        keys.press("Enter", navigates=True)
        heading = page.locator("main table thead th[aria-sort]")
        assert heading.inner_text().startswith("FROI")
        assert heading.get_attribute("aria-sort") == order
        # (a project with no costs has no FROI: "not available")
        values = [pounds(v) for v in column(page, table, "FROI") if "£" in v]
        assert len(values) >= 4 and values == sorted(values, reverse=descending), values
    check_axe(page, "portfolio sorted by FROI")

    # filter by mode, chosen by typing in the list, then by a word of the name
    keys.tab_to("#field-mode")
    page.keyboard.type("Appraisal")
    assert page.locator("#field-mode").input_value() == "appraisal"
    keys.tab_to("main form button[type=submit]")
    keys.press("Enter", navigates=True)
    modes = column(page, table, "Mode")
    assert modes and set(modes) == {"Appraisal"} and len(modes) < len(everything)
    assert page.locator("[role=status]").inner_text() == f"Showing {len(modes)} of 5 projects."
    keys.tab_to("#field-q")
    keys.type("edge")
    keys.press("Enter", navigates=True)
    assert [p.split("\n")[0] for p in column(page, table, "Project")] == ["EOC-HUB"]
    check_axe(page, "portfolio filtered")

    # export what the filters show: a job whose page shows its progress, then the download
    keys.tab_to("main form[action='/portfolio/export'] button")
    keys.press("Enter", navigates=True)
    assert page.locator("h1").inner_text() == "Exporting the portfolio as the standard workbook"
    jobs.wait_for_jobs(own_server.app, timeout=120)
    visit.goto(urlsplit(page.url).path)
    check_axe(page, "portfolio export done")
    keys.tab_to("main a[download]")
    with page.expect_download() as download:
        keys.press("Enter")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert re.fullmatch(r"portfolio-run-\d+\.xlsx", saved.name)
    book = openpyxl.load_workbook(saved, data_only=True, read_only=True)
    rows = list(book["Summary"].iter_rows(values_only=True))
    rows = rows[[r[0] for r in rows].index("Project #") :]
    header = list(rows[0])
    assert [r[header.index("Project ID")] for r in rows[1:] if r[0]] == ["EOC-HUB"]
    book.close()


def test_override_a_unit_cost_locally_and_rerun_a_stored_run_on_it_by_keyboard(
    open_tab: Callable[[LiveServer], Visit], own_server: LiveServer, check_axe: CheckAxe
) -> None:
    samples = seed_samples(own_server)  # EOC-HUB computed as a run: it uses SS3.0
    visit = open_tab(own_server)
    page = visit.page
    keys = Keyboard(page)
    visit.goto("/unit-costs/tables")

    # a local override table over the national version
    keys.tab_to('main a[href="/unit-costs/local/new"]')
    keys.press("Enter", navigates=True)
    keys.tab_to("#field-parent")
    page.keyboard.press("ArrowDown")
    assert page.locator("#field-parent").input_value() != ""
    keys.tab_to("#field-name")
    keys.type("Anytown local unit costs")
    keys.tab_to("#field-version")
    keys.type("2026.L1")
    keys.press("Enter", navigates=True)
    assert page.locator("h1").inner_text() == "Anytown local unit costs, version 2026.L1"

    # replace SS3.0 with a local figure
    keys.tab_to("#search-unit-costs")
    keys.type("SS3.0")
    keys.press("Enter", navigates=True)
    keys.tab_to('main a[href*="from=SS3.0"]')
    keys.press("Enter", navigates=True)
    assert page.locator("#field-code").input_value() == "SS3.0"
    keys.tab_to("#field-value")
    keys.type("1234.50")
    keys.press("Enter", navigates=True)
    assert "Saved unit cost SS3.0" in page.locator(".banner").inner_text()

    # publish it, after a confirmation page (a published version never changes), and
    # choose it for new runs
    keys.tab_to('main a[href$="/publish"]')
    assert page.evaluate("document.activeElement.innerText") == "Publish version 2026.L1"
    keys.press("Enter", navigates=True)
    assert page.locator("h1").inner_text() == "Publish Anytown local unit costs, version 2026.L1?"
    assert "can never change" in page.locator("main").inner_text()
    check_axe(page, "publish a table: are you sure?")
    keys.tab_to("main form button[type=submit]")
    assert page.evaluate("document.activeElement.innerText") == "Yes, publish it"
    keys.press("Enter", navigates=True)
    keys.tab_to("main form button[type=submit]")
    assert page.evaluate("document.activeElement.innerText") == "Use version 2026.L1 for new runs"
    keys.press("Enter", navigates=True)
    assert (
        "New runs now use Anytown local unit costs, version 2026.L1"
        in page.locator(".banner").inner_text()
    )

    # the stored run, re-run on the current tables: what changed, and why
    keys.tab_to('header a[href="/runs/"]')
    keys.press("Enter", navigates=True)
    keys.tab_to(f'main a[href="/runs/{samples.run_id}"]')
    keys.press("Enter", navigates=True)
    keys.tab_to("main form[action$='/rerun-current'] button")
    keys.press("Enter", navigates=True)
    check_axe(page, "a re-run on the current tables")
    assert page.locator(".problem-box-title").first.inner_text() == "Figures changed"
    changed = page.locator("main tr", has=page.locator("th", has_text="SS3.0"))
    assert changed.count() == 1
    cells = changed.locator("td").all_inner_texts()
    assert cells[1:3] == ["£2,995.00", "£1,234.50"], cells
    # what differs, in words and rounded money: "Project EOC-01, FROI", £x.xx per £1
    froi = page.locator("main tr", has=page.locator("th", has_text=re.compile(r", FROI$")))
    assert froi.count() == 1
    before, after = froi.locator("td").all_inner_texts()
    original = compute(
        json.loads((SAMPLES / "edge_of_care_appraisal.json").read_text()), load_reference()
    ).to_dict()["projects"][0]["froi"]
    assert before == ratio(original)
    pounds = [float(re.sub(r"[^\d.]", "", v.split(" per ")[0])) for v in (before, after)]
    assert pounds[1] < pounds[0]
