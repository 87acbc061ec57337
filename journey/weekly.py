"""Gather one week's report inputs from the project (store, sources, sessions): the I/O edge
shared by `journey report`, `journey send` and `journey demo`.

Everything here reads; `reports.weekly.build_report_set` does the (pure) rest.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine

from journey.config import Config
from journey.sessions.reads import open_commitments
from journey.sessions.snoozes import active_snoozes
from journey.store import load_current, load_runs
from journey.trends import weekly_trends
from metrics.accounts import conform_accounts
from metrics.errors import InputError
from metrics.sources import scan
from reports.render import ReportSet
from reports.views import week_start
from reports.weekly import REPORT_ACCOUNT_COLUMNS, REPORT_MILESTONE_COLUMNS, build_report_set

log = logging.getLogger("journey")


@dataclass(frozen=True)
class WeeklyInputs:
    """What a week's reports are made of."""

    as_of: dt.date  # the run whose results are reported
    week_of: dt.date  # the Monday that labels the report (and keys the email outbox)
    accounts: pl.DataFrame
    milestones: pl.DataFrame
    trends: pl.DataFrame
    commitments: pl.DataFrame
    snoozes: pl.DataFrame
    extras: pl.DataFrame | None


def account_extras(config: Config) -> pl.DataFrame | None:
    """Every column of the accounts source (industry, champion, ...), for the briefs.

    A source that cannot be read only costs the briefs their facts: a warning, not a failure.
    """
    try:
        frame, _ = conform_accounts(scan(config.settings.sources.accounts, config.root, "accounts"))
    except InputError as exc:
        log.warning("briefs: account facts unavailable (%s)", exc)
        return None
    return frame


def gather(
    config: Config, engine: Engine, *, as_of: dt.date, week: dt.date | None = None
) -> WeeklyInputs:
    """The inputs of the report for the stored run `as_of`, labelled with `week`'s Monday."""
    # The report reads milestones only for the off-track accounts it ranks (their overdue
    # ones, and the timelines of those it shows): an overdue milestone makes its account
    # off track, so no other account has one.
    accounts, milestones = load_current(
        engine,
        columns=REPORT_ACCOUNT_COLUMNS,
        milestone_columns=REPORT_MILESTONE_COLUMNS,
        milestones_of="off_track",
    )
    return WeeklyInputs(
        as_of=as_of,
        week_of=week_start(week or as_of),
        accounts=accounts,
        milestones=milestones,
        trends=weekly_trends(engine, as_of),
        commitments=open_commitments(engine, as_of),
        snoozes=active_snoozes(engine, as_of, accounts.select("account_id", "status")),
        extras=account_extras(config),
    )


def report_set(
    config: Config, inputs: WeeklyInputs, *, csm: str | None = None, for_email: bool = False
) -> ReportSet:
    """The week's documents; with `csm`, only that CSM's accounts (and so their report).

    `for_email`: brief links only when `report.base_url` says where the briefs are published
    (a relative link is useless in a mail client)."""
    accounts = inputs.accounts
    if csm is not None:
        accounts = accounts.filter(pl.col("csm_email") == csm)
    report = config.settings.report
    return build_report_set(
        accounts,
        inputs.milestones.join(accounts.select("account_id"), on="account_id", how="semi"),
        as_of=inputs.as_of,
        top_n=report.top_n,
        weights=report.weights,
        trends=inputs.trends,
        commitments=inputs.commitments,
        snoozes=inputs.snoozes,
        extras=inputs.extras,
        base_url=report.base_url,
        week_of=inputs.week_of,
        brief_links=not for_email or report.base_url is not None,
    )


def latest_as_of(engine: Engine) -> dt.date | None:
    """The as_of of the newest stored run, if any."""
    runs = load_runs(engine)
    return runs[0].as_of if runs else None
