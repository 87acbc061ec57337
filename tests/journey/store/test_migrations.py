"""The alembic migrations build exactly the schema of the models, on SQLite and PostgreSQL.

If a table or column is added to a model without a migration, the first test fails: write the
migration (see docs/operations.md, "Schema migrations").
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlmodel import SQLModel
from store_support import run_sql, snapshot

from journey.errors import JourneyError
from journey.store import RunRecordIn, save_run
from journey.store.engine import make_engine
from journey.store.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    shipped_head,
    upgrade,
)


def empty_database(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return os.environ["JOURNEY_DATABASE_URL"]  # a fresh database made by the fixture


def migrated(url: str) -> Engine:
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    return engine


def test_the_head_read_from_file_names_is_alembics_head():
    assert shipped_head() == head_revision() is not None


def test_upgrade_head_on_an_empty_database_yields_exactly_the_models(backend: str, tmp_path: Path):
    engine = migrated(empty_database(backend, tmp_path))
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
        assert tables == set(SQLModel.metadata.tables)
        for name, table in SQLModel.metadata.tables.items():
            columns = {c["name"] for c in inspect(conn).get_columns(name)}
            assert columns == {c.name for c in table.columns}, name
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert differences == [], "a model changed without a migration: " + repr(differences[:3])
    engine.dispose()


def test_postgresql_pages_of_current_state_keep_room_for_a_night_s_updates(
    backend: str, tmp_path: Path
):
    """Fill factors (migration 0004): a night's updates stay on their page (HOT)."""
    if backend != "postgresql":
        pytest.skip("a fill factor is PostgreSQL's")
    engine = migrated(empty_database(backend, tmp_path))
    query = text("SELECT relname, reloptions FROM pg_class WHERE relname LIKE '%\\_state'")

    def options() -> dict[str, list[str] | None]:
        with engine.connect() as conn:
            return {name: opts for name, opts in conn.execute(query)}

    assert options() == {"account_state": ["fillfactor=50"], "milestone_state": ["fillfactor=70"]}
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0003")
    assert options() == {"account_state": None, "milestone_state": None}
    engine.dispose()


def test_downgrade_to_base_removes_every_table(backend: str, tmp_path: Path):
    engine = migrated(empty_database(backend, tmp_path))
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_make_engine_applies_the_migrations_once(backend: str, tmp_path: Path):
    url = empty_database(backend, tmp_path)
    engine = make_engine(url)
    assert current_revision(engine) == head_revision() is not None
    again = make_engine(url)  # at head: nothing to do, nothing fails
    assert current_revision(again) == head_revision()
    engine.dispose()
    again.dispose()


def test_a_schema_newer_than_this_journey_is_refused_with_a_clear_message(
    backend: str, tmp_path: Path
):
    url = empty_database(backend, tmp_path)
    make_engine(url).dispose()
    later = f"{int(head_revision() or 0) + 1:04d}"
    run_sql(url, f"UPDATE alembic_version SET version_num = '{later}'")

    with pytest.raises(JourneyError, match=f"revision {later}, newer than this journey"):
        make_engine(url)


def test_a_database_made_before_migrations_is_adopted(backend: str, tmp_path: Path):
    url = empty_database(backend, tmp_path)
    legacy = create_engine(url)
    SQLModel.metadata.create_all(legacy)  # what journey did before migrations
    legacy.dispose()
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_processes_starting_together_on_a_new_database_do_not_race(backend: str, tmp_path: Path):
    url = empty_database(backend, tmp_path)
    start = threading.Barrier(4, timeout=60)
    engines: list[Engine] = []
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            start.wait()
            engines.append(make_engine(url))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=open_store, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(engines) == 4
    assert current_revision(engines[0]) == head_revision()
    for engine in engines:
        engine.dispose()


@pytest.mark.parametrize("left_at", ["0001", "0002", "0003"])
def test_a_store_with_runs_upgrades_and_its_next_run_stores_as_usual(
    stores: Callable[[int], list[Engine]],
    night: Callable[..., tuple[pl.DataFrame, pl.DataFrame]],
    left_at: str,
):
    upgraded, reference = stores(2)
    now = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    days = [dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3)]
    for engine in (upgraded, reference):
        for day in days[:2]:
            save_run(engine, RunRecordIn(day, now, now, "c", "i", 0, 0, 0, None, ()), *night(day))
    with upgraded.begin() as conn:
        command.downgrade(alembic_config(conn), left_at)  # as that journey left the store
    upgrade(upgraded)
    with upgraded.connect() as conn:
        digests = conn.execute(text("SELECT moving_digest FROM milestone_state")).scalars().all()
    if left_at < "0003":  # moving digests came with 0003: none were stored before
        assert set(digests) == {None}
    for engine in (upgraded, reference):
        record = RunRecordIn(days[2], now, now, "c", "i", 0, 0, 0, None, (), "key")
        save_run(engine, record, *night(days[2]))
    assert snapshot(upgraded) == snapshot(reference)
