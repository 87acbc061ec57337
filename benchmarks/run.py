"""Benchmark: a full `journey run` against the DuckDB peer on the same synthetic data.

    python benchmarks/run.py --accounts 50000 --events 50000000
    python benchmarks/run.py --accounts 10000 --events 10000000 --scaling

Each contender runs in its own subprocess, so wall time (and CPU time, from `os.wait4`) and
peak RSS (the worker's own VmHWM, `record_peak`) are its own. journey runs what `journey run`
runs (`journey.nightly.run_nightly`: read, evaluate, store into a fresh SQLite file); the
peer runs `benchmarks/duckdb_peer.py`. Afterwards the stored results are exported (as
`journey export` does) and compared with the peer's, row by row: (account_id, milestone,
achieved_on, state). Data is generated once per size under --data and reused.

`--scaling` runs three sizes (1/4, 1/2 and all of --accounts/--events) and prints how time
and memory grow.

`--incremental` measures the nightly case: the newest day's file is held back (its 24 with
`--hourly`, which writes an events file per hour), a full run stores the day before, the file
arrives, and `journey run` for the newest day continues
incrementally from the stored state; it prints the incremental run's time against a full run
of the same day (target: under 10%) and checks that both store identical results. It also
measures a journey process that only starts — imports, loads the config, opens the store and
reads its newest ledger row, as every run does before it reads any data — since that fixed
cost alone is a share of the full run's time the incremental run can never go below.
`--days 180,360` (with `--incremental`) measures the nightly case on two histories of the same
accounts and events per day (--events over the first) and prints how a night and a full run
grow with the history: a night should not.

`--commands` times what a team runs on a night's results — `journey status`, `export`,
`report`, `segments diff` (against the same config, and a one-rule change) — after a full run,
each against that run's time (benchmarks/commands.py).

`--repeat N` (default 3) measures each contender N times, interleaved (journey, peer, journey,
peer, ...), and prints the median of each with the range: this machine is shared, and one run
of each can land on either side of a target through load alone.

`--store URL` stores journey's results in that PostgreSQL database, as in production, instead
of the project's SQLite file: in a schema of their own, `journey_bench` (the journey processes
get the URL as JOURNEY_DATABASE_URL with that schema as their search path), which every fresh
store drops and makes again; nothing else in the database is touched.

`--early-warning` runs journey with the learned early warning on (settings `risk:`, as the
example config has it), as a real nightly `journey run` does. The peer computes the rules
only, so with it the full-run ratio is not like for like; it is there to measure the real
nightly cost (with `--incremental`). The night then uses the model the run of the day before
kept (both fall in the same week's training set), as six nights of seven do; `--refit` makes
it fit its own, as the first night of each week does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

AS_OF = dt.date(2026, 6, 30)


@dataclass(frozen=True)
class Measured:
    """One subprocess: wall seconds, CPU seconds, peak RSS in MiB, and its stdout."""

    seconds: float
    cpu_seconds: float
    peak_mib: float
    output: str


@dataclass(frozen=True)
class Series:
    """Repeated measurements of one contender: medians of wall and CPU time, the highest peak."""

    runs: tuple[Measured, ...]

    @property
    def seconds(self) -> float:
        return statistics.median(m.seconds for m in self.runs)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(m.cpu_seconds for m in self.runs)

    @property
    def peak_mib(self) -> float:
        return max(m.peak_mib for m in self.runs)

    def line(self, label: str) -> str:
        """`label`, the medians and the peak; with several runs, the wall time's range."""
        walls = [m.seconds for m in self.runs]
        spread = (
            f"  ({min(walls):.1f}-{max(walls):.1f}, {len(walls)} runs)" if len(walls) > 1 else ""
        )
        return (
            f"  {label:<17} {self.seconds:>10.1f} s wall {self.cpu_seconds:>8.1f} s cpu"
            f"   peak {self.peak_mib:>7.0f} MiB{spread}"
        )


#: Where a worker writes its own peak RSS (`record_peak`). The child's `ru_maxrss` is not its
#: own: Linux charges it with this process's resident size at the fork (hundreds of MiB after
#: generating data here).
PEAK_VARIABLE = "JOURNEY_BENCH_PEAK_FILE"


def record_peak() -> None:
    """In a worker: write this process's peak RSS in KiB (VmHWM) where `measure` asked."""
    path = os.environ.get(PEAK_VARIABLE)
    status = Path("/proc/self/status")
    if path and status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                Path(path).write_text(line.split()[1])


def measure(args: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run a worker as a child process; its own wall time, CPU time and peak RSS (the one it
    records, else `ru_maxrss`, which may count some of this process too)."""
    with tempfile.TemporaryDirectory() as folder:
        peak_file = Path(folder) / "peak"
        began = time.perf_counter()
        child = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            env={**os.environ, **(env or {}), PEAK_VARIABLE: str(peak_file)},
            text=True,
        )
        assert child.stdout is not None
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed with exit code {child.returncode}")
        recorded = peak_file.read_text() if peak_file.exists() else ""
    # Both in KiB on Linux.
    peak_kib = int(recorded) if recorded else usage.ru_maxrss
    return Measured(seconds, usage.ru_utime + usage.ru_stime, peak_kib / 1024, output)


def _worker(kind: str, *args: str) -> list[str]:
    return [sys.executable, str(HERE / "run.py"), "--worker", kind, *args]


def journey_run(
    project: Path, as_of: dt.date, full: bool = True, early_warning: bool = False
) -> None:
    """What `journey run --as-of AS_OF [--full]` does, without the CLI's argument parsing."""
    from journey.config import load_config
    from journey.nightly import run_nightly
    from journey.store.engine import database_url, make_engine

    config = load_config(project / "config")
    engine = make_engine(database_url(config.settings.database, config.root))
    # The peer computes the rules only, so the learned early warning is left out unless asked.
    outcome = run_nightly(config, engine, as_of, early_warning=early_warning, full=full)
    warned = list(outcome.notes)
    print(
        json.dumps(
            {
                "accounts": outcome.evaluation.accounts.height,
                "why_full": outcome.why_full,
                "early_warning": warned[0] if warned else None,
                "model": warned[1] if len(warned) > 1 else None,
            }
        )
    )


def journey_startup(project: Path) -> None:
    """What every `journey run` does before it reads any data: the same imports as
    `journey_run`, the config loaded, the store opened and its newest ledger row read."""
    from journey.config import load_config
    from journey.nightly import run_nightly  # noqa: F401  (imported as a run imports it)
    from journey.store.engine import database_url, make_engine
    from journey.store.writes import latest_run

    config = load_config(project / "config")
    engine = make_engine(database_url(config.settings.database, config.root))
    print(json.dumps({"newest_run": str(latest_run(engine))}))


def _journey(project: Path, as_of: dt.date, mode: str, early_warning: bool) -> Measured:
    """One `journey run` in its own process; `mode` is `full` or `auto` (incremental if it
    can be). With the early warning on, it must have run, not been skipped."""
    extra = ["early-warning"] if early_warning else []
    measured = measure(_worker("journey", str(project), as_of.isoformat(), mode, *extra))
    if early_warning:
        note = json.loads(measured.output)["early_warning"]
        if note is None or "skipped" in note:
            raise SystemExit(f"the early warning did not run on {as_of}: {note}")
    return measured


def journey_export(project: Path, out: Path) -> None:
    """What `journey export --format parquet --out OUT` does."""
    from journey.config import load_config
    from journey.store import load_current
    from journey.store.engine import database_url, make_engine
    from reports.export import export_frame

    config = load_config(project / "config")
    engine = make_engine(database_url(config.settings.database, config.root))
    accounts, milestones = load_current(engine)
    export_frame(accounts, milestones).write_parquet(out)


def same_results(journey_file: Path, peer_file: Path) -> tuple[bool, str]:
    """Whether both give identical (account_id, milestone, achieved_on, state) rows."""
    import polars as pl

    columns = ["account_id", "milestone", "achieved_on", "state"]
    ours = pl.read_parquet(journey_file).select(columns).sort("account_id", "milestone")
    theirs = pl.read_parquet(peer_file).select(columns).sort("account_id", "milestone")
    if ours.equals(theirs):
        return True, f"identical ({ours.height:,} rows)"
    if ours.height != theirs.height:
        return False, f"row counts differ: journey {ours.height:,}, peer {theirs.height:,}"
    diff = ours.join(theirs, on=["account_id", "milestone"], suffix="_peer").filter(
        ~pl.col("achieved_on").eq_missing(pl.col("achieved_on_peer"))
        | (pl.col("state") != pl.col("state_peer"))
    )
    return False, f"{diff.height:,} rows differ, e.g.\n{diff.head(5)}"


#: Days of history the generated data spans unless --days says otherwise (issue #5's set).
DAYS = 180


def ensure_data(
    data: Path,
    accounts: int,
    events: int,
    days: int = DAYS,
    hourly: bool = False,
    fmt: str = "parquet",
) -> Path:
    """The project for this size: data generated on first use, the config copied from the
    repo on every run (so that the figures are always those of the repo's config)."""
    from generate import generate, write_config

    name = f"a{accounts}-e{events}" + (f"-d{days}" if days != DAYS else "")
    project = data / (name + ("-hourly" if hourly else "") + ("-csv" if fmt == "csv" else ""))
    marker = project / ".generated"
    if not marker.exists():
        files = f"{fmt} events files, one per {'hour' if hourly else 'day'}"
        print(
            f"generating {accounts:,} accounts / {events:,} events over {days} days "
            f"({files}) in {project} ..."
        )
        project.mkdir(parents=True, exist_ok=True)
        written = generate(project, accounts, events, days=days, hourly=hourly, fmt=fmt)
        marker.write_text(str(written))
    else:
        write_config(project, fmt)
    return project


#: Where journey stores when --store gives a database (what `journey` reads it from), and the
#: schema there that the benchmark owns.
STORE_VARIABLE = "JOURNEY_DATABASE_URL"
STORE_SCHEMA = "journey_bench"


def _fresh_store(project: Path) -> None:
    for name in ("journey.db", "journey.db-wal", "journey.db-shm", ".journey.lock"):
        (project / name).unlink(missing_ok=True)
    shutil.rmtree(project / ".journey", ignore_errors=True)
    store = os.environ.get(STORE_VARIABLE)
    if store:  # --store: the benchmark's schema made afresh, as a fresh SQLite file is empty
        from sqlalchemy import create_engine, text

        engine = create_engine(store, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {STORE_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {STORE_SCHEMA}"))
        engine.dispose()


def in_store_schema(url: str) -> str:
    """`url` with the benchmark's schema as the search path of every connection."""
    from sqlalchemy.engine import make_url

    options = {"options": f"-csearch_path={STORE_SCHEMA}"}
    return make_url(url).update_query_dict(options).render_as_string(hide_password=False)


@dataclass(frozen=True)
class Comparison:
    events: int
    journey: Series
    peer: Series
    identical: bool
    detail: str


def compare(
    project: Path, as_of: dt.date, early_warning: bool = False, repeat: int = 1
) -> Comparison:
    """`repeat` full journey runs and as many peer runs on `project`, interleaved, and the
    check of the last ones' results."""
    ours, theirs = [], []
    exported, peer_out = project / "journey-export.parquet", project / "peer.parquet"
    for _ in range(repeat):
        _fresh_store(project)
        ours.append(_journey(project, as_of, "full", early_warning))
        theirs.append(measure(_worker("peer", str(project), as_of.isoformat(), str(peer_out))))
    measure(_worker("export", str(project), str(exported)))
    identical, detail = same_results(exported, peer_out)
    events = int((project / ".generated").read_text())
    return Comparison(events, Series(tuple(ours)), Series(tuple(theirs)), identical, detail)


@dataclass(frozen=True)
class Incremental:
    before: Series  # the full run of the day before, into a fresh store
    incremental: Series  # the next day, continued from the stored state
    startup: Series  # a journey process that only starts (`journey_startup`)
    full: Series  # the same day, a full run into a fresh store
    identical: bool  # in every repetition
    detail: str


@dataclass(frozen=True)
class _Night:
    before: Measured
    incremental: Measured
    startup: Measured
    full: Measured
    identical: bool
    detail: str


def _day_files(project: Path, day: dt.date) -> list[Path]:
    """The generated events files of `day`: one, or one per hour with events (--hourly)."""
    found = project.glob(f"data/events/**/{day.isoformat()}*")
    return sorted(p for p in found if p.suffix in (".parquet", ".csv"))


def _day_events(project: Path, day: dt.date) -> int:
    """How many events the generated files of `day` hold."""
    import polars as pl

    files = _day_files(project, day)
    scan = pl.scan_csv if files[0].suffix == ".csv" else pl.scan_parquet
    return int(scan(files).select(pl.len()).collect().item())


def _night(project: Path, as_of: dt.date, early_warning: bool, refit: bool = False) -> _Night:
    """The nightly case once: as_of's files arrive after the run of the day before. With the
    early warning, the night uses the model the run of the day before kept (the same weekly
    training set), unless `refit`: then it fits its own, as the first night of a week does."""
    newest = _day_files(project, as_of)
    if not newest:
        raise SystemExit(f"no events file for {as_of} in {project}/data/events")
    held = project / f".held-{as_of.isoformat()}"
    held.mkdir(exist_ok=True)
    day_before = as_of - dt.timedelta(days=1)
    _fresh_store(project)
    for path in newest:
        os.replace(path, held / path.name)
    try:
        before = _journey(project, day_before, "full", early_warning)
    finally:
        for path in newest:
            os.replace(held / path.name, path)
        held.rmdir()
    if refit:
        shutil.rmtree(project / ".journey" / "model", ignore_errors=True)
    inc = _journey(project, as_of, "auto", early_warning)
    said = json.loads(inc.output)
    if said["why_full"] is not None:
        raise SystemExit(f"the run of {as_of} was not incremental: {said['why_full']}")
    model = said["model"]
    wanted = "(fitted tonight)" if refit else "(kept from an earlier night)"
    if early_warning and not (model or "").endswith(wanted):
        raise SystemExit(f"the night's early warning model was not {wanted[1:-1]}: {model}")
    startup = measure(_worker("startup", str(project)))
    inc_out, full_out = project / "journey-incremental.parquet", project / "journey-full.parquet"
    measure(_worker("export", str(project), str(inc_out)))
    _fresh_store(project)
    full = _journey(project, as_of, "full", early_warning)
    measure(_worker("export", str(project), str(full_out)))
    identical, detail = same_results(inc_out, full_out)
    return _Night(before, inc, startup, full, identical, detail)


def incremental(
    project: Path,
    as_of: dt.date,
    early_warning: bool = False,
    repeat: int = 1,
    refit: bool = False,
) -> Incremental:
    """The nightly case `repeat` times; the results are checked in every one."""
    nights = [_night(project, as_of, early_warning, refit) for _ in range(repeat)]
    differing = [n for n in nights if not n.identical]
    return Incremental(
        before=Series(tuple(n.before for n in nights)),
        incremental=Series(tuple(n.incremental for n in nights)),
        startup=Series(tuple(n.startup for n in nights)),
        full=Series(tuple(n.full for n in nights)),
        identical=not differing,
        detail=(differing or nights)[0].detail,
    )


def report_incremental(r: Incremental) -> None:
    print(r.before.line("full, day before"))
    print(r.incremental.line("incremental"))
    print(r.full.line("full, same day"))
    print(r.startup.line("start-up only"))
    print(
        f"  incremental/full  {r.incremental.seconds / r.full.seconds:>10.2f}"
        "   (wall, medians; target at 50M events: < 0.10)"
    )
    print(
        f"  start-up/full     {r.startup.seconds / r.full.seconds:>10.2f}"
        "   (the part of any run that does not depend on the data)"
    )
    print(f"  results           {r.detail.replace('identical', 'identical to the full run')}")


def report_history(nights: list[tuple[int, int, int, Incremental]]) -> None:
    """--days with several lengths: how a night and a full run grow with the history."""
    base = nights[0][3]
    print("\nhistory (the same accounts and events per day; relative to the shortest):")
    print("  days        events  new day's   full s     x   night s     x   night/full")
    for days, events, new, n in nights:
        full, night = n.full.seconds, n.incremental.seconds
        print(
            f"  {days:>4} {events:>13,} {new:>10,} {full:>8.1f} {full / base.full.seconds:>5.1f}"
            f" {night:>9.1f} {night / base.incremental.seconds:>5.1f} {night / full:>12.2f}"
        )


def measure_commands(project: Path, as_of: dt.date, early_warning: bool, repeat: int) -> None:
    """--commands: `repeat` full runs into a fresh store, then each command `repeat` times on
    the last one's results (benchmarks/commands.py), each with its share of a full run."""
    from commands import command_lines, moved

    runs = []
    for _ in range(repeat):  # the last one's results are what the commands read
        _fresh_store(project)
        runs.append(_journey(project, as_of, "full", early_warning))
    full = Series(tuple(runs))
    print(full.line("full run"))
    outputs = {}
    for label, args in command_lines(project, as_of).items():
        series = Series(tuple(measure(_worker("cli", *args)) for _ in range(repeat)))
        outputs[label] = series.runs[-1].output
        print(f"{series.line(label)}  {series.seconds / full.seconds:.2f}x the full run")
    print(
        f"  the rule change moves {moved(outputs['diff, one rule']):,} accounts to another journey"
    )


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import duckdb
    import polars as pl

    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, "
        f"Python {platform.python_version()}, "
        f"polars {pl.__version__}, duckdb {duckdb.__version__}"
    )


def report(c: Comparison) -> None:
    print(f"  events            {c.events:>14,}")
    print(c.journey.line("journey run"))
    print(c.peer.line("duckdb peer"))
    print(
        f"  time ratio        {c.journey.seconds / c.peer.seconds:>10.2f}"
        "   (journey / duckdb, wall, medians; target at 50M events: <= 0.50)"
    )
    if len(c.journey.runs) > 1:
        pairs = [j.seconds / p.seconds for j, p in zip(c.journey.runs, c.peer.runs, strict=True)]
        print(f"  each pair         {'  '.join(f'{r:.2f}' for r in pairs):>10}")
    print(f"  cpu ratio         {c.journey.cpu_seconds / c.peer.cpu_seconds:>10.2f}")
    print(f"  memory ratio      {c.journey.peak_mib / c.peer.peak_mib:>10.2f}")
    print(f"  results           {c.detail}")


def run_main(args: argparse.Namespace) -> int:
    print(f"machine: {machine()}")
    if args.store:  # every journey process below stores there
        from journey.store.engine import safe_url

        os.environ[STORE_VARIABLE] = in_store_schema(args.store)
        print(f"journey stores into {safe_url(args.store)}, schema {STORE_SCHEMA} (--store)")
    if args.early_warning:
        print("journey runs with the learned early warning on; the peer computes rules only")
        if args.incremental:
            print(
                "the night fits its model anew (--refit)"
                if args.refit
                else "the night uses the model kept by the run of the day before"
            )
    sizes = (
        [(args.accounts // 4, args.events // 4), (args.accounts // 2, args.events // 2)]
        if args.scaling
        else []
    ) + [(args.accounts, args.events)]
    if args.commands:
        project = ensure_data(
            args.data, args.accounts, args.events, args.days[0], args.hourly, args.format
        )
        print(
            f"\n{args.accounts:,} accounts, {args.events:,} events, commands on {AS_OF}'s results:"
        )
        measure_commands(project, AS_OF, args.early_warning, args.repeat)
        return 0
    if args.incremental:
        nights = []
        for days in args.days:
            events = args.events * days // args.days[0]  # the same events per day
            project = ensure_data(args.data, args.accounts, events, days, args.hourly, args.format)
            print(
                f"\n{args.accounts:,} accounts, {events:,} events over {days} days, "
                f"one new day ({AS_OF}):"
            )
            nightly = incremental(project, AS_OF, args.early_warning, args.repeat, args.refit)
            report_incremental(nightly)
            nights.append((days, events, _day_events(project, AS_OF), nightly))
        if len(nights) > 1:
            report_history(nights)
        return 0 if all(n.identical for *_, n in nights) else 1
    results = []
    for accounts, events in sizes:
        project = ensure_data(args.data, accounts, events, args.days[0], args.hourly, args.format)
        print(f"\n{accounts:,} accounts, {events:,} events (as_of {AS_OF}):")
        result = compare(project, AS_OF, args.early_warning, args.repeat)
        report(result)
        results.append(result)
    if args.scaling:
        base = results[0]
        print("\nscaling (relative to the smallest size):")
        print("  events        journey s  x      MiB  x    | duckdb s  x      MiB  x")
        for r in results:
            print(
                f"  {r.events:>12,} {r.journey.seconds:>8.1f}"
                f" {r.journey.seconds / base.journey.seconds:>4.1f}"
                f" {r.journey.peak_mib:>7.0f} {r.journey.peak_mib / base.journey.peak_mib:>4.1f}"
                f"   | {r.peer.seconds:>7.1f} {r.peer.seconds / base.peer.seconds:>4.1f}"
                f" {r.peer.peak_mib:>7.0f} {r.peer.peak_mib / base.peer.peak_mib:>4.1f}"
            )
    return 0 if all(r.identical for r in results) else 1


def worker_main(kind: str, rest: list[str]) -> None:
    if kind == "journey":  # PROJECT AS_OF full|auto [early-warning]
        journey_run(
            Path(rest[0]),
            dt.date.fromisoformat(rest[1]),
            full=rest[2] != "auto",
            early_warning=rest[3:] == ["early-warning"],
        )
    elif kind == "startup":  # PROJECT
        journey_startup(Path(rest[0]))
    elif kind == "export":
        journey_export(Path(rest[0]), Path(rest[1]))
    elif kind == "cli":  # ARGS of `journey`
        from commands import cli_main

        cli_main(rest)
    elif kind == "peer":
        from duckdb_peer import milestone_states

        milestone_states(Path(rest[0]), dt.date.fromisoformat(rest[1]), Path(rest[2]))
    else:
        raise SystemExit(f"unknown worker {kind}")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text}")
    return value


def _days(text: str) -> tuple[int, ...]:
    return tuple(_positive(part) for part in text.split(","))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        sys.path.insert(0, str(HERE))
        try:
            worker_main(sys.argv[2], sys.argv[3:])
        finally:  # `cli` ends in SystemExit, as `journey` does
            record_peak()
            if sys.argv[2] != "peer":  # end as the `journey` command does
                from journey.ending import exit_quickly

                exit_quickly()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/journey-bench"))
    parser.add_argument(
        "--days",
        type=_days,
        default=(DAYS,),
        metavar="D[,D...]",
        help=f"Days of history the data spans (default {DAYS}). With --incremental, several "
        "lengths (e.g. 180,360) measure the nightly case at each, with --events spread over "
        "the first and the same events per day in the others, and print how a night and a "
        "full run grow with the history.",
    )
    parser.add_argument(
        "--hourly",
        action="store_true",
        help="Generate an events file per hour instead of per day (many small files: 4,344 "
        "over 180 days); the nightly case then holds back the newest day's 24.",
    )
    parser.add_argument(
        "--format",
        choices=("parquet", "csv"),
        default="parquet",
        help="The events files' format (default parquet); csv writes ISO text timestamps with "
        "an offset, and the peer reads the same CSV files.",
    )
    parser.add_argument("--scaling", action="store_true", help="Run three sizes.")
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="Measure an incremental nightly run (one new day) against a full run.",
    )
    parser.add_argument(
        "--commands",
        action="store_true",
        help="Time status, export, report and segments diff on a full run's results.",
    )
    parser.add_argument(
        "--early-warning",
        action="store_true",
        help="Run journey with the learned early warning on, as a real nightly run does "
        "(the peer computes the rules only).",
    )
    parser.add_argument(
        "--refit",
        action="store_true",
        help="With --early-warning --incremental: the night fits its model anew, as the "
        "first night of each week does (by default it uses the model the run of the day "
        "before kept, as the other six do).",
    )
    parser.add_argument(
        "--repeat",
        type=_positive,
        default=3,
        metavar="N",
        help="Measure each contender N times, interleaved, and report medians (default 3).",
    )
    parser.add_argument(
        "--store",
        metavar="URL",
        default=os.environ.get("JOURNEY_BENCH_STORE_URL"),
        help="Store journey's results in this PostgreSQL database instead of SQLite, in a "
        f"schema {STORE_SCHEMA} made afresh for every fresh store (default: "
        "JOURNEY_BENCH_STORE_URL, else SQLite).",
    )
    args = parser.parse_args()
    if len(args.days) > 1 and not args.incremental:
        parser.error("several --days lengths go with --incremental only")
    if args.refit and not (args.early_warning and args.incremental):
        parser.error("--refit measures a night's fit: it goes with --early-warning --incremental")
    sys.path.insert(0, str(HERE))
    sys.exit(run_main(args))


if __name__ == "__main__":
    main()
