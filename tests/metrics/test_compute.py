"""metrics.compute against a brute-force reading of DESIGN §6, on random small inputs.

The pipeline works on grid row numbers, global running totals and coverage changes; the
oracle below recounts every (account, day) from scratch, the slow and obvious way.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from metrics.compute import day_grid, metric_values
from metrics.definitions import CountMetric, DistinctMetric, Metric, SumMetric
from segments.conditions import Comparison

BASE = dt.date(2026, 1, 1)
AS_OF = BASE + dt.timedelta(days=20)
LOGIN = Comparison.model_validate({"field": "event", "eq": "login"})
METRICS: dict[str, Metric] = {
    "logins": CountMetric(count="events", where=LOGIN),
    "logins_3d": CountMetric(count="events", where=LOGIN, window_days=3),
    "events_1d": CountMetric(count="events", window_days=1),
    "minutes": SumMetric(sum="value"),
    "minutes_4d": SumMetric(sum="value", window_days=4),
    "users": DistinctMetric(distinct="user_id"),
    "users_2d": DistinctMetric(distinct="user_id", window_days=2),
    "users_7d": DistinctMetric(distinct="user_id", window_days=7),
    "login_users_3d": DistinctMetric(distinct="user_id", where=LOGIN, window_days=3),
}

accounts_st = st.lists(
    st.integers(min_value=0, max_value=25), min_size=1, max_size=4
)  # start offsets; > 20 starts after as_of
event_st = st.tuples(
    st.integers(min_value=0, max_value=3),  # account
    st.integers(min_value=0, max_value=20),  # day
    st.sampled_from(["login", "report"]),
    st.sampled_from(["u1", "u2", "u3", None]),
    st.sampled_from([0.1, 0.2, 1.5, None]),
)


def _oracle(
    starts: dict[str, dt.date], events: list[tuple[str, dt.date, str, str | None, float | None]]
) -> pl.DataFrame:
    rows = []
    for account, start in sorted(starts.items()):
        day = start
        while day <= AS_OF:
            mine = [e for e in events if e[0] == account and start <= e[1] <= day]

            def within(w: int | None, event_day: dt.date, day: dt.date = day) -> bool:
                return w is None or (day - event_day).days < w

            row: dict[str, object] = {"account_id": account, "day": day}
            for name, metric in METRICS.items():
                hits = [e for e in mine if within(metric.window_days, e[1])]
                if metric.where is not None:
                    hits = [e for e in hits if e[2] == "login"]
                if isinstance(metric, CountMetric):
                    row[name] = float(len(hits))
                elif isinstance(metric, SumMetric):
                    row[name] = float(sum(e[4] for e in hits if e[4] is not None))
                else:
                    row[name] = float(len({e[3] for e in hits if e[3] is not None}))
            row["last_active"] = max((e[1] for e in mine), default=None)
            rows.append(row)
            day += dt.timedelta(days=1)
    schema = {"account_id": pl.String, "day": pl.Date} | dict.fromkeys(METRICS, pl.Float64)
    return pl.DataFrame(rows, schema=schema | {"last_active": pl.Date}, orient="row")


@settings(max_examples=60, deadline=None)
@given(offsets=accounts_st, raw=st.lists(event_st, max_size=40))
def test_values_equal_a_brute_force_recount(offsets: list[int], raw: list[tuple]):
    starts = {f"acc{i}": BASE + dt.timedelta(days=o) for i, o in enumerate(offsets)}
    events = [
        (f"acc{a}", BASE + dt.timedelta(days=d), e, u, v)
        for a, d, e, u, v in raw
        if f"acc{a}" in starts
    ]
    accounts = pl.LazyFrame(
        {"account_id": list(starts), "start_date": list(starts.values())},
        schema={"account_id": pl.String, "start_date": pl.Date},
    )
    frame = pl.DataFrame(
        events,
        schema={
            "account_id": pl.String,
            "day": pl.Date,
            "event": pl.String,
            "user_id": pl.String,
            "value": pl.Float64,
        },
        orient="row",
    ).lazy()
    in_journey = frame.join(accounts, on="account_id").filter(
        (pl.col("day") >= pl.col("start_date")) & (pl.col("day") <= AS_OF)
    )
    grid = day_grid(accounts, AS_OF)
    values = metric_values(grid, {"events": in_journey}, METRICS, activity="events").collect()
    expected = _oracle({a: s for a, s in starts.items() if s <= AS_OF}, events)
    assert_frame_equal(
        values.select("account_id", "day", *METRICS, "last_active").sort("account_id", "day"),
        expected,
        abs_tol=1e-9,
    )
    # Without `activity`, the same values and no last_active.
    plain = metric_values(grid, {"events": in_journey}, METRICS).collect()
    assert plain.columns == [*grid.collect_schema().names(), *METRICS]
    assert_frame_equal(plain, values.drop("last_active"))


def test_a_value_seen_in_two_accounts_counts_in_each():
    accounts = pl.LazyFrame({"account_id": ["a", "b"], "start_date": [BASE, BASE]})
    events = pl.LazyFrame(
        {"account_id": ["a", "b"], "day": [BASE, BASE], "user_id": ["shared", "shared"]}
    )
    metrics: dict[str, Metric] = {"users_7d": DistinctMetric(distinct="user_id", window_days=7)}
    grid = day_grid(accounts, BASE + dt.timedelta(days=8))
    values = metric_values(grid, {"events": events}, metrics).collect()
    per_account = values.group_by("account_id").agg(pl.col("users_7d")).sort("account_id")
    expected = [1.0] * 7 + [0.0, 0.0]
    assert per_account["users_7d"].to_list() == [expected, expected]


def test_distinct_metrics_share_appearances_only_within_one_source():
    # Metrics counting the same column share its sorted appearances; a metric of another
    # source (or `where`) must count its own rows all the same.
    accounts = pl.LazyFrame({"account_id": ["a"], "start_date": [BASE]})
    events = pl.LazyFrame(
        {"account_id": ["a", "a"], "day": [BASE, BASE], "user_id": ["u1", "u2"], "event": ["x"] * 2}
    )
    daily = pl.LazyFrame({"account_id": ["a"], "day": [BASE], "user_id": ["u9"]})
    metrics: dict[str, Metric] = {
        "users": DistinctMetric(distinct="user_id"),
        "users_7d": DistinctMetric(distinct="user_id", window_days=7),
        "daily_users": DistinctMetric.model_validate({"distinct": "user_id", "from": "daily"}),
        "login_users": DistinctMetric(distinct="user_id", where=LOGIN),
    }
    grid = day_grid(accounts, BASE)
    values = metric_values(grid, {"events": events, "daily": daily}, metrics).collect()
    assert values.select(*metrics).row(0) == (2.0, 2.0, 1.0, 0.0)
