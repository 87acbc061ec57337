"""Batches of accounts for a history too large to evaluate at once, and the scratch folder
their usage rows are set aside in.

A full run (`journey.evaluate`) or a history read (`journey.risk.history.load_history`) whose
grid passes `BATCH_ROWS` account-days takes its accounts in batches: contiguous ranges of the
sorted account ids. The usage data is read once; each row's compact form
(`metrics.compute.compact_sources`, placed in the grid of all the accounts) is written to a
folder per batch (`set_aside`), and each batch then reads back only its own rows, moved into
a grid of its own accounts (`Spilled.each`). Accounts never share a value, so this is
exact; only one batch's rows and grid are in memory at a time.

The scratch folder (`journey.scratch`) is removed when the run ends, however it ends. Settings
`large_runs.max_account_days` and `max_usage_rows` replace BATCH_ROWS and BATCH_USAGE_ROWS.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from journey.config import Config
from journey.errors import out_of_space
from journey.scratch import ScratchSpaceError, scratch_folder
from journey.usage_read import usage_rows
from metrics.compute import ACCOUNT, END, OFFSET, ROW

#: Accounts are evaluated in batches of at most about this many grid rows (days of accounts)
#: and this many usage rows: memory follows the grid and the usage rows of the accounts held
#: at once. The benchmark's sizes: 50,000 accounts (4.5M grid rows, 50M events) and 200,000
#: (18M, 200M events; 7.0 GB for the whole run in one go) one batch; 1,000,000 (90M, 500M
#: events) five. Usage ten times denser than 200,000's would make ten batches of it.
BATCH_ROWS = 20_000_000
BATCH_USAGE_ROWS = 250_000_000

_BATCH = "__batch"  # the column a set-aside row's batch goes in


def batch_limit(
    account_days: int,
    usage_rows: int,
    max_days: int | None = None,
    max_usage: int | None = None,
) -> int:
    """The grid rows a batch may hold: `max_days` (default BATCH_ROWS), or fewer where the
    usage is denser than `max_usage` (default BATCH_USAGE_ROWS) / `max_days` rows an
    account-day, so that a batch also holds about `max_usage` usage rows at most (about:
    accounts are not all as active)."""
    max_days = BATCH_ROWS if max_days is None else max_days
    max_usage = BATCH_USAGE_ROWS if max_usage is None else max_usage
    if account_days <= 0 or usage_rows <= 0:
        return max_days
    return max(1, min(max_days, max_usage * account_days // usage_rows))


def _batch_of(end: pl.Expr, limit: int) -> pl.Expr:
    """The batch of an account whose grid ends before row `end` (-1 for none)."""
    return ((end.cast(pl.Int64) - 1) // limit).fill_null(-1)


def account_batches(
    started: pl.DataFrame, index: pl.DataFrame, limit: int | None = None
) -> list[pl.DataFrame]:
    """The started accounts in contiguous ranges of account ids (`index` is their
    `account_index`, sorted by id), each ending within the first `limit` (default
    BATCH_ROWS) grid rows after the previous one; all of them at once when they fit."""
    limit = BATCH_ROWS if limit is None else limit
    if index.is_empty() or int(index[END][-1]) <= limit:
        return [started]
    batch = index.select(ACCOUNT, _batch_of(pl.col(END), limit).alias(_BATCH))
    numbered = started.join(batch, on=ACCOUNT).sort(_BATCH, ACCOUNT)
    return [part.drop(_BATCH) for part in numbered.partition_by(_BATCH, maintain_order=True)]


def plan_batches(
    started: pl.DataFrame,
    index: pl.DataFrame,
    usage_rows: int,
    max_days: int | None = None,
    max_usage: int | None = None,
) -> tuple[list[pl.DataFrame], int]:
    """`account_batches` of the started accounts for usage of `usage_rows` rows in all (0:
    not known), and the limit they were made with (`batch_limit`)."""
    days = 0 if index.is_empty() else int(index[END][-1])
    limit = batch_limit(days, usage_rows, max_days, max_usage)
    return account_batches(started, index, limit), limit


def planned(
    config: Config, started: pl.DataFrame, index: pl.DataFrame, sql_rows: int = 0
) -> tuple[list[pl.DataFrame], int]:
    """`plan_batches` for a run of `config`: its files' usage rows counted and `sql_rows` (its
    SQL sources' rows, read already), its settings' limits."""
    large = config.settings.large_runs
    rows = usage_rows(config) + sql_rows
    return plan_batches(started, index, rows, large.max_account_days, large.max_usage_rows)


@dataclass(frozen=True)
class Batch:
    """One batch of accounts: the accounts, their grid and their compact usage rows in it."""

    accounts: pl.DataFrame  # rows of the `started` frame given to `account_batches`
    index: pl.DataFrame  # their `account_index`, rows counted from the batch's first
    rows: dict[str, pl.LazyFrame]  # per source, the rows on the batch's grid (ROW not null)


@dataclass(frozen=True)
class Spilled:
    """Compact usage rows set aside in `folder`, one file set per batch and source."""

    folder: Path
    compacted: dict[str, pl.LazyFrame]  # what was written (for the columns of an empty set)
    index: pl.DataFrame  # the `account_index` of all the accounts the rows were placed in
    batches: list[pl.DataFrame]  # `account_batches`
    limit: int  # the `limit` they were made with

    def rows(self, source: str, batch: str = "*") -> pl.LazyFrame:
        """Every row set aside of `source` (or those of one batch, by number)."""
        files = sorted((self.folder / source).glob(f"{_BATCH}={batch}/*.parquet"))
        return pl.scan_parquet(files) if files else self.compacted[source].clear()

    def each(self) -> Iterator[Batch]:
        """The batches in order, each with its own grid and rows."""
        for accounts in self.batches:
            mine = self.index.join(accounts.select(ACCOUNT), on=ACCOUNT, how="semi")
            number = str((int(mine[END][0]) - 1) // self.limit)
            base = int(mine[OFFSET][0])  # the grid row the batch starts on
            rows = {
                source: self.rows(source, number)
                .filter(pl.col(ROW).is_not_null())
                .with_columns((pl.col(ROW, END).cast(pl.Int64) - base).cast(pl.UInt32))
                for source in self.compacted
            }
            yield Batch(accounts, mine.with_columns(pl.col(OFFSET, END) - base), rows)


@contextmanager
def set_aside(
    root: Path,
    compacted: dict[str, pl.LazyFrame],
    index: pl.DataFrame,
    batches: list[pl.DataFrame],
    engine: Literal["streaming", "in-memory"] = "streaming",
    limit: int | None = None,
) -> Iterator[Spilled]:
    """Write `compacted` (compact usage rows placed in the grid of `index`, with `__end`) in
    one pass, a file set per batch of `batches` (`account_batches(..., limit)`), to a
    scratch folder under `root` (`scratch_root`) that is removed on the way out."""
    limit = BATCH_ROWS if limit is None else limit
    with scratch_folder(root) as folder:
        try:
            for source, rows in compacted.items():
                # LZ4: written and read once, soon; rows of no account in batch -1.
                rows.with_columns(_batch_of(pl.col(END), limit).alias(_BATCH)).sink_parquet(
                    pl.PartitionBy(folder / source, key=_BATCH, include_key=False),
                    compression="lz4",
                    mkdir=True,
                    engine=engine,
                )
        except (OSError, pl.exceptions.PolarsError) as exc:
            if not out_of_space(exc):
                raise
            written = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
            raise ScratchSpaceError(
                f"the disk ran out of space while this run set its usage rows aside in "
                f"{folder.parent} ({written / 2**30:.1f} GiB written). A full run of this "
                "many accounts evaluates them in batches and needs free space there of up to "
                "twice the size of the usage data while it runs; free some and run again"
            ) from None
        yield Spilled(folder, compacted, index, batches, limit)
