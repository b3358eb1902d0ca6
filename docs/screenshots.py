"""Screenshots of the web service for the documentation: docs/screenshots/*.png.

Runs the app on a temporary SQLite database, loads the sample projects through the
service's own pages (the JSON import, and a batch upload of a sample workbook), signs in
through the sign-in form as a person does, visits the main pages in Debian's headless
Chromium at 1280 pixels wide and saves each as a PNG, full page up to ``MAX_HEIGHT``
pixels, reduced to a 256-colour palette when Pillow is installed
(``pip install -e '.[docs]'``) so the files stay small.

    .venv/bin/python docs/screenshots.py            # writes docs/screenshots/*.png

Nothing is fetched from outside the machine: Chromium is ``/usr/bin/chromium`` (or
``--chromium``), and every request that is not to the local server is refused.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Route, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# the server and Chromium flags of the browser tests
from tests.browser.live import (  # noqa: E402
    CHROMIUM_ARGS,
    EMAIL,
    PASSWORD,
    post_form,
    serving,
    signed_in,
)

SAMPLES = ROOT / "sample_workbooks"
OUT = ROOT / "docs" / "screenshots"
WIDTH = 1280
MAX_HEIGHT = 2200


def import_samples(app: Any) -> dict[str, int]:
    """Import the sample JSON inputs through /projects/import: project reference -> id."""
    client = signed_in(app)
    found: dict[str, int] = {}
    for name in (
        "edge_of_care_appraisal.json",
        "comparison_group_study.json",
        "enfield_case_level.json",
    ):
        file = (io.BytesIO((SAMPLES / name).read_bytes()), name)
        response = post_form(client, "/projects/import", {"file": file}, multipart=True)
        assert response.status_code == 302, response.get_data(as_text=True)[-500:]
        project_id = int(response.headers["Location"].rsplit("/", 1)[1])
        html = client.get(f"/projects/{project_id}").get_data(as_text=True)
        reference = re.search(r"<h1>([^:<]+)", html)
        assert reference is not None
        found[reference.group(1).strip()] = project_id
    return found


def save(page: Page, name: str, out: Path, start: str | None = None, width: int = WIDTH) -> Path:
    """A full-page screenshot (up to MAX_HEIGHT), as a small PNG; from the element
    ``start`` down when given (a part far down a long page)."""
    total = int(page.evaluate("document.documentElement.scrollHeight"))
    top = 0
    if start is not None:
        box = page.locator(start).bounding_box()
        assert box is not None, start
        top = max(0, int(box["y"] + page.evaluate("window.scrollY")) - 24)
    height = min(total - top, MAX_HEIGHT)
    path = out / f"{name}.png"
    clip = {"x": 0, "y": top, "width": width, "height": height}
    data = page.screenshot(full_page=True, clip=clip)  # type: ignore[arg-type]
    try:
        from PIL import Image
    except ImportError:
        path.write_bytes(data)
    else:
        image = Image.open(io.BytesIO(data)).convert("RGB")
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path  # --out elsewhere
    print(f"{shown}: {path.stat().st_size // 1024} kB")
    return path


def shoot(base: str, projects: dict[str, int], page: Page, out: Path, folder: Path) -> None:
    def go(path: str) -> None:
        response = page.goto(base + path)
        assert response is not None and response.ok, (path, response and response.status)

    def submit(button: str) -> None:
        with page.expect_navigation():
            page.get_by_role("button", name=button, exact=True).click()

    eoc = projects["EOC-HUB"]
    go("/sign-in")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill("a mistyped password")
    submit("Sign in")
    save(page, "00-sign-in-with-a-wrong-password", out)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    submit("Sign in")
    go("/")
    save(page, "01-start", out)
    go("/projects/")
    save(page, "01-projects", out)

    go("/projects/new")
    page.locator("#field-project_id").fill("EOC-02")
    page.locator("#field-participants").fill("forty")
    submit("Create project")
    save(page, "02-new-project-with-errors", out)
    page.locator("#field-participants").fill("40")
    submit("Create project")
    save(page, "02-new-project-checklist", out)

    go(f"/projects/{eoc}")
    save(page, "03-project", out)

    go(f"/projects/{eoc}/costs/new")
    page.locator("#field-description").fill("Two family support workers")
    page.get_by_label("A staff post (salary, on-costs, overheads)").check()
    page.locator("#field-salary").fill("£38,000")
    page.locator("#field-on_costs").fill("30%")
    submit("Save cost")  # who pays is not chosen yet: the error says so in words
    save(page, "03-cost-form-staff-post", out)

    go(f"/projects/{eoc}/outcomes/new")
    page.get_by_label("Search the unit cost table").fill("residential care")
    submit("Search unit costs")
    save(page, "04-outcome-with-unit-cost-picker", out, start="main form .button-group")

    go(f"/projects/{eoc}/results")
    page.get_by_label("Number of simulations", exact=False).fill("1000")
    submit("Calculate with these simulations")
    save(page, "05-results", out)
    # the results page printed (Chromium's print to PDF): docs/results-printed.pdf
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True, outline=True, tagged=True)
    page.emulate_media(media="screen")
    printed = out / "results-printed.pdf" if out != OUT else ROOT / "docs" / "results-printed.pdf"
    printed.write_bytes(pdf)
    print(f"{printed.name}: {len(pdf) // 1024} kB")

    run = page.locator("main a[href^='/runs/']").first.get_attribute("href")
    assert run is not None
    go(run)
    submit("Re-run and check it reproduces")
    save(page, "06-run-reproduced", out)

    go("/glossary#froi")
    save(page, "06-glossary", out)

    go("/unit-costs/tables")
    save(page, "07-unit-cost-tables", out)
    go("/unit-costs/codes/SS3.0")
    save(page, "07-unit-cost-code", out)

    go("/batch/")
    page.get_by_label("Excel workbook").set_input_files(SAMPLES / "hampshire_offset.xlsx")
    submit("Upload and check")
    save(page, "08-batch-check", out)
    submit("Confirm and compute")
    save(page, "09-batch-results", out)

    go("/portfolio/?sort=-froi")
    save(page, "10-portfolio", out)

    go("/accounts/users/")
    save(page, "11-users", out)

    go("/accounts/audit/")
    save(page, "12-audit-log", out)

    # the project page at 320 CSS pixels (400% zoom): it reflows, no sideways scroll
    page.set_viewport_size({"width": 320, "height": 900})
    go(f"/projects/{eoc}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the project page is {width} px wide at 320 px"
    save(page, "13-project-at-320-pixels", out, width=320)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium to drive")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="froi-screenshots-") as tmp:
        folder = Path(tmp)
        with serving(folder, "docs") as server, sync_playwright() as playwright:
            base = server.url
            projects = import_samples(server.app)
            browser = playwright.chromium.launch(
                executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context(
                viewport={"width": WIDTH, "height": 900}, locale="en-GB", device_scale_factor=1
            )
            refused: list[str] = []

            def local_only(route: Route) -> None:
                if route.request.url.startswith(base + "/"):
                    route.continue_()
                else:
                    refused.append(route.request.url)
                    route.abort("blockedbyclient")

            guard: Callable[[Route], None] = local_only
            context.route("**/*", guard)
            try:
                shoot(base, projects, context.new_page(), args.out, folder)
            finally:
                browser.close()
            if refused:
                print(f"refused requests off the machine: {refused}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
