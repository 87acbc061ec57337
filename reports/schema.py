"""The evaluated-results contract: what a run produces and what reports read.

`journey` evaluates accounts and writes two frames with exactly these columns; `reports`
reads nothing else. Keeping the contract here lets the report side be tested with small
literal frames and lets the store round-trip results without knowing journey internals.
"""

from __future__ import annotations

import polars as pl

#: Account status values, from best to worst.
STATUSES: tuple[str, ...] = ("completed", "on_track", "at_risk", "off_track")

#: Milestone state values (DESIGN §6).
STATES: tuple[str, ...] = ("done", "done_late", "pending", "overdue")

#: One row per evaluated account.
ACCOUNT_SCHEMA: dict[str, pl.DataType] = {
    "account_id": pl.String(),
    "name": pl.String(),
    "csm_email": pl.String(),
    "arr": pl.Float64(),
    "start_date": pl.Date(),
    "segment": pl.String(),
    "journey": pl.String(),
    "journey_name": pl.String(),
    "icp": pl.String(),  # best-fitting ICP the account fits, or null
    "icp_fit": pl.Float64(),  # highest fit score over all ICPs, 0..1
    "as_of": pl.Date(),
    "day_of_journey": pl.Int32(),
    "status": pl.String(),  # one of STATUSES
    "lag_days": pl.Int32(),  # days since the earliest overdue milestone's due_on; null if none
    "milestones_total": pl.Int32(),
    "milestones_achieved": pl.Int32(),
    "milestones_expected": pl.Int32(),  # due on or before as_of
    "location": pl.List(pl.String()),  # achieved milestone ids, in journey order
    "expected_location": pl.List(pl.String()),  # milestone ids due by as_of, in journey order
    "last_activity": pl.Date(),  # day of the latest event on or before as_of; null if none
    "reasons": pl.List(pl.String()),  # why the status is what it is, one sentence each
}

#: One row per evaluated account x milestone of its journey.
MILESTONE_SCHEMA: dict[str, pl.DataType] = {
    "account_id": pl.String(),
    "journey": pl.String(),
    "milestone": pl.String(),
    "position": pl.Int32(),  # 0-based order of the milestone in its journey
    "due_day": pl.Int32(),
    "due_on": pl.Date(),
    "achieved_on": pl.Date(),  # first day the condition held; null if never
    "state": pl.String(),  # one of STATES
    "days_late": pl.Int32(),  # overdue: as_of - due_on; done_late: achieved_on - due_on
    "condition": pl.String(),  # the condition, as text
    "metric": pl.String(),  # the condition's first metric
    "value": pl.Float64(),  # that metric's value on as_of
    "threshold": pl.Float64(),  # the number it is compared with, if a single comparison
    "value_on_due": pl.Float64(),  # that metric's value on due_on, if due_on <= as_of
    "metric_values": pl.String(),  # JSON object: every metric in the condition -> value on as_of
    "holds_now": pl.Boolean(),  # the condition holds on as_of
    "regressed": pl.Boolean(),  # achieved earlier but no longer holds on as_of
    "at_risk": pl.Boolean(),  # pending, due within the warning window, and behind pace
    "critical": pl.Boolean(),
    "first_move": pl.String(),
}

#: Columns of `journey export` (DESIGN §7), in order.
EXPORT_COLUMNS: tuple[str, ...] = (
    "account_id",
    "segment",
    "journey",
    "milestone",
    "due_on",
    "achieved_on",
    "state",
)


def empty_accounts() -> pl.DataFrame:
    """An accounts-result frame with no rows."""
    return pl.DataFrame(schema=ACCOUNT_SCHEMA)


def empty_milestones() -> pl.DataFrame:
    """A milestones-result frame with no rows."""
    return pl.DataFrame(schema=MILESTONE_SCHEMA)


#: Per-account trend from the stored history (journey.trends), for "newly off-track",
#: "still off-track for n weeks" and "recovered" in the weekly report.
TREND_SCHEMA: dict[str, pl.DataType] = {
    "account_id": pl.String(),
    "previous_status": pl.String(),  # status on the comparison date (a week earlier); null if new
    "status_since": pl.Date(),  # first day of the current status streak
    "weeks_in_status": pl.Int32(),  # whole weeks since status_since
    "newly_off_track": pl.Boolean(),  # off_track now, not off_track on the comparison date
    "recovered": pl.Boolean(),  # off_track on the comparison date, not now
    "regressed_milestones": pl.List(pl.String()),  # milestones that regressed since then
}

#: Commitments recorded in whiteboard sessions (journey session add), for the report.
COMMITMENT_SCHEMA: dict[str, pl.DataType] = {
    "commitment_id": pl.Int64(),
    "account_id": pl.String(),
    "session_id": pl.Int64(),
    "session_date": pl.Date(),
    "owner": pl.String(),
    "next_step": pl.String(),
    "due_on": pl.Date(),
    "status": pl.String(),  # open | done
    "done_on": pl.Date(),
}

#: Active snoozes (journey snooze): accounts whose off-track flag is hidden from reports.
SNOOZE_SCHEMA: dict[str, pl.DataType] = {
    "account_id": pl.String(),
    "until": pl.Date(),
    "reason": pl.String(),
    "created_by": pl.String(),
    "created_on": pl.Date(),
    "status_at_snooze": pl.String(),
}
