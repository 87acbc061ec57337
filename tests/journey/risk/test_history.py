"""journey.risk.history: a history read batch by batch of accounts is the one read at once,
and a reader's `reduce` sees each batch's grid alone."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from journey.risk.history import load_history, read_history, stored_history, watched_history
from support import Project

AS_OF = dt.date(2026, 5, 1)  # the synthetic project's newest day (conftest)


def test_a_history_read_in_batches_is_the_one_read_at_once(
    synthetic: Project, tmp_path: Path
) -> None:
    whole, watched = (
        load_history(synthetic.config(), AS_OF),
        watched_history(synthetic.config(), AS_OF),
    )
    project = Project(tmp_path / "p")
    shutil.copytree(synthetic.root, project.root)
    settings = project.config_dir / "settings.yaml"
    settings.write_text(settings.read_text() + "large_runs: {max_account_days: 2000}\n")
    config = project.config()

    seen: list[pl.DataFrame] = []

    def keep(part: pl.DataFrame) -> pl.DataFrame:
        seen.append(part)
        return part

    accounts, grid = read_history(config, AS_OF, lambda history: keep(history.grid))
    assert len(seen) > 3 and max(part.height for part in seen) < whole.grid.height / 3
    # Whole accounts in each part.
    assert sum(part["account_id"].n_unique() for part in seen) == grid["account_id"].n_unique()
    assert_frame_equal(accounts, whole.accounts, check_exact=True)
    assert_frame_equal(grid, whole.grid, check_exact=True)
    assert_frame_equal(load_history(config, AS_OF).grid, whole.grid, check_exact=True)
    assert_frame_equal(watched_history(config, AS_OF).grid, watched.grid, check_exact=True)


def _nightly(project: Project, as_of: dt.date, early_warning: bool = True) -> None:
    from journey.nightly import run_nightly
    from journey.store import make_engine

    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    run_nightly(project.config(), engine, as_of, early_warning=early_warning)
    engine.dispose()


def test_the_history_a_nightly_run_kept_is_the_one_read_while_nothing_changed(
    synthetic: Project, tmp_path: Path
) -> None:
    project = Project(tmp_path / "p")
    shutil.copytree(synthetic.root, project.root)
    settings = project.config_dir / "settings.yaml"
    settings.write_text(settings.read_text().replace("risk: {enabled: false}", "risk: {}"))
    assert stored_history(project.config(), AS_OF) is None  # no store yet
    _nightly(project, AS_OF)

    kept = stored_history(project.config(), AS_OF)
    assert kept is not None
    read = watched_history(project.config(), AS_OF)
    assert_frame_equal(kept.grid, read.grid, check_exact=True)
    assert_frame_equal(kept.accounts, read.accounts, check_exact=True)
    assert (kept.until, kept.metrics) == (read.until, read.metrics)

    assert stored_history(project.config(), AS_OF - dt.timedelta(days=1)) is None  # other day
    events = project.root / "data" / "events.csv"
    with events.open("a") as more:  # a data file changed since the run
        more.write("A0001,2026-04-30T12:00:00Z,login,u2,\n")
    assert stored_history(project.config(), AS_OF) is None
    _nightly(project, AS_OF)
    assert stored_history(project.config(), AS_OF) is not None
    metrics = project.config_dir / "metrics.yaml"  # the config changed since the run
    metrics.write_text(metrics.read_text() + "  users: {distinct: user_id}\n")
    assert stored_history(project.config(), AS_OF) is None
    _nightly(project, AS_OF, early_warning=False)  # a run that kept no grid
    assert stored_history(project.config(), AS_OF) is None
    _nightly(project, AS_OF)
    shutil.rmtree(project.root / ".journey" / "state")  # the state is gone
    assert stored_history(project.config(), AS_OF) is None
