"""metrics.timezones: an instant's day in a zone equals polars' own conversion."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.timezones import local_day, transitions

#: Zones with unusual rules: half- and quarter-hour offsets, DST at midnight, a skipped day,
#: a 30-minute DST shift, a zone that dropped DST, and one that never had it.
ZONES = (
    "America/New_York",
    "America/Sao_Paulo",  # DST changed at midnight: some local days start at 01:00
    "America/St_Johns",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Apia",  # skipped 2011-12-30
    "Pacific/Chatham",
    "Europe/Moscow",
    "Asia/Tokyo",
    "Etc/GMT+5",
    "UTC",
)
MICROS = 1_000_000


def _both(micros: list[int], zone: str) -> tuple[list[dt.date], list[dt.date]]:
    frame = pl.DataFrame({"ts": pl.Series(micros, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))})
    got = frame.select(local_day(pl.col("ts"), zone))["ts"].to_list()
    want = frame.select(pl.col("ts").dt.convert_time_zone(zone).dt.date())["ts"].to_list()
    return got, want


@settings(max_examples=80, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    micros=st.lists(
        st.integers(
            min_value=int(dt.datetime(1850, 1, 1, tzinfo=dt.UTC).timestamp()) * MICROS,
            max_value=int(dt.datetime(2150, 1, 1, tzinfo=dt.UTC).timestamp()) * MICROS,
        ),
        min_size=1,
        max_size=50,
    ),
)
def test_days_equal_polars_conversion(zone: str, micros: list[int]) -> None:
    got, want = _both(micros, zone)
    assert got == want


@pytest.mark.parametrize("zone", ZONES)
def test_every_transition_and_the_seconds_around_it(zone: str) -> None:
    # Each transition to the second, a microsecond either side, and local midnights near it.
    starts, _ = transitions(zone)
    edges = [int(s) + d for s in starts[1:] for d in (-MICROS, -1, 0, 1, MICROS)]
    got, want = _both(edges, zone)
    assert got == want


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kathmandu"])
def test_far_past_and_future(zone: str) -> None:
    # Outside the sampled years the nearest offset holds, as in polars.
    far = [
        int(dt.datetime(year, 7, 1, hour, tzinfo=dt.UTC).timestamp()) * MICROS
        for year in (1600, 1799, 2201, 2600)
        for hour in (0, 3, 12, 23)
    ]
    got, want = _both(far, zone)
    assert got == want


def test_null_timestamps_stay_null() -> None:
    frame = pl.DataFrame({"ts": [None, 0]}, schema={"ts": pl.Datetime("us", "UTC")})
    days = frame.select(local_day(pl.col("ts"), "Asia/Tokyo"))["ts"].to_list()
    assert days == [None, dt.date(1970, 1, 1)]


def test_transitions_against_hourly_sampling() -> None:
    # The daily sampling and bisection find every offset change that hourly sampling sees
    # (checked for every zone polars knows when this module was written; here a few).
    for zone in ("Australia/Lord_Howe", "America/Sao_Paulo", "Pacific/Apia"):
        start = int(dt.datetime(1900, 1, 1, tzinfo=dt.UTC).timestamp())
        hours = np.arange(start, start + 200 * 365 * 86_400, 3_600, dtype=np.int64) + 1_234
        starts, offsets = transitions(zone)
        period = np.searchsorted(starts, hours * MICROS, side="right") - 1
        frame = pl.DataFrame({"ts": pl.Series(hours * MICROS).cast(pl.Datetime("us", "UTC"))})
        local = frame.select(
            pl.col("ts").dt.convert_time_zone(zone).dt.replace_time_zone(None).to_physical()
        )["ts"].to_numpy()
        assert np.array_equal(offsets[period], local - hours * MICROS), zone
