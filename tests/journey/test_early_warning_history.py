"""The early warning's history in nightly runs: kept with the carried state and extended by
each incremental run, instead of read from all the usage every night.

Each case stores a run on PRIOR with the early warning on, changes one thing and runs NEXT;
the grid the early warning learned from must equal the one read from all the usage.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from incremental_support import (
    MILESTONES_J,
    SETTINGS,
    Event,
    day,
    usage_project,
    write_accounts,
    write_events,
)
from polars.testing import assert_frame_equal
from risk_support import detail_of
from sqlalchemy import Engine

import journey.risk.history as risk_history
import journey.risk.service as risk_service
from journey.config import Config
from journey.nightly import run_nightly
from journey.risk.history import History, watched_grid
from journey.store import make_engine
from journey.store.carried import HISTORY, state_root
from support import Project

PRIOR, NEXT = day(4), day(5)
READ = risk_history.read_history  # the tests stub the module's name


def read_all(config: Config, until: dt.date) -> History:
    """Every account's every day, read from the usage (what the stubs stand in for)."""
    accounts, grid = READ(config, until, lambda part: part.grid)
    return History(until=until, accounts=accounts, grid=grid, metrics=tuple(config.metrics))


ACCOUNTS = [("a", day(0), "basic"), ("b", day(2), "pro"), ("gone", day(1), "basic")]


def day_events(n: int) -> list[Event]:
    return [
        ("a", day(n), 9, "login", f"u{n % 3}", 2),
        ("b", day(n), 15, "report" if n % 2 else "login", "u1", 1),
        ("gone", day(n), 11, "login", "u9", 1),
    ]


class Learned:
    """Stands in for the model: records the history each run learned from."""

    def __init__(self) -> None:
        self.histories: list[History] = []

    def __call__(self, config, as_of, options, history, keep):  # type: ignore[no-untyped-def]
        self.histories.append(history)
        return detail_of(pl.DataFrame(schema=risk_service.RISK_DETAIL_SCHEMA))


@pytest.fixture
def learned(monkeypatch: pytest.MonkeyPatch) -> Learned:
    fake = Learned()
    monkeypatch.setattr(risk_service, "risk_detail", fake)
    return fake


@pytest.fixture
def stored(tmp_path: Path, learned: Learned) -> tuple[Project, Engine]:
    """A run with the early warning stored for PRIOR (a full one), and NEXT's usage written."""
    # Milestones that read a few of the metrics: the early warning learns from all of them.
    project = usage_project(tmp_path, ACCOUNTS, MILESTONES_J[:2])
    project.write(
        "config/settings.yaml",
        SETTINGS.replace("risk: {enabled: false}", "risk: {enabled: true}"),
    )
    for n in range(PRIOR.day):
        write_events(project, day(n).isoformat(), day_events(n))
    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    assert run_nightly(project.config(), engine, PRIOR).why_full == "nothing is stored yet"
    assert len(learned.histories) == 1
    write_events(project, NEXT.isoformat(), day_events(NEXT.day - 1))
    return project, engine


def assert_read_from_all_usage(project: Project, history: History, as_of: dt.date) -> None:
    config = project.config()
    want = read_all(config, as_of)
    assert history.until == as_of
    # The rows the early warning can read: each account's days up to its watch end.
    assert_frame_equal(history.grid, watched_grid(config, want), check_exact=True)
    assert_frame_equal(history.accounts, want.accounts, check_exact=True)
    assert history.metrics == want.metrics


def no_reading(*args: object) -> History:
    raise AssertionError("the early warning read the whole usage history")


def test_the_next_run_extends_the_kept_grid_without_reading_the_history(
    stored: tuple[Project, Engine], learned: Learned, monkeypatch: pytest.MonkeyPatch
):
    project, engine = stored
    assert_read_from_all_usage(project, learned.histories[0], PRIOR)
    assert len(list(state_root(project.config()).glob(f"*/{HISTORY}"))) == 1
    monkeypatch.setattr(risk_history, "read_history", no_reading)
    outcome = run_nightly(project.config(), engine, NEXT)
    assert outcome.why_full is None
    assert "early warning: 0 on-track account(s)" in outcome.notes[-2]
    assert_read_from_all_usage(project, learned.histories[1], NEXT)
    # The next night's state keeps the extended grid, and only it.
    (kept,) = state_root(project.config()).glob(f"*/{HISTORY}")
    assert kept.parent.name.startswith(NEXT.isoformat())
    assert_frame_equal(pl.read_parquet(kept), learned.histories[1].grid, check_exact=True)


def _remove_account(project: Project) -> None:
    write_accounts(project, [a for a in ACCOUNTS if a[0] != "gone"])


def _add_account(project: Project) -> None:
    write_accounts(project, [*ACCOUNTS, ("new", NEXT, "pro")])


@pytest.mark.parametrize("change", [_remove_account, _add_account])
def test_accounts_that_leave_or_start_since_the_kept_grid(
    stored: tuple[Project, Engine],
    learned: Learned,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Project], None],
):
    project, engine = stored
    change(project)
    monkeypatch.setattr(risk_history, "read_history", no_reading)
    assert run_nightly(project.config(), engine, NEXT).why_full is None
    assert_read_from_all_usage(project, learned.histories[1], NEXT)


def _corrupt(project: Project) -> None:
    next(state_root(project.config()).glob(f"*/{HISTORY}")).write_bytes(b"junk")


def _delete(project: Project) -> None:
    next(state_root(project.config()).glob(f"*/{HISTORY}")).unlink()


@pytest.mark.parametrize("damage", [_corrupt, _delete])
def test_a_lost_grid_is_read_again_and_kept_for_the_night_after(
    stored: tuple[Project, Engine],
    learned: Learned,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[Project], None],
):
    project, engine = stored
    damage(project)
    reads: list[dt.date] = []

    def counted(config, until, reduce):  # type: ignore[no-untyped-def]
        reads.append(until)
        return READ(config, until, reduce)

    monkeypatch.setattr(risk_history, "read_history", counted)
    with caplog.at_level(logging.WARNING, logger="journey"):
        outcome = run_nightly(project.config(), engine, NEXT)
    assert outcome.why_full is None  # the rules still run incrementally
    assert reads == [NEXT]
    assert ("cannot be read" in caplog.text) == (damage is _corrupt)
    assert_read_from_all_usage(project, learned.histories[1], NEXT)
    after = NEXT + dt.timedelta(days=1)
    write_events(project, after.isoformat(), day_events(after.day - 1))
    assert run_nightly(project.config(), engine, after).why_full is None
    assert reads == [NEXT]
    assert_read_from_all_usage(project, learned.histories[2], after)


def test_a_run_without_the_early_warning_makes_the_next_with_it_full(
    stored: tuple[Project, Engine], learned: Learned
):
    """Without the early warning a run computes only the metrics milestones read, so the
    state it leaves cannot continue every metric's grid."""
    project, engine = stored
    assert run_nightly(project.config(), engine, NEXT, early_warning=False).why_full is not None
    assert len(learned.histories) == 1
    assert not list(state_root(project.config()).glob(f"*/{HISTORY}"))
    after = NEXT + dt.timedelta(days=1)
    write_events(project, after.isoformat(), day_events(after.day - 1))
    why = run_nightly(project.config(), engine, after).why_full
    assert why is not None and why.startswith("the 2026-01-06 run carried other metrics")
    assert_read_from_all_usage(project, learned.histories[1], after)
