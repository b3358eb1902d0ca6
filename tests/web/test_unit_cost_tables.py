"""Unit cost tables as a steward uses them: browse, upload, local overrides, compare, quality.

Every journey runs through the pages as a person would click them (forms posted with
their CSRF token), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Callable
from html import unescape
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from calculator import unit_costs as uc
from calculator.engine import compute
from calculator.reference import load_reference
from froi.web.core.db import get_session
from froi.web.core.models import UnitCostRow, UnitCostTable
from froi.web.core.running import differences

from .pages import page, see_results, submit
from .test_results import import_sample, latest_run

NATIONAL = uc.COLUMNS
SHIPPED = load_reference().unit_costs
NATIONAL_CSV = Path(__file__).resolve().parents[2] / "unit_costs" / "national_children_families.csv"
META = {
    "name": SHIPPED.meta.name,
    "publisher": "A steward",
    "licence": "Open Government Licence v3.0",
    "date": "22 November 2026",
    "source": "Test upload",
    "description": "",
}


def national_rows() -> list[dict[str, str]]:
    with NATIONAL_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def to_csv(rows: list[dict[str, str]], header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header or list(NATIONAL), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def changed_rows(change: Callable[[list[dict[str, str]]], None]) -> list[dict[str, str]]:
    rows = national_rows()
    change(rows)
    return rows


def set_value(code: str, value: str) -> Callable[[list[dict[str, str]]], None]:
    def change(rows: list[dict[str, str]]) -> None:
        next(r for r in rows if r["code"] == code)["value"] = value

    return change


def upload(
    client: FlaskClient, data: bytes, filename: str, version: str, **meta: str
) -> TestResponse:
    form = page(client.get("/unit-costs/upload")).hidden()
    return client.post(
        "/unit-costs/upload",
        data={
            **form,
            **META,
            "version": version,
            "parent": "",
            **meta,
            "file": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


def tight(html: str) -> str:
    """A page's HTML with entities decoded and no white space between tags."""
    return unescape(re.sub(r">\s+<", "><", " ".join(html.split())))


def table_id(response: TestResponse) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    match = re.search(r"/unit-costs/tables/(\d+)", response.headers["Location"])
    assert match
    return int(match.group(1))


def publish(client: FlaskClient, table: int) -> None:
    """Publish as a person does: the draft's Publish link, then "Yes, publish it"."""
    url = f"/unit-costs/tables/{table}"
    assert f'href="{url}/publish"' in client.get(url).get_data(as_text=True)
    confirm_page = page(client.get(f"{url}/publish"))
    assert confirm_page.h1 and confirm_page.h1[0].startswith("Publish ")
    assert "can never change" in confirm_page.text
    response = submit(client, f"{url}/publish", {})
    assert response.status_code == 302


def use(client: FlaskClient, table: int) -> None:
    response = submit(client, "/unit-costs/tables", {"table_id": str(table)}, "/unit-costs/in-use")
    assert response.status_code == 302


def stored(app: Flask, table: int) -> UnitCostTable:
    with app.app_context():
        found = get_session().get(UnitCostTable, table)
        assert found is not None
        return found


def national_id(app: Flask) -> int:
    with app.app_context():
        return int(get_session().scalar(select(func.min(UnitCostTable.id))) or 0)


def count_tables(app: Flask) -> tuple[int, int]:
    with app.app_context():
        session = get_session()
        tables = session.scalar(select(func.count()).select_from(UnitCostTable)) or 0
        rows = session.scalar(select(func.count()).select_from(UnitCostRow)) or 0
        return int(tables), int(rows)


def test_every_page_is_accessible(app: Flask, site_admin_client: FlaskClient) -> None:
    national = national_id(app)
    for url in (
        "/unit-costs/",
        "/unit-costs/tables",
        f"/unit-costs/tables/{national}",
        f"/unit-costs/tables/{national}/quality",
        f"/unit-costs/compare?from={national}&to={national}",
        "/unit-costs/upload",
        "/unit-costs/local/new",
        f"/unit-costs/tables/{national}/new-version",
    ):
        response = site_admin_client.get(url)
        assert response.status_code == 200, url
        html = page(response)
        assert html.mains == 1 and len(html.h1) == 1, url
        assert html.unlabelled() == [], url
        assert len(html.ids) == len(set(html.ids)), url


def test_the_list_shows_provenance_and_the_table_in_use(
    app: Flask, viewer_client: FlaskClient
) -> None:
    html = viewer_client.get("/unit-costs/tables").get_data(as_text=True)
    for shown in (SHIPPED.sha256, SHIPPED.meta.version, "489", "2 December 2026"):
        assert shown in html
    assert "Published, in use for new runs" in html


def test_browse_searches_and_filters(app: Flask, viewer_client: FlaskClient) -> None:
    url = f"/unit-costs/tables/{national_id(app)}"
    assert "489 unit costs in this version" in viewer_client.get(url).get_data(as_text=True)
    found = viewer_client.get(f"{url}?q=foster+week").get_data(as_text=True)
    assert "CUR2.0" in found and "CR1.0" not in found
    crime = viewer_client.get(f"{url}?theme=Crime").get_data(as_text=True)
    assert "184 unit costs match" in crime
    graded = page(viewer_client.get(f"{url}?grade=2"))
    assert "2 unit costs match" in graded.text
    assert {"CUR1.0", "CUR2.0"} <= set(re.findall(r"CUR\d\.\d", graded.text))
    year = viewer_client.get(f"{url}?price_year=2023-24&category=fiscal").get_data(as_text=True)
    assert "CUR1.0" in year and "£318,400.00 at 2023-24 prices" in year
    agency = viewer_client.get(f"{url}?agency=Police&q=warning").get_data(as_text=True)
    assert "match" in agency and "Local Authority</td>" not in agency
    # the in-use table is the /unit-costs/ page, and its old search address still works
    assert "CUR2.0" in viewer_client.get("/unit-costs/?q=foster").get_data(as_text=True)


def test_upload_csv_then_xlsx_of_the_same_table(app: Flask, site_admin_client: FlaskClient) -> None:
    rows = changed_rows(set_value("SS3.0", "1234.5"))
    response = upload(site_admin_client, to_csv(rows), "new.csv", "2026.6")
    draft = stored(app, table_id(response))
    frame, problems = uc.validate_rows(
        list(enumerate(rows, start=2)), NATIONAL, file=None, deflators=load_reference().deflators
    )
    assert problems == []
    assert draft.status == "draft" and draft.row_count == 489
    assert draft.sha256 == uc.table_hash(frame) != SHIPPED.sha256
    assert "Draft" in site_admin_client.get(f"/unit-costs/tables/{draft.id}").get_data(as_text=True)
    publish(site_admin_client, draft.id)
    assert stored(app, draft.id).status == "published"
    # the same version again is refused: a new version needs a new version string
    again = upload(site_admin_client, to_csv(rows), "new.csv", "2026.6")
    assert again.status_code == 200
    assert "already has a version '2026.6'" in page(again).field_errors["field-version"]

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Notes"
    sheet["A1"] = "read the UnitCosts sheet, not this one"
    costs = book.create_sheet("Unit costs")
    costs.append([name.replace("_", " ").title() for name in NATIONAL])  # "Price Year"
    for row in rows:
        cells: list[object] = list(row[c] for c in NATIONAL)
        cells[3] = float(row["value"])
        cells[9] = int(row["confidence_grade"]) if row["confidence_grade"] else None
        costs.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    from_xlsx = stored(
        app, table_id(upload(site_admin_client, buffer.getvalue(), "new.xlsx", "2026.3"))
    )
    assert from_xlsx.sha256 == draft.sha256 and from_xlsx.row_count == 489


def test_a_broken_csv_shows_every_problem_and_saves_nothing(
    app: Flask, site_admin_client: FlaskClient
) -> None:
    rows = national_rows()
    rows[1]["code"] = rows[0]["code"]  # duplicate code, line 3
    rows[2]["confidence_grade"] = "7"  # line 4
    rows[3]["value"] = "-5"  # line 5
    rows[4]["price_year"] = "1850-51"  # line 6
    for row in rows:
        row["colour"] = "red"
    before = count_tables(app)
    response = upload(
        site_admin_client, to_csv(rows, [*NATIONAL, "colour"]), "broken.csv", "2026.9"
    )
    assert response.status_code == 200
    html = page(response)
    text = tight(html.text)
    assert count_tables(app) == before
    assert ("The file has 5 problems; fix them and upload it again", "#field-file") in (
        html.summary_links
    )
    for row, fld, words in (
        ("1", "colour", "unknown column 'colour'"),
        ("3", "code", "appears twice"),
        ("4", "confidence_grade", "whole number from 1 (best) to 6; got '7'"),
        ("5", "value", "value must be 0 or more; got -5"),
        ("6", "price_year", "price year 1850-51 is not in the deflator table"),
    ):
        cells = f'broken.csv</td><td>not a workbook</td><td class="numeric">{row}</td>'
        pattern = re.escape(f'{cells}<td>{fld}</td><th scope="row">') + "[^<]*" + re.escape(words)
        assert re.search(pattern, text), (row, fld)


def test_an_upload_counting_economic_value_as_fiscal_is_refused_naming_the_row(
    app: Flask, site_admin_client: FlaskClient
) -> None:
    """METHOD 2.2 in a steward's upload: the engine's loader refuses it, and the page shows
    the row, the words found and the category that would be accepted."""
    rows = national_rows()
    line = next(i for i, r in enumerate(rows, start=2) if r["code"] == "E&E1.0")
    rows[line - 2]["category"] = "fiscal"
    before = count_tables(app)
    response = upload(site_admin_client, to_csv(rows), "fiscal.csv", "2026.9")
    assert response.status_code == 200
    text = tight(page(response).text)
    assert count_tables(app) == before
    cells = f'fiscal.csv</td><td>not a workbook</td><td class="numeric">{line}</td>'
    words = "E&E1.0 is categorised fiscal but its name says 'Fiscal and economic benefit'"
    assert re.search(
        re.escape(f'{cells}<td>category</td><th scope="row">') + ".*" + re.escape(words), text
    )
    assert "Give it category economic or social; or use its fiscal parts E&E1.0.1, E&E1.0.2" in text


def test_a_csv_row_with_more_cells_than_the_header_is_a_problem(
    app: Flask, site_admin_client: FlaskClient
) -> None:
    """Read as the engine reads unit_costs/*.csv: an extra cell is reported, not cut."""
    lines = to_csv(national_rows()).decode().splitlines()
    lines[2] += ",stray"  # line 3
    before = count_tables(app)
    response = upload(site_admin_client, ("\n".join(lines) + "\n").encode(), "extra.csv", "2026.9")
    assert response.status_code == 200
    text = tight(page(response).text)
    assert count_tables(app) == before
    cells = 'extra.csv</td><td>not a workbook</td><td class="numeric">3</td>'
    assert re.search(re.escape(cells) + ".*has 15 cells but the header has 14 columns", text)


def test_a_local_override_changes_what_a_project_computes(
    app: Flask, admin_client: FlaskClient
) -> None:
    national = national_id(app)
    response = submit(
        admin_client,
        "/unit-costs/local/new",
        {**META, "name": "Our local costs", "version": "L1", "parent": str(national)},
    )
    local = table_id(response)
    shipped_row = SHIPPED.row("SS3.0")
    form = page(admin_client.get(f"/unit-costs/tables/{local}/rows/new?from=SS3.0"))
    assert form.value("value") == str(int(shipped_row["value"]))  # starts from national
    bad = submit(
        admin_client,
        f"/unit-costs/tables/{local}/rows/new?from=SS3.0",
        {"value": "-1", "confidence_grade": "9"},
    )
    assert page(bad).field_errors.keys() >= {"field-value", "field-confidence_grade"}
    typed = {c.name: c.value for c in form.controls if c.type == "text"}
    saved = submit(
        admin_client,
        f"/unit-costs/tables/{local}/rows/new?from=SS3.0",
        {**typed, "category": "fiscal", "cashable": "false", "value": "99999"},
    )
    assert saved.status_code == 302
    browse = admin_client.get(f"/unit-costs/tables/{local}?q=SS3.0").get_data(as_text=True)
    assert "Local (replaces national)" in browse and "£99,999.00" in browse
    publish(admin_client, local)
    # compared with its national version, only the replaced row differs: the rest inherit
    text = tight(page(admin_client.get(f"/unit-costs/compare?from={national}&to={local}")).text)
    for label, n in (("added", 0), ("removed", 0), ("changed", 1), ("the same", 488)):
        assert f"<dt>Rows {label}</dt><dd>{n}</dd>" in text, label
    assert re.search(r"SS3\.0.*?<td>Value</td><td>£[\d,.]+</td><td>£99,999\.00</td>", text)
    use(admin_client, local)

    location = import_sample(admin_client, "edge_of_care_appraisal.json")
    see_results(admin_client, location)  # "Calculate the results" records the run
    run = latest_run(app)
    assert (run.unit_cost_table_id, run.unit_cost_table_name) == (local, "Our local costs")
    provenance = run.results["run"]["unit_cost_table"]
    assert provenance["local_overrides"]["codes"] == ["SS3.0"]
    assert provenance["local_overrides"]["base_table"]["sha256"] == SHIPPED.sha256
    assert provenance["version"] == f"{SHIPPED.meta.version}+L1"
    local_rows = SHIPPED.rows.loc[["SS3.0"]].copy()
    local_rows.loc["SS3.0", "value"] = 99999.0
    reference = load_reference()
    expected = compute(
        run.input_doc,
        dataclasses.replace(
            reference,
            unit_costs=SHIPPED.with_local(local_rows, name="Our local costs", version="L1"),
        ),
    ).to_dict()
    assert differences(expected["projects"], run.results["projects"]) == []
    on_national = compute(run.input_doc, reference).to_dict()
    assert differences(on_national["projects"], run.results["projects"]) != []


def test_drafts_change_and_published_versions_do_not(
    app: Flask, site_admin_client: FlaskClient
) -> None:
    national = national_id(app)
    response = submit(
        site_admin_client, f"/unit-costs/tables/{national}/new-version", {"version": "2026.5"}
    )
    draft = table_id(response)
    assert stored(app, draft).row_count == 489 and stored(app, draft).sha256 == SHIPPED.sha256
    url = f"/unit-costs/tables/{draft}/rows/new"
    taken = submit(
        site_admin_client,
        url,
        {
            "code": "CR1.0",
            "name": "x",
            "unit": "each",
            "value": "1",
            "price_year": "2020-21",
            "agency": "Police",
            "category": "fiscal",
            "source": "me",
        },
    )
    assert "already in this table" in page(taken).field_errors["field-code"]
    added = submit(
        site_admin_client,
        url,
        {
            "code": "NEW1.0",
            "name": "New cost",
            "unit": "each",
            "value": "1200",
            "price_year": "2020/21",
            "agency": "Police",
            "category": "fiscal",
            "source": "me",
        },
    )
    assert added.status_code == 302
    assert stored(app, draft).row_count == 490
    with app.app_context():
        row = (
            get_session()
            .scalars(
                select(UnitCostRow).where(
                    UnitCostRow.table_id == draft, UnitCostRow.code == "NEW1.0"
                )
            )
            .one()
        )
        assert (row.value, row.price_year) == (1200.0, "2020-21")
        row_id = row.id
    edit = f"/unit-costs/tables/{draft}/rows/{row_id}/edit"
    shown = page(site_admin_client.get(edit))
    typed = {c.name: c.value for c in shown.controls if c.type == "text"}
    changed = submit(site_admin_client, edit, {**typed, "category": "fiscal", "value": "1300"})
    assert changed.status_code == 302
    delete = f"/unit-costs/tables/{draft}/rows/{row_id}/delete"
    assert submit(site_admin_client, delete, {}).status_code == 302
    assert stored(app, draft).row_count == 489
    assert stored(app, draft).sha256 == SHIPPED.sha256
    publish(site_admin_client, draft)
    # a published version refuses edits, and "start a new version" is the way
    assert site_admin_client.get(url).status_code == 409
    posted = submit(
        site_admin_client, f"/unit-costs/tables/{draft}", {"code": "NEW2.0"}, action=url
    )
    assert posted.status_code == 409
    assert site_admin_client.get(f"/unit-costs/tables/{national}/rows/new").status_code == 409


def test_compare_shows_exactly_the_changed_rows_and_fields(
    app: Flask, site_admin_client: FlaskClient
) -> None:
    def change(rows: list[dict[str, str]]) -> None:
        set_value("SS3.0", "1234.5")(rows)
        grade = next(r for r in rows if r["code"] == "CR1.1")
        grade["confidence_grade"], grade["agency"] = "3", "Local Authority"
        rows.remove(next(r for r in rows if r["code"] == "CR1.2"))
        rows.append({**rows[0], "code": "ZZ1.0", "name": "A new cost"})

    newer = table_id(upload(site_admin_client, to_csv(changed_rows(change)), "n.csv", "2026.7"))
    html = page(site_admin_client.get(f"/unit-costs/compare?from={national_id(app)}&to={newer}"))
    text = tight(html.text)
    for label, n in (("added", 1), ("removed", 1), ("changed", 2), ("the same", 486)):
        assert f"<dt>Rows {label}</dt><dd>{n}</dd>" in text
    assert re.search(r"SS3\.0.*?<td>Value</td><td>£[\d,.]+</td><td>£1,234\.50</td>", text)
    assert re.search(r"CR1\.1.*?<td>Confidence grade</td><td>6</td><td>3</td>", text)
    assert re.search(r"CR1\.1.*?<td>Agency</td><td>Police</td><td>Local Authority</td>", text)
    assert "ZZ1.0" in text and "CR1.2" in text
    changed_codes = re.findall(r'<th scope="row" rowspan=[^>]*>([^<]+)<', text)
    assert changed_codes == ["CR1.1", "SS3.0"]
    missing = page(site_admin_client.get("/unit-costs/compare?from=&to=x"))
    assert [h for _, h in missing.summary_links] == ["#field-from", "#field-to"]


@pytest.mark.parametrize("code", ["CR1.4", "CR3.0"])
def test_the_quality_report_lists_hierarchy_mismatches(
    app: Flask, viewer_client: FlaskClient, code: str
) -> None:
    html = viewer_client.get(f"/unit-costs/tables/{national_id(app)}/quality").get_data(
        as_text=True
    )
    assert "Hierarchy mismatches: 12" in html
    assert re.search(rf">{re.escape(code)}</a></th><td>parent {re.escape(code)} is £", html)
    assert "same figure under two codes" in html  # the importer's other checks


def test_existing_data_migrates_with_the_national_table_in_use(tmp_path: Path) -> None:
    """A database made before revision 0003 keeps computing on its national table."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from froi.web.core.db import MIGRATIONS, upgrade

    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text("INSERT INTO organisation (name, created_at) VALUES ('LA', '2026-01-01')")
        )
        for version in ("1", "2"):
            connection.execute(
                text(
                    "INSERT INTO unit_cost_table (name, version, sha256, row_count, publisher, "
                    "licence, date, last_verified, source, description, meta, status, "
                    "created_at) VALUES ('N', :v, 'x', 0, '', '', '', '', '', '', '{}', "
                    "'published', '2026-01-01')"
                ),
                {"v": version},
            )
    upgrade(engine)
    with engine.connect() as connection:
        chosen = connection.execute(
            text(
                "SELECT t.version, t.parent_id FROM unit_cost_choice c "
                "JOIN unit_cost_table t ON t.id = c.table_id"
            )
        ).all()
    assert chosen == [("2", None)]
    engine.dispose()


def test_a_broken_workbook_names_the_sheet_and_excel_row(
    app: Flask, site_admin_client: FlaskClient
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "UnitCosts"
    sheet.append([])  # the header is the first row with anything in it
    sheet.append(["Code", "Name", "Unit", "Value", "Price year", "Agency", "Category", "Source"])
    sheet.append(["L1", "Local figure", "each", 10, "2020-21", "Police", "fiscal", "us"])
    sheet.append(["L2", "Local figure", "each", -3, "2020/21", "Police", "fiscal", "us"])
    buffer = io.BytesIO()
    book.save(buffer)
    before = count_tables(app)
    response = upload(site_admin_client, buffer.getvalue(), "local.xlsx", "2026.8")
    assert response.status_code == 200 and count_tables(app) == before
    text = tight(response.get_data(as_text=True))
    assert (
        '<td>local.xlsx</td><td>UnitCosts</td><td class="numeric">4</td><td>value</td>'
        '<th scope="row">value must be 0 or more; got -3</th>'
    ) in text


def test_a_table_published_before_the_category_rule_still_reads_back(
    app: Flask, client: FlaskClient
) -> None:
    """Version 2026.1 counted E&E1.0 ("fiscal and economic") as fiscal.  Published versions
    never change, so such a stored table still loads (its runs reproduce) and its quality
    report shows the row as counted as fiscal; a new upload of it is refused."""
    from froi.web.core.reference import stored_table, table_model

    shipped = load_reference().unit_costs
    rows = shipped.rows.copy()
    rows.loc["E&E1.0", "category"] = "fiscal"
    old = dataclasses.replace(
        shipped,
        meta=dataclasses.replace(shipped.meta, version="2026.1-old"),
        rows=rows,
        sha256=uc.table_hash(rows),
    )
    with app.app_context():
        session = get_session()
        model = table_model(old)
        session.add(model)
        session.commit()
        table = stored_table(model)
        assert table.rows.at["E&E1.0", "category"] == "fiscal"
        (flagged,) = [q for q in table.quality if "E&E1.0 is categorised fiscal" in q.message]
        assert flagged.severity == "warning"
        table_id = model.id
    html = unescape(client.get(f"/unit-costs/tables/{table_id}/quality").get_data(as_text=True))
    assert "counted as fiscal: it overstates FROI" in html
    assert re.search(r"<th scope=\"row\">E&E1\.0</th><td>described as including economic", html)
    assert "E&E1.0 is categorised fiscal but its name says 'Fiscal and economic benefit'" in html


def test_a_page_looks_up_the_table_in_use_once_and_a_choice_is_seen_at_once(
    app: Flask,
) -> None:
    """A GET asks for the table its organisation's runs use once (its stored check and
    its figures both need it); a save is never answered from that memo, and the next
    page after a save that chose another version sees that version."""
    from sqlalchemy import event

    from froi.web.core.models import Organisation
    from froi.web.core.reference import current_table
    from froi.web.unit_costs.store import choose

    statements: list[str] = []
    engine = app.extensions["froi"]["db"].engine

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with app.app_context():
            session = get_session()
            org = session.scalars(select(Organisation.id).order_by(Organisation.id)).first()
            national = session.scalars(select(UnitCostTable).order_by(UnitCostTable.id)).first()
            assert org is not None and national is not None
            other = UnitCostTable(  # the organisation's own: the national stays the newest
                organisation_id=org,
                name="Another",
                version="2",
                sha256=national.sha256,
                row_count=0,
                meta={},
            )
            other.status = "published"
            session.add(other)
            session.commit()
            national_id, other_id = national.id, other.id

        def twice(method: str) -> tuple[int, int, int]:
            with app.test_request_context("/projects/1", method=method):
                session = get_session()
                statements.clear()
                first = current_table(session, org)
                asked = len(statements)
                again = current_table(session, org)
                assert again.id == first.id
                return first.id, asked, len(statements) - asked

        table, asked, again = twice("GET")
        assert table == national_id and asked >= 1 and again == 0  # read once
        _, asked, again = twice("POST")
        assert asked >= 1 and again >= 1  # a save always reads it
        with app.test_request_context("/unit-costs/choose", method="POST"):
            session = get_session()
            assert current_table(session, org).id == national_id
            choose(session, org, session.get(UnitCostTable, other_id), "steward@la.example")
            session.commit()
            assert current_table(session, org).id == other_id
        assert twice("GET")[0] == other_id  # the next page sees the choice
    finally:
        event.remove(engine, "before_cursor_execute", seen)
