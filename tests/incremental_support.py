"""Test support for incremental runs: a project whose events arrive as one Parquet file a day.

`usage_project(root, accounts)` writes a project with every metric kind (count, sum, distinct;
with and without a window and a `where`), two journeys chosen by a segment rule with a
catch-all, and `data/events/` as a glob source. `write_events(project, name, rows)` adds one file;
`assert_same(a, b)` compares what two evaluations found, whatever their mode.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from journey.evaluate import Evaluation
from support import Project, project_factory

ANA = "ana@example.com"
START = dt.date(2026, 1, 1)
UNKNOWN = "zz"  # an account the accounts source does not have

SETTINGS = """\
timezone: UTC
sources:
  accounts: {path: data/accounts.csv}
  events: {path: "data/events/*.parquet"}
database: sqlite:///journey.db
freshness: {warn_after_days: 10000, error_after_days: 10000, on_stale: warn}
report: {top_n: 15, out_dir: reports/out}
risk: {enabled: false}
"""

METRICS = """\
metrics:
  logins:      {count: events, where: {field: event, eq: login}}
  logins_3d:   {count: events, where: {field: event, eq: login}, window_days: 3}
  events_5d:   {count: events, window_days: 5}
  minutes:     {sum: value}
  minutes_4d:  {sum: value, where: {field: event, eq: login}, window_days: 4}
  users:       {distinct: user_id}
  users_3d:    {distinct: user_id, window_days: 3}
  reporters_7d: {distinct: user_id, where: {field: event, eq: report}, window_days: 7}
"""

#: The milestones of journey `j` (the catch-all), which read every metric.
MILESTONES_J = (
    "- {id: first_login, due_day: 1, when: {metric: logins, gte: 1}}\n",
    "- {id: habit, due_day: 5, when: {metric: logins_3d, gte: 2}}\n",
    "- {id: busy, due_day: 8, when: {metric: events_5d, gte: 4}}\n",
    "- {id: an_hour, due_day: 4, when: {metric: minutes, gte: 9}}\n",
    "- {id: focus, due_day: 7, when: {metric: minutes_4d, gte: 6}}\n",
    "- id: team\n  due_day: 6\n  when:\n    all:\n"
    "      - {metric: users, gte: 2}\n      - {metric: users_3d, gte: 2}\n",
    "- {id: reporters, due_day: 10, when: {metric: reporters_7d, gte: 2}}\n",
)
#: Journey `pro`: metrics without a window, other due days, a grace period.
JOURNEY_PRO = """\
id: pro
name: Pro journey
grace_days: 1
milestones:
  - {id: first_login, due_day: 2, when: {metric: logins, gte: 1}}
  - {id: many_users, due_day: 9, when: {metric: users, gte: 3}}
  - {id: spend, due_day: 3, when: {metric: minutes, gte: 4}}
"""
SEGMENTS = """\
segments:
  - {id: pro, journey: pro, when: {field: plan, eq: pro}}
  - {id: everyone, journey: j, when: always}
"""

EVENT_SCHEMA = {
    "account_id": pl.String,
    "timestamp": pl.Datetime("us", "UTC"),
    "event": pl.String,
    "user_id": pl.String,
    "value": pl.Int64,
}

#: An event: (account_id, day, hour, event, user_id, value).
Event = tuple[str, dt.date, int, str, str | None, int | None]


def day(n: int) -> dt.date:
    """Day `n` of the usage: 0 is 2026-01-01."""
    return START + dt.timedelta(days=n)


def usage_project(
    root: Path,
    accounts: Sequence[tuple[str, dt.date, str]],
    milestones: Sequence[str] = MILESTONES_J,
) -> Project:
    """A project under `root` with `accounts` as (account_id, start_date, plan), journey `j`
    of `milestones` (of MILESTONES_J; metrics no milestone reads are not computed) and no
    events."""
    project = project_factory(root)(
        milestones="".join(milestones), metrics=METRICS, segments=SEGMENTS, accounts=""
    )
    project.write("config/settings.yaml", SETTINGS)
    project.write("config/journeys/pro.yaml", JOURNEY_PRO)
    write_accounts(project, accounts)
    (project.root / "data/events.csv").unlink()
    (project.root / "data/events").mkdir()
    return project


def write_accounts(project: Project, accounts: Sequence[tuple[str, dt.date, str]]) -> None:
    rows = "".join(f"{a},Account {a},{start},{ANA},1000,{plan}\n" for a, start, plan in accounts)
    project.write("data/accounts.csv", "account_id,name,start_date,csm_email,arr,plan\n" + rows)


def write_events(project: Project, name: str, events: Sequence[Event]) -> Path:
    """`data/events/<name>.parquet` holding `events`."""
    frame = pl.DataFrame(
        {
            "account_id": [e[0] for e in events],
            "timestamp": [dt.datetime.combine(e[1], dt.time(e[2]), tzinfo=dt.UTC) for e in events],
            "event": [e[3] for e in events],
            "user_id": [e[4] for e in events],
            "value": [e[5] for e in events],
        },
        schema=EVENT_SCHEMA,
    )
    path = project.root / "data" / "events" / f"{name}.parquet"
    frame.write_parquet(path)
    return path


def assert_same(got: Evaluation, want: Evaluation) -> None:
    """The same results: accounts, milestones (row order aside) and newest usage day."""
    assert_frame_equal(
        got.accounts.sort("account_id"), want.accounts.sort("account_id"), check_exact=True
    )
    assert_frame_equal(
        got.milestones.sort("account_id", "position"),
        want.milestones.sort("account_id", "position"),
        check_exact=True,
    )
    assert got.newest_usage_day == want.newest_usage_day
    assert got.as_of == want.as_of
