"""The one line of an error that an input-data message quotes."""

from __future__ import annotations

import polars as pl

from metrics.errors import first_line


def test_the_first_line_of_a_polars_error_leaves_its_plan_out():
    error = pl.exceptions.ColumnNotFoundError('unable to find column "x"\n\nResolved plan: ...')
    assert first_line(error) == 'unable to find column "x"'


def test_an_error_without_a_message_is_named_by_its_type():
    assert first_line(pl.exceptions.ComputeError("  ")) == "ComputeError"
