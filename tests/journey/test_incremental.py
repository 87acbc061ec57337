"""Incremental runs over N days equal one full recompute (the acceptance criterion).

The property test builds small projects — every metric kind, some accounts starting during
the runs, usage arriving as one Parquet file a day (some holding rows of the next days, of
unknown accounts, or from before an account's start) — evaluates one day in full, then each
run one to three days after the previous one incrementally from the state it left, and
compares every incremental evaluation with a full one of the same day. The fallbacks are in
test_incremental_fallbacks.py, the CLI, SQL and crash cases in test_incremental_runs.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from incremental_support import (
    MILESTONES_J,
    UNKNOWN,
    Event,
    assert_same,
    day,
    usage_project,
    write_events,
)
from polars.testing import assert_frame_equal

from journey.evaluate import evaluate
from journey.incremental import CarriedState
from journey.risk.history import load_history, watched_grid
from support import Project

DAYS = 14  # usage on 2026-01-01 .. 2026-01-14

accounts_st = st.lists(
    st.tuples(st.integers(0, 10), st.sampled_from(["pro", "basic"])),  # start day, plan
    min_size=1,
    max_size=6,
)
#: Which milestones of journey `j` (so which metrics) a project has: all, or some (the
#: longest window then varies, and is 0 when only metrics without a window are left).
milestones_st = st.one_of(
    st.just(list(range(len(MILESTONES_J)))),
    st.sets(st.integers(0, len(MILESTONES_J) - 1), min_size=1).map(sorted),
)
event_st = st.tuples(
    st.integers(-1, 5),  # account index (modulo the accounts); -1: unknown
    st.integers(0, DAYS - 1),  # day
    st.integers(0, 23),  # hour
    st.sampled_from(["login", "login", "report", "export"]),
    st.sampled_from(["u1", "u2", "u3", "u4", None]),
    st.sampled_from([None, 0, 1, 2, 5]),  # value: integers keep float sums exact
    st.sampled_from([0, 0, 0, 0, 1, 2, -2, -4]),  # file day = day - this (see _file_day)
)


def _file_day(account: tuple[str, dt.date], event_day: int, lag: int) -> int:
    """The day of the file that holds an event: its own day, or an earlier one (the file of
    that day was written after midnight); a later one only for rows every run ignores (an
    unknown account, before the start), which must not count as late data."""
    ignored = account[0] == UNKNOWN or day(event_day) < account[1]
    if lag < 0 and not ignored:
        lag = 0
    return min(max(event_day - lag, 0), DAYS - 1)


def _files(accounts: list[tuple[str, dt.date]], raw: list[tuple]) -> dict[int, list[Event]]:
    files: dict[int, list[Event]] = {0: []}  # the source matches at least one file
    for index, event_day, hour, event, user, value, lag in raw:
        account = (UNKNOWN, day(0)) if index < 0 else accounts[index % len(accounts)]
        row: Event = (account[0], day(event_day), hour, event, user, value)
        files.setdefault(_file_day(account, event_day, lag), []).append(row)
    return files


def _evaluate_chain(
    project: Project, files: dict[int, list[Event]], runs: list[int], history: bool = False
) -> None:
    written: set[int] = set()
    state: CarriedState | None = None
    config = project.config()
    for run in runs:
        for file_day in sorted(files):
            if file_day <= run and file_day not in written:
                write_events(project, day(file_day).isoformat(), files[file_day])
                written.add(file_day)
        full = evaluate(config, day(run), history=history)
        if state is None:
            got = full
        else:
            got = evaluate(config, day(run), prior=state, history=history)
            assert got.mode == "incremental"
            assert_same(got, full)
        assert got.state is not None
        state = got.state
        if history:
            # The early warning's grid, extended run by run, is the one read from all usage
            # (each account's days up to its watch end).
            assert got.history_grid is not None and got.history_accounts is not None
            want = load_history(config, day(run))
            assert_frame_equal(got.history_grid, watched_grid(config, want), check_exact=True)
            assert_frame_equal(got.history_accounts, want.accounts, check_exact=True)
            state = dataclasses.replace(state, history=got.history_grid)


@settings(max_examples=25, deadline=None)
@given(
    starts=accounts_st,
    raw=st.lists(event_st, max_size=60),
    first=st.integers(2, 8),
    steps=st.lists(st.integers(1, 3), min_size=1, max_size=5),
    milestones=milestones_st,
    history=st.booleans(),
)
def test_incremental_runs_over_n_days_equal_one_full_recompute(
    starts: list[tuple[int, str]],
    raw: list[tuple],
    first: int,
    steps: list[int],
    milestones: list[int],
    history: bool,
):
    """With `history` (the early warning on), also the metric grid the early warning learns
    from: every metric's, not only those milestones read."""
    accounts = [(f"a{i}", day(start), plan) for i, (start, plan) in enumerate(starts)]
    runs = [first]
    for step in steps:
        if runs[-1] + step < DAYS:
            runs.append(runs[-1] + step)
    with tempfile.TemporaryDirectory() as tmp:
        project = usage_project(Path(tmp), accounts, [MILESTONES_J[i] for i in milestones])
        files = _files([(a, start) for a, start, _ in accounts], raw)
        _evaluate_chain(project, files, runs, history)
