"""Test support for the store: a throwaway PostgreSQL database per test, store snapshots, and
running `journey` in a subprocess (for tests that kill it).

PostgreSQL tests need JOURNEY_TEST_POSTGRES_URL (a user allowed to create databases; see
.ci/postgres.sh). Without it they skip, unless JOURNEY_REQUIRE_POSTGRES is set (CI sets it),
in which case they fail: CI must not go green by skipping them.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from journey.store.engine import database_url, make_engine

POSTGRES_ENV = "JOURNEY_TEST_POSTGRES_URL"
REPO = Path(__file__).resolve().parent.parent

#: Columns that differ between two runs with the same results (timings, file mtimes, ids;
#: the key of the incremental state derives from the input fingerprint).
VOLATILE = {"started_at", "finished_at", "input_fingerprint", "state_key", "id"}


def postgres_admin_url() -> str:
    """The test server's URL, or skip (fail under JOURNEY_REQUIRE_POSTGRES)."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        reason = f"{POSTGRES_ENV} is not set; start a server with `.ci/postgres.sh` and export it"
        if os.environ.get("JOURNEY_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the test server; dropped afterwards. Yields its URL."""
    admin_url = postgres_admin_url()
    name = f"journey_t_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_database(admin, name)
        admin.dispose()


def _drop_database(admin: Engine, name: str, attempts: int = 10) -> None:
    """Drop a test database. FORCE ends the test's own leftover sessions, but a non-superuser
    may not end an autovacuum worker that happens to be in it: try again for a moment, then
    leave the database to the throwaway server rather than fail the test."""
    for attempt in range(attempts):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == attempts - 1:
                warnings.warn(f"test database {name} could not be dropped", stacklevel=2)
                return
            time.sleep(0.3)


def run_sql(url: str, statement: str, rows: list[dict[str, Any]] | None = None) -> None:
    """Run one statement on the database at `url` (e.g. a warehouse table for a SQL source),
    once per row of `rows` when they are given (`:name` parameters), and commit."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(statement), rows or {})
    engine.dispose()


@contextmanager
def fresh_store(backend: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A second, empty store on the same backend (SQLite: the project's own file)."""
    if backend == "sqlite":
        yield
        return
    with postgres_database() as url, monkeypatch.context() as patch:
        patch.setenv("JOURNEY_DATABASE_URL", url)
        yield


def project_engine(config_dir: Path) -> Engine:
    """The store engine of the project whose config/ is `config_dir` (honours the env URL)."""
    from journey.config import load_config

    config = load_config(config_dir)
    return make_engine(database_url(config.settings.database, config.root))


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted, without volatile columns: equal means same results."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in VOLATILE]
            rows = conn.execute(select(*columns)).all()
            tables[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return tables


def run_journey(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m journey.cli ARGS` in a subprocess, with extra environment variables."""
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), full_env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "journey.cli", *args],
        env=full_env,
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
