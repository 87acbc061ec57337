"""Week-over-week trends from the change history: pure cases and a real store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from sqlalchemy import insert

from journey.store import make_engine
from journey.store.tables import HISTORY_TABLE
from journey.trends import HISTORY_SCHEMA, compute_trends, weekly_trends
from reports.schema import TREND_SCHEMA
from support import ProjectFactory

D = dt.date


def history(*rows: tuple[dt.date, str, str, str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=HISTORY_SCHEMA, orient="row")


def by_id(frame: pl.DataFrame) -> dict[str, dict[str, object]]:
    return {r["account_id"]: r for r in frame.iter_rows(named=True)}


def test_newly_still_and_recovered() -> None:
    h = history(
        (D(2024, 1, 1), "new", "", "status", "on_track"),
        (D(2024, 1, 1), "still", "", "status", "off_track"),
        (D(2024, 1, 1), "back", "", "status", "off_track"),
        (D(2024, 1, 12), "new", "", "status", "off_track"),
        (D(2024, 1, 12), "back", "", "status", "on_track"),
        (D(2024, 1, 13), "still", "m1", "regressed", "true"),
    )
    trends = compute_trends(h, D(2024, 1, 15))
    assert trends.schema == pl.Schema(TREND_SCHEMA)
    t = by_id(trends)
    assert (t["new"]["newly_off_track"], t["new"]["previous_status"]) == (True, "on_track")
    assert t["new"]["status_since"] == D(2024, 1, 12) and t["new"]["weeks_in_status"] == 0
    assert not t["still"]["newly_off_track"] and t["still"]["weeks_in_status"] == 2
    assert t["still"]["regressed_milestones"] == ["m1"]
    assert t["back"]["recovered"] and not t["back"]["newly_off_track"]


def test_no_baseline_means_nothing_is_new_or_recovered() -> None:
    h = history((D(2024, 1, 10), "a", "", "status", "off_track"))
    t = by_id(compute_trends(h, D(2024, 1, 15)))
    assert t["a"]["previous_status"] is None
    assert not t["a"]["newly_off_track"] and not t["a"]["recovered"]


def test_an_account_that_appears_off_track_after_the_baseline_is_new() -> None:
    h = history(
        (D(2024, 1, 1), "old", "", "status", "on_track"),
        (D(2024, 1, 14), "fresh", "", "status", "off_track"),
    )
    assert by_id(compute_trends(h, D(2024, 1, 15)))["fresh"]["newly_off_track"]


def test_changes_after_the_report_date_are_ignored_and_gone_accounts_dropped() -> None:
    h = history(
        (D(2024, 1, 1), "a", "", "status", "off_track"),
        (D(2024, 1, 1), "gone", "", "status", "off_track"),
        (D(2024, 1, 10), "gone", "", "status", None),
        (D(2024, 1, 20), "a", "", "status", "on_track"),
    )
    t = by_id(compute_trends(h, D(2024, 1, 15)))
    assert list(t) == ["a"]
    assert t["a"]["weeks_in_status"] == 2 and not t["a"]["recovered"]


def test_empty_history() -> None:
    assert compute_trends(history(), D(2024, 1, 15)).is_empty()


def test_weekly_trends_read_the_store(make_project: ProjectFactory) -> None:
    project = make_project(
        milestones="""\
        - {id: first_login, due_day: 2, when: {metric: logins, gte: 1}}
        """,
        accounts="""\
        a1,Alpha,2024-01-01,ana@example.com,1000,growth
        a2,Beta,2024-01-01,ana@example.com,2000,growth
        """,
        events="""\
        a1,2024-01-02T10:00:00,login,u1,
        a2,2024-01-12T10:00:00,login,u2,
        """,
    )
    for as_of in ("2024-01-08", "2024-01-15"):
        code, _, stderr = project.cli("run", "--as-of", as_of)
        assert code == 0, stderr
    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    t = by_id(weekly_trends(engine, D(2024, 1, 15)))
    assert t["a2"]["previous_status"] == "off_track" and t["a2"]["recovered"]
    assert t["a1"]["previous_status"] == "completed" and not t["a1"]["recovered"]


def test_the_store_is_read_for_what_the_trends_use_only(tmp_path: Path) -> None:
    """weekly_trends reads the status changes and the week's regressions, not every row of
    the history: its trends are those of the whole history."""
    rows = []
    for n in range(60):  # nights of changes to statuses, regressions and other fields
        day = D(2024, 1, 1) + dt.timedelta(days=n % 20)
        account = f"a{n % 7}"
        rows.append((day, account, "", "status", ("on_track", "off_track", None)[n % 3]))
        rows.append((day, account, f"m{n % 3}", "regressed", ("true", "false")[n % 2]))
        rows.append((day, account, f"m{n % 3}", "state", "overdue"))
        rows.append((day, account, "", "segment", "pro"))
    engine = make_engine(f"sqlite:///{tmp_path / 'journey.db'}")
    with engine.begin() as conn:
        conn.execute(
            insert(HISTORY_TABLE),
            [dict(zip(HISTORY_SCHEMA, r, strict=True)) for r in rows],
        )
    whole = history(*sorted(rows, key=lambda r: r[0]))
    for report_date in (D(2024, 1, 5), D(2024, 1, 15), D(2024, 1, 30)):
        assert weekly_trends(engine, report_date).equals(compute_trends(whole, report_date))
    engine.dispose()
