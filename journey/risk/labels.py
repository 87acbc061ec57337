"""Labels and the training set: "goes off track within the horizon" for each snapshot.

The label of (account, as_of = t) with horizon h is true when a milestone that was not
achieved by t passes its due day plus grace within (t, t + h] without being achieved first:
the account turns off track within h days. It is known only once day t + h is in the data,
so a row's `label_date` is t + h; rows whose label date lies after the newest day are not
labelled (they are what `journey risk score` predicts).

Only *eligible* rows are learned from and scored: accounts not off track and not completed
on t, with at least one open milestone that turns overdue within the horizon. Every other
account cannot turn off track within h days (its next deadline is later), so scoring it
would only pad the numbers with easy cases.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from journey.journeys import Journey
from journey.risk.features import snapshots
from journey.risk.history import History
from journey.risk.timeline import milestone_table, snapshot_progress


def eligible() -> pl.Expr:
    """Rows the model learns from and scores (see the module docstring)."""
    return ~pl.col("off_track") & ~pl.col("completed") & (pl.col("due_soon") >= 1)


def labels(milestones: pl.DataFrame, keys: pl.DataFrame, horizon: int) -> pl.DataFrame:
    """(account_id, as_of, label_date, label) for every (account_id, as_of) in `keys`."""
    t = pl.col("as_of")
    end = t + pl.duration(days=horizon)
    open_at_t = pl.col("achieved_on").is_null() | (pl.col("achieved_on") > t)
    missed = pl.col("achieved_on").is_null() | (pl.col("achieved_on") >= pl.col("overdue_from"))
    turns_overdue = (
        open_at_t & (pl.col("overdue_from") > t) & (pl.col("overdue_from") <= end) & missed
    )
    per_row = (
        keys.select("account_id", "as_of")
        .join(milestones, on="account_id", how="inner")
        .group_by("account_id", "as_of")
        .agg(label=turns_overdue.any())
    )
    return (
        keys.select("account_id", "as_of")
        .join(per_row, on=["account_id", "as_of"], how="left")
        .with_columns(
            label_date=end,
            label=pl.col("label").fill_null(False),
        )
    )


def snapshot_days(start: dt.date, end: dt.date, every: int) -> list[dt.date]:
    """Days end, end - every, end - 2*every, ... down to (not before) start, oldest first."""
    if every < 1:
        raise ValueError("every must be at least 1 day")
    days: list[dt.date] = []
    day = end
    while day >= start:
        days.append(day)
        day -= dt.timedelta(days=every)
    return days[::-1]


def training_days(
    first_start: dt.date, as_of: dt.date, horizon: int, every: int = 7, max_days: int = 365
) -> list[dt.date]:
    """The labelled snapshot days for a run on `as_of`, oldest first.

    Every `every` days on a fixed calendar grid (days whose ordinal is a multiple of
    `every`: Sundays for 7), the newest no later than as_of - horizon, so that every label is
    known on as_of and nothing after it is read. The grid being fixed, the days — hence the
    training set — stay the same for `every` nights in a row, and a model fitted on them can
    be kept (`journey.risk.kept`). They reach back to the day after the first account's
    start, and at most `max_days` before the newest day's label date, which bounds the
    training set as the history grows.
    """
    if every < 1:
        raise ValueError("every must be at least 1 day")
    newest = as_of - dt.timedelta(days=horizon)
    newest -= dt.timedelta(days=newest.toordinal() % every)
    first = max(first_start, newest + dt.timedelta(days=horizon - max_days))
    return snapshot_days(first + dt.timedelta(days=1), newest, every)


#: Snapshots are built from parts of the grid of about this many rows (whole accounts each),
#: one at a time: their features and labels take several times a part's grid in memory while
#: they are computed, and every one of them is an account's own. The demo's grid and the
#: benchmark's 50,000 accounts (1.7M watched rows) are one part; 1,000,000 (33.7M) are nine.
PART_ROWS = 4_000_000


@dataclass(frozen=True)
class Snapshots:
    """Eligible snapshot rows: labelled history to learn from, and the rows of `as_of`."""

    labelled: pl.DataFrame  # features + label + label_date, label_date <= as_of
    current: pl.DataFrame  # features of as_of itself (no label yet)


def first_start(history: History, as_of: dt.date) -> dt.date:
    """The earliest start date of the history's accounts (as_of when there are none)."""
    first = history.accounts["start_date"].min() if history.accounts.height else as_of
    assert isinstance(first, dt.date)
    return first


def _watched_on(history: History, day: dt.date) -> History:
    """The history of the accounts with a grid row on `day` only: a snapshot of `day` has a
    row for no other account (the kept grid stops at each account's watch end), and every
    feature is computed account by account."""
    ids = history.grid.filter(pl.col("day") == day).select("account_id")
    return dataclasses.replace(
        history,
        grid=history.grid.join(ids, on="account_id", how="semi", maintain_order="left"),
        accounts=history.accounts.join(ids, on="account_id", how="semi", maintain_order="left"),
    )


def grid_parts(history: History, rows: int) -> Iterator[History]:
    """`history` in parts of whole accounts, each from about `rows` grid rows on (the
    grid's own slices, no copy), with those accounts only: the whole when it is no larger.

    The grid runs account by account from each one's start date (`History.grid`), so an
    account's first row is the one on its start date, and a part is a slice from such a row."""
    grid = history.grid
    if grid.height <= rows:
        yield history
        return
    firsts = (grid["day"] == grid["start_date"]).arg_true().to_numpy()
    # The first account starting at or after each multiple of `rows` (none inside the last).
    at = np.searchsorted(firsts, np.arange(0, grid.height, rows))
    cuts = np.unique(firsts[at[at < len(firsts)]])
    for start, end in zip(cuts, [*cuts[1:], grid.height], strict=True):
        ids = grid["account_id"].gather(firsts[(firsts >= start) & (firsts < end)])
        yield dataclasses.replace(
            history,
            grid=grid.slice(int(start), int(end - start)),
            accounts=history.accounts.join(ids.to_frame(), on="account_id", how="semi"),
        )


def _part_snapshots(
    history: History,
    journeys: dict[str, Journey],
    days: list[dt.date],
    as_of: dt.date,
    horizon: int,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One part's eligible rows of the days before as_of, labelled, and of as_of."""
    milestones = milestone_table(history.grid, history.accounts, journeys)
    all_days = [*days, as_of]
    progress = snapshot_progress(history.grid, history.accounts, journeys, all_days)
    rows = snapshots(history, milestones, progress, all_days, horizon).filter(eligible())
    past = rows.filter(pl.col("as_of") < as_of)
    learned = past.join(labels(milestones, past, horizon), on=["account_id", "as_of"])
    return learned, rows.filter(pl.col("as_of") == as_of)


def build_snapshots(
    history: History,
    journeys: dict[str, Journey],
    as_of: dt.date,
    horizon: int,
    every: int = 7,
    max_days: int = 365,
    *,
    labelled: bool = True,
    part_rows: int = PART_ROWS,
) -> Snapshots:
    """Labelled snapshots on the `training_days`, plus as_of itself (only as_of when not
    `labelled`: what scoring with a kept model needs).

    Built part by part of the grid (`grid_parts`, `part_rows` rows each), which bounds the
    memory by a part's, and put in the order (as_of, account_id): the sample and the
    calibration folds of the fit are cut by position, so the same rows must come in the same
    order every time, however many parts they came from."""
    if labelled:
        days = training_days(first_start(history, as_of), as_of, horizon, every, max_days)
    else:
        days, history = [], _watched_on(history, as_of)
    parts = [
        _part_snapshots(part, journeys, days, as_of, horizon)
        for part in grid_parts(history, part_rows)
    ]
    learned, current = (
        pl.concat([part[i] for part in parts]).sort("as_of", "account_id") for i in (0, 1)
    )
    return Snapshots(labelled=learned, current=current)
