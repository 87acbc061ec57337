"""The manager rollup (DESIGN §9): every CSM's week on one page. Pure.

Built from the per-CSM reports, so its numbers always agree with what each CSM received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reports.schema import STATUSES
from reports.views import AccountView, CsmReport

#: How many accounts the rollup's portfolio-wide shortlist shows.
ROLLUP_TOP = 10


@dataclass(frozen=True)
class RollupRow:
    """One CSM's line in the rollup."""

    csm_email: str
    slug: str
    counts: dict[str, int]
    total: int
    off_track: int  # not snoozed
    newly_off_track: int
    recovered: int
    still_off_track: int
    snoozed: int
    overdue_commitments: int
    arr_off_track: float


@dataclass(frozen=True)
class ManagerRollup:
    """All CSMs' numbers, the totals, and the highest-priority accounts overall."""

    as_of: date
    week_of: date
    rows: tuple[RollupRow, ...]
    totals: RollupRow
    top: tuple[AccountView, ...]
    has_trends: bool
    link_base: str | None = ""  # prefix of the links to CSM reports; None: no links


def _row(report: CsmReport, slug: str) -> RollupRow:
    return RollupRow(
        csm_email=report.csm_email,
        slug=slug,
        counts=dict(report.counts),
        total=report.total,
        off_track=report.off_track_total,
        newly_off_track=len(report.newly_off_track),
        recovered=len(report.recovered),
        still_off_track=report.still_off_track,
        snoozed=len(report.snoozed),
        overdue_commitments=report.overdue_commitments,
        arr_off_track=report.arr_off_track,
    )


def build_rollup(
    reports: Sequence[CsmReport],
    slugs: Sequence[str],
    *,
    as_of: date,
    week_of: date,
    link_base: str | None = "",
) -> ManagerRollup:
    """The rollup of `reports`; `slugs[i]` is the file stem of `reports[i]`.

    Each CSM links to ``<link_base><slug>.html``; with `link_base` None there are no links.
    """
    rows = tuple(_row(r, s) for r, s in zip(reports, slugs, strict=True))
    totals = RollupRow(
        csm_email="All CSMs",
        slug="",
        counts={s: sum(r.counts.get(s, 0) for r in rows) for s in STATUSES},
        total=sum(r.total for r in rows),
        off_track=sum(r.off_track for r in rows),
        newly_off_track=sum(r.newly_off_track for r in rows),
        recovered=sum(r.recovered for r in rows),
        still_off_track=sum(r.still_off_track for r in rows),
        snoozed=sum(r.snoozed for r in rows),
        overdue_commitments=sum(r.overdue_commitments for r in rows),
        arr_off_track=sum(r.arr_off_track for r in rows),
    )
    ranked = [a for r in reports for a in r.accounts]
    ranked.sort(key=lambda a: (-a.priority, -(a.lag_days or 0), -(a.arr or 0.0), a.account_id))
    return ManagerRollup(
        as_of=as_of,
        week_of=week_of,
        rows=rows,
        totals=totals,
        top=tuple(ranked[:ROLLUP_TOP]),
        has_trends=any(r.has_trends for r in reports),
        link_base=link_base,
    )
