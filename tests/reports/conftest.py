"""Fixtures of the report tests; the fixed week itself is in tests/report_week.py."""

from __future__ import annotations

import polars as pl
import pytest
from report_week import week_frames


@pytest.fixture
def week() -> dict[str, pl.DataFrame]:
    """The fixed week (see the module docstring)."""
    return week_frames()
