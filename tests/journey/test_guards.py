"""The freshness guard and the circuit breaker that holds the weekly email (DESIGN §10)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from store_support import project_engine, snapshot

from journey.guards import (
    breaker_reason,
    email_hold_reason,
    hold_notes,
    hold_reason_from_notes,
    newly_off_track,
)
from journey.settings import Freshness
from support import Project, ProjectFactory

ANA = "ana@example.com"


def statuses(**by_account: str) -> pl.DataFrame:
    return pl.DataFrame({"account_id": list(by_account), "status": list(by_account.values())})


def test_newly_off_track_counts_only_accounts_seen_in_both_runs():
    previous = statuses(a="on_track", b="off_track", c="at_risk", gone="on_track")
    current = statuses(a="off_track", b="off_track", c="off_track", new="off_track")
    assert newly_off_track(previous, current) == (2, 3)  # a and c; b was already; new is new


def test_the_breaker_trips_only_above_the_limit():
    freshness = Freshness(max_newly_off_track_share=0.3)
    assert breaker_reason(3, 10, freshness) is None  # exactly the limit
    reason = breaker_reason(4, 10, freshness)
    assert reason is not None and "4 of 10 accounts (40%)" in reason and "30%" in reason
    assert breaker_reason(0, 0, freshness) is None  # a first run compares nothing


def test_hold_notes_cover_stale_input_and_the_breaker_and_read_back():
    notes = hold_notes(("stale input: no usage data", "usage data is getting old: x"), "wave")
    assert notes == ("email held: stale input: no usage data", "email held: circuit breaker: wave")
    assert hold_reason_from_notes(["quarantine ...", *notes]) == (
        "stale input: no usage data; circuit breaker: wave"
    )
    assert hold_reason_from_notes(["usage data is getting old: x"]) is None


def project_with(make_project: ProjectFactory, freshness: str, events: str) -> Project:
    project = make_project(
        milestones="- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}\n",
        accounts="".join(f"a{i},A{i},2026-01-01,{ANA},1,x\n" for i in range(10)),
        events=events,
    )
    settings = project.config_dir / "settings.yaml"
    text = settings.read_text().splitlines()
    text = [f"freshness: {freshness}" if t.startswith("freshness:") else t for t in text]
    settings.write_text("\n".join(text) + "\n")
    return project


def test_a_wave_of_newly_off_track_accounts_holds_the_email_and_says_why(
    make_project: ProjectFactory,
):
    # Day 3: nobody has logged in yet, but nothing is due; day 4: all ten are overdue at once.
    project = project_with(
        make_project, "{warn_after_days: 9, error_after_days: 9, on_stale: warn}", ""
    )
    project.write("data/events.csv", "account_id,timestamp,event,user_id,value\n")
    with (project.root / "data/events.csv").open("a") as handle:
        handle.write("a0,2026-01-01T10:00:00Z,signup,u1,\n")
    assert project.cli("run", "--as-of", "2026-01-03")[0] == 0
    code, _, err = project.cli("run", "--as-of", "2026-01-05")
    assert code == 0, err  # results are stored: they are what the data says
    assert "email held: circuit breaker: 10 of 10 accounts (100%) went off track" in err

    engine = project_engine(project.config_dir)
    assert email_hold_reason(engine, dt.date(2026, 1, 3)) is None
    held = email_hold_reason(engine, dt.date(2026, 1, 5))
    assert held is not None and held.startswith("circuit breaker: 10 of 10")
    assert email_hold_reason(engine) == held  # default: the newest run
    assert email_hold_reason(engine, dt.date(2026, 2, 1)) == "no run is stored for 2026-02-01"
    engine.dispose()


def test_a_small_change_does_not_hold_the_email(make_project: ProjectFactory):
    events = "".join(f"a{i},2026-01-02T10:00:00Z,login,u1,\n" for i in range(1, 10))
    project = project_with(make_project, "{max_newly_off_track_share: 0.2}", events)
    assert project.cli("run", "--as-of", "2026-01-03")[0] == 0
    code, _, err = project.cli("run", "--as-of", "2026-01-05")
    assert code == 0, err
    engine = project_engine(project.config_dir)
    assert email_hold_reason(engine, dt.date(2026, 1, 5)) is None  # 1 of 10 is not a wave
    engine.dispose()


def test_stale_input_fails_the_run_before_anything_is_written(make_project: ProjectFactory):
    events = "a1,2026-01-02T10:00:00Z,login,u1,\n"
    project = project_with(make_project, "{warn_after_days: 1, error_after_days: 3}", events)
    assert project.cli("run", "--as-of", "2026-01-04")[0] == 0
    engine = project_engine(project.config_dir)
    before = snapshot(engine)

    code, _, err = project.cli("run", "--as-of", "2026-01-06")  # newest usage 4 days old

    assert code == 4
    assert "stale input: the newest usage data is from 2026-01-02, 4 day(s) before" in err
    assert snapshot(engine) == before
    engine.dispose()


@pytest.mark.parametrize(("as_of", "expected"), [("2026-01-03", ()), ("2026-01-04", "old")])
def test_usage_getting_old_is_a_warning_that_does_not_hold_the_email(
    make_project: ProjectFactory, as_of: str, expected: object
):
    events = "a1,2026-01-02T10:00:00Z,login,u1,\n"
    project = project_with(make_project, "{warn_after_days: 1, error_after_days: 3}", events)
    code, _, err = project.cli("run", "--as-of", as_of)
    assert code == 0, err
    assert ("usage data is getting old" in err) == (expected == "old")
    engine = project_engine(project.config_dir)
    assert email_hold_reason(engine) is None
    engine.dispose()


def test_stale_input_with_on_stale_warn_is_stored_but_holds_the_email(
    make_project: ProjectFactory,
):
    events = "a1,2026-01-02T10:00:00Z,login,u1,\n"
    project = project_with(
        make_project, "{warn_after_days: 1, error_after_days: 3, on_stale: warn}", events
    )
    code, _, err = project.cli("run", "--as-of", "2026-01-06")
    assert code == 0, err
    engine = project_engine(project.config_dir)
    held = email_hold_reason(engine)
    assert held is not None and held.startswith("stale input: the newest usage data")
    engine.dispose()
