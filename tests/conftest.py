"""Shared fixtures (see support.py for the project builder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import ProjectFactory, project_factory


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """Build a journey project under tmp_path from inline config and CSV text."""
    return project_factory(tmp_path)
