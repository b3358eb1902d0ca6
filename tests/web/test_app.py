"""The app factory, the first start, migrations and the stored national table."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from calculator.reference import load_reference
from froi.web import create_app
from froi.web.core.db import database_url, get_session, load_defaults
from froi.web.core.models import (
    DEFAULT_ORGANISATION,
    Base,
    Organisation,
    PublishedTableChanged,
    UnitCostRow,
    UnitCostTable,
)
from froi.web.core.reference import current_table, engine_table
from froi.web.uploads.jobs import shutdown


def test_factory_takes_test_config(app: Flask) -> None:
    assert app.testing
    assert app.config["SECRET_KEY"] == "test"
    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"]})
    try:
        assert not other.testing
    finally:
        shutdown(other)  # its job queue workers too
        other.extensions["froi"]["db"].engine.dispose()


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    bare = Flask("froi_probe", instance_path=str(tmp_path / "instance"))
    assert database_url(bare) == f"sqlite:///{tmp_path / 'instance' / 'froi.sqlite'}"
    assert (tmp_path / "instance").is_dir()


def test_first_start_loads_the_national_table_and_organisation(app: Flask) -> None:
    shipped = load_reference().unit_costs
    with app.app_context():
        session = get_session()
        table = current_table(session)
        count = session.scalar(
            select(func.count()).select_from(UnitCostRow).where(UnitCostRow.table_id == table.id)
        )
        assert count == len(shipped) == table.row_count
        assert (table.name, table.version, table.sha256) == (
            shipped.meta.name,
            shipped.meta.version,
            shipped.sha256,
        )
        # read back from the database, the rows hash to the published SHA-256
        assert engine_table(table).sha256 == shipped.sha256
        assert engine_table(table).rows.equals(shipped.rows)
        names = session.scalars(select(Organisation.name)).all()
        assert names == [DEFAULT_ORGANISATION]


def test_init_db_command_is_idempotent(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "already up to date" in result.output
    assert "new runs use unit cost table" in result.output


def test_a_changed_table_under_a_published_version_is_refused(app: Flask) -> None:
    import click

    reference = load_reference()
    edited = reference.unit_costs.rows.copy()
    edited.iloc[0, edited.columns.get_loc("value")] += 1.0
    from dataclasses import replace

    from calculator.unit_costs import table_hash

    changed = replace(
        reference,
        unit_costs=replace(reference.unit_costs, rows=edited, sha256=table_hash(edited)),
    )
    with app.app_context(), pytest.raises(click.ClickException, match=r"cannot\s+change"):
        load_defaults(get_session(), changed)


def test_models_and_migrations_agree(app: Flask) -> None:
    engine = app.extensions["froi"]["db"].engine
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_published_tables_cannot_change(app: Flask) -> None:
    with app.app_context():
        session = get_session()
        table = current_table(session)
        table.rows[0].value += 1
        with pytest.raises(PublishedTableChanged, match="published"):
            session.flush()
        session.rollback()
        session.add(
            UnitCostRow(
                table=session.get(UnitCostTable, table.id),
                code="NEW1",
                name="n",
                unit="u",
                value=1.0,
                price_year="2024-25",
                agency="a",
                category="fiscal",
                cashable=False,
                source="s",
            )
        )
        with pytest.raises(PublishedTableChanged, match="rows cannot be added"):
            session.flush()
        session.rollback()
        session.delete(session.get(UnitCostTable, table.id))
        with pytest.raises(PublishedTableChanged):
            session.flush()
        session.rollback()


def test_unknown_page_is_a_page_of_the_service(client: object) -> None:
    from .pages import page

    response = client.get("/no-such-page")  # type: ignore[attr-defined]
    assert response.status_code == 404
    shown = page(response)
    assert shown.mains == 1 and shown.h1 == ["Page not found"]


def test_the_migrations_have_one_head() -> None:
    """Features may branch from a revision, but a merge joins them: plain
    ``alembic upgrade head`` must work as well as the service's upgrade of every head."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from froi.web.core.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == ["0010_jobs"]


def test_an_existing_sqlite_database_keeps_its_links_and_never_reuses_an_id(
    tmp_path: Path,
) -> None:
    """Revision 0005 rebuilds SQLite's tables as AUTOINCREMENT: with the foreign keys on,
    as the service connects, no row is lost and no link is cut on the way."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from froi.web.core.db import MIGRATIONS, make_database, upgrade

    database = make_database(f"sqlite:///{tmp_path / 'old.sqlite'}")  # foreign keys on
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        for statement in (
            "INSERT INTO organisation (id, name, created_at) VALUES (1, 'LA', '2026-01-01')",
            "INSERT INTO unit_cost_table (id, name, version, sha256, row_count, publisher, "
            "licence, date, last_verified, source, description, meta, status, created_at) "
            "VALUES (1, 'N', '1', 'x', 0, '', '', '', '', '', '', '{}', 'published', "
            "'2026-01-01')",
            *(
                "INSERT INTO project (id, organisation_id, project_ref, name, "
                "organisation_name, doc, settings, unit_costs, scenario_of_id, revision, "
                f"created_at, updated_at) VALUES ({n}, 1, 'P{n}', '', '', '{{}}', '{{}}', "
                f"'[]', {scenario}, 1, '2026-01-01', '2026-01-01')"
                for n, scenario in ((1, "NULL"), (2, "1"))
            ),
            "INSERT INTO upload (id, organisation_id, file_name, sha256, size, content, "
            "created_at, user_name, status, report) VALUES (1, 1, 'f.xlsx', 'x', 1, x'00', "
            "'2026-01-01', 'u', 'computed', '{}')",
            "INSERT INTO run (id, organisation_id, project_id, project_ref, input_doc, "
            "input_sha256, settings, unit_cost_table_id, unit_cost_table_name, "
            "unit_cost_table_version, unit_cost_table_sha256, engine_version, results, "
            "user_name, computed_at, upload_id) VALUES (1, 1, 2, 'P2', '{}', 'x', '{}', 1, "
            "'N', '1', 'x', '1', '{}', 'u', '2026-01-01', 1)",
            "INSERT INTO job (id, organisation_id, kind, status, stage, done, total, error, "
            "worker, created_at, user_name, upload_id, result_url) VALUES (1, 1, 'check', "
            "'done', '', 0, 0, '', '', '2026-01-01', 'u', 1, '')",
        ):
            connection.execute(text(statement))
    upgrade(database.engine)
    with database.engine.begin() as connection:
        links = connection.execute(
            text(
                "SELECT r.project_id, r.upload_id, p.scenario_of_id, j.upload_id FROM run r "
                "JOIN project p ON p.id = r.project_id, job j"
            )
        ).one()
        assert tuple(links) == (2, 1, 1, 1)
        made = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        ).all()
        tables = {name: sql for name, sql in made}
        for name in ("organisation", "unit_cost_table", "unit_cost_row", "project", "run"):
            assert "AUTOINCREMENT" in tables[name], name
        for name in ("upload", "job", "user_account", "audit_event"):
            assert "AUTOINCREMENT" in tables[name], name
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        connection.execute(text("DELETE FROM project WHERE id = 2"))
        assert connection.execute(text("SELECT project_id FROM run")).scalar() is None
        connection.execute(
            text(
                "INSERT INTO project (organisation_id, project_ref, name, organisation_name, "
                "doc, settings, unit_costs, revision, created_at, updated_at) VALUES (1, "
                "'P3', '', '', '{}', '{}', '[]', 1, '2026-01-01', '2026-01-01')"
            )
        )
        assert connection.execute(text("SELECT MAX(id) FROM project")).scalar() == 3
    database.engine.dispose()


def test_text_columns_hold_what_the_engine_accepts() -> None:
    """A project's text is kept in columns as long as the engine's limit for its field, so
    anything the engine accepts can be saved (PostgreSQL refuses a longer value) and the
    limit is stated once, in calculator.fields."""
    from calculator.fields import PROJECT, by_name
    from froi.web.core.models import Project, column_length

    fields = by_name(PROJECT)
    for field, column in (
        ("project_id", "project_ref"),
        ("name", "name"),
        ("organisation", "organisation_name"),
    ):
        assert fields[field].max_length == column_length(Project, column), field
