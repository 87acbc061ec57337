"""Fixtures for store tests: empty stores on the backend under test, and synthetic nightly
results — small frames in the results contract (reports.schema) whose statuses, segments and
milestone states move from night to night, with the values that are easy to store wrongly
(nulls, empty text, quotes, unicode, odd floats)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from store_support import postgres_database

from journey.store import make_engine
from reports.schema import ACCOUNT_SCHEMA, MILESTONE_SCHEMA

START = dt.date(2026, 1, 1)
STATUSES = ("on_track", "at_risk", "off_track", "completed")
STATES = ("pending", "overdue", "done", "done_late")
MILESTONES = ("first_login", "first_report", "team_invited")
NAMES = ('Zoë Müller GmbH "quoted"', "", "comma, and\nnewline", None, "=cmd", "Ñandú ✓")


def night(day: dt.date, variant: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The results of `day` (another `variant` is the same night with other inputs).

    Accounts a0..a5; a5 starts on the 3rd night, a4 is gone from the 5th.
    """
    n = (day - START).days + variant
    ids = [f"a{i}" for i in range(6) if not (i == 5 and n < 3) and not (i == 4 and n >= 5)]
    accounts = [
        {
            "account_id": a,
            "name": NAMES[i % len(NAMES)],
            "csm_email": "ana@example.com" if i % 2 else None,
            "arr": [1000.5, None, 0.1 + 0.2, 1e-300, 12345678.901234567, -0.0][i],
            "start_date": START,
            "segment": None if (i + n) % 4 == 0 else ["pro", "smb"][(i + n // 3) % 2],
            "journey": "pro",
            "journey_name": "Pro onboarding",
            "icp": None,
            "icp_fit": (i * 7 % 10) / 9,
            "as_of": day,
            "day_of_journey": (day - START).days,
            "status": STATUSES[(i + n // 2) % 4],
            "lag_days": None if i % 3 else n,
            "milestones_total": 3,
            "milestones_achieved": n % 3,
            "milestones_expected": 2,
            "location": [[], None, ["first_login"], ["first_login", "first_report"]][(i + n) % 4],
            "expected_location": ["first_login", "ünïcode"],
            "reasons": [f"{a} is {n} days late: “quoted”, \\ back\tslash"] if i % 2 else [],
        }
        for a in ids
        for i in [int(a[1:])]
    ]
    milestones = [
        {
            "account_id": a,
            "journey": "pro",
            "milestone": m,
            "position": p,
            "due_day": 3 * (p + 1),
            "due_on": START + dt.timedelta(days=3 * (p + 1)),
            "achieved_on": None if (i + p + n) % 3 else day,
            "state": STATES[(i + p + n // 2) % 4],
            "days_late": None if (i + p) % 2 else n,
            "condition": "logins >= 1",
            "metric": "logins",
            "value": [None, 0.0, 1 / 3, float(n), 2.5e300][(i + p + n) % 5],
            "threshold": 1.0,
            "value_on_due": None,
            "metric_values": '{"logins": 1}',
            "holds_now": (i + n) % 2 == 0,
            "regressed": (i + p + n) % 5 == 0,
            "at_risk": False,
            "critical": p == 0,
            "first_move": None if p else "log in",
        }
        for a in ids
        for i in [int(a[1:])]
        for p, m in enumerate(MILESTONES)
        if not (i == 3 and p == 2 and n % 2)  # a milestone that comes and goes
    ]
    return (
        pl.DataFrame(accounts, schema=ACCOUNT_SCHEMA),
        pl.DataFrame(milestones, schema=MILESTONE_SCHEMA),
    )


Night = Callable[..., tuple[pl.DataFrame, pl.DataFrame]]


@pytest.fixture(name="night")
def night_fixture() -> Night:
    """`night(day, variant=0)`: synthetic results of one night."""
    return night


@pytest.fixture
def stores(backend: str, tmp_path: Path) -> Iterator[Callable[[int], list[Engine]]]:
    """`stores(n)`: n empty stores on the backend (SQLite files, or new PostgreSQL databases)."""
    with ExitStack() as stack:

        def make(count: int) -> list[Engine]:
            if backend == "sqlite":
                urls = [f"sqlite:///{tmp_path / f'store{n}.db'}" for n in range(count)]
            else:
                urls = [stack.enter_context(postgres_database()) for _ in range(count)]
            engines = [make_engine(url) for url in urls]
            for engine in engines:
                stack.callback(engine.dispose)
            return engines

        yield make
