"""Reading the usage sources for one run: everything (a full run), or only what is new since
the previous run (an incremental run).

What is new, for a file source (a file, a glob, a folder, hive partitions): the files the
previous run did not read, and the rows after its as_of in files it read that also held later
days (a partly written file for the current day, say). A file it read that has changed or gone
since means a full run, as do rows in new files for days it already evaluated — unless they lie
before the account's start (ignored either way). A SQL source: `journey.usage_sql`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from journey.config import Config
from journey.incremental import FILES_SCHEMA, CarriedState, FullRunNeeded
from journey.usage_sql import Watermark, read_sql_usage
from metrics.sources import FILE, SourceSpec, check_parquet, resolve_files, scan, source_format
from metrics.usage import kept_rows, tag_usage, type_usage


@dataclass(frozen=True)
class UsageRead:
    """One usage source as read for a run."""

    tagged: pl.LazyFrame  # the rows read, typed, with `day` and `__reason` (metrics.usage)
    files: tuple[Path, ...] | None  # the files read; None for a SQL source
    checks: pl.LazyFrame  # one row: `late` rows; a SQL source's `through_prior`, `through`
    ledger: pl.DataFrame | None = None  # file sources: every file (FILES_SCHEMA), its days
    file_days: pl.LazyFrame | None = None  # (path, first_day, last_day) of the files read
    again: tuple[Path, ...] = ()  # files read before: only their rows after the last as_of
    filtered: bool = False  # a SQL source the database filters by day (journey.usage_sql)
    watermark: Watermark | None = None  # a SQL source read from there on
    rows: int = 0  # a SQL source in a full run: the rows its query returned

    @property
    def clean(self) -> pl.LazyFrame:
        """The rows to evaluate: conformed, with `day`."""
        return kept_rows(self.tagged)

    def files_after(self, file_days: pl.DataFrame) -> pl.DataFrame:
        """The ledger of the source's files after this run: `file_days` (collected) for the
        files it read, what the previous run knew for the others."""
        assert self.ledger is not None
        read = [str(p) for p in self.files or ()]
        return (
            self.ledger.join(file_days, on="path", how="left", suffix="_read")
            .with_columns(
                [
                    pl.when(pl.col("path").is_in(read))
                    .then(pl.col(f"{c}_read"))
                    .otherwise(c)
                    .alias(c)
                    for c in ("first_day", "last_day")
                ]
            )
            .select(list(FILES_SCHEMA))
        )


@dataclass(frozen=True)
class FilePlan:
    read: list[Path]  # files to read
    again: list[Path]  # of those, files read before: only their rows after the last as_of
    ledger: pl.DataFrame  # FILES_SCHEMA: every file, with its size and time now


def _file_stat(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def plan_files(name: str, files: list[Path], prior: CarriedState | None) -> FilePlan:
    """Which of a file source's `files` an incremental run after `prior` reads (all of them
    without `prior`); FullRunNeeded when a file the previous run counted changed or went."""
    stats = {str(p): _file_stat(p) for p in files}
    ledger = pl.DataFrame(
        {
            "source": [name] * len(files),
            "path": list(stats),
            "size": [size for size, _ in stats.values()],
            "mtime_ns": [mtime for _, mtime in stats.values()],
        },
        schema={c: FILES_SCHEMA[c] for c in ("source", "path", "size", "mtime_ns")},
    )
    if prior is None:
        days = pl.DataFrame(schema={c: FILES_SCHEMA[c] for c in ("path", "first_day", "last_day")})
        return FilePlan(list(files), [], ledger.join(days, on="path", how="left"))
    earlier = prior.files.filter(pl.col("source") == name)
    known = {row["path"]: row for row in earlier.iter_rows(named=True)}
    gone = sorted(set(known) - {str(p) for p in files})
    if gone:
        raise FullRunNeeded(
            f"{len(gone)} file(s) of `{name}` read by the {prior.as_of} run are gone "
            f"(e.g. {gone[0]})"
        )
    read: list[Path] = []
    again: list[Path] = []
    for path in files:
        row = known.get(str(path))
        counted = (
            row is not None and row["first_day"] is not None and row["first_day"] <= prior.as_of
        )
        if row is None or (row["size"], row["mtime_ns"]) != stats[str(path)]:
            if counted:
                raise FullRunNeeded(f"{path} changed after the {prior.as_of} run counted its rows")
            read.append(path)
        elif row["last_day"] is not None and row["last_day"] > prior.as_of:
            read.append(path)
            again.append(path)
    days = earlier.select("path", "first_day", "last_day")
    return FilePlan(read, again, ledger.join(days, on="path", how="left"))


def _late(clean: pl.LazyFrame, started: pl.LazyFrame, prior: CarriedState) -> pl.LazyFrame:
    """Rows for days up to the previous as_of within an account's journey: data that the
    previous run should have had."""
    return (
        clean.filter(pl.col("day") <= prior.as_of)
        .join(started.select("account_id", "start_date"), on="account_id", how="inner")
        .filter(pl.col("day") >= pl.col("start_date"))
        .select(pl.len().alias("late"))
    )


def usage_rows(config: Config) -> int:
    """About how many rows the usage sources' files hold, for sizing a full run's batches:
    Parquet files' counts from their metadata (0.1 s for 500M rows in 181 files); CSV files'
    estimated from their size and the lines of their first MiB (a full count would read them
    all). SQL queries count 0 here: a full run adds the rows it read (`UsageRead.rows`)."""
    total = 0
    for kind in ("events", "daily"):
        spec = getattr(config.settings.sources, kind)
        if spec is None or spec.query is not None:
            continue
        files = resolve_files(spec, config.root, kind)
        if not files:
            continue
        if source_format(spec, files) != "parquet":
            total += sum(_csv_rows(path) for path in files)
            continue
        try:
            rows = scan(spec, config.root, kind, files=files).select(pl.len()).collect()
        except (pl.exceptions.PolarsError, OSError):
            continue  # an unreadable file: the read itself reports it, with its name
        total += int(rows.item())
    return total


#: How much of a CSV file is read to estimate its rows.
CSV_SAMPLE_BYTES = 1 << 20


def _csv_rows(path: Path) -> int:
    """About how many data rows a CSV file holds: its size over the mean length of the lines
    in its first CSV_SAMPLE_BYTES (0 if it cannot be read: the read reports that)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            sample = handle.read(CSV_SAMPLE_BYTES)
    except OSError:
        return 0
    lines = sample.count(b"\n")
    if len(sample) == size:  # read whole: count, less the header
        return max(lines + (not sample.endswith(b"\n")) - 1, 0)
    return size * lines // len(sample) if lines else 0


def read_usage(
    config: Config,
    known: pl.LazyFrame,
    started: pl.LazyFrame,
    as_of: dt.date,
    prior: CarriedState | None,
    keep: pl.Expr | None = None,
) -> dict[str, UsageRead]:
    """Every configured usage source, read for a run on `as_of`: whole without `prior`,
    otherwise only what is new since it (see the module doc). `known` holds the account ids of
    the accounts source, `started` the started accounts (account_id, start_date). With `keep`,
    each source reads as if it held only the raw rows `keep` selects (a preview's accounts)."""
    reads: dict[str, UsageRead] = {}
    for kind in ("events", "daily"):
        spec = getattr(config.settings.sources, kind)
        if spec is None:
            continue
        if spec.query is not None:
            read = read_sql_usage(config, spec, kind, known, as_of, prior, keep)
            reads[kind] = UsageRead(
                read.tagged,
                None,
                read.checks,
                filtered=read.filtered,
                watermark=read.watermark,
                rows=read.rows,
            )
        else:
            reads[kind] = _read_files(config, spec, kind, known, started, prior, keep)
    return reads


def _read_files(
    config: Config,
    spec: SourceSpec,
    kind: str,
    known: pl.LazyFrame,
    started: pl.LazyFrame,
    prior: CarriedState | None,
    keep: pl.Expr | None = None,
) -> UsageRead:
    def read(files: list[Path], file_column: bool = False) -> pl.LazyFrame:
        rows = scan(spec, config.root, kind, files=files, file_column=file_column)
        return rows if keep is None else rows.filter(keep)

    files = resolve_files(spec, config.root, kind)
    plan = plan_files(kind, files, prior)
    timezone = config.settings.timezone
    # Each file's first and last day. Parquet files are read for them on their own (only the
    # day's columns), so that the rows read carry no path: a string per row. (A scan per file,
    # concatenated, opens every file at once in the streaming engine, and over 512 files runs
    # out of polars' blocking threads.) CSV files give them from the rows read, with the path.
    apart = bool(plan.read) and source_format(spec, plan.read) == "parquet"
    if apart:
        check_parquet(spec, config.root, plan.read, kind)
    if plan.read:
        raw = read(plan.read, file_column=not apart or bool(plan.again))
    else:  # nothing new: no rows, but the source's columns
        raw = read(files[:1], file_column=True).head(0)
    typed = type_usage(kind, raw, timezone)
    day = pl.col("day")
    file_days = (
        (type_usage(kind, read(plan.read, file_column=True), timezone) if apart else typed)
        .filter(day.is_not_null())
        .group_by(FILE)
        .agg(day.min().alias("first_day"), day.max().alias("last_day"))
        .select(pl.col(FILE).alias("path"), "first_day", "last_day")
    )
    if prior is not None and plan.again:
        again = pl.col(FILE).is_in([str(p) for p in plan.again])
        typed = typed.filter(~(again & (pl.col("day") <= prior.as_of)).fill_null(False))
    tagged = tag_usage(kind, typed, known)
    late = (
        _late(kept_rows(tagged), started, prior)
        if prior is not None
        else pl.LazyFrame({"late": [0]}, schema={"late": pl.UInt32})
    )
    return UsageRead(tagged, tuple(plan.read), late, plan.ledger, file_days, tuple(plan.again))
