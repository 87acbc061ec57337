"""SQL usage sources in incremental runs: read from a watermark where the database can filter
them by day (PostgreSQL timestamp and date columns), whole otherwise.

PostgreSQL needs JOURNEY_TEST_POSTGRES_URL (see tests/store_support.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from incremental_support import assert_same, day, usage_project
from polars.testing import assert_frame_equal
from store_support import postgres_database, run_sql

from journey.evaluate import evaluate
from journey.nightly import run_nightly
from journey.store import make_engine
from journey.usage_sql import day_start, watermark_literal
from metrics.timezones import local_day
from support import Project

ACCOUNTS = [("a", day(0), "basic"), ("b", day(2), "pro"), ("c", day(5), "basic")]
Row = tuple[str, dt.datetime, str, str | None, int | None]


def usage_of(n: int) -> list[Row]:
    """Day `n`'s events (UTC): logins at 01:00, 10:00 and 23:00, so that in New York some
    fall on the day before; some accounts report, with another user."""
    base = dt.datetime.combine(day(n), dt.time(), tzinfo=dt.UTC)
    rows = [
        (a, base + dt.timedelta(hours=h), "login", "u1", 2)
        for a, _, _ in ACCOUNTS
        for h in (1, 10, 23)
    ]
    rows += [
        (a, base + dt.timedelta(hours=14), "report", f"u{n % 3}", 1)
        for a, _, _ in ACCOUNTS[n % 2 :: 2]
    ]
    return rows


def settings(zone: str) -> str:
    return f"""\
timezone: {zone}
sources:
  accounts: {{path: data/accounts.csv}}
  events:
    url: "${{JOURNEY_WAREHOUSE_URL}}"
    query: "SELECT account_id, ts, event, user_id, value FROM product_events -- all of them"
    columns: {{timestamp: ts}}
database: sqlite:///journey.db
freshness: {{warn_after_days: 10000, error_after_days: 10000, on_stale: warn}}
risk: {{enabled: false}}
"""


def create_table(url: str, ts_type: str) -> None:
    run_sql(
        url,
        f"CREATE TABLE product_events (account_id TEXT, ts {ts_type}, event TEXT, "
        "user_id TEXT, value INTEGER)",
    )


def insert_events(url: str, rows: list[Row]) -> None:
    run_sql(
        url,
        "INSERT INTO product_events VALUES (:a, :t, :e, :u, :v)",
        [{"a": a, "t": t, "e": e, "u": u, "v": v} for a, t, e, u, v in rows],
    )


@pytest.fixture
def warehouse(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with postgres_database() as url:
        monkeypatch.setenv("JOURNEY_WAREHOUSE_URL", url)
        yield url


def sql_project(root: Path, zone: str) -> Project:
    project = usage_project(root, ACCOUNTS)
    project.write("config/settings.yaml", settings(zone))
    return project


@pytest.mark.parametrize(
    ("ts_type", "zone"),
    [("TIMESTAMPTZ", "America/New_York"), ("TIMESTAMP", "UTC"), ("TIMESTAMP", "Asia/Kolkata")],
)
def test_nights_read_from_the_watermark_and_equal_a_full_run(
    tmp_path: Path, warehouse: str, ts_type: str, zone: str
):
    create_table(warehouse, ts_type)
    rows = all_rows(9)
    local = pl.select(local_day(pl.lit(pl.Series([r[1] for r in rows])), zone)).to_series()
    by_day = [[r for r, d in zip(rows, local, strict=True) if d == day(n)] for n in range(-1, 10)]

    def arrive(n: int) -> list[Row]:  # the rows of local days up to day(n) not yet inserted
        fresh = [r for part in by_day[: n + 2] for r in part]
        return [
            (a, t if ts_type == "TIMESTAMPTZ" else t.replace(tzinfo=None), e, u, v)
            for a, t, e, u, v in fresh
        ]

    insert_events(warehouse, arrive(4))
    inserted = len(arrive(4))
    project = sql_project(tmp_path, zone)
    config = project.config()
    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    assert run_nightly(config, engine, day(4)).why_full == "nothing is stored yet"
    for n in range(5, 9):
        insert_events(warehouse, arrive(n)[inserted:])
        inserted = len(arrive(n))
        outcome = run_nightly(config, engine, day(n))
        assert outcome.why_full is None, outcome.why_full
        mark = outcome.evaluation.watermarks["events"]
        start = day_start(day(n), zone).isoformat(sep=" ")
        assert mark.literal.endswith(
            f"'{start}+00:00'" if ts_type == "TIMESTAMPTZ" else f"'{start}'"
        )
        # The database counted the rows before the watermark: those of the days before.
        assert mark.before == len(arrive(n - 1))
        assert_same(outcome.evaluation, evaluate(config, day(n)))
    engine.dispose()


def all_rows(through: int) -> list[Row]:
    return [row for n in range(through + 1) for row in usage_of(n)]


def test_a_late_row_means_a_full_run_even_for_an_unknown_account(tmp_path: Path, warehouse: str):
    create_table(warehouse, "TIMESTAMPTZ")
    insert_events(warehouse, [row for n in range(6) for row in usage_of(n)])
    project = sql_project(tmp_path, "UTC")
    config = project.config()
    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    run_nightly(config, engine, day(5))
    late = dt.datetime.combine(day(3), dt.time(9), tzinfo=dt.UTC)
    insert_events(warehouse, [*usage_of(6), ("zz", late, "login", "u1", 1)])
    outcome = run_nightly(config, engine, day(6))
    rows = len(all_rows(5))
    assert outcome.why_full is not None
    assert re.fullmatch(
        rf"the `events` query now returns {rows + 1} row\(s\) for days up to 2026-01-06; "
        rf"that run had {rows}",
        outcome.why_full,
    ), outcome.why_full
    assert_same(outcome.evaluation, evaluate(config, day(6)))
    # The full run counted the late row: the next night is incremental again.
    insert_events(warehouse, usage_of(7))
    assert run_nightly(config, engine, day(7)).why_full is None
    engine.dispose()


def test_a_text_column_is_read_whole_and_a_changed_type_means_a_full_run(
    tmp_path: Path, warehouse: str
):
    create_table(warehouse, "TEXT")
    text_rows = [(a, t.isoformat(), e, u, v) for a, t, e, u, v in all_rows(5)]
    insert_events(warehouse, text_rows)  # type: ignore[arg-type]
    project = sql_project(tmp_path, "UTC")
    config = project.config()
    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    run_nightly(config, engine, day(4))
    outcome = run_nightly(config, engine, day(5))
    assert outcome.why_full is None
    assert outcome.evaluation.watermarks == {}
    assert_same(outcome.evaluation, evaluate(config, day(5)))

    run_sql(
        warehouse,
        "ALTER TABLE product_events ALTER COLUMN ts TYPE TIMESTAMPTZ USING ts::timestamptz",
    )
    insert_events(warehouse, usage_of(6))
    outcome = run_nightly(config, engine, day(6))
    assert outcome.why_full == (
        "the 2026-01-06 run counted the `events` query's rows another way: the database can "
        "now filter them by `ts` (its type changed, or this is the first run after an upgrade)"
    )
    insert_events(warehouse, usage_of(7))
    assert run_nightly(config, engine, day(7)).evaluation.watermarks["events"].before > 0
    engine.dispose()


def test_the_run_says_how_it_read_the_query(tmp_path: Path, warehouse: str):
    create_table(warehouse, "TIMESTAMP")
    insert_events(
        warehouse, [(a, t.replace(tzinfo=None), e, u, v) for a, t, e, u, v in all_rows(5)]
    )
    project = sql_project(tmp_path, "UTC")
    assert project.cli("run", "--as-of", day(4).isoformat())[0] == 0
    code, _, err = project.cli("run", "--as-of", day(5).isoformat())
    assert code == 0, err
    assert "incremental run: `events` query read from TIMESTAMP '2026-01-06 00:00:00' on" in err
    assert "new or growing file" not in err


def test_doctor_says_how_the_nights_will_read_the_query(tmp_path: Path, warehouse: str):
    create_table(warehouse, "TIMESTAMPTZ")
    insert_events(warehouse, all_rows(5))
    project = sql_project(tmp_path, "UTC")
    assert project.cli("run", "--as-of", day(5).isoformat())[0] == 0
    out = project.cli("doctor")[1]
    assert (
        "nightly: the `events` query is read from the new day on, filtered by the database on "
        "`ts` (a timestamp); an index on it keeps that cheap"
    ) in out, out
    run_sql(warehouse, "ALTER TABLE product_events ALTER COLUMN ts TYPE TEXT")
    out = project.cli("doctor")[1]
    assert (
        "nightly: the `events` query is read whole every night: its column `ts` is read as "
        "String, not a timestamp or a date"
    ) in out, out


def test_doctor_asks_for_an_index_when_a_night_would_read_the_table_whole(
    tmp_path: Path, warehouse: str, monkeypatch: pytest.MonkeyPatch
):
    import metrics.sql_plan as sql_plan

    monkeypatch.setattr(sql_plan, "LARGE_TABLE_ROWS", 1000)
    create_table(warehouse, "TIMESTAMPTZ")
    insert_events(warehouse, all_rows(5))
    run_sql(  # older history, enough for the planner to prefer an index
        warehouse,
        "INSERT INTO product_events SELECT 'a', TIMESTAMPTZ '2025-01-01' + "
        "g * INTERVAL '1 minute', 'login', 'u1', 1 FROM generate_series(1, 5000) g",
    )
    run_sql(warehouse, "ANALYZE product_events")
    project = sql_project(tmp_path, "UTC")
    assert project.cli("run", "--as-of", day(5).isoformat())[0] == 0
    out = project.cli("doctor")[1]
    assert re.search(
        r"nightly: the `events` query is read from the new day on, filtered by the database on "
        r'`ts` \(a timestamp\), but PostgreSQL plans to read all of "[^"]+"\."product_events" '
        r"\(about [\d,]+ rows\) every night to find the new rows\n"
        r"     fix: index the column behind `ts` there",
        out,
    ), out
    run_sql(warehouse, "CREATE INDEX ON product_events (ts)")
    run_sql(warehouse, "ANALYZE product_events")
    out = project.cli("doctor")[1]
    assert "filtered by the database on `ts` (a timestamp); an index on it keeps" in out, out
    assert "plans to read all of" not in out


def sqlite_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, through: int = 7) -> Project:
    """A project whose events of days 0..`through` come from a query on a SQLite file (days
    0-7: 84 rows over 17 account-days)."""
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    monkeypatch.setenv("JOURNEY_WAREHOUSE_URL", url)
    create_table(url, "TIMESTAMP")
    rows = all_rows(through)
    insert_events(url, [(a, t.replace(tzinfo=None), e, u, v) for a, t, e, u, v in rows])
    return sql_project(tmp_path / "p", "UTC")


def at_most_usage_rows(project: Project, rows: int) -> None:
    """Batches of at most `rows` usage rows (settings `large_runs`)."""
    settings_file = project.config_dir / "settings.yaml"
    settings_file.write_text(
        settings_file.read_text() + f"large_runs: {{max_usage_rows: {rows}}}\n"
    )


def test_a_sqlite_source_is_read_whole_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = sqlite_project(tmp_path, monkeypatch, through=5)
    assert project.cli("run", "--as-of", day(4).isoformat())[0] == 0
    code, _, err = project.cli("run", "--as-of", day(5).isoformat())
    assert code == 0, err
    assert "incremental run: `events` query read whole" in err
    out = project.cli("doctor")[1]
    assert (
        "nightly: the `events` query is read whole every night: only a PostgreSQL query is "
        "filtered by day"
    ) in out, out


# Where a day starts ---------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Kiritimati",  # UTC+14
    "Pacific/Pago_Pago",  # UTC-11
    "America/Sao_Paulo",  # until 2019, summer time began at midnight: no 00:00 that day
    "America/Havana",  # the same, at 00:00 too
]
DAYS = [
    dt.date(2026, 3, 29),
    dt.date(2026, 11, 1),
    dt.date(2018, 11, 4),
    dt.date(2013, 3, 10),
    dt.date(2026, 1, 5),
]


@pytest.mark.parametrize("zone", ZONES)
def test_the_watermark_keeps_every_row_of_the_new_days_and_little_else(zone: str):
    for first_new in DAYS:
        start = day_start(first_new, zone)
        around = pl.datetime_range(
            start - dt.timedelta(hours=30), start + dt.timedelta(hours=30), "5m", eager=True
        ).dt.replace_time_zone("UTC")
        days = pl.select(local_day(pl.lit(around), zone)).to_series()
        after = around.dt.replace_time_zone(None) >= start
        # Every instant of the new days is at or after the watermark ...
        assert not ((days >= first_new) & ~after).any(), (zone, first_new)
        # ... and what is after it but on an older day is at most the hour a clock change took.
        old = around.filter(after & (days < first_new))
        assert old.len() == 0 or old.max() - old.min() < dt.timedelta(hours=1), (zone, first_new)


def test_the_literal_follows_the_column_type():
    first_new = dt.date(2026, 1, 6)
    assert watermark_literal(pl.Date(), "events", first_new, "UTC") == "DATE '2026-01-06'"
    assert watermark_literal(pl.Date(), "daily", first_new, "UTC") == "DATE '2026-01-06'"
    assert (
        watermark_literal(pl.Datetime("us", "UTC"), "events", first_new, "America/New_York")
        == "TIMESTAMP WITH TIME ZONE '2026-01-06 05:00:00+00:00'"
    )
    assert watermark_literal(pl.Datetime("us"), "events", first_new, "UTC") == (
        "TIMESTAMP '2026-01-06 00:00:00'"
    )
    for dtype in (pl.String(), pl.Int64(), pl.Float64()):
        assert watermark_literal(dtype, "events", first_new, "UTC") is None
    assert watermark_literal(pl.Datetime("us"), "daily", first_new, "UTC") is None


@pytest.mark.parametrize("path", ["adbc", "sqlalchemy"])
def test_a_large_query_read_through_files_evaluates_the_same(
    tmp_path: Path, warehouse: str, monkeypatch: pytest.MonkeyPatch, path: str
):
    import metrics.sql_adbc as sql_adbc
    import metrics.sql_frames as sql_frames
    import metrics.sql_source as sql_source

    create_table(warehouse, "TIMESTAMPTZ")
    insert_events(warehouse, all_rows(7))
    project = sql_project(tmp_path, "America/New_York")
    config = project.config()
    held = evaluate(config, day(7), history=True)
    if path == "sqlalchemy":  # as for a database without an ADBC driver here
        monkeypatch.setattr(sql_adbc, "adbc_connector", lambda _url: None)
        monkeypatch.setattr(sql_source, "ALCHEMY_BATCH_ROWS", 4)
    monkeypatch.setattr(sql_frames, "SPILL_ROWS", 10)
    spilled = evaluate(config, day(7), history=True)
    assert_same(spilled, held)
    files = list((project.root / ".journey" / "spill").rglob("sql-*/*.parquet"))
    assert files  # the rows went to files, which last as long as the process
    if path == "sqlalchemy":  # several batches: files as the batches arrived
        assert len(files) > 1


def test_a_full_run_sizes_its_batches_by_the_rows_a_query_returned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    project = sqlite_project(tmp_path, monkeypatch)
    whole = evaluate(project.config(), day(7), history=True)
    at_most_usage_rows(project, 20)  # about 5 rows a day: several batches
    config = project.config()
    heard: list[str] = []
    batched = evaluate(config, day(7), history=True, on_batch=heard.append)
    assert len(heard) > 2, heard  # the read, then two or more batches
    assert_same(batched, whole)


def test_the_history_read_sizes_its_batches_by_the_rows_a_query_returned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """`journey risk` reads the history as a full run does: a query's rows count too."""
    import journey.risk.history as history

    project = sqlite_project(tmp_path, monkeypatch)
    whole = history.load_history(project.config(), day(7))
    at_most_usage_rows(project, 20)
    made: list[int] = []
    planned = history.planned

    def spy(*args: object) -> tuple[list[pl.DataFrame], int]:
        batches, limit = planned(*args)  # type: ignore[arg-type]
        made.append(len(batches))
        return batches, limit

    monkeypatch.setattr(history, "planned", spy)
    batched = history.load_history(project.config(), day(7))
    assert made[0] > 1  # 84 rows, at most 20 a batch
    assert_frame_equal(batched.grid, whole.grid)


def test_a_preview_of_some_accounts_reads_only_their_rows_and_evaluates_them_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """`evaluate(only=)` (segments diff): from a query, as from files (test_config_cli)."""
    project = sqlite_project(tmp_path, monkeypatch)
    config = project.config()
    whole = evaluate(config, day(7))
    some = evaluate(config, day(7), only=pl.Series(["a", "c"]))
    picked = pl.col("account_id").is_in(["a", "c"])
    assert_frame_equal(some.accounts, whole.accounts.filter(picked), check_row_order=False)
    assert_frame_equal(
        some.milestones.sort("account_id", "position"),
        whole.milestones.filter(picked).sort("account_id", "position"),
    )
    assert some.accounts.height == 2
    assert some.state.sql_rows["events"] < whole.state.sql_rows["events"]  # b's rows unread
