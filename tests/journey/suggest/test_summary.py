"""journey.suggest.summary: what `segments suggest` learns from, read part by part of the
history, is what it learns from the history read at once, and so are its suggestions."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from polars.testing import assert_frame_equal

from journey.commands.demo import example_config_dir
from journey.config import Config, load_config
from journey.demo_data import generate_accounts, generate_events, write_demo_data
from journey.freshness import newest_usage_day
from journey.risk.history import read_history
from journey.suggest.behaviour import suggest
from journey.suggest.render import yaml_text
from journey.suggest.summary import Behaviour, account_summary


def _behaviour(config: Config, until: dt.date, days: int) -> tuple[Behaviour, int]:
    parts = []

    def summary(history):  # type: ignore[no-untyped-def]
        parts.append(history.grid.height)
        return account_summary(history, days, config.journeys)

    accounts, rows = read_history(config, until, summary)
    metrics = tuple(config.metrics)
    return Behaviour(until, days, metrics, accounts, rows.sort("account_id")), len(parts)


def _demo(root: Path, accounts: int, seed: int) -> tuple[Config, dt.date]:
    """Demo accounts and events with the example config, and their newest day."""
    shutil.copytree(example_config_dir(), root / "config")
    rows = generate_accounts(accounts, seed=seed)
    write_demo_data(root / "data", rows, generate_events(rows, seed=seed))
    config = load_config(root / "config")
    until = newest_usage_day(config)
    assert until is not None
    return config, until


def test_suggestions_learned_part_by_part_are_those_learned_at_once(tmp_path: Path) -> None:
    config, until = _demo(tmp_path, 300, seed=4)
    at_once, parts = _behaviour(config, until, 21)
    assert parts == 1 and at_once.rows.height > 100

    settings = tmp_path / "config" / "settings.yaml"
    settings.write_text(settings.read_text() + "large_runs: {max_account_days: 3000}\n")
    in_parts, parts = _behaviour(load_config(tmp_path / "config"), until, 21)
    assert parts > 3
    assert_frame_equal(in_parts.rows, at_once.rows, check_exact=True)
    assert_frame_equal(in_parts.accounts, at_once.accounts, check_exact=True)
    icps = tuple(icp.id for icp in config.icps)
    assert yaml_text(suggest(in_parts, icps, k=3)) == yaml_text(suggest(at_once, icps, k=3))


def test_a_part_where_no_account_reached_a_checkpoint_has_its_columns(tmp_path: Path) -> None:
    config, until = _demo(tmp_path, 40, seed=2)
    behaviour, _ = _behaviour(config, until, 365)  # nobody is a year in
    assert behaviour.rows.height == 0
    assert behaviour.rows.columns[: 1 + len(behaviour.columns)] == [
        "account_id",
        *behaviour.columns,
    ]
