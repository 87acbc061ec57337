"""A small generated project with a known early signal, shared by the risk tests.

Every account logs in and builds a first report in its first days, so until day 14 the
milestone progress of good and bad accounts looks alike. What differs is behaviour that no
milestone measures: good accounts keep logging in daily and build reports 2 and 3 on days
15-20, before `reports_3` is due on day 21; bad ones mostly stop logging in after day 4 and
stall (a few keep logging in anyway, and a few bad ones catch up late: noise). A model that reads
the login trend should beat a baseline that reads milestone progress alone.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from support import Project, project_factory

AS_OF = dt.date(2026, 5, 1)
CSMS = ("ana@example.com", "ben@example.com", "cy@example.com")

MILESTONES = """
- {id: first_login, due_day: 2, when: {metric: logins, gte: 1}}
- {id: reports_3, due_day: 21, when: {metric: reports, gte: 3}}
"""

METRICS = """\
metrics:
  logins:  {count: events, where: {field: event, eq: login}}
  reports: {count: events, where: {field: event, eq: report_created}}
"""


def synthetic_rows(n: int = 240, seed: int = 3, days: int = 140) -> tuple[str, str]:
    """(accounts CSV rows, events CSV rows) with the signal described above."""
    rng = np.random.default_rng(seed)
    accounts, events = [], []
    for i in range(n):
        account = f"A{i:04d}"
        age = int(rng.integers(0, days))
        start = AS_OF - dt.timedelta(days=age)
        plan = "growth" if rng.random() < 0.5 else "starter"
        accounts.append(f"{account},Account {i},{start},{CSMS[i % 3]},{1000 * (i % 7 + 1)},{plan}")
        good = rng.random() < 0.55
        keeps_logging = good or rng.random() < 0.15
        report_days = {int(rng.integers(1, 4))}
        if good or rng.random() < 0.1:
            late = 0 if good else 10
            report_days |= {int(rng.integers(15, 18)) + late, int(rng.integers(18, 21)) + late}
        for day in range(age + 1):
            rate = 0.85 if keeps_logging or day < 4 else 0.08
            when = start + dt.timedelta(days=day)
            if day == 0 or rng.random() < rate:
                events.append(f"{account},{when}T10:00:00Z,login,u1,")
            if day in report_days:
                events.append(f"{account},{when}T11:00:00Z,report_created,u1,")
    return "\n".join(accounts) + "\n", "\n".join(events) + "\n"


def write_synthetic(root: Path, n: int = 240, seed: int = 3) -> Project:
    accounts, events = synthetic_rows(n, seed)
    make = project_factory(root)
    return make(milestones=MILESTONES, metrics=METRICS, accounts=accounts, events=events)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The generated project (built once per test session)."""
    return write_synthetic(tmp_path_factory.mktemp("risk"))
