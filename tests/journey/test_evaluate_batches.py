"""A full run whose grid is large evaluates its accounts in batches (journey.evaluate,
`BATCH_ROWS`, from usage rows read once and set aside per batch), which must change nothing:
the results, the quarantine counts, the newest day, the state carried to the next run and the
early warning's grid are those of one batch. The history the risk commands read
(`load_history`) is read in the same batches.

The projects are the incremental tests' (every metric kind; usage as one Parquet file a day,
with rows of unknown accounts and from before an account's start); the batches are made small
by lowering `BATCH_ROWS`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from incremental_support import UNKNOWN, Event, assert_same, day, usage_project, write_events
from polars.testing import assert_frame_equal

import journey.batches as batches_module
from journey.evaluate import Evaluation, evaluate
from journey.incremental import CarriedState
from journey.risk.history import load_history
from metrics.compute import account_index
from support import Project

DAYS = 14


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def assert_same_state(got: CarriedState, want: CarriedState) -> None:
    """The same state for the next run (row order aside: the next run joins it)."""
    assert (got.as_of, got.newest_usage_day, got.sql_rows, got.metrics) == (
        want.as_of,
        want.newest_usage_day,
        want.sql_rows,
        want.metrics,
    )
    for name in ("accounts", "milestones", "totals", "distinct", "files"):
        assert_frame_equal(
            _sorted(getattr(got, name)), _sorted(getattr(want, name)), check_exact=True
        )


def assert_same_run(got: Evaluation, want: Evaluation) -> None:
    assert_same(got, want)
    assert got.quarantine == want.quarantine
    assert (got.not_started, got.unassigned, got.input_fingerprint) == (
        want.not_started,
        want.unassigned,
        want.input_fingerprint,
    )
    assert got.state is not None and want.state is not None
    assert_same_state(got.state, want.state)
    if want.history_grid is None:
        assert got.history_grid is None
    else:  # kept in (account, day) order: the next run extends it by position
        assert got.history_grid is not None
        assert_frame_equal(got.history_grid, want.history_grid, check_exact=True)


def _batch_count(project: Project, as_of: dt.date) -> int:
    """How many batches `evaluate` makes of the project's started accounts."""
    accounts = pl.read_csv(project.root / "data/accounts.csv", try_parse_dates=True)
    started = accounts.filter(pl.col("start_date") <= as_of)
    index = account_index(started.lazy(), as_of).collect()
    return len(batches_module.account_batches(started, index))


accounts_st = st.lists(
    st.tuples(st.integers(0, 10), st.sampled_from(["pro", "basic"])), min_size=1, max_size=7
)
event_st = st.tuples(
    st.integers(-1, 6),  # account index (modulo the accounts); -1: unknown
    st.integers(0, DAYS - 1),
    st.integers(0, 23),
    st.sampled_from(["login", "login", "report", "export"]),
    st.sampled_from(["u1", "u2", "u3", "u4", None]),
    st.sampled_from([None, 0, 1, 2, 5]),
)


def _write_usage(project: Project, accounts: list[str], raw: list[tuple]) -> None:
    """The events of `raw` (account index, day, hour, event, user, value), a file a day."""
    files: dict[int, list[Event]] = {0: []}
    for index, event_day, hour, event, user, value in raw:
        account = UNKNOWN if index < 0 else accounts[index % len(accounts)]
        files.setdefault(event_day, []).append((account, day(event_day), hour, event, user, value))
    for file_day, rows in files.items():
        write_events(project, day(file_day).isoformat(), rows)


@settings(max_examples=25, deadline=None)
@given(
    starts=accounts_st,
    raw=st.lists(event_st, max_size=60),
    as_of=st.integers(2, DAYS - 1),
    batch_rows=st.integers(1, 25),
    history=st.booleans(),
)
def test_a_full_run_in_batches_equals_one_in_one_go(
    starts: list[tuple[int, str]], raw: list[tuple], as_of: int, batch_rows: int, history: bool
) -> None:
    accounts = [(f"a{i}", day(start), plan) for i, (start, plan) in enumerate(starts)]
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        project = usage_project(Path(tmp), accounts)
        _write_usage(project, [a for a, _, _ in accounts], raw)
        config = project.config()
        whole = evaluate(config, day(as_of), history=history)
        patch.setattr(batches_module, "BATCH_ROWS", batch_rows)
        batched = evaluate(config, day(as_of), history=history)
        assert_same_run(batched, whole)


def test_the_batches_are_contiguous_ranges_of_accounts_within_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = [(f"a{i}", day(i % 5), "basic") for i in range(9)]
    project = usage_project(tmp_path, accounts)
    as_of = day(9)
    started = pl.DataFrame(
        {"account_id": [a for a, _, _ in accounts], "start_date": [s for _, s, _ in accounts]}
    )
    index = account_index(started.lazy(), as_of).collect()
    assert batches_module.account_batches(started, index) == [started]  # 6..10 days each: 72 rows
    monkeypatch.setattr(batches_module, "BATCH_ROWS", 20)
    batches = batches_module.account_batches(started, index)
    assert len(batches) == 4
    ids = [b["account_id"].to_list() for b in batches]
    assert [i for part in ids for i in part] == sorted(started["account_id"].to_list())
    for batch in batches:  # each ends within the limit after the previous one's end
        days = (as_of - batch["start_date"]).dt.total_days() + 1
        assert days.sum() <= 20 + days.max()
    assert _batch_count(project, as_of) == 4


def _busy_project(root: Path) -> Project:
    """Eight accounts starting on days 0-3, four events a day for 12 days, every ninth of
    them from an unknown account."""
    accounts = [(f"a{i}", day(i % 4), "pro" if i % 3 else "basic") for i in range(8)]
    project = usage_project(root, accounts)
    raw = [
        (i % 9 - 1, d, h, event, user, value)
        for i, (d, h, event, user, value) in enumerate(
            [(d, (d * 7) % 24, e, u, v) for d in range(12) for e, u, v in _DAY_EVENTS]
        )
    ]
    _write_usage(project, [a for a, _, _ in accounts], raw)
    return project


def test_the_next_night_continues_a_batched_full_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _busy_project(tmp_path)
    config = project.config()
    heard: list[str] = []
    whole = evaluate(config, day(10), history=True, on_batch=heard.append)
    assert heard == []  # one batch: nothing to announce
    monkeypatch.setattr(batches_module, "BATCH_ROWS", 15)
    count = _batch_count(project, day(10))
    assert count > 2
    heard.clear()
    batched = evaluate(config, day(10), history=True, on_batch=heard.append)
    assert_same_run(batched, whole)
    # The one read of the usage, then each batch as it starts (a terminal shows them under
    # the run's step).
    assert heard[0] == f"reading the usage once, into {count} batches of accounts"
    assert [h.split(" (")[0] for h in heard[1:]] == [
        f"accounts batch {n} of {count}" for n in range(1, count + 1)
    ]
    assert sum(int(h.split("(")[1].split()[0]) for h in heard[1:]) == 8  # accounts
    # The usage rows set aside for the batches are gone with the run.
    assert list((project.root / ".journey" / "spill").iterdir()) == []
    assert [(q.reason, q.rows) for q in batched.quarantine] == [
        ("account_id not in the accounts source", 6)  # counted once, not once per batch
    ]
    assert batched.state is not None
    state = dataclasses.replace(batched.state, history=batched.history_grid)
    monkeypatch.setattr(batches_module, "BATCH_ROWS", 20_000_000)
    following = evaluate(config, day(11), prior=state, history=True)
    assert following.mode == "incremental"
    assert_same(following, evaluate(config, day(11), history=True))


_DAY_EVENTS = [
    ("login", "u1", 1),
    ("login", "u2", 2),
    ("report", "u3", None),
    ("export", None, 5),
]


def test_dense_usage_is_evaluated_in_batches_with_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The grid is small (72 account-days) but its usage rows are many for their days.
    project = _busy_project(tmp_path)
    config = project.config()
    whole = evaluate(config, day(10), history=True)
    whole_history = load_history(config, day(10))
    monkeypatch.setattr(batches_module, "BATCH_USAGE_ROWS", 30)
    heard: list[str] = []
    batched = evaluate(config, day(10), history=True, on_batch=heard.append)
    assert len(heard) > 2  # the read, then two or more batches
    assert_same_run(batched, whole)
    assert_frame_equal(load_history(config, day(10)).grid, whole_history.grid, check_exact=True)


def test_the_history_read_in_batches_is_the_one_read_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What `journey risk` and the early warning's fallback read (every metric, each day).
    project = _busy_project(tmp_path)
    config = project.config()
    whole = load_history(config, day(10))
    monkeypatch.setattr(batches_module, "BATCH_ROWS", 15)
    assert _batch_count(project, day(10)) > 2
    batched = load_history(config, day(10))
    assert_frame_equal(batched.grid, whole.grid, check_exact=True)
    assert_frame_equal(batched.accounts, whole.accounts, check_exact=True)


def test_settings_set_the_batches_and_where_their_rows_go(tmp_path: Path) -> None:
    project = _busy_project(tmp_path / "project")
    config = project.config()
    whole = evaluate(config, day(10), history=True)
    elsewhere = tmp_path / "big-disk" / "journey-scratch"
    elsewhere.mkdir(parents=True)
    (elsewhere / "someone-elses-file").write_text("kept")
    settings_file = project.root / "config" / "settings.yaml"
    settings_file.write_text(
        settings_file.read_text()
        + f"large_runs: {{max_account_days: 15, scratch_dir: {str(elsewhere)!r}}}\n"
    )
    config = project.config()
    assert config.settings.large_runs.max_account_days == 15
    heard: list[str] = []
    batched = evaluate(config, day(10), history=True, on_batch=heard.append)
    assert len(heard) > 2  # the read, then two or more batches
    assert_same_run(batched, whole)
    # The scratch folder was made in the configured place, and only it went away.
    assert [p.name for p in elsewhere.iterdir()] == ["someone-elses-file"]
    assert not (project.root / ".journey" / "spill").exists()
    settings_file.write_text(settings_file.read_text().replace("15", "0"))
    code, out, err = project.cli("check")
    assert code == 3 and "max_account_days" in out + err, out + err


def test_a_scratch_dir_that_cannot_be_made_stops_the_run_plainly(tmp_path: Path) -> None:
    project = _busy_project(tmp_path / "project")
    (tmp_path / "a-file").write_text("not a folder")
    settings_file = project.root / "config" / "settings.yaml"
    scratch = str(tmp_path / "a-file" / "scratch")
    settings_file.write_text(
        settings_file.read_text()
        + f"large_runs: {{max_account_days: 15, scratch_dir: {scratch!r}}}\n"
    )
    code, _, err = project.cli("run", "--as-of", day(10).isoformat())
    assert code == 1, err
    assert f"cannot make a scratch folder in {scratch}" in err
    assert "Traceback" not in err
