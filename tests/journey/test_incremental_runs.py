"""Incremental runs end to end: through the CLI, from a SQL source, and after a killed run.

The CLI and crash tests run on SQLite and on PostgreSQL (the `backend` fixture).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import signal
from pathlib import Path

import polars as pl
import pytest
from incremental_support import assert_same, day, usage_project, write_events
from store_support import fresh_store, project_engine, run_journey, run_sql, snapshot

from journey.evaluate import evaluate
from journey.nightly import run_nightly
from journey.store import make_engine
from journey.store.carried import state_root
from journey.store.writes import latest_run
from support import Project

ACCOUNTS = [("a", day(0), "basic"), ("b", day(2), "pro"), ("c", day(5), "basic")]


def usage_of(n: int) -> list[tuple[str, dt.date, int, str, str | None, int | None]]:
    """Day `n`'s events: every account logs in; some report, with another user."""
    rows = [(a, day(n), 10, "login", "u1", 2) for a, _, _ in ACCOUNTS]
    rows += [(a, day(n), 14, "report", f"u{n % 3}", 1) for a, _, _ in ACCOUNTS[n % 2 :: 2]]
    return rows


def files_project(root: Path, days: int) -> Project:
    project = usage_project(root, ACCOUNTS)
    for n in range(days):
        write_events(project, day(n).isoformat(), usage_of(n))
    return project


def current_state(config_dir: Path) -> dict[str, list[tuple]]:
    """The stored current state of the project of `config_dir`, without volatile columns."""
    engine = project_engine(config_dir)
    try:
        tables = snapshot(engine)
    finally:
        engine.dispose()
    return {name: tables[name] for name in ("account_state", "milestone_state")}


def write_text_values(project: Project, n: int, values: list[str]) -> None:
    """Day `n`'s file: a login of each account, `value` as text (as a CSV export has it)."""
    accounts = [a for a, _, _ in ACCOUNTS][: len(values)]
    pl.DataFrame(
        {
            "account_id": accounts,
            "timestamp": [dt.datetime.combine(day(n), dt.time(10), tzinfo=dt.UTC)] * len(values),
            "event": ["login"] * len(values),
            "user_id": ["u1"] * len(values),
            "value": values,
        }
    ).write_parquet(project.root / f"data/events/{day(n).isoformat()}.parquet")


def test_values_that_are_not_numbers_are_counted_by_the_run_that_reads_them(tmp_path: Path):
    """A full run counts every value a sum reads as empty, in one go or in batches; a night,
    those of its new rows only."""
    project = usage_project(tmp_path / "p", ACCOUNTS)
    for n, values in enumerate([["n/a", "2", "1"], ["2", "2", "2"], ["3,5", "", " 4 "]]):
        write_text_values(project, n, values)
    as_of = day(2)
    note = "events: 2 row(s) kept: value is not a number"
    whole = evaluate(project.config(), as_of)
    assert [q.describe() for q in whole.quarantine if q.kept] == [
        f"{note} (read as empty, so sums leave it out; `journey check --with-data` shows examples)"
    ]
    settings = project.config_dir / "settings.yaml"
    settings.write_text(settings.read_text() + "large_runs: {max_account_days: 3}\n")
    assert evaluate(project.config(), as_of, on_batch=lambda _: None).quarantine == whole.quarantine
    code, _, err = project.cli("run", "--as-of", as_of.isoformat())
    assert code == 0, err
    assert note in err
    write_text_values(project, 3, ["bad", "also bad", "7"])  # c starts on day 5: not read
    code, _, err = project.cli("run", "--as-of", day(3).isoformat())
    assert code == 0, err
    assert "incremental run" in err
    assert "events: 2 row(s) kept: value is not a number" in err
    write_text_values(project, 4, ["1", "2", "3"])
    code, _, err = project.cli("run", "--as-of", day(4).isoformat())
    assert code == 0, err
    assert "incremental run" in err and "kept" not in err


# Through the CLI ------------------------------------------------------------------------------


def test_run_is_incremental_the_next_day_and_stores_what_a_full_run_stores(
    tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch
):
    project = files_project(tmp_path / "nightly", 5)
    code, _, err = project.cli("run", "--as-of", "2026-01-05")
    assert code == 0, err
    assert "full run: nothing is stored yet" in err
    write_events(project, "2026-01-06", usage_of(5))
    code, out, err = project.cli("run", "--as-of", "2026-01-06")
    assert code == 0, err
    assert "incremental run: read 1 new or growing file(s)" in err
    assert "full run" not in err
    assert "as_of 2026-01-06: 3 accounts evaluated" in out

    exported = project.cli("export", "--format", "json")
    assert exported[0] == 0 and json.loads(exported[1])
    stored = current_state(project.config_dir)

    fresh = Project(tmp_path / "fresh")
    shutil.copytree(project.root, fresh.root, ignore=shutil.ignore_patterns("journey.db*", ".*"))
    with fresh_store(backend, monkeypatch):
        code, _, err = fresh.cli("run", "--as-of", "2026-01-06")
        assert code == 0, err
        assert "full run: nothing is stored yet" in err
        assert fresh.cli("export", "--format", "json") == exported
        assert current_state(fresh.config_dir) == stored


def test_run_full_says_so_and_help_mentions_it(tmp_path: Path):
    project = files_project(tmp_path, 6)
    assert project.cli("run", "--as-of", "2026-01-05")[0] == 0
    code, _, err = project.cli("run", "--as-of", "2026-01-06", "--full")
    assert code == 0, err
    assert "full run: --full was given" in err
    code, out, _ = project.cli("run", "--help")
    assert code == 0
    assert "--full" in out
    assert "Recompute from all the usage data" in " ".join(out.replace("│", " ").split())


# A SQL source ---------------------------------------------------------------------------------

SQL_SETTINGS = """\
timezone: UTC
sources:
  accounts: {path: data/accounts.csv}
  events:
    url: "${JOURNEY_WAREHOUSE_URL}"
    query: "SELECT account_id, ts, event, user_id, value FROM product_events"
    columns: {timestamp: ts}
database: sqlite:///journey.db
freshness: {warn_after_days: 10000, error_after_days: 10000, on_stale: warn}
risk: {enabled: false}
"""


def insert_events(url: str, rows: list[tuple[str, dt.date, int, str, str | None, int | None]]):
    run_sql(
        url,
        "CREATE TABLE IF NOT EXISTS product_events (account_id VARCHAR(20), "
        "ts TIMESTAMP, event VARCHAR(40), user_id VARCHAR(20), value INTEGER)",
    )
    run_sql(
        url,
        "INSERT INTO product_events VALUES (:a, :t, :e, :u, :v)",
        [
            {"a": a, "t": dt.datetime.combine(d, dt.time(h)), "e": e, "u": u, "v": v}
            for a, d, h, e, u, v in rows
        ],
    )


def test_a_sql_source_runs_incrementally_until_old_rows_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    monkeypatch.setenv("JOURNEY_WAREHOUSE_URL", url)
    project = usage_project(tmp_path / "project", ACCOUNTS)
    project.write("config/settings.yaml", SQL_SETTINGS)
    insert_events(url, [row for n in range(5) for row in usage_of(n)])
    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    config = project.config()
    assert run_nightly(config, engine, day(4)).why_full == "nothing is stored yet"

    insert_events(url, [*usage_of(5), ("zz", day(1), 9, "login", "u1", 1)])  # zz: unknown
    outcome = run_nightly(config, engine, day(5))
    assert outcome.why_full is None
    assert_same(outcome.evaluation, evaluate(config, day(5)))

    insert_events(url, [*usage_of(6), ("a", day(3), 9, "login", "u4", 3)])
    outcome = run_nightly(config, engine, day(6))
    assert outcome.why_full is not None
    assert re.fullmatch(
        r"the `events` query now returns 28 row\(s\) for days up to 2026-01-06; that run had 27",
        outcome.why_full,
    ), outcome.why_full
    assert_same(outcome.evaluation, evaluate(config, day(6)))


# Crash safety ---------------------------------------------------------------------------------


@pytest.mark.parametrize("point", ["mid_write", "before_commit", "after_commit"])
def test_a_run_killed_after_saving_its_state_leaves_nothing_wrong_behind(
    tmp_path: Path, backend: str, point: str
):
    project = files_project(tmp_path, 6)
    assert project.cli("run", "--as-of", "2026-01-05")[0] == 0
    killed = run_journey(
        "run",
        "--as-of",
        "2026-01-06",
        "--config",
        str(project.config_dir),
        env={"JOURNEY_FAULT_POINT": point},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    config = project.config()
    engine = project_engine(project.config_dir)
    newest = latest_run(engine)
    assert newest is not None
    assert newest[0] == (day(5) if point == "after_commit" else day(4))
    folders = sorted(p.name for p in state_root(config).iterdir())
    assert len(folders) == 2 and newest[2] in folders  # the killed run's or the older state
    (state_root(config) / ".2026-01-06-0123abcd.partial").mkdir()  # killed inside save_state

    write_events(project, "2026-01-07", usage_of(6))
    outcome = run_nightly(config, engine, day(6))
    assert outcome.why_full is None
    assert_same(outcome.evaluation, evaluate(config, day(6)))
    newest = latest_run(engine)
    assert newest is not None and newest[0] == day(6)
    assert [p.name for p in state_root(config).iterdir()] == [newest[2]]
    engine.dispose()
