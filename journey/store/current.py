"""Replacing current state (account_state, milestone_state) with a run's results.

Most rows of a night's results equal the stored ones but for a few columns that move most
nights — the day of the journey, how late an overdue milestone is, a metric's value, the last
activity — so a run writes little:

- each stored row carries a digest of its columns other than those moving ones (`MOVING`),
  and a digest of the moving ones (`moving_digest`);
- a row whose two digests equal the stored row's is left alone;
- a row whose digest is equal gets a narrow update of its moving columns;
- any other row replaces the stored row under its key (or is new), and stored keys the run no
  longer has are deleted.

Afterwards the table holds exactly the run's results. Only rows of the last kind can differ in
the values history tracks (status, state, ...; never moving columns), which lets a new night
compare just those (`CurrentChange.touched`). A nightly run at 50k accounts leaves ~1-2% of
rows to the last kind; a narrow update binds a third of a full row's values.

Digests are polars' row hash of the row as stored (`bulk.stored_form`), stable within a polars
version; a new polars may hash differently, which only makes its first run rewrite every row.
Two different rows share a 64-bit digest with negligible probability (one in 2^64 per changed
row). Only journey's runs write these tables, so stored digests stay true.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection, Table

from journey.store.bulk import delete_keys, insert_rows, stored_form, update_rows, upsert_rows

#: Per table, the columns that move most nights for many rows (measured at 50k accounts: each
#: changes in 10-100% of rows a night; every other column in under 2%). Never a tracked column
#: (journey.store.writes.TRACKED): rows that only moved keep their tracked values.
MOVING: dict[str, tuple[str, ...]] = {
    "account_state": ("as_of", "day_of_journey", "lag_days", "last_activity", "reasons"),
    "milestone_state": ("days_late", "value", "metric_values"),
}
DIGESTS = ("digest", "moving_digest")


@dataclass(frozen=True)
class CurrentChange:
    """How one current-state table goes from what is stored to a run's results."""

    table: Table
    key: list[str]
    fresh: pl.DataFrame  # rows that are new or changed beyond their moving columns (stored form)
    moved: pl.DataFrame  # key, moving columns and moving_digest of rows where only those changed
    gone: pl.DataFrame  # keys of stored rows the run no longer has
    replacing: bool  # whether anything is stored: fresh rows may replace stored ones

    def touched(self) -> pl.DataFrame:
        """The keys of the rows whose tracked values may have changed."""
        return pl.concat([self.fresh.select(self.key), self.gone])


def digests(stored: pl.DataFrame, table: Table) -> list[pl.Series]:
    """The two digests of each row of `stored` (in stored form) for `table`: of its columns
    but the moving ones, and of the moving ones."""
    moving = [c for c in MOVING.get(table.name, ()) if c in stored.columns]
    kept = stored.drop(*moving, *DIGESTS, strict=False)
    return [
        kept.hash_rows(seed=0).reinterpret(signed=True).alias("digest"),
        stored.select(moving).hash_rows(seed=0).reinterpret(signed=True).alias("moving_digest"),
    ]


def plan_current(table: Table, frame: pl.DataFrame, stored: pl.DataFrame) -> CurrentChange:
    """What replacing the rows `stored` in `table` by those of `frame` takes.

    `stored` holds the key and the two digests of every stored row (`bulk.read_rows`), and
    maybe more.
    """
    key = [c.name for c in table.primary_key.columns]
    moving = list(MOVING.get(table.name, ()))
    new = stored_form(frame, table)
    if new.select(key).is_duplicated().any():  # the database would refuse them, or not: SQLite
        raise ValueError(f"{table.name}: a run's results hold a key twice")
    new = new.with_columns(digests(new, table))
    old = stored_form(stored, table).select(*key, *DIGESTS)
    # Compared on narrow frames, in the order of `new` (keys are unique on both sides). A null
    # digest (a row from before digests) equals nothing, so that row is rewritten.
    probe = new.select(*key, *DIGESTS).join(
        old, on=key, how="left", suffix="_stored", maintain_order="left"
    )
    same, unmoved = ((pl.col(c) == pl.col(f"{c}_stored")).fill_null(False) for c in DIGESTS)
    kind = probe.select(fresh=~same, moved=same & ~unmoved)
    return CurrentChange(
        table=table,
        key=key,
        fresh=new.filter(kind["fresh"]),
        moved=new.filter(kind["moved"]).select(*key, *moving, "moving_digest"),
        gone=old.join(new, on=key, how="anti").select(key),
        replacing=not stored.is_empty(),
    )


def apply_current(conn: Connection, change: CurrentChange) -> None:
    """Write `change` in the caller's transaction."""
    delete_keys(conn, change.table, change.gone)
    if change.replacing:
        upsert_rows(conn, change.table, change.fresh, change.key)
        update_rows(conn, change.table, change.moved, change.key)
    else:  # a first run: nothing to replace
        insert_rows(conn, change.table, change.fresh)
