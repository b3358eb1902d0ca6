"""Re-running a run on the tables now in use: what changed, and why."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from froi.web.core.formatting import ratio
from froi.web.core.models import Run
from froi.web.core.running import differences
from froi.web.runs.rerun_reasons import rerun_reasons

from .pages import page, see_results, submit
from .test_results import import_sample, latest_run
from .test_unit_cost_tables import (
    changed_rows,
    publish,
    set_value,
    table_id,
    tight,
    to_csv,
    upload,
    use,
)


def rerun_current(client: FlaskClient, run_id: int) -> str:
    url = f"/runs/{run_id}"
    response = submit(client, url, {}, action=f"{url}/rerun-current")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return str(response.headers["Location"])


def test_rerun_on_a_published_changed_table_names_the_changed_unit_cost(
    app: Flask, client: FlaskClient, site_admin_client: FlaskClient
) -> None:
    location = import_sample(client, "edge_of_care_appraisal.json")
    see_results(client, location)
    original = latest_run(app)
    run_page = page(client.get(f"/runs/{original.id}"))
    assert "Re-run on the current tables" in run_page.text

    rows = changed_rows(set_value("SS3.0", "1234.5"))  # the sample uses SS3.0
    # a site administrator publishes a new national version and chooses it
    newer = table_id(upload(site_admin_client, to_csv(rows), "changed.csv", "2026.6"))
    publish(site_admin_client, newer)
    use(site_admin_client, newer)

    shown = client.get(rerun_current(client, original.id))
    again = latest_run(app)
    assert again.rerun_of_id == original.id and again.unit_cost_table_id == newer
    assert again.reproduced is False
    changed = differences(original.results, again.results)
    assert any(d.path == "projects[0].froi" for d in changed)
    text = tight(shown.get_data(as_text=True))
    old_table = f"{original.unit_cost_table_name}, version {original.unit_cost_table_version}"
    assert "Figures changed" in text and f"instead of {old_table}, which run" in text
    assert '<th scope="row">SS3.0</th>' in text
    assert '<td class="numeric">£2,995.00</td><td class="numeric">£1,234.50</td>' in text
    # what differs, in words and rounded money: no JSON paths, no 15-digit numbers
    ref = original.results["projects"][0]["project_id"]
    froi = original.results["projects"][0]["froi"], again.results["projects"][0]["froi"]
    assert (
        f'<th scope="row">Project {ref}, FROI</th><td class="numeric">{ratio(froi[0])}</td>'
        f'<td class="numeric">{ratio(froi[1])}</td>'
    ) in text
    assert f'<th scope="row">Project {ref}, fiscal benefits by agency, ' in text
    assert "projects[0]" not in text and "fiscal_by_agency" not in text
    assert not re.search(r">-?\d+\.\d{6,}<", text)  # no long unrounded numbers
    # only the code that changed, among the codes the run used, is named
    assert "CR4.0</th>" not in text and "SS2.0</th>" not in text
    # the engine, deflators and base year did not change, so they are not given as reasons
    assert "deflator table changed" not in text and "engine version changed" not in text

    # the same-table re-run of the original still reproduces on its own version
    same = submit(client, f"/runs/{original.id}", {}, action=f"/runs/{original.id}/rerun")
    reproduced = latest_run(app)
    assert reproduced.reproduced is True
    assert reproduced.unit_cost_table_id == original.unit_cost_table_id
    html = client.get(same.headers["Location"]).get_data(as_text=True)
    assert "Reproduced" in html and "on the same unit cost table version" in html


def test_rerun_on_current_tables_that_did_not_change_reproduces(
    app: Flask, client: FlaskClient
) -> None:
    location = import_sample(client, "comparison_group_study.json")
    see_results(client, location)
    original = latest_run(app)
    html = client.get(rerun_current(client, original.id)).get_data(as_text=True)
    again = latest_run(app)
    assert again.reproduced is True and again.unit_cost_table_id == original.unit_cost_table_id
    assert "Reproduced" in html and "every figure is the same" in html


def test_a_change_to_a_code_the_run_does_not_use_changes_nothing(
    app: Flask, client: FlaskClient, site_admin_client: FlaskClient
) -> None:
    location = import_sample(client, "comparison_group_study.json")
    see_results(client, location)
    original = latest_run(app)
    rows = changed_rows(set_value("CR1.0", "501"))  # not used by the sample
    newer = table_id(upload(site_admin_client, to_csv(rows), "other.csv", "2026.4"))
    publish(site_admin_client, newer)
    use(site_admin_client, newer)
    html = client.get(rerun_current(client, original.id)).get_data(as_text=True)
    again = latest_run(app)
    assert again.unit_cost_table_id == newer and again.reproduced is True
    assert "on the unit cost table now in use" in html and "Reproduced" in html


def test_the_reasons_name_a_changed_engine_base_year_and_reference_table() -> None:
    """Besides unit costs, the reasons a re-run's figures moved: each named in words."""
    deflators = {"name": "GDP deflators", "version": "2026.1", "sha256": "a" * 64}

    def run(engine: str, base_year: str, deflator_hash: str, bias: str) -> Run:
        provenance = {
            "base_year": base_year,
            "deflator_table": {**deflators, "sha256": deflator_hash},
            "optimism_bias_table": {"name": "Optimism bias", "version": bias, "sha256": bias},
        }
        return Run(engine_version=engine, unit_cost_table_id=1, results={"run": provenance})

    same = rerun_reasons(run("1.0", "2026-27", "a" * 64, "1"), run("1.0", "2026-27", "a" * 64, "1"))
    assert not same.any
    moved = rerun_reasons(
        run("1.0", "2025-26", "a" * 64, "1"), run("1.1", "2026-27", "b" * 64, "2")
    )
    assert moved.any and not moved.changed_codes
    assert moved.other == [
        "The engine version changed from 1.0 to 1.1.",
        "The base year changed from 2025-26 to 2026-27.",
        f"The deflator table changed: GDP deflators 2026.1, SHA-256 {'a' * 12} then {'b' * 12}.",
        "The optimism bias table changed from Optimism bias 1 to Optimism bias 2.",
    ]
