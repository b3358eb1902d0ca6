"""Journeys as a person makes them in the browser, by keyboard only where it matters.

The first journey is made with the keyboard alone (Tab, Shift+Tab, Enter, Space and
typing): create a project, recover from a mistake through the error summary, add a cost
and an outcome by finding their unit costs with the picker, and read the FROI, which
must be the engine's figure for the same input.  Every focus stop is checked for a
visible focus and for moving in the page's order (:mod:`.keyboard`), and each page met
on the way is checked with axe-core.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from calculator.engine import compute
from calculator.reference import load_reference

from .conftest import Visit
from .keyboard import Keyboard

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
    keys.tab_to('a[href="#picker"]')
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
    keys.tab_to("#field-quantity")
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
    keys.tab_to('a[href$="/results"]', backwards=True)
    keys.press("Enter", navigates=True)
    assert page.locator("h1").inner_text() == "Results of KB-1"
    check_axe(page, "results")
    shown = page.locator(
        "xpath=//dt[normalize-space()='Fiscal return on investment (FROI)']"
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
