"""A figure of 0 that is probably a slip is said first (issue 9): an appraisal project with
no outcomes or no costs carries a warning that stands at the top of the check page and of
the results page, and a workbook's own warnings (sheets, headers) are on the check page
even when it has errors."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from flask.testing import FlaskClient

from .conftest import SAMPLES
from .pages import see_results
from .test_batch import upload
from .test_results import import_sample

WORKBOOKS = Path(__file__).resolve().parents[1] / "data" / "workbooks"


def test_no_outcomes_stands_above_the_results(client: FlaskClient) -> None:
    location = import_sample(client, "hampshire_offset.json")  # a costing with no outcomes
    html = unescape(see_results(client, location).get_data(as_text=True))
    banner = re.search(r'<div class="warning-banner" role="note">(.*?)</div>', html, re.S)
    assert banner, "no headline warning above the figures"
    assert "has no outcomes, so it counts no benefits" in banner.group(1)
    assert html.index("warning-banner") < html.index('<dl class="headline">')


def test_no_outcomes_stands_first_on_the_check_page(client: FlaskClient) -> None:
    checked = upload(client, SAMPLES / "hampshire_offset.xlsx")
    assert checked.status_code == 302
    html = unescape(client.get(checked.headers["Location"]).get_data(as_text=True))
    first = re.search(
        r"<li class=\"warning-headline\"><strong>([^<]+)</strong>: ([^<]+)</li>", html
    )
    assert first, "the headline warning is not marked"
    assert "has no outcomes, so it counts no benefits" in first.group(2)
    # above the summary of what was found, and the first warning listed
    assert html.index("warning-headline") < html.index('class="summary-list"')
    items = re.findall(r"<li(?: class=\"warning-headline\")?><strong>", html)
    assert items and items[0].startswith('<li class="warning-headline"')


def test_a_workbooks_warnings_show_beside_its_errors(client: FlaskClient) -> None:
    """A hidden sheet's warning is not lost when the same workbook also has an error."""
    checked = upload(client, WORKBOOKS / "outcomes_2024.xlsx")
    html = unescape(client.get(checked.headers["Location"]).get_data(as_text=True))
    assert "Correct the problems in outcomes_2024.xlsx" in html
    assert "looks like the Outcomes sheet" in html


def test_a_project_keeps_the_agencies_its_input_adds(app: object, client: FlaskClient) -> None:
    """The input's top-level agencies list stays with an imported project, so a cost paid
    by an agency added on purpose computes in the service as it did in the file."""
    import io
    import json

    from .pages import page

    doc = json.loads((SAMPLES / "edge_of_care_appraisal.json").read_text())
    doc["agencies"] = ["Anytown Youth Service"]
    doc["projects"][0]["project_id"] = "EOC-AG"
    doc["projects"][0]["costs"][0]["agency"] = "Anytown Youth Service"
    form = page(client.get("/projects/import")).hidden()
    response = client.post(
        "/projects/import",
        data={**form, "file": (io.BytesIO(json.dumps(doc).encode()), "a.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    location = response.headers["Location"]
    html = unescape(see_results(client, location).get_data(as_text=True))
    assert "Anytown Youth Service" in html  # who pays: the declared agency
    copied = client.get(f"{location}/copy")
    assert copied.status_code == 200
