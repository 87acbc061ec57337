"""journey.risk.history: a history read batch by batch of accounts is the one read at once,
and a reader's `reduce` sees each batch's grid alone."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from journey.risk.history import load_history, read_history, watched_history
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
