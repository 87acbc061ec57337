"""Assemble one week's report set from frames: CSM reports, rollup and briefs. Pure.

This is the one entry point `journey report`, `journey send` and `journey demo` share, so
the files on disk and the emails always say the same thing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from reports.briefs import AccountBrief, build_brief
from reports.build import build_csm_reports
from reports.ranking import PriorityWeights
from reports.render import BRIEFS_DIR, ReportSet, unique_slugs
from reports.rollup import build_rollup
from reports.schema import ACCOUNT_SCHEMA, MILESTONE_SCHEMA
from reports.views import week_start

#: The accounts-result columns `build_report_set` reads (reports.schema.ACCOUNT_SCHEMA's but
#: the ICP fit and the location lists): a reader need not load the others, a million
#: accounts' worth of them.
REPORT_ACCOUNT_COLUMNS = tuple(
    c for c in ACCOUNT_SCHEMA if c not in ("icp", "icp_fit", "location", "expected_location")
)
#: The milestone-result columns `build_report_set` reads (not the condition's text and values).
REPORT_MILESTONE_COLUMNS = tuple(
    c
    for c in MILESTONE_SCHEMA
    if c not in ("condition", "value_on_due", "metric_values", "holds_now")
)


def extras_by_account(extras: pl.DataFrame | None, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The accounts-source columns of the given accounts, keyed by account_id."""
    if extras is None or "account_id" not in extras.columns or not ids:
        return {}
    rows = extras.filter(pl.col("account_id").is_in(ids)).unique("account_id", keep="first")
    return {r["account_id"]: r for r in rows.iter_rows(named=True)}


def build_report_set(
    accounts: pl.DataFrame,
    milestones: pl.DataFrame,
    *,
    as_of: date,
    top_n: int = 15,
    weights: PriorityWeights | None = None,
    trends: pl.DataFrame | None = None,
    commitments: pl.DataFrame | None = None,
    snoozes: pl.DataFrame | None = None,
    extras: pl.DataFrame | None = None,
    base_url: str | None = None,
    week_of: date | None = None,
    brief_links: bool = True,
) -> ReportSet:
    """Every document of one week: a report per CSM, the rollup and a brief per ranked account.

    Brief links are ``<base_url>briefs/<account>.html`` (relative to the report folder when
    `base_url` is None, which suits files on disk; set it to link from email). Without
    `brief_links` the reports carry no links to briefs or CSM reports (an email without a
    base_url: a relative link is useless in a mail client).
    """
    base: str | None = base_url.rstrip("/") + "/" if base_url else ""
    if not brief_links:
        base = None
    prefix = None if base is None else f"{base}{BRIEFS_DIR}/"
    reports = build_csm_reports(
        accounts,
        milestones,
        as_of=as_of,
        top_n=top_n,
        weights=weights,
        trends=trends,
        commitments=commitments,
        snoozes=snoozes,
        brief_base=prefix,
        week_of=week_of,
    )
    slugs = unique_slugs(reports)
    flagged = [a for r in reports for a in r.accounts]
    facts = extras_by_account(extras, [a.account_id for a in flagged])
    briefs: list[AccountBrief] = [
        build_brief(a, facts.get(a.account_id, {}), as_of)
        for a in sorted(flagged, key=lambda v: v.account_id)
    ]
    rollup = build_rollup(
        reports, slugs, as_of=as_of, week_of=week_of or week_start(as_of), link_base=base
    )
    return ReportSet(tuple(reports), tuple(slugs), rollup, tuple(briefs))
