"""View models of the weekly report (DESIGN §9): plain frozen objects built from frames.

`build_csm_reports` turns the evaluated results (ACCOUNT_SCHEMA, MILESTONE_SCHEMA) plus the
optional trend, commitment and snooze frames (TREND_SCHEMA, COMMITMENT_SCHEMA, SNOOZE_SCHEMA)
into one `CsmReport` per CSM. Templates only ever see these objects. The report's "week of"
is the Monday of the ISO week that holds ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

#: An account counts as dormant when its latest activity is this many days old (or absent).
DORMANT_AFTER_DAYS = 60
#: Report key for accounts whose ``csm_email`` is null.
UNASSIGNED_CSM = "unassigned"


@dataclass(frozen=True)
class MilestoneView:
    """One milestone of an account's journey, as drawn on the timeline."""

    milestone: str
    state: str
    due_on: date | None
    achieved_on: date | None
    days_late: int | None
    critical: bool
    due_day: int | None = None
    metric: str | None = None
    value: float | None = None
    threshold: float | None = None
    regressed: bool = False


@dataclass(frozen=True)
class CommitmentView:
    """An open commitment from an earlier account-mapping session."""

    next_step: str
    owner: str | None
    due_on: date | None
    session_date: date | None
    days_overdue: int  # 0 when not overdue

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


@dataclass(frozen=True)
class AccountRef:
    """A named account in a summary list (newly off track, recovered, snoozed)."""

    account_id: str
    name: str
    note: str = ""  # e.g. "now on track", "snoozed until 2024-04-01: renewal call booked"
    anchor: bool = False  # the account has a card in this report (link to #<account_id>)


@dataclass(frozen=True)
class AccountView:
    """One ranked off-track account, with everything the CSM needs to act on it."""

    rank: int
    account_id: str
    name: str
    segment: str | None
    journey_name: str | None
    arr: float | None
    day_of_journey: int | None
    lag_days: int | None
    priority: float
    milestones_total: int | None
    milestones_achieved: int | None
    milestones_expected: int | None
    missed: str | None
    missed_due_on: date | None
    critical: bool
    first_move: str | None
    reasons: tuple[str, ...]
    timeline: tuple[MilestoneView, ...]
    last_activity: date | None
    days_since_activity: int | None
    dormant: bool
    csm_email: str = UNASSIGNED_CSM
    newly_off_track: bool = False
    weeks_off_track: int | None = None
    regressed: tuple[str, ...] = ()
    commitments: tuple[CommitmentView, ...] = ()
    brief_href: str | None = None

    @property
    def overdue_commitments(self) -> int:
        return sum(1 for c in self.commitments if c.overdue)


@dataclass(frozen=True)
class CsmReport:
    """Everything in one CSM's weekly report."""

    csm_email: str
    as_of: date
    week_of: date
    counts: dict[str, int] = field(default_factory=dict)  # status -> accounts, every STATUSES key
    accounts: tuple[AccountView, ...] = ()  # ranked off-track accounts, at most top_n
    newly_off_track: tuple[AccountRef, ...] = ()
    recovered: tuple[AccountRef, ...] = ()
    still_off_track: int = 0  # off track now and a week ago
    longest_weeks_off_track: int = 0
    snoozed: tuple[AccountRef, ...] = ()
    #: At-risk accounts (not off track yet), early warnings first; note = the leading reason.
    at_risk_soon: tuple[AccountRef, ...] = ()
    has_trends: bool = False  # a stored run a week earlier exists to compare with
    arr_off_track: float = 0.0  # total known ARR of unsnoozed off-track accounts

    @property
    def total(self) -> int:
        """Number of accounts this CSM owns."""
        return sum(self.counts.values())

    @property
    def off_track_total(self) -> int:
        """Number of off-track accounts that are not snoozed, including those beyond top_n."""
        return self.counts.get("off_track", 0) - len(self.snoozed)

    @property
    def overdue_commitments(self) -> int:
        return sum(a.overdue_commitments for a in self.accounts)


def week_start(day: date) -> date:
    """The Monday of the ISO week that holds `day`."""
    return day - timedelta(days=day.weekday())


def is_dormant(last_activity: date | None, as_of: date) -> bool:
    """No activity at all, or none in the last `DORMANT_AFTER_DAYS` days up to `as_of`."""
    return last_activity is None or (as_of - last_activity).days >= DORMANT_AFTER_DAYS
