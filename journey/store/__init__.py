"""Persistence (sqlmodel): run ledger, current state, append-only history of changes."""

from journey.store.engine import database_url, make_engine
from journey.store.reads import load_current, load_runs
from journey.store.writes import RunRecordIn, save_run

__all__ = ["RunRecordIn", "database_url", "load_current", "load_runs", "make_engine", "save_run"]
