"""Build the weekly report's view models (reports.views) from result frames. Pure.

Inputs are the evaluated results plus three optional frames: trends (TREND_SCHEMA, from
journey.trends), open commitments (COMMITMENT_SCHEMA) and snoozes (SNOOZE_SCHEMA, from the
session store). A snooze hides an off-track account from the ranked list while ``as_of`` is
before ``until`` (journey.sessions decides which snoozes are active, e.g. only while the
status is still the one snoozed); hidden accounts are listed and counted, never dropped.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from reports.briefs import brief_slug
from reports.commitments import is_open, overdue_commitment_counts
from reports.ranking import PriorityWeights, overdue_summary, rank_off_track
from reports.render import format_arr
from reports.schema import COMMITMENT_SCHEMA, SNOOZE_SCHEMA, STATUSES, TREND_SCHEMA
from reports.views import (
    UNASSIGNED_CSM,
    AccountRef,
    AccountView,
    CommitmentView,
    CsmReport,
    MilestoneView,
    is_dormant,
    week_start,
)

STATUS_LABELS = {
    "completed": "completed",
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "off track",
}


def active_snoozes(snoozes: pl.DataFrame | None, as_of: date) -> pl.DataFrame:
    """The snoozes in force on `as_of` (``as_of < until``, as journey.sessions.snoozes has it),
    one per account (the one that lasts longest)."""
    frame = snoozes if snoozes is not None else pl.DataFrame(schema=SNOOZE_SCHEMA)
    return (
        frame.filter(pl.col("until") > as_of)
        .sort("account_id", "until", descending=[False, True])
        .unique("account_id", keep="first", maintain_order=True)
    )


def open_commitments(
    commitments: pl.DataFrame | None, as_of: date
) -> dict[str, tuple[CommitmentView, ...]]:
    """Open commitments per account: overdue first (most overdue first), then by due date."""
    frame = commitments if commitments is not None else pl.DataFrame(schema=COMMITMENT_SCHEMA)
    rows = (
        frame.filter(is_open())
        .with_columns(
            days_overdue=(pl.lit(as_of) - pl.col("due_on")).dt.total_days().clip(0).fill_null(0)
        )
        .sort(
            ["account_id", "days_overdue", "due_on", "commitment_id"],
            descending=[False, True, False, False],
            nulls_last=True,
        )
    )
    out: dict[str, list[CommitmentView]] = {}
    for r in rows.iter_rows(named=True):
        out.setdefault(r["account_id"], []).append(
            CommitmentView(
                next_step=r["next_step"],
                owner=r["owner"],
                due_on=r["due_on"],
                session_date=r["session_date"],
                days_overdue=int(r["days_overdue"]),
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def timelines(milestones: pl.DataFrame, ids: pl.Series) -> dict[str, tuple[MilestoneView, ...]]:
    """Milestones of the given accounts, in journey order, keyed by account_id."""
    rows = milestones.filter(pl.col("account_id").is_in(ids.implode())).sort(
        "account_id", "position"
    )
    out: dict[str, list[MilestoneView]] = {}
    for r in rows.iter_rows(named=True):
        out.setdefault(r["account_id"], []).append(
            MilestoneView(
                milestone=r["milestone"],
                state=r["state"],
                due_on=r["due_on"],
                achieved_on=r["achieved_on"],
                days_late=r["days_late"],
                critical=bool(r["critical"]),
                due_day=r["due_day"],
                metric=r["metric"],
                value=r["value"],
                threshold=r["threshold"],
                regressed=bool(r["regressed"]),
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def account_view(
    row: dict[str, Any],
    timeline: tuple[MilestoneView, ...],
    as_of: date,
    *,
    commitments: tuple[CommitmentView, ...] = (),
    regressed: tuple[str, ...] = (),
    brief_base: str | None = None,
) -> AccountView:
    """The view of one ranked row (accounts-result columns plus RANK_COLUMNS)."""
    last = row["last_activity"]
    href = None if brief_base is None else f"{brief_base}{brief_slug(row['account_id'])}.html"
    return AccountView(
        rank=row["rank"],
        account_id=row["account_id"],
        name=row["name"] or row["account_id"],
        segment=row["segment"],
        journey_name=row["journey_name"] or row["journey"],
        arr=row["arr"],
        day_of_journey=row["day_of_journey"],
        lag_days=row["lag_days"],
        priority=row["priority"],
        milestones_total=row["milestones_total"],
        milestones_achieved=row["milestones_achieved"],
        milestones_expected=row["milestones_expected"],
        missed=row["missed"],
        missed_due_on=row["missed_due_on"],
        critical=bool(row["critical_overdue"]),
        first_move=row["first_move"],
        reasons=tuple(row["reasons"] or ()),
        timeline=timeline,
        last_activity=last,
        days_since_activity=None if last is None else (as_of - last).days,
        dormant=is_dormant(last, as_of),
        csm_email=row["csm_email"],
        newly_off_track=bool(row["newly_off_track"]),
        weeks_off_track=_weeks_off_track(row["weeks_off_track"], row["lag_days"]),
        regressed=regressed,
        commitments=commitments,
        brief_href=href,
    )


def _newly_note(row: dict[str, Any]) -> str:
    """``missed integration_live · $34,400 ARR`` for a newly off-track account."""
    arr = "ARR unknown" if row["arr"] is None else f"{format_arr(row['arr'])} ARR"
    return f"missed {row['missed']} · {arr}" if row.get("missed") else arr


def _weeks_off_track(trend_weeks: int | None, lag_days: int | None) -> int | None:
    """Whole weeks off track: the stored streak, or the lag when history is shorter.

    The earliest overdue milestone has been overdue since its due date (achievement is
    permanent), so lag_days // 7 is a lower bound that does not depend on stored history.
    """
    known = [w for w in (trend_weeks, None if lag_days is None else lag_days // 7) if w]
    return max(known) if known else trend_weeks


def _refs(frame: pl.DataFrame, ranked: set[str], note: str | None = None) -> tuple[AccountRef, ...]:
    """Summary entries, by name; the note is `note`, else what was missed (when the frame has
    a ``missed`` column), else the status now."""
    out = []
    for r in frame.sort("name", "account_id", nulls_last=True).iter_rows(named=True):
        if note is not None:
            text = note
        elif "missed" in r:
            text = _newly_note(r)
        else:
            text = f"now {STATUS_LABELS.get(r['status'], r['status'])}"
        out.append(
            AccountRef(
                r["account_id"], r["name"] or r["account_id"], text, r["account_id"] in ranked
            )
        )
    return tuple(out)


def build_csm_reports(
    accounts: pl.DataFrame,
    milestones: pl.DataFrame,
    *,
    as_of: date,
    top_n: int,
    weights: PriorityWeights | None = None,
    trends: pl.DataFrame | None = None,
    commitments: pl.DataFrame | None = None,
    snoozes: pl.DataFrame | None = None,
    brief_base: str | None = "briefs/",
    week_of: date | None = None,
) -> list[CsmReport]:
    """One report per CSM owning at least one account, sorted by email.

    `week_of` labels the report (default: the Monday of the week that holds `as_of`).
    `brief_base` prefixes each account's brief link (``<base><slug>.html``); None: no links.
    """
    trend = trends if trends is not None else pl.DataFrame(schema=TREND_SCHEMA)
    accounts = accounts.with_columns(pl.col("csm_email").fill_null(UNASSIGNED_CSM))
    snoozed = active_snoozes(snoozes, as_of).join(
        accounts.filter(pl.col("status") == "off_track").select("account_id", "name", "csm_email"),
        on="account_id",
    )
    visible = accounts.join(snoozed.select("account_id"), on="account_id", how="anti")
    commitment_frame = (
        commitments if commitments is not None else pl.DataFrame(schema=COMMITMENT_SCHEMA)
    )
    ranked = rank_off_track(
        visible,
        milestones,
        top_n=top_n,
        weights=weights,
        trends=trend,
        overdue_commitments=overdue_commitment_counts(commitment_frame, as_of),
    )
    ranked_ids = set(ranked.get_column("account_id").to_list())
    lines = timelines(milestones, ranked.get_column("account_id"))
    promises = open_commitments(commitments, as_of)
    shown_trend = trend.join(ranked.select("account_id"), on="account_id", how="semi")
    regressions = {  # of the ranked accounts only: a row per account is a million in Python
        r["account_id"]: tuple(r["regressed_milestones"] or ())
        for r in shown_trend.select("account_id", "regressed_milestones").iter_rows(named=True)
    }
    with_trend = visible.join(trend, on="account_id", how="left")
    missed = overdue_summary(milestones.lazy()).select("account_id", "missed").collect()
    has_trends = bool(trend.filter(pl.col("previous_status").is_not_null()).height)

    counts: dict[str, dict[str, int]] = {}
    for csm, status, n in accounts.group_by("csm_email", "status").len().iter_rows():
        counts.setdefault(csm, dict.fromkeys(STATUSES, 0))[status] = n

    views: dict[str, list[AccountView]] = {}
    for row in ranked.iter_rows(named=True):
        view = account_view(
            row,
            lines.get(row["account_id"], ()),
            as_of,
            commitments=promises.get(row["account_id"], ()),
            regressed=regressions.get(row["account_id"], ()),
            brief_base=brief_base,
        )
        views.setdefault(row["csm_email"], []).append(view)

    return [
        _csm_report(
            csm,
            counts[csm],
            tuple(views.get(csm, ())),
            with_trend.filter(pl.col("csm_email") == csm),
            snoozed.filter(pl.col("csm_email") == csm),
            missed=missed,
            ranked_ids=ranked_ids,
            as_of=as_of,
            week_of=week_of or week_start(as_of),
            has_trends=has_trends,
        )
        for csm in sorted(counts)
    ]


def _csm_report(
    csm: str,
    counts: dict[str, int],
    accounts: tuple[AccountView, ...],
    mine: pl.DataFrame,
    snoozed: pl.DataFrame,
    *,
    missed: pl.DataFrame,
    ranked_ids: set[str],
    as_of: date,
    week_of: date,
    has_trends: bool,
) -> CsmReport:
    """One CSM's report: `mine` is their unsnoozed accounts joined with their trends."""
    off = mine.filter(pl.col("status") == "off_track")
    still = off.filter(pl.col("previous_status") == "off_track")
    newly = off.filter(pl.col("newly_off_track").fill_null(False))
    longest = still.select(
        pl.max_horizontal(pl.col("weeks_in_status"), pl.col("lag_days") // 7).max()
    ).item()
    return CsmReport(
        csm_email=csm,
        as_of=as_of,
        week_of=week_of,
        counts=counts,
        accounts=accounts,
        newly_off_track=_refs(newly.join(missed, on="account_id", how="left"), ranked_ids),
        recovered=_refs(mine.filter(pl.col("recovered").fill_null(False)), ranked_ids),
        still_off_track=still.height,
        longest_weeks_off_track=int(longest or 0),
        snoozed=tuple(
            AccountRef(
                r["account_id"],
                r["name"] or r["account_id"],
                f"until {r['until'].isoformat()}" + (f": {r['reason']}" if r["reason"] else ""),
            )
            for r in snoozed.sort("account_id").iter_rows(named=True)
        ),
        at_risk_soon=at_risk_soon(mine),
        has_trends=has_trends,
        arr_off_track=float(off.get_column("arr").sum() or 0.0),
    )


#: How many accounts the "at risk soon" section lists.
AT_RISK_SOON_LIMIT = 5
#: The prefix journey.risk puts on the leading reason of a model-flagged account.
EARLY_WARNING_PREFIX = "Early warning"


def at_risk_soon(accounts: pl.DataFrame) -> tuple[AccountRef, ...]:
    """The accounts to check in with before they go off track: status at_risk, the learned
    early warnings first (their reason carries the probability and its drivers), then by
    ARR; each with its leading reason."""
    frame = (
        accounts.filter(pl.col("status") == "at_risk")
        .with_columns(lead=pl.col("reasons").list.first())
        .with_columns(early=pl.col("lead").str.starts_with(EARLY_WARNING_PREFIX).fill_null(False))
        .sort(["early", "arr", "account_id"], descending=[True, True, False], nulls_last=True)
        .head(AT_RISK_SOON_LIMIT)
    )
    return tuple(
        AccountRef(r["account_id"], r["name"] or r["account_id"], r["lead"] or "")
        for r in frame.iter_rows(named=True)
    )
