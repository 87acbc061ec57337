"""Benchmark: journey's SQL sources on a real PostgreSQL server.

    python benchmarks/sql_source.py --postgres postgresql://user:pw@127.0.0.1:5432/db
    python benchmarks/sql_source.py --accounts 10000 --events 10000000 --repeat 1

The benchmark's events (benchmarks/generate.py, one Parquet file a day) are loaded into a
table `bench_events` (a `timestamptz` column with an index on it, as a warehouse's event table
has) on the server, and into a SQLite file, then:

1. **Reading.** The whole table into one polars frame, in its own process each: journey's
   `metrics.sql_source.read_sql` through ADBC, and through SQLAlchemy in batches (the path of
   a database without an ADBC driver here), against the peer a data team writes by hand,
   `pl.read_database` on a SQLAlchemy connection all at once (which is what journey did
   before). Prints wall time, peak memory and the ratios, for PostgreSQL and for SQLite.
2. **One new night.** A project whose events come from the table by a query. The newest day's
   rows are held back, a full `journey run` stores the day before, the rows arrive, and
   `journey run` of the newest day continues incrementally (reading from its watermark); then
   a full run of the same day into a fresh store. Prints the incremental run's time against
   the full run's and checks both store identical results.

The server comes from --postgres or JOURNEY_BENCH_POSTGRES_URL (`.ci/postgres.sh` starts a
throwaway one); the table is replaced on every run. Exits 1 if the results differ.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import polars as pl  # noqa: E402
from run import (  # noqa: E402
    AS_OF,
    Series,
    _fresh_store,
    _journey,
    _positive,
    ensure_data,
    machine,
    measure,
    record_peak,
    same_results,
)
from run import _worker as run_worker  # noqa: E402

TABLE = "bench_events"
QUERY = f"SELECT account_id, timestamp, event, user_id, value FROM {TABLE}"
WAREHOUSE = "JOURNEY_BENCH_WAREHOUSE"  # the variable the SQL project's settings name
SETTINGS = f"""\
# Benchmark project written by benchmarks/sql_source.py: the events come from a query.
timezone: UTC
sources:
  accounts: {{path: data/accounts.parquet}}
  events:
    url: "${{{WAREHOUSE}}}"
    query: "{QUERY}"
database: sqlite:///journey.db
freshness: {{warn_after_days: 1, error_after_days: 3}}
report: {{top_n: 15, out_dir: reports/out}}
"""


def _events(project: Path, through: dt.date) -> list[Path]:
    """The project's daily event files up to `through`, in day order."""
    files = sorted(project.glob("data/events/**/*.parquet"), key=lambda p: p.stem)
    return [f for f in files if dt.date.fromisoformat(f.stem) <= through]


def _columns(path: Path) -> pl.DataFrame:
    """A day's events, the columns the table has."""
    return pl.read_parquet(path, columns=["account_id", "timestamp", "event", "user_id", "value"])


def load_postgresql(url: str, files: list[Path], *, create: bool) -> int:
    """Append the rows of `files` to the table (made anew with `create`); returns the rows."""
    import psycopg
    from sqlalchemy.engine import make_url

    from metrics.sql_adbc import libpq_uri

    rows = 0
    with psycopg.connect(libpq_uri(make_url(url))) as conn, conn.cursor() as cur:
        if create:
            cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
            cur.execute(
                f"CREATE TABLE {TABLE} (account_id TEXT, timestamp TIMESTAMPTZ, event TEXT, "
                "user_id TEXT, value DOUBLE PRECISION)"
            )
        for path in files:
            frame = _columns(path)
            with cur.copy(f"COPY {TABLE} FROM STDIN (FORMAT csv)") as copy:
                copy.write(frame.write_csv(include_header=False))
            rows += frame.height
        if create:
            cur.execute(f"CREATE INDEX ON {TABLE} (timestamp)")
        cur.execute(f"ANALYZE {TABLE}")
    return rows


def load_sqlite(path: Path, files: list[Path]) -> None:
    import sqlite3

    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute(
            f"CREATE TABLE {TABLE} (account_id TEXT, timestamp TEXT, event TEXT, "
            "user_id TEXT, value REAL)"
        )
        for file in files:
            frame = _columns(file).with_columns(
                pl.col("timestamp").dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ")
            )
            conn.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?)", frame.iter_rows())


def _worker(kind: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", kind, *args]


def read_worker(way: str, url_variable: str) -> None:
    """Read the whole table one way; print its shape."""
    if way in ("journey", "journey-sqlalchemy"):
        import metrics.sql_adbc as sql_adbc
        from metrics.sql_source import read_sql

        if way == "journey-sqlalchemy":  # the path of a database without an ADBC driver
            sql_adbc.adbc_connector = lambda _url: None
        frame = read_sql(f"${{{url_variable}}}", QUERY, "events").collect()
    else:
        from sqlalchemy import create_engine

        engine = create_engine(os.environ[url_variable])
        with engine.connect() as conn:
            frame = pl.read_database(QUERY, conn, infer_schema_length=None)
    print(json.dumps({"rows": frame.height, "columns": frame.width}))


def compare_reads(label: str, url: str, repeat: int) -> None:
    env = {"BENCH_READ_URL": url}
    ours, slow, theirs = [], [], []
    for _ in range(repeat):
        ours.append(measure(_worker("read", "journey", "BENCH_READ_URL"), env))
        slow.append(measure(_worker("read", "journey-sqlalchemy", "BENCH_READ_URL"), env))
        theirs.append(measure(_worker("read", "sqlalchemy", "BENCH_READ_URL"), env))
    outputs = {m.output for m in (*ours, *slow, *theirs)}
    if len(outputs) != 1:
        raise SystemExit(f"{label}: the reads differ: {sorted(outputs)}")
    rows = json.loads(ours[0].output)["rows"]
    journey, batched, peer = (Series(tuple(m)) for m in (ours, slow, theirs))
    print(f"\n{label}, the whole table ({rows:,} rows) into one frame:")
    print(journey.line("ADBC path"))
    print(batched.line("SQLAlchemy path"))
    print(peer.line("SQLAlchemy peer"))
    for name, ran in (("ADBC", journey), ("SQLAlchemy", batched)):
        print(
            f"  ratio, {name + ':':<12}{ran.seconds / peer.seconds:>7.2f} time"
            f"  {ran.peak_mib / peer.peak_mib:.2f} memory   (journey / peer, medians)"
        )


def sql_project(project: Path) -> Path:
    """A copy of `project` (config, accounts) whose events come from the table."""
    target = project.with_name(project.name + "-sql")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(project / "config", target / "config")
    (target / "data").mkdir()
    shutil.copy(project / "data" / "accounts.parquet", target / "data" / "accounts.parquet")
    (target / "config" / "settings.yaml").write_text(SETTINGS)
    return target


def night(project: Path, url: str, repeat: int) -> bool:
    """The nightly case `repeat` times; whether every incremental run stored what the full one
    did."""
    os.environ[WAREHOUSE] = url
    held = _events(project, AS_OF)[-1:]
    base = _events(project, AS_OF - dt.timedelta(days=1))
    target = sql_project(project)
    before, incremental, full, identical = [], [], [], True
    for _ in range(repeat):
        load_postgresql(url, base, create=True)
        _fresh_store(target)
        before.append(_journey(target, AS_OF - dt.timedelta(days=1), "full", False))
        began = time.perf_counter()
        arrived = load_postgresql(url, held, create=False)
        loaded = time.perf_counter() - began
        inc = _journey(target, AS_OF, "auto", False)
        why = json.loads(inc.output)["why_full"]
        if why is not None:
            raise SystemExit(f"the run of {AS_OF} was not incremental: {why}")
        incremental.append(inc)
        inc_out, full_out = target / "incremental.parquet", target / "full.parquet"
        measure(run_worker("export", str(target), str(inc_out)))
        _fresh_store(target)
        full.append(_journey(target, AS_OF, "full", False))
        measure(run_worker("export", str(target), str(full_out)))
        same, detail = same_results(inc_out, full_out)
        identical = identical and same
    print(
        f"\nPostgreSQL source, one new day ({AS_OF}, {arrived:,} rows, loaded in {loaded:.1f} s):"
    )
    print(Series(tuple(before)).line("full, day before"))
    print(Series(tuple(incremental)).line("incremental"))
    print(Series(tuple(full)).line("full, same day"))
    ratio = Series(tuple(incremental)).seconds / Series(tuple(full)).seconds
    print(f"  incremental/full  {ratio:>10.2f}   (wall, medians)")
    print(f"  results           {detail.replace('identical', 'identical to the full run')}")
    return identical


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        read_worker(sys.argv[3], sys.argv[4])
        record_peak()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=_positive, default=5_000)
    parser.add_argument("--events", type=_positive, default=5_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/journey-bench"))
    parser.add_argument("--repeat", type=_positive, default=3)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("JOURNEY_BENCH_POSTGRES_URL"),
        help="a PostgreSQL server's URL (default: JOURNEY_BENCH_POSTGRES_URL)",
    )
    args = parser.parse_args()
    if not args.postgres:
        raise SystemExit(
            "give --postgres URL or set JOURNEY_BENCH_POSTGRES_URL (see .ci/postgres.sh)"
        )
    print(f"machine: {machine()}")
    project = ensure_data(args.data, args.accounts, args.events)
    files = _events(project, AS_OF)
    print(f"loading {len(files)} days of events into PostgreSQL and SQLite ...")
    load_postgresql(args.postgres, files, create=True)
    sqlite = project.with_name(project.name + "-warehouse.db")
    load_sqlite(sqlite, files)
    compare_reads("PostgreSQL", args.postgres, args.repeat)
    compare_reads("SQLite", f"sqlite:///{sqlite}", args.repeat)
    sys.exit(0 if night(project, args.postgres, args.repeat) else 1)


if __name__ == "__main__":
    main()
