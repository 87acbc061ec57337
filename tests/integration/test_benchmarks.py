"""benchmarks/run.py end to end at a tiny size: it generates data, runs journey and the DuckDB
peer, checks their results agree and prints the figures the performance targets are read
from; benchmarks/sql_source.py likewise against the test PostgreSQL server. Timings are not
asserted (they live in docs/performance.md, measured on purpose)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"

pytest.importorskip("duckdb", reason="the peer needs duckdb (pip install -e '.[dev]')")


def bench(*args: str, data: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(RUN), *args, "--repeat", "1", "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_scaling_run_compares_journey_with_the_peer_at_three_sizes(tmp_path: Path) -> None:
    out = bench("--accounts", "400", "--events", "40000", "--scaling", data=tmp_path)
    assert out.count("results           identical (") == 3  # journey and the peer agree
    assert len(re.findall(r"time ratio +\d+\.\d\d", out)) == 3
    assert re.search(r"scaling \(relative to the smallest size\)", out)
    for size in ("a100-e10000", "a200-e20000", "a400-e40000"):
        assert (tmp_path / size / "data" / "accounts.parquet").is_file()


def test_the_nightly_case_is_incremental_and_equals_a_full_run(tmp_path: Path) -> None:
    out = bench("--accounts", "300", "--events", "30000", "--incremental", data=tmp_path)
    assert "results           identical to the full run (" in out
    for label in ("full, day before", "incremental", "full, same day", "start-up only"):
        assert re.search(rf"  {re.escape(label)} +\d+\.\d s wall", out), label
    assert re.search(r"incremental/full +\d+\.\d\d", out)
    assert re.search(r"start-up/full +\d+\.\d\d", out)
    # The held-back day's file is back in place, and no scratch folder is left.
    assert list(tmp_path.glob("a300-e30000/data/events/**/2026-06-30.parquet"))
    assert not list(tmp_path.glob("a300-e30000/.held-*"))


@pytest.mark.parametrize("refit", [False, True], ids=["kept", "refit"])
def test_a_night_with_the_early_warning_uses_the_kept_model_or_fits(
    tmp_path: Path, refit: bool
) -> None:
    """The night checks it did what it measures: used the model the day before kept, or,
    with --refit, fitted its own."""
    extra = ["--refit"] if refit else []
    out = bench(
        "--accounts", "300", "--events", "30000", "--incremental", "--early-warning", *extra,
        data=tmp_path,
    )  # fmt: skip
    assert "results           identical to the full run (" in out
    assert ("fits its model anew" in out) == refit
    assert ("uses the model kept by the run of the day before" in out) != refit


def test_a_night_is_measured_against_the_length_of_the_history(tmp_path: Path) -> None:
    out = bench(
        "--accounts", "200", "--events", "10000", "--incremental", "--days", "30,60",
        data=tmp_path,
    )  # fmt: skip
    assert out.count("results           identical to the full run (") == 2
    assert "200 accounts, 10,000 events over 30 days" in out
    assert "200 accounts, 20,000 events over 60 days" in out  # the same events per day
    table = out.split("history (the same accounts and events per day")[1].splitlines()
    rows = [line.split() for line in table[2:4]]
    assert [row[:2] for row in rows] == [["30", "10,000"], ["60", "20,000"]], out
    assert all(int(row[2].replace(",", "")) > 0 for row in rows), out  # the new day's events
    assert rows[0][4] == rows[0][6] == "1.0", out  # the shortest is the base
    for days, events in (("30", "10000"), ("60", "20000")):
        generated = tmp_path / f"a200-e{events}-d{days}"
        assert int((generated / ".generated").read_text()) > 0
        assert len(list(generated.glob("data/events/**/*.parquet"))) == int(days) + 1


def test_the_nightly_case_with_an_events_file_per_hour(tmp_path: Path) -> None:
    out = bench(
        "--accounts", "300", "--events", "30000", "--incremental", "--hourly", data=tmp_path
    )
    assert "results           identical to the full run (" in out
    project = tmp_path / "a300-e30000-hourly"
    files = list(project.glob("data/events/**/*.parquet"))
    newest = list(project.glob("data/events/**/2026-06-30T*.parquet"))
    assert len(newest) > 1 and len(files) > 181 * 2  # held back and back in place
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d\.parquet", f.name) for f in files)
    assert not list(project.glob(".held-*"))


def test_csv_events_files_are_compared_with_the_peer_reading_them_too(tmp_path: Path) -> None:
    out = bench("--accounts", "300", "--events", "30000", "--format", "csv", data=tmp_path)
    assert "results           identical (" in out  # journey and the peer, both from CSV
    out = bench(
        "--accounts", "300", "--events", "30000", "--format", "csv", "--incremental",
        data=tmp_path,
    )  # fmt: skip
    assert "results           identical to the full run (" in out
    project = tmp_path / "a300-e30000-csv"
    assert len(list(project.glob("data/events/**/*.csv"))) == 181
    assert not list(project.glob("data/events/**/*.parquet"))
    assert '"data/events/**/*.csv"' in (project / "config" / "settings.yaml").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "30,60"], "several --days lengths go with --incremental only"),
        (["--refit", "--incremental"], "--refit measures a night's fit: it goes with"),
        (["--refit", "--early-warning"], "--refit measures a night's fit: it goes with"),
    ],
    ids=["days", "refit-without-early-warning", "refit-without-a-night"],
)
def test_options_that_need_another_are_refused(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = subprocess.run(
        [sys.executable, str(RUN), *args, "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert not list(tmp_path.iterdir())  # nothing generated


def test_a_measured_peak_is_the_childs_own_not_what_it_was_forked_from() -> None:
    sys.path.insert(0, str(RUN.parent))
    try:
        from run import measure
    finally:
        sys.path.remove(str(RUN.parent))
    held = bytearray(400 * 2**20)  # resident in this process while the child starts
    held[::4096] = b"x" * len(held[::4096])
    child = (
        f"import sys; sys.path.insert(0, {str(RUN.parent)!r}); from run import record_peak; "
        "x = bytearray(100 * 2**20); x[::4096] = b'y' * len(x[::4096]); record_peak()"
    )
    peak = measure([sys.executable, "-c", child]).peak_mib
    assert 100 < peak < 300, peak  # its own 100 MiB and an interpreter, none of the 400
    del held


def test_the_commands_run_on_the_stored_results(tmp_path: Path) -> None:
    out = bench("--accounts", "400", "--events", "40000", "--commands", data=tmp_path)
    labels = ("status", "export (csv)", "report", "diff, same config", "diff, one rule")
    for label in labels:
        assert re.search(rf"  {re.escape(label)} +\d+\.\d s wall .*x the full run", out), out
    moved = re.search(r"the rule change moves (\d+) accounts to another journey", out)
    assert moved and int(moved.group(1)) > 0, out
    project = tmp_path / "a400-e40000"
    assert (project / "report" / "index.html").is_file()
    assert (project / "export.csv").read_text().startswith("account_id,")


def test_the_nightly_case_stores_into_the_database_it_is_given(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text
    from store_support import postgres_database

    with postgres_database() as url:
        out = bench(
            "--accounts", "300", "--events", "30000", "--incremental", "--store", url,
            data=tmp_path,
        )  # fmt: skip
        engine = create_engine(url)
        with engine.connect() as conn:  # the last run (a full run of the day) stored there
            query = "SELECT count(*) FROM journey_bench.milestone_state"
            stored = conn.execute(text(query)).scalar()
            public = conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar()
        engine.dispose()
    assert public == 0  # nothing outside its own schema
    assert "schema journey_bench (--store)" in out
    assert f"results           identical to the full run ({stored:,} rows)" in out
    assert not (tmp_path / "a300-e30000" / "journey.db").exists()


def test_the_sql_source_benchmark_reads_both_ways_and_runs_a_night(tmp_path: Path) -> None:
    from store_support import postgres_database

    with postgres_database() as url:
        done = subprocess.run(
            [
                sys.executable,
                str(RUN.with_name("sql_source.py")),
                "--accounts",
                "300",
                "--events",
                "30000",
                "--repeat",
                "1",
                "--data",
                str(tmp_path),
                "--postgres",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for source in ("PostgreSQL", "SQLite"):
        assert re.search(rf"{source}, the whole table \([\d,]+ rows\) into one frame", out)
    for path in ("ADBC", "SQLAlchemy"):  # each of journey's two paths, per database
        assert len(re.findall(rf"ratio, {path}: +\d+\.\d\d time +\d+\.\d\d memory", out)) == 2
    assert "results           identical to the full run (" in out
    assert re.search(r"incremental/full +\d+\.\d\d", out)
