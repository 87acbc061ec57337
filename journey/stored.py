"""The newest stored run, and whether it is what evaluating the config on a day gives now.

A command that would otherwise evaluate everything again (a preview of a config change, the
early warning's scores) can use what the newest nightly run stored or kept, when that run was
on the same day, with this very config, on these very files (names, sizes, modification
times). Never with a SQL source, which may have changed since without a trace.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from journey.config import Config
from journey.evaluate import input_fingerprint
from journey.store import database_url, load_runs, make_engine
from journey.store.tables import Run
from metrics.sources import resolve_files


def stored_runs(config: Config) -> tuple[Engine | None, list[Run]]:
    """The store and its runs, newest first; none if there is no store yet.

    A reader must not create a database, so a SQLite file that does not exist yet means
    "no run"; an unreachable database is not an error here either.
    """
    url = database_url(config.settings.database, config.root)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return None, []
    try:
        engine = make_engine(url)
        return engine, load_runs(engine)
    except SQLAlchemyError:
        return None, []


def current_run(config: Config, as_of: dt.date, runs: list[Run]) -> Run | None:
    """The newest of `runs` (newest first, as `stored_runs` gives them) when it is what
    evaluating `config` on `as_of` gives now: the run was on `as_of`, with this config, on
    these files; else None."""
    sources = config.settings.sources
    named = {"accounts": sources.accounts, "events": sources.events, "daily": sources.daily}
    specs = {name: spec for name, spec in named.items() if spec is not None}
    if any(spec.path is None for spec in specs.values()):
        return None
    if not runs or runs[0].as_of != as_of:
        return None
    files = [f for name, spec in specs.items() for f in resolve_files(spec, config.root, name)]
    latest = runs[0]
    if (latest.config_hash, latest.input_fingerprint) != (
        config.fingerprint,
        input_fingerprint(files),
    ):
        return None
    return latest
