"""Golden cases of DESIGN §6 on small hand-made inputs: each date below is worked by hand.

Every account starts on 2026-01-01 (journey day 0) unless the case says otherwise.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import polars as pl
import pytest

from support import ProjectFactory, project_factory

ANA = "ana@example.com"


@pytest.fixture(params=["evaluate", "run+export"])
def make_project(request: pytest.FixtureRequest, tmp_path: Path) -> ProjectFactory:
    """Every golden case twice: through evaluate(), and through the CLI's run + export."""
    return functools.partial(project_factory(tmp_path), via_cli=request.param == "run+export")


def accounts(*rows: str) -> str:
    return "\n".join(rows) + "\n"


def test_event_on_the_due_day_is_done_and_the_day_after_is_done_late(make_project: ProjectFactory):
    project = make_project(
        milestones="""
        - {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}
        """,
        accounts=accounts(
            f"on_due,On due,2026-01-01,{ANA},1000,x",
            f"late,Late,2026-01-01,{ANA},1000,x",
            f"never,Never,2026-01-01,{ANA},1000,x",
        ),
        events="""
        on_due,2026-01-04T23:59:59Z,login,u1,
        late,2026-01-05T00:00:00Z,login,u1,
        """,
    )
    # due_on = 2026-01-01 + 3 days = 2026-01-04
    states = project.states("2026-01-05")
    assert states[("on_due", "first_login")] == ("2026-01-04", "done")
    assert states[("late", "first_login")] == ("2026-01-05", "done_late")
    assert states[("never", "first_login")] == (None, "overdue")
    evaluation = project.evaluate("2026-01-05")
    rows = {r["account_id"]: r for r in evaluation.milestones.iter_rows(named=True)}
    assert rows["late"]["days_late"] == 1
    assert rows["never"]["days_late"] == 1
    assert rows["on_due"]["days_late"] is None


def test_overdue_only_after_due_plus_grace(make_project: ProjectFactory):
    project = make_project(
        journey_extra="grace_days: 2\n",
        milestones="""
        - {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}
        """,
        accounts=accounts(f"a,A,2026-01-01,{ANA},,x"),
    )
    # due 2026-01-04; overdue when as_of > 2026-01-06
    assert project.states("2026-01-04")[("a", "first_login")] == (None, "pending")
    assert project.states("2026-01-06")[("a", "first_login")] == (None, "pending")
    assert project.states("2026-01-07")[("a", "first_login")] == (None, "overdue")
    lag = project.evaluate("2026-01-07").accounts["lag_days"][0]
    assert lag == 3  # days since due_on, not since the end of grace


def test_count_window_includes_day_d_minus_w_plus_1_and_excludes_d_minus_w(
    make_project: ProjectFactory,
):
    project = make_project(
        milestones="""
        - {id: two_logins_in_3_days, due_day: 30, when: {metric: logins_3d, gte: 2}}
        """,
        accounts=accounts(
            f"inside,In,2026-01-01,{ANA},,x",
            f"outside,Out,2026-01-01,{ANA},,x",
        ),
        events="""
        inside,2026-01-01T10:00:00Z,login,u1,
        inside,2026-01-03T10:00:00Z,login,u1,
        outside,2026-01-01T10:00:00Z,login,u1,
        outside,2026-01-04T10:00:00Z,login,u1,
        """,
    )
    # W=3: on 2026-01-03 the window is 01-01..01-03 (both logins); on 01-04 it is 01-02..01-04.
    states = project.states("2026-01-10")
    assert states[("inside", "two_logins_in_3_days")] == ("2026-01-03", "done")
    assert states[("outside", "two_logins_in_3_days")] == (None, "pending")


def test_distinct_window_boundaries(make_project: ProjectFactory):
    project = make_project(
        milestones="""
        - {id: two_users_in_3_days, due_day: 30, when: {metric: users_3d, gte: 2}}
        """,
        accounts=accounts(
            f"inside,In,2026-01-01,{ANA},,x",
            f"outside,Out,2026-01-01,{ANA},,x",
            f"same_user,Same,2026-01-01,{ANA},,x",
        ),
        events="""
        inside,2026-01-01T10:00:00Z,login,u1,
        inside,2026-01-03T10:00:00Z,report_created,u2,
        outside,2026-01-01T10:00:00Z,login,u1,
        outside,2026-01-04T10:00:00Z,login,u2,
        same_user,2026-01-01T10:00:00Z,login,u1,
        same_user,2026-01-02T10:00:00Z,login,u1,
        same_user,2026-01-03T10:00:00Z,login,u1,
        """,
    )
    states = project.states("2026-01-10")
    assert states[("inside", "two_users_in_3_days")] == ("2026-01-03", "done")
    assert states[("outside", "two_users_in_3_days")] == (None, "pending")
    assert states[("same_user", "two_users_in_3_days")] == (None, "pending")


def test_distinct_window_value_day_by_day(make_project: ProjectFactory):
    """u1 on days 0 and 2, u2 on day 1; W=3 -> 1,2,2,2,1,0 on days 0..5."""
    from metrics.compute import day_grid, metric_values

    project = make_project(
        milestones="- {id: m, due_day: 30, when: {metric: users_3d, gte: 5}}\n",
        accounts=accounts(f"a,A,2026-01-01,{ANA},,x"),
    )
    config = project.config()
    import datetime as dt

    grid = day_grid(
        pl.LazyFrame({"account_id": ["a"], "start_date": [dt.date(2026, 1, 1)]}),
        dt.date(2026, 1, 6),
    )
    events = pl.LazyFrame(
        {
            "account_id": ["a", "a", "a"],
            "day": [dt.date(2026, 1, 1), dt.date(2026, 1, 3), dt.date(2026, 1, 2)],
            "user_id": ["u1", "u1", "u2"],
        }
    )
    metrics = {"users_3d": config.metrics["users_3d"], "users": config.metrics["users"]}
    values = metric_values(grid, {"events": events}, metrics).collect()
    assert values["users_3d"].to_list() == [1, 2, 2, 2, 1, 0]
    assert values["users"].to_list() == [1, 2, 2, 2, 2, 2]


def test_events_before_start_or_after_as_of_are_ignored(make_project: ProjectFactory):
    project = make_project(
        milestones="""
        - {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}
        """,
        accounts=accounts(f"a,A,2026-01-10,{ANA},,x"),
        events="""
        a,2026-01-09T23:00:00Z,login,u1,
        a,2026-01-16T00:00:00Z,login,u1,
        """,
    )
    evaluation = project.evaluate("2026-01-15")
    assert project.states("2026-01-15")[("a", "first_login")] == (None, "overdue")
    assert evaluation.accounts["last_activity"][0] is None
    # The same data evaluated a day later sees the login of 01-16 (late).
    assert project.states("2026-01-16")[("a", "first_login")] == ("2026-01-16", "done_late")


def test_account_without_events(make_project: ProjectFactory):
    project = make_project(
        milestones="""
        - {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}
        - {id: ten_logins, due_day: 30, when: {metric: logins, gte: 10}}
        """,
        accounts=accounts(f"quiet,Quiet,2026-01-01,{ANA},,x", f"busy,Busy,2026-01-01,{ANA},,x"),
        events="busy,2026-01-01T09:00:00Z,login,u1,\n",
    )
    evaluation = project.evaluate("2026-01-02")
    quiet = evaluation.accounts.filter(pl.col("account_id") == "quiet").row(0, named=True)
    # first_login is due in 2 days with 1/3 of its time gone and no progress: behind pace.
    assert quiet["status"] == "at_risk"
    assert quiet["reasons"][0].startswith("first_login is due in 2 days (2026-01-04)")
    assert quiet["last_activity"] is None
    assert quiet["location"] == []
    later = project.evaluate("2026-01-06").accounts.filter(pl.col("account_id") == "quiet")
    assert later["status"][0] == "off_track"
    assert later["lag_days"][0] == 2
    milestones = project.evaluate("2026-01-06").milestones.filter(pl.col("account_id") == "quiet")
    assert milestones["value"].to_list() == [0.0, 0.0]


def test_day_is_the_calendar_date_in_the_configured_timezone(make_project: ProjectFactory):
    events = """
    ny,2026-01-02T03:30:00Z,login,u1,
    ny,2026-01-03T04:30:00Z,login,u1,
    """
    milestones = "- {id: first_login, due_day: 0, when: {metric: logins, gte: 1}}\n"
    accounts_csv = accounts(f"ny,NY,2026-01-02,{ANA},,x")
    # 03:30Z on 01-02 is 22:30 on 01-01 in New York: before start_date, ignored.
    # 04:30Z on 01-03 is 23:30 on 01-02 in New York: the due day itself.
    in_new_york = make_project(
        milestones=milestones, accounts=accounts_csv, events=events, timezone="America/New_York"
    )
    assert in_new_york.states("2026-01-05")[("ny", "first_login")] == ("2026-01-02", "done")
    in_utc = make_project(milestones=milestones, accounts=accounts_csv, events=events)
    assert in_utc.states("2026-01-05")[("ny", "first_login")] == ("2026-01-02", "done")
    # In UTC the first event already falls on 01-02; shift it to see the difference.
    late_events = "ny,2026-01-03T04:30:00Z,login,u1,\n"
    in_utc = make_project(milestones=milestones, accounts=accounts_csv, events=late_events)
    assert in_utc.states("2026-01-05")[("ny", "first_login")] == ("2026-01-03", "done_late")
    in_new_york = make_project(
        milestones=milestones,
        accounts=accounts_csv,
        events=late_events,
        timezone="America/New_York",
    )
    assert in_new_york.states("2026-01-05")[("ny", "first_login")] == ("2026-01-02", "done")


def test_naive_and_offset_timestamps(make_project: ProjectFactory):
    project = make_project(
        milestones="- {id: first_login, due_day: 1, when: {metric: logins, gte: 2}}\n",
        accounts=accounts(f"a,A,2026-01-01,{ANA},,x"),
        events="""
        a,2026-01-01 23:00:00,login,u1,
        a,2026-01-02T01:00:00+02:00,login,u1,
        """,
    )
    # naive = UTC (01-01); 01:00+02:00 is 23:00Z on 01-01 -> both on day 0.
    assert project.states("2026-01-05")[("a", "first_login")] == ("2026-01-01", "done")


def test_achieved_then_regressed_stays_achieved(make_project: ProjectFactory):
    project = make_project(
        milestones="""
        - {id: two_active, due_day: 5, when: {metric: users_3d, gte: 2}}
        - {id: later, due_day: 60, when: {metric: logins, gte: 100}}
        """,
        accounts=accounts(f"a,A,2026-01-01,{ANA},,x"),
        events="""
        a,2026-01-02T10:00:00Z,login,u1,
        a,2026-01-02T11:00:00Z,login,u2,
        """,
    )
    evaluation = project.evaluate("2026-01-10")
    row = evaluation.milestones.filter(pl.col("milestone") == "two_active").row(0, named=True)
    assert (row["achieved_on"].isoformat(), row["state"]) == ("2026-01-02", "done")
    assert row["regressed"] is True
    assert row["holds_now"] is False
    assert row["value"] == 0.0
    reasons = evaluation.accounts["reasons"][0].to_list()
    assert any("no longer holds" in r for r in reasons)
    assert evaluation.accounts["status"][0] == "on_track"


def test_status_lag_location_and_reasons(make_project: ProjectFactory):
    project = make_project(
        milestones="""
        - {id: m1, due_day: 2, when: {metric: logins, gte: 1}}
        - {id: m2, due_day: 5, when: {metric: logins, gte: 3}}
        - {id: m3, due_day: 9, when: {metric: logins, gte: 5}}
        """,
        accounts=accounts(
            f"red,Red,2026-01-01,{ANA},,x",
            f"done,Done,2026-01-01,{ANA},,x",
            f"amber,Amber,2026-01-01,{ANA},,x",
        ),
        events="""
        red,2026-01-01T10:00:00Z,login,u1,
        done,2026-01-01T10:00:00Z,login,u1,
        done,2026-01-02T10:00:00Z,login,u1,
        done,2026-01-03T10:00:00Z,login,u1,
        done,2026-01-04T10:00:00Z,login,u1,
        done,2026-01-05T10:00:00Z,login,u1,
        amber,2026-01-01T10:00:00Z,login,u1,
        amber,2026-01-02T10:00:00Z,login,u1,
        amber,2026-01-03T10:00:00Z,login,u1,
        """,
    )
    accounts_df = project.evaluate("2026-01-09").accounts
    by_id = {r["account_id"]: r for r in accounts_df.iter_rows(named=True)}
    red = by_id["red"]
    assert red["status"] == "off_track"
    assert red["lag_days"] == 3  # m2 due 01-06 is the earliest overdue milestone
    assert red["location"] == ["m1"]
    assert red["expected_location"] == ["m1", "m2"]
    assert red["reasons"][0] == (
        "m2 is 3 days overdue (due 2026-01-06): logins ≥ 3 not met; logins is 1 (needs ≥ 3)."
    )
    assert by_id["done"]["status"] == "completed"
    assert by_id["done"]["lag_days"] is None
    # amber: m3 (5 logins by 01-10) is due tomorrow, 3 of 5 = 0.6 < 8/9 of the time elapsed.
    assert by_id["amber"]["status"] == "at_risk"
    assert "behind pace" in by_id["amber"]["reasons"][0]


def test_compound_condition_reports_every_metric(make_project: ProjectFactory):
    project = make_project(
        milestones="""
        - id: habit
          due_day: 2
          when:
            all:
              - {metric: logins, gte: 2}
              - {metric: users, gte: 2}
        """,
        accounts=accounts(f"a,A,2026-01-01,{ANA},,x"),
        events="a,2026-01-01T10:00:00Z,login,u1,\na,2026-01-02T10:00:00Z,login,u1,\n",
    )
    row = project.evaluate("2026-01-05").milestones.row(0, named=True)
    assert row["state"] == "overdue"
    assert row["threshold"] is None
    assert json.loads(row["metric_values"]) == {"logins": 2.0, "users": 1.0}
    assert row["condition"] == "(logins ≥ 2 and users ≥ 2)"


def test_sum_metric_and_where_filter(make_project: ProjectFactory):
    project = make_project(
        milestones="- {id: an_hour, due_day: 10, when: {metric: minutes, gte: 60}}\n",
        accounts=accounts(f"a,A,2026-01-01,{ANA},,x"),
        events="""
        a,2026-01-01T10:00:00Z,login,u1,30
        a,2026-01-02T10:00:00Z,report_created,u1,500
        a,2026-01-03T10:00:00Z,login,u1,30.5
        """,
    )
    assert project.states("2026-01-05")[("a", "an_hour")] == ("2026-01-03", "done")


def test_account_starting_after_as_of_is_not_evaluated(make_project: ProjectFactory):
    project = make_project(
        milestones="- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}\n",
        accounts=accounts(f"a,A,2026-01-01,{ANA},,x", f"future,F,2026-02-01,{ANA},,x"),
    )
    evaluation = project.evaluate("2026-01-10")
    assert evaluation.accounts["account_id"].to_list() == ["a"]
    assert evaluation.not_started == 1
