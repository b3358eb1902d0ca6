"""Reading pages in tests as a person (or a screen reader) would: with html.parser.

:class:`Page` collects what the accessibility checks and the journeys need: the
``<main>`` and ``<h1>`` elements, every form control with its label, the error summary's
links, the error message beside each field, hidden form values, links and buttons.
:func:`submit` fills in a form the way a browser does: it GETs the page, keeps its
hidden fields (the CSRF token, the revision) and posts them with the given values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from calculator.reference import load_reference


@dataclass
class Control:
    tag: str
    type: str
    name: str
    id: str
    value: str
    described_by: str


@dataclass
class Page(HTMLParser):
    text: str
    mains: int = 0
    h1: list[str] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    summary_links: list[tuple[str, str]] = field(default_factory=list)
    field_errors: dict[str, str] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()
        self._stack: list[tuple[str, dict[str, str]]] = []
        self._capture: list[list[str]] = []
        self.feed(self.text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "main":
            self.mains += 1
        if tag in ("input", "select", "textarea", "button"):
            self.controls.append(
                Control(
                    tag,
                    a.get("type", "submit" if tag == "button" else tag),
                    a.get("name", ""),
                    a.get("id", ""),
                    a.get("value", ""),
                    a.get("aria-describedby", ""),
                )
            )
        if tag in ("input", "img", "br", "meta", "link", "hr"):
            return
        self._stack.append((tag, a))
        self._capture.append([])

    def handle_endtag(self, tag: str) -> None:
        if not self._stack or tag in ("input", "img", "br", "meta", "link", "hr"):
            return
        open_tag, a = self._stack.pop()
        raw = "".join(self._capture.pop())
        words = " ".join(raw.split())
        if self._capture:
            self._capture[-1].append(raw)
        if open_tag == "h1":
            self.h1.append(words)
        elif open_tag == "label":
            self.labels[a.get("for", "")] = words
        elif open_tag == "a":
            self.links.append((words, a.get("href", "")))
            if any(t == "div" and "error-summary" in x.get("class", "") for t, x in self._stack):
                self.summary_links.append((words, a.get("href", "")))
        elif open_tag == "p" and "error-message" in a.get("class", ""):
            self.field_errors[a.get("id", "").removesuffix("-error")] = words.removeprefix(
                "Error: "
            )

    def handle_data(self, data: str) -> None:
        if self._capture:
            self._capture[-1].append(data)

    def hidden(self) -> dict[str, str]:
        return {c.name: c.value for c in self.controls if c.type == "hidden"}

    def value(self, name: str) -> str:
        return next(c.value for c in self.controls if c.name == name)

    def unlabelled(self) -> list[str]:
        """Visible form controls without a <label for=...> (every one needs one)."""
        return [
            c.name or c.id
            for c in self.controls
            if c.type not in ("hidden", "submit")
            and c.tag != "button"
            and not self.labels.get(c.id)
        ]


def page(response: TestResponse) -> Page:
    return Page(response.get_data(as_text=True))


def submit(
    client: FlaskClient, url: str, data: dict[str, str], action: str | None = None
) -> TestResponse:
    """GET the form at ``url``, then post it with its hidden fields and ``data``."""
    form = page(client.get(url)).hidden()
    return client.post(action or url, data={**form, **data})


def see_results(client: FlaskClient, location: str, simulations: str | None = None) -> TestResponse:
    """Press "Calculate the results" (a POST, as on the project page) for the project at
    ``location`` and return the results page it leads to, through its job when it is one
    (or the page refusing it, or the page of the job that failed)."""
    token = page(client.get(f"{location}/results")).hidden()["csrf_token"]
    data = {"csrf_token": token}
    if simulations is not None:
        data["simulations"] = simulations
    response = client.post(f"{location}/results", data=data)
    if response.status_code == 302 and response.headers["Location"].startswith("/jobs/"):
        # a large Monte Carlo is a job: wait for it, then its page leads to the results
        from froi.web.uploads.jobs import wait_for_jobs

        wait_for_jobs(client.application, timeout=120)
        response = client.get(response.headers["Location"])
    if response.status_code == 302:
        response = client.get(response.headers["Location"])
    return response  # type: ignore[no-any-return]


#: The cost form's three ways and the inputs each way's panel holds under its own name.
COST_SHARED = ("price_year", "agency", "quantity")


def cost_form(data: dict[str, str]) -> dict[str, str]:
    """A cost row's values as the cost form posts them: the way chosen with the
    "How is this cost worked out?" radios, and the fields two ways share under that
    way's name (``amount-agency``, ``staff-quantity``), as a browser sends them."""
    if "salary" in data:
        way = "staff"
    elif "unit_cost_code" in data or ("quantity" in data and "amount" not in data):
        way = "unit"
    else:
        way = "amount"
    posted = {"costing": way}
    for name, value in data.items():
        posted[f"{way}-{name}" if name in COST_SHARED else name] = value
    return posted


#: The latest year of the deflator index: a project's base year when its settings give
#: none, and so the price year saved with an amount entered without one.
LATEST = load_reference().deflators.latest_year
