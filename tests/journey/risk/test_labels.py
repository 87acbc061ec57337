"""Labels: "turns off track within the horizon", and which rows are learned from."""

from __future__ import annotations

import datetime as dt
import itertools

import polars as pl
from polars.testing import assert_frame_equal

from journey.risk.history import load_history, watched_history
from journey.risk.labels import (
    build_snapshots,
    grid_parts,
    labels,
    snapshot_days,
    training_days,
)
from journey.risk.timeline import milestone_table

ANA = "ana@example.com"


def test_label_is_true_only_when_a_deadline_is_missed_within_the_horizon(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project(
        journey_extra="grace_days: 1\n",
        milestones="- {id: login, due_day: 10, when: {metric: logins, gte: 1}}\n",
        accounts=f"""
        missed,M,2026-01-01,{ANA},1,x
        in_time,I,2026-01-01,{ANA},1,x
        in_grace,G,2026-01-01,{ANA},1,x
        late,L,2026-01-01,{ANA},1,x
        """,
        events="""
        in_time,2026-01-08T10:00:00Z,login,u1,
        in_grace,2026-01-12T10:00:00Z,login,u1,
        late,2026-01-13T10:00:00Z,login,u1,
        """,
    )
    config = project.config()
    history = load_history(config, dt.date(2026, 2, 1))
    milestones = milestone_table(history.grid, history.accounts, config.journeys)
    # due_on 01-11, grace 1 day: overdue from 01-13 on.
    keys = pl.DataFrame(
        {
            "account_id": ["missed", "in_time", "in_grace", "late"],
            "as_of": [dt.date(2026, 1, 5)] * 4,
        }
    )
    got = dict(labels(milestones, keys, horizon=14).select("account_id", "label").iter_rows())
    assert got == {"missed": True, "in_time": False, "in_grace": False, "late": True}
    # With a horizon that ends before the overdue day, nobody turns off track yet.
    short = dict(labels(milestones, keys, horizon=7).select("account_id", "label").iter_rows())
    assert not any(short.values())


def test_snapshot_days_end_on_the_last_labelled_day() -> None:
    days = snapshot_days(dt.date(2026, 1, 1), dt.date(2026, 1, 20), 7)
    assert days == [dt.date(2026, 1, 6), dt.date(2026, 1, 13), dt.date(2026, 1, 20)]


def test_training_days_stay_the_same_for_a_week_then_move_on_by_one() -> None:
    """On a fixed grid of Sundays, the newest as_of - horizon or before: a model fitted on
    them serves seven nights."""
    start = dt.date(2025, 10, 1)
    nights = [dt.date(2026, 6, 1) + dt.timedelta(days=n) for n in range(15)]
    days = [training_days(start, night, horizon=14, max_days=120) for night in nights]
    changes = [n for n in range(1, 15) if days[n] != days[n - 1]]
    assert len(changes) == 2 and changes[1] - changes[0] == 7
    for night, these in zip(nights, days, strict=True):
        assert all(d.isoweekday() == 7 for d in these)
        assert night - dt.timedelta(days=14 + 7) < these[-1] <= night - dt.timedelta(days=14)
        assert these[-1] + dt.timedelta(days=14 - 120) < these[0]  # at most max_days back
        assert {b - a for a, b in itertools.pairwise(these)} == {dt.timedelta(days=7)}
    # Never before the day after the first account's start.
    assert training_days(dt.date(2026, 5, 10), dt.date(2026, 6, 1), 14)[0] > dt.date(2026, 5, 10)
    # Every day when every is 1: the newest is as_of - horizon itself.
    assert training_days(start, nights[0], 14, every=1)[-1] == nights[0] - dt.timedelta(days=14)


def test_labelled_rows_never_look_past_as_of(synthetic) -> None:  # type: ignore[no-untyped-def]
    as_of = dt.date(2026, 4, 1)
    config = synthetic.config()
    history = load_history(config, as_of)
    result = build_snapshots(history, config.journeys, as_of, horizon=14, every=7)
    newest = result.labelled["label_date"].max()
    assert isinstance(newest, dt.date) and as_of - dt.timedelta(days=7) < newest <= as_of
    assert result.labelled["as_of"].dt.weekday().unique().to_list() == [7]  # Sundays
    assert result.current["as_of"].unique().to_list() == [as_of]
    # Only eligible rows: not off track, not completed, a deadline within the horizon.
    rows = pl.concat([result.labelled.drop("label", "label_date"), result.current])
    assert not rows["off_track"].any()
    assert not rows["completed"].any()
    assert rows["due_soon"].min() >= 1  # type: ignore[operator]


def test_todays_rows_alone_are_those_of_the_whole_build(synthetic) -> None:  # type: ignore[no-untyped-def]
    """What scoring with a kept model builds (today's rows, from the accounts still watched
    today) equals today's rows of the build a fit makes."""
    config = synthetic.config()
    for as_of in (dt.date(2026, 4, 1), dt.date(2026, 5, 1)):
        history = watched_history(config, as_of)
        whole = build_snapshots(history, config.journeys, as_of, horizon=14)
        alone = build_snapshots(history, config.journeys, as_of, horizon=14, labelled=False)
        assert alone.labelled.is_empty() and alone.current.height > 20
        assert_frame_equal(alone.current, whole.current, check_exact=True)
        watched = history.grid.filter(pl.col("day") == as_of)["account_id"]
        assert watched.n_unique() < history.accounts.height  # some accounts left out


def test_snapshots_built_part_by_part_are_those_built_at_once(synthetic) -> None:  # type: ignore[no-untyped-def]
    """A large grid is cut into parts of whole accounts (`grid_parts`); the rows, in their
    order (which the fit's sample and folds depend on), are the same however it is cut."""
    as_of = dt.date(2026, 5, 1)
    config = synthetic.config()
    history = watched_history(config, as_of)
    ids = history.grid["account_id"]
    sizes = [history.grid.height // 7, 97, 1]  # a part per account at 1
    parts = [list(grid_parts(history, rows)) for rows in sizes]
    assert [len(p) for p in parts][-1] == ids.n_unique() and len(parts[0]) > 2
    for cut in parts:
        assert_frame_equal(pl.concat([part.grid for part in cut]), history.grid)
        for part in cut:  # whole accounts, each part with its own accounts only
            assert (
                part.accounts["account_id"].sort().equals(part.grid["account_id"].unique().sort())
            )
    for labelled in (True, False):
        whole = build_snapshots(history, config.journeys, as_of, horizon=14, labelled=labelled)
        assert whole.current.height > 20 and (whole.labelled.height > 200 or not labelled)
        for rows in sizes:
            cut = build_snapshots(
                history, config.journeys, as_of, 14, labelled=labelled, part_rows=rows
            )
            assert_frame_equal(cut.labelled, whole.labelled, check_exact=True)
            assert_frame_equal(cut.current, whole.current, check_exact=True)
