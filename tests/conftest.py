"""Shared fixtures (see support.py for the project builder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_support import postgres_database

from support import ProjectFactory, project_factory


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """Build a journey project under tmp_path from inline config and CSV text."""
    return project_factory(tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test on SQLite (the project's file) and on a fresh PostgreSQL database.

    Sets or clears JOURNEY_DATABASE_URL; yields the backend's name. PostgreSQL skips without
    JOURNEY_TEST_POSTGRES_URL (see store_support.py).
    """
    if request.param == "sqlite":
        monkeypatch.delenv("JOURNEY_DATABASE_URL", raising=False)
        yield "sqlite"
        return
    with postgres_database() as url:
        monkeypatch.setenv("JOURNEY_DATABASE_URL", url)
        yield "postgresql"
