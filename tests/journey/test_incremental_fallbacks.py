"""What the carried state cannot follow makes a full run, which says why; what it can follow
stays incremental. Either way the results are those of a full evaluation.

Each case stores a full run on 2026-01-05 (PRIOR), changes one thing, and runs 2026-01-06
(NEXT) through `run_nightly`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from incremental_support import (
    UNKNOWN,
    Event,
    assert_same,
    day,
    usage_project,
    write_accounts,
    write_events,
)
from sqlalchemy import Engine

from journey.evaluate import evaluate
from journey.incremental import STATE_VERSION, FullRunNeeded
from journey.nightly import run_nightly
from journey.store import make_engine
from journey.store.carried import state_root
from journey.store.writes import latest_run
from support import Project

PRIOR, NEXT = day(4), day(5)
EARLY = ("a", NEXT, 0, "login", "u2", 1)  # NEXT's first event, in PRIOR's file and NEXT's
ACCOUNTS = [("a", day(0), "basic"), ("b", day(2), "pro"), ("later", day(20), "basic")]


def day_events(n: int) -> list[Event]:
    """Usage of day `n`: `a` logs in, `b` alternates logins and reports."""
    return [
        ("a", day(n), 9, "login", f"u{n % 3}", 2),
        ("b", day(n), 15, "report" if n % 2 else "login", "u1", 1),
    ]


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Project, Engine]:
    """A full run stored for PRIOR, then NEXT's usage written. PRIOR's file also holds NEXT's
    first event, and NEXT's file was there with only that event at PRIOR's run: both are read
    again for NEXT."""
    project = usage_project(tmp_path, ACCOUNTS)
    for n in range(PRIOR.day - 1):
        write_events(project, day(n).isoformat(), day_events(n))
    write_events(project, PRIOR.isoformat(), [*day_events(PRIOR.day - 1), EARLY])
    write_events(project, NEXT.isoformat(), [EARLY])
    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    assert run_nightly(project.config(), engine, PRIOR).why_full == "nothing is stored yet"
    write_events(project, NEXT.isoformat(), [EARLY, *day_events(NEXT.day - 1)])
    return project, engine


def run_and_compare(project: Project, engine: Engine, as_of: dt.date, **kwargs: bool) -> str | None:
    """Run `as_of` with the configuration read afresh; check that its results equal a full
    evaluation's; return why it was a full run (None: incremental)."""
    config = project.config()
    outcome = run_nightly(config, engine, as_of, **kwargs)
    assert_same(outcome.evaluation, evaluate(config, as_of))
    assert outcome.evaluation.mode == ("full" if outcome.why_full else "incremental")
    return outcome.why_full


def _file(project: Project, n: int) -> Path:
    return project.root / "data" / "events" / f"{day(n)}.parquet"


def _change_config(project: Project) -> None:
    path = project.config_dir / "journeys" / "pro.yaml"
    path.write_text(path.read_text().replace("gte: 3}", "gte: 4}"))


def _rewrite_counted_file(project: Project) -> None:
    write_events(project, day(2).isoformat(), [*day_events(2), ("a", day(2), 20, "login", "u9", 1)])


def _touch_counted_file(project: Project) -> None:
    stat = _file(project, 2).stat()
    os.utime(_file(project, 2), ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def _late_rows(project: Project) -> None:
    write_events(project, "resent-2026-01-03", [("a", day(2), 11, "login", "u7", 3)])


def _ignored_old_rows(project: Project) -> None:
    """Old rows in a new file that no run counts: before b's start (01-03), of an unknown
    account, of an account that has not started."""
    old = [("b", day(1), 8, "login", "u5", 4), (UNKNOWN, day(3), 8, "login", "u5", 4)]
    write_events(project, "resent-2026-01-02", [*old, ("later", day(3), 8, "report", "u1", 1)])


def _older_layout(project: Project) -> None:
    meta = next(state_root(project.config()).glob("*/meta.json"))
    fields = json.loads(meta.read_text())
    meta.write_text(json.dumps({**fields, "version": STATE_VERSION - 1}))


def _move_account(project: Project, **changes: tuple[dt.date, str]) -> None:
    accounts = {a: (start, plan) for a, start, plan in ACCOUNTS} | changes
    write_accounts(project, [(a, start, plan) for a, (start, plan) in accounts.items()])


CASES: dict[str, tuple[Callable[[Project], None], str | None]] = {
    "nothing-changed": (lambda p: None, None),
    "config-changed": (_change_config, r"^the configuration changed since the 2026-01-05 run$"),
    "counted-file-rewritten": (
        _rewrite_counted_file,
        r"^/.*/2026-01-03\.parquet changed after the 2026-01-05 run counted its rows$",
    ),
    "counted-file-touched": (
        _touch_counted_file,
        r"2026-01-03\.parquet changed after the 2026-01-05 run counted its rows$",
    ),
    "counted-file-deleted": (
        lambda p: _file(p, 1).unlink(),
        r"^1 file\(s\) of `events` read by the 2026-01-05 run are gone \(e\.g\. /.*2026-01-02",
    ),
    "late-rows-in-a-new-file": (
        _late_rows,
        r"^1 new `events` row\(s\) are for days up to 2026-01-05, .*\(late data\)$",
    ),
    "old-rows-no-run-counts-in-a-new-file": (_ignored_old_rows, None),
    "account-changed-journey": (
        lambda p: _move_account(p, a=(day(0), "pro")),
        r"^1 account\(s\) that started by 2026-01-05 are new or changed journey or start "
        r"date since that run \(e\.g\. a\)$",
    ),
    "account-start-moved": (
        lambda p: _move_account(p, b=(day(1), "pro")),
        r"changed journey or start date since that run \(e\.g\. b\)$",
    ),
    "new-account-started-in-the-past": (
        lambda p: _move_account(p, c=(day(3), "basic")),
        r"are new or changed journey or start date since that run \(e\.g\. c\)$",
    ),
    "new-account-starts-after-the-stored-run": (
        lambda p: _move_account(p, c=(NEXT, "basic")),
        None,
    ),
    "state-folder-deleted": (
        lambda p: shutil.rmtree(state_root(p.config())),
        r"^the carried state 2026-01-05-[0-9a-f]+ is not in /.*/\.journey/state$",
    ),
    "state-file-unreadable": (
        lambda p: next(state_root(p.config()).glob("*/totals.parquet")).write_bytes(b"junk"),
        r"^the carried state 2026-01-05-[0-9a-f]+ cannot be read \(",
    ),
    "state-of-an-older-layout": (  # written by a journey before an upgrade that changed it
        lambda p: _older_layout(p),
        r"^the carried state 2026-01-05-[0-9a-f]+ has an older layout$",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_what_the_carried_state_cannot_follow_makes_a_full_run_that_says_why(
    stored: tuple[Project, Engine], case: str
):
    project, engine = stored
    change, why_full = CASES[case]
    change(project)
    why = run_and_compare(project, engine, NEXT)
    if why_full is None:
        assert why is None
    else:
        assert why is not None and re.search(why_full, why), why


def test_full_is_a_full_run_and_the_next_run_continues_from_it(stored: tuple[Project, Engine]):
    project, engine = stored
    assert run_and_compare(project, engine, NEXT, full=True) == "--full was given"
    write_events(project, day(6).isoformat(), day_events(6))
    assert run_and_compare(project, engine, day(6)) is None


def test_evaluate_refuses_a_prior_it_cannot_continue(stored: tuple[Project, Engine]):
    project, _ = stored
    prior = evaluate(project.config(), PRIOR).state
    assert prior is not None
    with pytest.raises(FullRunNeeded, match=r"^the carried state is for 2026-01-05, not a day "):
        evaluate(project.config(), PRIOR, prior=prior)
    _change_config(project)
    with pytest.raises(FullRunNeeded, match=r"^the configuration changed since the 2026-01-05"):
        evaluate(project.config(), NEXT, prior=prior)


def test_rerunning_a_day_or_an_older_one_is_full_and_keeps_the_newest_state(
    stored: tuple[Project, Engine],
):
    project, engine = stored
    why = run_and_compare(project, engine, PRIOR)
    assert why == "2026-01-05 is not after the newest stored run (2026-01-05)"
    newest = latest_run(engine)
    assert newest is not None and newest[2] is not None
    assert run_and_compare(project, engine, day(2)) == (
        "2026-01-03 is not after the newest stored run (2026-01-05)"
    )
    assert latest_run(engine) == newest
    assert [p.name for p in state_root(project.config()).iterdir()] == [newest[2]]
    assert run_and_compare(project, engine, NEXT) is None  # still continues the newest state


def test_quarantine_of_an_incremental_run_keeps_the_rows_it_counts(tmp_path: Path):
    """A file read again (it also held a later day) with a set-aside row of a day the previous
    run covered: that run counted and kept the row; the next one neither counts nor keeps it,
    so its count and its quarantine file agree."""
    project = usage_project(tmp_path, ACCOUNTS)
    for n in range(PRIOR.day - 1):
        write_events(project, day(n).isoformat(), day_events(n))
    old_bad = (UNKNOWN, PRIOR, 7, "login", "u1", 1)
    new_bad = (UNKNOWN, NEXT, 7, "login", "u1", 1)
    write_events(project, PRIOR.isoformat(), [*day_events(PRIOR.day - 1), old_bad, EARLY, new_bad])
    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    runs = {PRIOR: run_nightly(project.config(), engine, PRIOR)}
    write_events(project, NEXT.isoformat(), day_events(NEXT.day - 1))
    runs[NEXT] = run_nightly(project.config(), engine, NEXT)

    assert runs[NEXT].why_full is None
    assert_same(runs[NEXT].evaluation, evaluate(project.config(), NEXT))
    for as_of, rows in ((PRIOR, 2), (NEXT, 1)):
        counted = sum(q.rows for q in runs[as_of].evaluation.quarantine if q.source == "events")
        kept = pl.read_csv(project.root / "quarantine" / str(as_of) / "events.csv")
        assert counted == kept.height == rows, as_of
    assert kept["timestamp"].str.starts_with(str(NEXT)).all()
