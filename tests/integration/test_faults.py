"""Crash safety and a week of nightly runs with injected faults (DESIGN §10).

A run killed with SIGKILL at any point (JOURNEY_FAULT_POINT, see journey/faults.py) leaves the
store as before the run or as after it, and the next run completes normally. A week of runs
with crashes, bad input and lock contention ends with the same stored results as a clean week.
Each test runs on SQLite and on PostgreSQL (the `backend` fixture).
"""

from __future__ import annotations

import datetime as dt
import signal
from pathlib import Path
from typing import Any

import pytest
from store_support import fresh_store, project_engine, run_journey, snapshot

from journey.faults import ENV_FAULT_POINT, FAULT_POINTS, fault_point
from journey.lock import file_lock
from support import Project, project_factory

ANA = "ana@example.com"
MILESTONES = """
- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}
- {id: three_logins, due_day: 6, when: {metric: logins, gte: 3}}
- {id: two_users, due_day: 8, when: {metric: users, gte: 2}}
"""
ACCOUNTS = "".join(f"a{i},Account {i},2026-01-0{1 + i % 3},{ANA},{1000 * i},x\n" for i in range(8))
WEEK = [dt.date(2026, 1, 5) + dt.timedelta(days=n) for n in range(7)]


def events_until(day: dt.date) -> str:
    """The usage export as it stands on `day`: a few accounts log in on some days."""
    rows = []
    for n in range(1, (day - dt.date(2026, 1, 1)).days + 1):
        date = dt.date(2026, 1, 1) + dt.timedelta(days=n)
        for i in range(8):
            if (i + n) % (i + 2) == 0:
                rows.append(f"a{i},{date}T10:00:00Z,login,u{(i + n) % 3},\n")
    return "".join(rows)


def new_project(tmp_path: Path, name: str) -> Project:
    make = project_factory(tmp_path / name)
    return make(milestones=MILESTONES, accounts=ACCOUNTS, events=events_until(WEEK[0]))


def set_day(project: Project, day: dt.date) -> None:
    project.write("data/events.csv", "account_id,timestamp,event,user_id,value\n")
    with (project.root / "data/events.csv").open("a", encoding="utf-8") as handle:
        handle.write(events_until(day))


def run(project: Project, day: dt.date, **env: str) -> Any:
    return run_journey("run", "--as-of", str(day), "--config", str(project.config_dir), env=env)


def clean_snapshot(
    tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch, days: list[dt.date]
) -> dict[str, Any]:
    """The store after running `days` once each, without faults, in a new project."""
    with fresh_store(backend, monkeypatch):
        reference = new_project(tmp_path, "reference")
        for day in days:
            set_day(reference, day)
            code, _, err = reference.cli("run", "--as-of", str(day))
            assert code == 0, err
        engine = project_engine(reference.config_dir)
        try:
            return snapshot(engine)
        finally:
            engine.dispose()


@pytest.mark.parametrize(
    "point", ["after_lock", "after_evaluate", "mid_write", "before_commit", "after_commit"]
)
def test_a_run_killed_anywhere_leaves_the_store_before_or_after_and_the_next_run_completes(
    tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch, point: str
):
    project = new_project(tmp_path, "faulty")
    assert project.cli("run", "--as-of", str(WEEK[0]))[0] == 0
    engine = project_engine(project.config_dir)
    before = snapshot(engine)
    set_day(project, WEEK[1])

    killed = run(project, WEEK[1], JOURNEY_FAULT_POINT=point)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    after_kill = snapshot(engine)
    expected = clean_snapshot(tmp_path, backend, monkeypatch, WEEK[:2])
    if point == "after_commit":
        assert after_kill == expected != before
    else:
        assert after_kill == before
    code, _, err = project.cli("run", "--as-of", str(WEEK[1]))
    assert code == 0, err
    assert snapshot(engine) == expected
    engine.dispose()


def test_a_week_of_runs_with_faults_stores_the_same_results_as_a_clean_week(
    tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch
):
    project = new_project(tmp_path, "faulty")
    engine = project_engine(project.config_dir)
    broken = "account_id,timestamp,event,user_id,value\na1,2026-01-02T10:00:00Z,log\xe9in\n"
    for day in WEEK:
        set_day(project, day)
        if day == WEEK[1]:  # the job is killed halfway through writing
            assert run(project, day, JOURNEY_FAULT_POINT="mid_write").returncode == -9
        if day == WEEK[2]:  # the export is broken (not UTF-8): exit 4, nothing written
            good = (project.root / "data/events.csv").read_bytes()
            (project.root / "data/events.csv").write_bytes(broken.encode("latin-1"))
            before = snapshot(engine)
            code, _, err = project.cli("run", "--as-of", str(day))
            assert code == 4, err
            assert "not UTF-8" in err
            assert snapshot(engine) == before
            (project.root / "data/events.csv").write_bytes(good)
        if day == WEEK[3]:  # another run holds the lock: exit 75, naming it
            with file_lock(project.root / ".journey.lock", "journey run (stuck cron job)"):
                code, _, err = project.cli("run", "--as-of", str(day))
            assert code == 75
            assert "stuck cron job" in err
        if day == WEEK[4]:  # killed just before the commit
            assert run(project, day, JOURNEY_FAULT_POINT="before_commit").returncode == -9
        code, _, err = project.cli("run", "--as-of", str(day))
        assert code == 0, err
        if day == WEEK[5]:  # cron fires twice: the re-run replaces, never adds
            assert project.cli("run", "--as-of", str(day))[0] == 0
    faulty = snapshot(engine)
    engine.dispose()

    assert faulty == clean_snapshot(tmp_path, backend, monkeypatch, WEEK)
    assert len(faulty["run"]) == len(WEEK)
    assert faulty["state_change"], "the week recorded status changes"


def test_the_fault_hook_does_nothing_unless_asked_and_refuses_unknown_points(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.delenv(ENV_FAULT_POINT, raising=False)
    for point in FAULT_POINTS:
        fault_point(point)  # still alive
    monkeypatch.setenv(ENV_FAULT_POINT, "mid_write")
    fault_point("before_commit")  # another point: still alive
    with pytest.raises(ValueError, match="unknown fault point"):
        fault_point("mid_wirte")
