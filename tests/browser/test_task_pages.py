"""Pages a finance officer can use without training (issue 13), driven as a person would.

Each journey is made in Chromium, by keyboard where it matters: the start page and its
three ways in, a staff post costed with money and rates typed as people type them
(£38,000, 30%), a mistake recovered through the error summary, the project page read
back in pounds, percentages and financial years with its checklist, the glossary
reached from a figure's label, the tornado named by the outcomes' descriptions, and a
results page printed as a committee paper.  Every page met is checked by ``check_axe``,
which also fails a page that scrolls sideways at 320 CSS px or speaks in field names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from playwright.sync_api import Page

from calculator.reference import load_reference
from froi.web.core.db import get_session
from froi.web.core.models import Project

from .conftest import NARROW, Samples, Visit, page_problems, seed_samples
from .keyboard import Keyboard
from .live import LiveServer
from .workbooks import input_workbook

CheckAxe = Callable[..., list[dict[str, Any]]]


def stored(server: LiveServer, reference: str) -> dict[str, Any]:
    with server.app.app_context():
        session = get_session()
        project = session.query(Project).filter_by(project_ref=reference).one()
        doc: dict[str, Any] = project.doc
        return doc


def test_the_start_page_says_what_the_service_does_and_offers_three_ways_in(
    visit: Visit, check_axe: CheckAxe
) -> None:
    page = visit.page
    visit.goto("/")
    check_axe(page, "start page")
    text = page.locator("main").inner_text()
    assert "fiscal return on investment" in text.lower()
    assert "Fiscal return on investment (FROI)" in text  # what FROI is, linked
    ways = page.locator(".way h3").all_inner_texts()
    assert ways == [
        "One project, by hand",
        "Many projects, from a workbook",
        "Compare projects in the portfolio",
    ]
    for name, path in (
        ("Create a project", "/projects/new"),
        ("Upload a workbook", "/batch/"),
        ("Go to the portfolio", "/portfolio/"),
    ):
        link = page.locator("main").get_by_role("link", name=name, exact=True)
        assert link.get_attribute("href") == path
    # the service's name in the header leads here from every page
    visit.goto("/projects/")
    assert page.get_by_role("link", name="FROI calculator").get_attribute("href") == "/"
    page.get_by_role("link", name="Glossary").click()
    page.wait_for_load_state()
    check_axe(page, "glossary")
    terms = page.locator(".glossary dt").all_inner_texts()
    for term in ("FROI", "NPV", "Optimism bias", "Deadweight", "Switching value", "Payback"):
        assert any(term in t for t in terms), (term, terms)


def test_a_staff_post_costed_by_keyboard_with_pounds_and_percentages(
    visit: Visit, check_axe: CheckAxe, live_server: LiveServer
) -> None:
    page = visit.page
    keys = Keyboard(page)
    visit.goto("/projects/new")
    page.locator("#field-project_id").fill("STAFF-1")
    page.locator("#field-name").fill("Family support team")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_load_state()
    project = page.url.split("#")[0]
    # an empty project lists what is missing and offers no results yet
    checklist = page.locator(".checklist").inner_text()
    assert "Add at least one cost" in checklist and "Add at least one outcome" in checklist
    assert page.get_by_role("button", name="See the results").count() == 0
    check_axe(page, "an empty project's checklist")

    keys.tab_to(".checklist a[href$='/costs/new']")
    keys.press("Enter", navigates=True)
    assert page.locator("h1").inner_text() == "Add a cost"
    keys.tab_to("#field-description")
    keys.type("Two family support workers")
    keys.tab_to("#field-costing")
    keys.press("ArrowDown")
    keys.press("ArrowDown")  # the third way: a staff post
    assert page.locator("#field-costing-staff").is_checked()
    for hidden in ("#field-amount", "#field-unit_cost_code"):
        assert not page.locator(hidden).is_visible(), hidden
    # what the way needs is marked as needed, and only what is optional says so
    labels = page.locator("#costing-staff label").all_inner_texts()
    assert "Annual salary" in labels and "Who pays" in labels, labels
    assert "Employer's on-costs (optional)" in labels, labels
    keys.tab_to("#field-salary")
    keys.type("£38,000")
    keys.tab_to("#field-on_costs")
    keys.type("30%")
    keys.tab_to("#field-overheads")
    keys.type("0.2")
    keys.tab_to("#field-staff-quantity")
    keys.type("2")
    # who pays is left unchosen: the error says so in words, and leads to the field
    keys.tab_to('button[value="save"]')
    keys.press("Enter", navigates=True)
    assert page.title().startswith("Error: Add a cost")
    summary = page.locator(".error-summary").inner_text()
    assert "Who pays" in summary or "who pays" in summary, summary
    check_axe(page, "a staff cost with an error")
    # what was typed is kept, the way chosen too
    assert page.locator("#field-costing-staff").is_checked()
    assert page.locator("#field-salary").input_value() == "£38,000"
    keys.tab_to(".error-summary a")
    keys.press("Enter")
    assert page.evaluate("document.activeElement.id") == "field-staff-agency"
    page.locator("#field-staff-agency").select_option("Local Authority")
    keys.tab_to("#field-end_year")
    page.locator("#field-end_year").select_option("4")  # to the fifth year
    keys.tab_to('button[value="save"]')
    keys.press("Enter", navigates=True)
    assert page.url.split("#")[0] == project
    assert stored(live_server, "STAFF-1")["costs"] == [
        {
            "description": "Two family support workers",
            "year": 0,
            "end_year": 4,
            "salary": 38000,
            "on_costs": 0.3,
            "overheads": 0.2,
            "quantity": 2,
            "agency": "Local Authority",
            # no price year was given: the base year it was entered in is kept with it
            "price_year": load_reference().deflators.latest_year,
        }
    ]
    # read back in pounds, percentages and financial years, with its value a year
    row = page.locator("#list-costs + .table-wrap tbody tr").first.inner_text()
    assert "2 posts: salary £38,000, on-costs 30%, overheads 20%" in row, row
    assert re.search(r"20\d\d-\d\d to 20\d\d-\d\d", row), row
    each_year = 38000 * 1.3 * 1.2 * 2
    assert f"£{each_year:,.0f}" in row, row
    totals = page.locator(".table-totals tbody").inner_text()
    assert totals.count(f"£{each_year:,.0f}") == 5, totals
    check_axe(page, "a project with a staff cost")


def test_the_results_page_links_every_figure_to_the_glossary_and_names_the_tornado(
    visit: Visit, check_axe: CheckAxe, samples: Samples
) -> None:
    page = visit.page
    visit.goto(f"{samples['appraisal']}/results")
    page.get_by_label("Number of simulations", exact=False).fill("200")
    page.get_by_role("button", name="Calculate with these simulations").click()
    page.wait_for_load_state()
    check_axe(page, "results with the uncertainty analysis")
    labels = page.locator(".headline dt")
    assert labels.count() > 5
    for i in range(labels.count()):
        link = labels.nth(i).locator("a")
        assert link.count() == 1, labels.nth(i).inner_text()
        assert re.fullmatch(r"/glossary#[a-z-]+", link.get_attribute("href") or "")
    # the tornado's bars are named by what the person wrote, not "outcomes row 1, value"
    bars = page.locator("svg text").evaluate_all("els => els.map(e => e.textContent)")
    named = [
        b for b in bars if b.endswith((": success rate", ": deadweight", ": unit value", ": cost"))
    ]
    assert any(b.startswith("Entries to ") for b in named), named
    assert any(b.startswith("Hub team") for b in named), named
    # the table beside it names each in full
    inputs = page.locator("table").filter(has_text="Swing in FROI").first.text_content() or ""
    assert "Entries to residential care avoided (26 weeks each): success rate" in inputs
    assert not any(re.search(r"row \d+, \w+", b) for b in bars), bars
    # following a figure's label by keyboard explains it
    keys = Keyboard(page)
    keys.tab_to(".headline-main dt a")
    keys.press("Enter", navigates=True)
    assert page.url.endswith("/glossary#froi")
    assert page.locator("#froi").is_visible()


def test_a_results_page_prints_as_a_committee_paper(
    visit: Visit, samples: Samples, tmp_path: Path
) -> None:
    page: Page = visit.page
    visit.goto(f"{samples['appraisal']}/results")
    page.emulate_media(media="print")
    # no navigation, forms or buttons; every table printed, even those folded on screen
    assert not page.locator("header nav").is_visible()
    assert not page.locator("main form").first.is_visible()
    assert not page.locator(".footer").is_visible()
    folded = page.locator("details .table-wrap table")
    assert folded.count() > 0 and all(folded.nth(i).is_visible() for i in range(folded.count()))
    assert page.locator("figure svg").first.is_visible()
    pdf = page.pdf(path=str(tmp_path / "results.pdf"), format="A4", print_background=True)
    assert pdf[:5] == b"%PDF-" and len(pdf) > 20_000
    page.emulate_media(media="screen")


def test_the_width_check_can_fail(visit: Visit) -> None:
    """The 320 px and field-name checks find what is put there on purpose."""
    page = visit.page
    visit.goto("/projects/")
    page.evaluate(
        """() => { const p = document.createElement('p');
                   p.style.width = '900px'; p.textContent = 'wide';
                   document.querySelector('main').append(p);
                   const l = document.createElement('label');
                   l.textContent = 'unit_cost_code, 0 to 1e+06';
                   document.querySelector('main').append(l); }"""
    )
    problems = page_problems(page)
    assert any(f"at {NARROW} px" in p for p in problems), problems
    assert any("unit_cost_code" in p for p in problems), problems
    assert any("1e+06" in p for p in problems), problems


def test_a_workbook_check_lists_its_projects_and_asks_about_references_used(
    visit: Visit, check_axe: CheckAxe, tmp_path: Path, live_server: LiveServer
) -> None:
    page = visit.page
    keys = Keyboard(page)
    reference = "TASK-WB"
    path, _ = input_workbook(tmp_path, reference)
    book = openpyxl.load_workbook(path)
    book["Costs"].cell(1, book["Costs"].max_column + 1).value = "Budget code"
    book.save(path)

    def upload() -> None:
        visit.goto("/batch/")
        page.get_by_label("Excel workbook").set_input_files(path)
        page.get_by_role("button", name="Upload and check").click()
        page.wait_for_load_state()

    upload()
    assert page.locator("h1").inner_text().startswith("Check and confirm")
    check_axe(page, "batch: the check page with its projects")
    found = page.locator("table", has_text="Total costs at").inner_text()
    assert reference in found and "Edge of care hub" in found and "Appraisal" in found
    assert re.search(r"£1,273,6\d\d", found), found
    note = page.locator(".warning-text", has_text="not recognised").inner_text()
    assert "Budget code" in note, note
    page.get_by_role("button", name="Confirm and compute").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Results of")

    # the same workbook again: its reference is used, and nothing is chosen for you
    upload()
    assert "already used" in page.locator("main").inner_text()
    keys.tab_to("main form button[type=submit]")
    keys.press("Enter", navigates=True)
    assert page.title().startswith("Error:")
    assert "Choose whether to update" in page.locator(".error-summary").inner_text()
    check_axe(page, "batch: asked what to do with a reference already used")
    keys.tab_to("#clash-update")
    keys.press("Space")
    assert page.locator("#clash-update").is_checked()
    keys.tab_to("main form button[type=submit]")
    keys.press("Enter", navigates=True)
    assert page.locator("h1").inner_text().startswith("Results of")
    with live_server.app.app_context():
        projects = get_session().query(Project).filter(Project.project_ref.like("TASK-WB%"))
        assert [(p.project_ref, p.revision) for p in projects] == [(reference, 2)]


def test_a_unit_cost_has_a_page_of_its_own_and_the_upload_page_lists_columns(
    visit: Visit, check_axe: CheckAxe, samples: Samples
) -> None:
    page = visit.page
    keys = Keyboard(page)
    visit.goto("/unit-costs/?q=SS3.0")
    keys.tab_to('main table a[href^="/unit-costs/codes/SS3.0"]')
    keys.press("Enter", navigates=True)
    assert page.locator("h1").inner_text().startswith("SS3.0: ")
    text = page.locator("main").inner_text()
    for part in ("Value at", "Value as published", "Confidence grade", "Source", "Why this grade"):
        assert part in text, part
    history = page.locator("table", has_text="Version").inner_text()
    assert "in use" in history
    using = page.locator("main ul.list-bullet").inner_text()
    assert "EOC-HUB" in using and "outcome 1" in using, using
    check_axe(page, "a unit cost's page")
    visit.goto("/unit-costs/upload")
    columns = page.locator("table", has_text="The columns the file needs").inner_text()
    for name in ("code", "value", "price_year", "confidence_grade", "grade_reason"):
        assert name in columns, name


def test_the_portfolio_shows_its_base_year_and_filters_benefits_to_a_theme(
    open_tab: Callable[[LiveServer], Visit], own_server: LiveServer, check_axe: CheckAxe
) -> None:
    seed_samples(own_server)
    visit = open_tab(own_server)
    page = visit.page
    visit.goto("/portfolio/")
    legend = page.locator("main legend").inner_text()
    assert re.fullmatch(r"Prices and period: 20\d\d-\d\d prices, 5 years", legend), legend
    assert page.locator("#field-base_year").is_visible()
    themes = page.locator("#field-theme option").all_inner_texts()[1:]
    assert themes and "Current figures" not in themes, themes
    theme = "Reducing the number of children in residential care"
    assert theme in themes
    page.locator("#field-theme").select_option(theme)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    check_axe(page, "portfolio filtered to a theme")
    in_theme = page.locator("main table thead th").last.inner_text()
    assert in_theme == "Fiscal benefits in this theme"
    row = page.locator("main table tbody tr").first.locator("td").all_inner_texts()
    all_fiscal, theme_fiscal = money_of(row[3]), money_of(row[-1])
    assert 0 < theme_fiscal < all_fiscal, row
    page.locator("#field-view").select_option("themes")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    listed = page.locator("#themes-caption + thead + tbody th").all_inner_texts()
    assert listed == [theme], listed


def money_of(text: str) -> float:
    return float(text.replace("£", "").replace(",", ""))
