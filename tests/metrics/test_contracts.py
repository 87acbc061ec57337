"""metrics.contracts: text dates and timestamps, every accepted form in one column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import pytest

from metrics.contracts import (
    DATE_FORMATS,
    TIMESTAMP_FORMATS,
    first_parsed,
    parse_dates,
    parse_timestamps,
)
from metrics.errors import InputError

UTC = dt.UTC
TEXT_TIMESTAMPS = {
    "2026-03-01T10:20:30.5+02:00": dt.datetime(2026, 3, 1, 8, 20, 30, 500000, tzinfo=UTC),
    " 2026-03-01T10:20:30Z ": dt.datetime(2026, 3, 1, 10, 20, 30, tzinfo=UTC),
    "2026-03-01 10:20:30-0100": dt.datetime(2026, 3, 1, 11, 20, 30, tzinfo=UTC),
    "2026-03-01 10:20:30+00": dt.datetime(2026, 3, 1, 10, 20, 30, tzinfo=UTC),  # PostgreSQL
    "2026-03-01 10:20:30.5-07": dt.datetime(2026, 3, 1, 17, 20, 30, 500000, tzinfo=UTC),
    "2026-03-01 10:20:30 +0530": dt.datetime(2026, 3, 1, 4, 50, 30, tzinfo=UTC),
    "2026-03-01 10:20:30.000 -0700": dt.datetime(2026, 3, 1, 17, 20, 30, tzinfo=UTC),
    "2026-03-01 10:20:30 UTC": dt.datetime(2026, 3, 1, 10, 20, 30, tzinfo=UTC),  # BigQuery
    "2026-03-01 10:20:30.123 UTC": dt.datetime(2026, 3, 1, 10, 20, 30, 123000, tzinfo=UTC),
    "2026-03-01T10:20:30.000Z": dt.datetime(2026, 3, 1, 10, 20, 30, tzinfo=UTC),
    "2026-03-01T10:20:30.123456": dt.datetime(2026, 3, 1, 10, 20, 30, 123456, tzinfo=UTC),
    "2026-03-01 10:20:30.25": dt.datetime(2026, 3, 1, 10, 20, 30, 250000, tzinfo=UTC),
    "2026-03-01T10:20:30": dt.datetime(2026, 3, 1, 10, 20, 30, tzinfo=UTC),
    "2026-03-01 10:20:30": dt.datetime(2026, 3, 1, 10, 20, 30, tzinfo=UTC),
    "2026-03-01T10:20": dt.datetime(2026, 3, 1, 10, 20, tzinfo=UTC),
    "2026-03-01 10:20": dt.datetime(2026, 3, 1, 10, 20, tzinfo=UTC),
    "2026-03-01": dt.datetime(2026, 3, 1, tzinfo=UTC),
    "yesterday": None,
    "": None,
    "2026-02-30T10:00:00Z": None,
}
TEXT_DATES = {
    "2026-03-01": dt.date(2026, 3, 1),
    " 2026/03/02 ": dt.date(2026, 3, 2),
    "03.03.2026": dt.date(2026, 3, 3),
    "2026-03-04T23:59:59+05:00": dt.date(2026, 3, 4),  # the date part, as written
    "03/04/2026": None,  # ambiguous: not a form accepted
    "soon": None,
}


def parsed(frame: pl.DataFrame, parse: Callable[..., pl.LazyFrame], column: str) -> list[object]:
    out = parse(frame.lazy(), column, frame.schema[column], "events").collect()
    return out[column].to_list()


@pytest.mark.parametrize("engine", ["streaming", "in-memory"])
def test_every_text_timestamp_form_parses_in_one_column_in_any_order(engine: str) -> None:
    texts = [*TEXT_TIMESTAMPS, None]
    expected = [*TEXT_TIMESTAMPS.values(), None]
    for rotation in range(len(texts)):  # each form first, so that no order is assumed
        column = texts[rotation:] + texts[:rotation]
        frame = pl.LazyFrame({"ts": column, "other": range(len(column))})
        out = parse_timestamps(frame, "ts", pl.String, "events").collect(engine=engine)
        assert out["ts"].to_list() == expected[rotation:] + expected[:rotation]
        assert out.columns == ["ts", "other"] and out["other"].to_list() == list(range(len(texts)))


def test_the_result_is_the_first_form_that_parses_the_text_without_its_spaces() -> None:
    texts = pl.Series("ts", [*TEXT_TIMESTAMPS, None] * 3)
    text = pl.col("ts").str.strip_chars()
    every_form = pl.coalesce(
        [
            text.str.to_datetime(fmt, time_unit="us", time_zone="UTC", strict=False)
            for fmt in TIMESTAMP_FORMATS
        ]
    )
    reference = texts.to_frame().select(every_form.alias("ts"))["ts"].to_list()
    assert parsed(texts.to_frame(), parse_timestamps, "ts") == reference


def test_text_dates_parse_in_one_column_and_typed_columns_keep_their_value() -> None:
    frame = pl.DataFrame({"d": [*TEXT_DATES, None]})
    assert parsed(frame, parse_dates, "d") == [*TEXT_DATES.values(), None]
    typed = pl.DataFrame({"d": [dt.datetime(2026, 3, 5, 23, 0)], "t": [dt.date(2026, 3, 6)]})
    assert parsed(typed, parse_dates, "d") == [dt.date(2026, 3, 5)]
    assert parsed(typed, parse_timestamps, "t") == [dt.datetime(2026, 3, 6, tzinfo=UTC)]


def test_a_column_of_an_impossible_type_is_an_input_error() -> None:
    frame = pl.DataFrame({"ts": [1.5]})
    with pytest.raises(InputError, match="column `ts` must hold timestamps, found Float64"):
        parse_timestamps(frame.lazy(), "ts", pl.Float64, "events")
    with pytest.raises(InputError, match=r"column `ts` must hold dates \(YYYY-MM-DD\)"):
        parse_dates(frame.lazy(), "ts", pl.Float64, "daily")


def test_each_parser_sees_only_what_the_ones_before_it_left() -> None:
    seen: list[int] = []

    def counting(fmt: str) -> Callable[[pl.Expr], pl.Expr]:
        def parse(text: pl.Expr) -> pl.Expr:
            def count(values: pl.Series) -> pl.Series:
                seen.append(values.drop_nulls().len())
                return values.str.to_date(fmt, strict=False)

            return text.map_batches(count, return_dtype=pl.Date)

        return parse

    frame = pl.LazyFrame({"d": ["2026-01-01"] * 5 + ["2026/01/02"] * 2 + ["x"]})
    out = first_parsed(frame, "d", [counting(fmt) for fmt in DATE_FORMATS]).collect()
    assert out["d"].null_count() == 1
    assert seen == [8, 3, 1]  # every row, then those left: not every row three times


def test_text_that_no_form_fits_is_null_whatever_its_spaces() -> None:
    texts = ["2026-03-01T10:20Z", "10:20:30", "2026-13-01", " ", "2026-03-01 10:20:30 CET"]
    frame = pl.DataFrame({"ts": texts})
    assert parsed(frame, parse_timestamps, "ts") == [None] * len(texts)
