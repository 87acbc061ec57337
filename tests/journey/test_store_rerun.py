"""A run for a given as_of is idempotent: re-running it leaves the store identical."""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Engine, text

from journey.nightly import run_nightly
from journey.store import make_engine
from support import ProjectFactory

TABLES = {
    "account_state": "account_id",
    "milestone_state": "account_id, milestone",
    "state_change": "as_of, account_id, milestone, field",
    "run": "as_of",
}


#: Wall-clock timings, surrogate ids, and the key of the run's persisted metric state (a new
#: folder, with a new name, on every run).
VOLATILE = ("started_at", "finished_at", "id", "state_key")


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every stored row, minus the volatile columns."""
    out = {}
    with engine.connect() as conn:
        for table, order in TABLES.items():
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}")).mappings().all()
            out[table] = [tuple(v for k, v in row.items() if k not in VOLATILE) for row in rows]
    return out


MILESTONES = """
- {id: first_login, due_day: 2, when: {metric: logins, gte: 1}}
- {id: three_logins, due_day: 10, when: {metric: logins, gte: 3}}
"""
ACCOUNTS = "a,A,2026-01-01,ana@example.com,100,x\nb,B,2026-01-01,bo@example.com,200,x\n"
EVENTS = "a,2026-01-01T10:00:00Z,login,u1,\na,2026-01-06T10:00:00Z,login,u1,\n"


def test_rerunning_the_same_as_of_changes_nothing(make_project: ProjectFactory) -> None:
    project = make_project(milestones=MILESTONES, accounts=ACCOUNTS, events=EVENTS)
    config = project.config()
    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    for day in ("2026-01-03", "2026-01-08"):
        run_nightly(config, engine, dt.date.fromisoformat(day))
    before = dump(engine)
    outcome = run_nightly(config, engine, dt.date(2026, 1, 8))
    assert dump(engine) == before
    assert len(before["run"]) == 2
    assert outcome.changes > 0  # the changes of 01-08 against 01-03 are rewritten, not added


def test_rerun_with_new_data_replaces_that_dates_results(make_project: ProjectFactory) -> None:
    project = make_project(milestones=MILESTONES, accounts=ACCOUNTS, events=EVENTS)
    config = project.config()
    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    run_nightly(config, engine, dt.date(2026, 1, 5))
    project.write(
        "data/events.csv",
        "account_id,timestamp,event,user_id,value\n"
        + EVENTS
        + "b,2026-01-02T10:00:00Z,login,u9,\n",
    )
    run_nightly(config, engine, dt.date(2026, 1, 5))
    stored = dump(engine)
    assert len(stored["run"]) == 1
    b_first_login = [r for r in stored["milestone_state"] if r[0] == "b" and r[1] == "first_login"]
    assert b_first_login[0][7] == "done"
    # History holds the state as of 01-05 once, not both versions.
    first_login_changes = [
        r
        for r in stored["state_change"]
        if r[1] == "b" and r[2] == "first_login" and r[3] == "state"
    ]
    assert [r[-1] for r in first_login_changes] == ["done"]


def test_older_as_of_does_not_overwrite_current_state(make_project: ProjectFactory) -> None:
    project = make_project(milestones=MILESTONES, accounts=ACCOUNTS, events=EVENTS)
    config = project.config()
    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    run_nightly(config, engine, dt.date(2026, 1, 8))
    run_nightly(config, engine, dt.date(2026, 1, 3))
    with engine.connect() as conn:
        as_of = conn.execute(text("SELECT DISTINCT as_of FROM account_state")).scalars().all()
    assert [str(d) for d in as_of] == ["2026-01-08"]
    runs = pl.read_database("SELECT as_of FROM run ORDER BY as_of", engine)
    assert runs.height == 2
