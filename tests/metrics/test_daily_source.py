"""A pre-aggregated daily source feeds metrics like events do."""

from __future__ import annotations

import datetime as dt

from support import SETTINGS, ProjectFactory


def test_sum_over_a_daily_source(make_project: ProjectFactory) -> None:
    project = make_project(
        metrics="""\
        metrics:
          minutes_7d: {sum: active_minutes, from: daily, window_days: 7}
          seats_seen: {count: daily, where: {field: seats_used, gte: 1}}
        """,
        milestones="""
        - {id: busy_week, due_day: 10, when: {metric: minutes_7d, gte: 100}}
        - {id: three_days_used, due_day: 10, when: {metric: seats_seen, gte: 3}}
        """,
        accounts="a,A,2026-01-01,ana@example.com,,x\n",
    )
    events_line = "  events: {path: data/events.csv}\n"
    settings = SETTINGS.format(timezone="UTC").replace(
        events_line, events_line + "  daily: {path: data/daily.csv}\n"
    )
    project.write("config/settings.yaml", settings)
    project.write(
        "data/daily.csv",
        "account_id,date,active_minutes,seats_used\n"
        "a,2026-01-01,40,1\n"
        "a,2026-01-03,30,0\n"
        "a,2026-01-07,30,2\n"
        "a,2026-01-09,50,1\n",
    )
    evaluation = project.evaluate("2026-01-12")
    rows = {r["milestone"]: r for r in evaluation.milestones.iter_rows(named=True)}
    # 7-day window on 01-07 covers 01-01..01-07: 40 + 30 + 30 = 100.
    assert rows["busy_week"]["achieved_on"] == dt.date(2026, 1, 7)
    # rows with seats_used >= 1: 01-01, 01-07, 01-09 -> third on 01-09.
    assert rows["three_days_used"]["achieved_on"] == dt.date(2026, 1, 9)
