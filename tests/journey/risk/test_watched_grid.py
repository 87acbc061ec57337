"""The nightly run keeps the early warning's grid only up to each account's watch end
(journey.watch): the model learns and scores exactly the same from it, and it does not grow
with the history.

The synthetic project has accounts up to 140 days old on a 21-day journey, some of which
reach a milestone late, after their watch end.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from journey.risk.history import History, load_history, watched_grid
from journey.risk.labels import build_snapshots
from journey.risk.service import RiskOptions, prepare
from journey.risk.timeline import milestone_table
from journey.watch import UNTIL, watch_end
from support import Project

AS_OF = dt.date(2026, 5, 1)  # the synthetic project's newest day (conftest)


@pytest.mark.parametrize("as_of", [AS_OF, AS_OF - dt.timedelta(days=30)])
def test_the_model_learns_and_scores_the_same_from_the_watched_grid(
    synthetic: Project, as_of: dt.date
) -> None:
    config = synthetic.config()
    history = load_history(config, as_of)
    kept = History(
        until=as_of,
        accounts=history.accounts,
        grid=watched_grid(config, history),
        metrics=history.metrics,
    )
    assert kept.grid.height < history.grid.height / 2
    # Some milestones are first reached after their account's watch end: missed either way.
    ends = history.accounts.select("account_id", watch_end(config.journeys))
    late = milestone_table(history.grid, history.accounts, config.journeys).join(
        ends, on="account_id"
    )
    assert late.filter(pl.col("achieved_on") > pl.col(UNTIL)).height > 0

    full = build_snapshots(history, config.journeys, as_of, horizon=14)
    cut = build_snapshots(kept, config.journeys, as_of, horizon=14)
    assert full.labelled.height > 100 and full.current.height > 0
    assert_frame_equal(cut.labelled, full.labelled, check_exact=True)
    assert_frame_equal(cut.current, full.current, check_exact=True)


def test_the_watched_grid_does_not_grow_with_the_history(synthetic: Project) -> None:
    # Every account started by AS_OF is past its 21-day journey 22 days later: from then on
    # the history grows by a row per account a day, and the watched grid not at all.
    config = synthetic.config()
    heights = []
    for days_after in (22, 60):
        history = load_history(config, AS_OF + dt.timedelta(days=days_after))
        heights.append((history.grid.height, watched_grid(config, history).height))
    (all_then, kept_then), (all_later, kept_later) = heights
    assert all_later > all_then
    assert kept_later == kept_then


def test_the_risk_commands_learn_from_the_watched_grid(synthetic: Project) -> None:
    # `journey risk train|evaluate|score` read the history themselves (`prepare`): the same
    # rows the nightly run keeps, not every account's days through as_of.
    config = synthetic.config()
    history, snapshots = prepare(config, AS_OF, RiskOptions())
    whole = load_history(config, AS_OF)
    assert history.grid.height < whole.grid.height / 2
    assert_frame_equal(history.grid, watched_grid(config, whole), check_exact=True)
    assert snapshots.labelled.height > 100
