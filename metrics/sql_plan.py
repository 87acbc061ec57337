"""What PostgreSQL plans for a SQL source's query: the large tables it would read whole.

A night that reads a query from its watermark (`journey.usage_sql`) is cheap only if the
database finds the new day's rows through an index; without one it reads the whole table every
night, however few rows are new. `journey doctor` asks the planner (`EXPLAIN`, which runs
nothing) and names such tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from metrics.sql_adbc import is_postgresql, libpq_uri

#: A table read whole is worth a word from this many rows (the planner's estimate) on.
LARGE_TABLE_ROWS = 100_000


@dataclass(frozen=True)
class WholeScan:
    """A table the plan reads whole, with the planner's estimate of its rows."""

    table: str  # schema-qualified
    rows: int


def whole_scans(expanded: str, query: str) -> list[WholeScan]:
    """The tables of at least LARGE_TABLE_ROWS rows that PostgreSQL plans to read whole
    (a sequential scan) for `query`; [] where that is not known: another database, no
    connection, a query the planner refuses (the run itself reports real errors)."""
    if not is_postgresql(expanded):
        return []
    try:
        import psycopg

        uri = libpq_uri(make_url(expanded))
        with psycopg.connect(uri, connect_timeout=10) as conn, conn.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON, VERBOSE) {query}")
            row = cursor.fetchone()
            scanned = sorted(set(_seq_scans(row[0] if row else [])))
            found = []
            for name in scanned:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", (name,)
                )
                estimate = cursor.fetchone()
                rows = int(estimate[0]) if estimate and estimate[0] is not None else 0
                if rows >= LARGE_TABLE_ROWS:
                    found.append(WholeScan(name, rows))
            conn.rollback()
            return found
    except Exception:  # advice only: a doctor run never fails on it
        return []


def _seq_scans(plan: Any) -> Iterator[str]:
    """The schema-qualified tables of the plan's sequential scans (EXPLAIN's JSON)."""
    if isinstance(plan, list):
        for item in plan:
            yield from _seq_scans(item)
    elif isinstance(plan, dict):
        if plan.get("Node Type") == "Seq Scan" and "Relation Name" in plan:
            schema = plan.get("Schema")
            name = _identifier(plan["Relation Name"])
            yield f"{_identifier(schema)}.{name}" if schema else name
        for key in ("Plan", "Plans"):
            if key in plan:
                yield from _seq_scans(plan[key])


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
