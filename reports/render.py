"""The weekly per-CSM report (DESIGN §9): view models, HTML + text rendering, files.

`build_csm_reports` turns the two evaluated-result frames into plain, frozen view objects;
`render_html` / `render_text` / `render_index` turn those into strings with jinja2 (autoescape
on for HTML, StrictUndefined everywhere); `write_reports` is the only function that touches
the file system. The header's "week of" is the Monday of the ISO week that holds ``as_of``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from reports.export import atomic_write
from reports.ranking import rank_off_track
from reports.schema import STATUSES

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


@dataclass(frozen=True)
class CsmReport:
    """Everything in one CSM's weekly report."""

    csm_email: str
    as_of: date
    week_of: date
    counts: dict[str, int] = field(default_factory=dict)  # status -> accounts, every STATUSES key
    accounts: tuple[AccountView, ...] = ()  # ranked off-track accounts, at most top_n

    @property
    def total(self) -> int:
        """Number of accounts this CSM owns."""
        return sum(self.counts.values())

    @property
    def off_track_total(self) -> int:
        """Number of off-track accounts, including those beyond top_n."""
        return self.counts.get("off_track", 0)


def week_start(day: date) -> date:
    """The Monday of the ISO week that holds `day`."""
    return day - timedelta(days=day.weekday())


def is_dormant(last_activity: date | None, as_of: date) -> bool:
    """No activity at all, or none in the last `DORMANT_AFTER_DAYS` days up to `as_of`."""
    return last_activity is None or (as_of - last_activity).days >= DORMANT_AFTER_DAYS


def csm_slug(email: str) -> str:
    """File-name slug of a CSM: lowercase, every run of non [a-z0-9] becomes one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", email.lower()).strip("-") or "csm"


def build_csm_reports(
    accounts: pl.DataFrame, milestones: pl.DataFrame, *, as_of: date, top_n: int
) -> list[CsmReport]:
    """One report per CSM owning at least one account, sorted by email."""
    accounts = accounts.with_columns(pl.col("csm_email").fill_null(UNASSIGNED_CSM))
    ranked = rank_off_track(accounts, milestones, top_n=top_n)
    timelines = _timelines(milestones, ranked.get_column("account_id"))

    counts: dict[str, dict[str, int]] = {}
    for csm, status, n in accounts.group_by("csm_email", "status").len().iter_rows():
        counts.setdefault(csm, dict.fromkeys(STATUSES, 0))[status] = n

    views: dict[str, list[AccountView]] = {}
    for row in ranked.iter_rows(named=True):
        view = _account_view(row, timelines.get(row["account_id"], ()), as_of)
        views.setdefault(row["csm_email"], []).append(view)

    return [
        CsmReport(
            csm_email=csm,
            as_of=as_of,
            week_of=week_start(as_of),
            counts=counts[csm],
            accounts=tuple(views.get(csm, ())),
        )
        for csm in sorted(counts)
    ]


def _timelines(milestones: pl.DataFrame, ids: pl.Series) -> dict[str, tuple[MilestoneView, ...]]:
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
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def _account_view(
    row: dict[str, Any], timeline: tuple[MilestoneView, ...], as_of: date
) -> AccountView:
    last = row["last_activity"]
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
    )


def format_arr(arr: float | None) -> str:
    """``$120,000`` (whole dollars), or an em dash when unknown."""
    if arr is None:
        return "—"
    return f"-${-arr:,.0f}" if arr < 0 else f"${arr:,.0f}"


def format_date(day: date | None) -> str:
    """ISO date, or an em dash when unknown."""
    return "—" if day is None else day.isoformat()


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["arr"] = format_arr
    env.filters["day"] = format_date
    env.globals.update(statuses=STATUSES, dormant_after_days=DORMANT_AFTER_DAYS)
    return env


def render_html(report: CsmReport) -> str:
    """The report as a self-contained, email-safe HTML document."""
    return _environment().get_template("csm_report.html.j2").render(report=report)


def render_text(report: CsmReport) -> str:
    """The report as plain text (the text/plain part of the email)."""
    return _environment().get_template("csm_report.txt.j2").render(report=report)


def render_index(reports: Sequence[CsmReport], slugs: Sequence[str]) -> str:
    """An HTML index of all CSM reports; `slugs[i]` is the file stem of `reports[i]`."""
    entries = list(zip(reports, slugs, strict=True))
    as_of = reports[0].as_of if reports else None
    return _environment().get_template("index.html.j2").render(entries=entries, as_of=as_of)


def unique_slugs(reports: Sequence[CsmReport]) -> list[str]:
    """File stems for the reports, in order; a colliding slug gets -2, -3, ... appended."""
    used = {"index"}  # index.html is the listing itself
    out = []
    for report in reports:
        base = slug = csm_slug(report.csm_email)
        n = 1
        while slug in used:
            n += 1
            slug = f"{base}-{n}"
        used.add(slug)
        out.append(slug)
    return out


def write_reports(reports: Sequence[CsmReport], out_dir: Path) -> list[Path]:
    """Write ``<slug>.html`` and ``<slug>.txt`` per CSM plus ``index.html``, each atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    slugs = unique_slugs(reports)
    for report, slug in zip(reports, slugs, strict=True):
        for suffix, text in ((".html", render_html(report)), (".txt", render_text(report))):
            path = out_dir / f"{slug}{suffix}"
            atomic_write(path, text.encode("utf-8"))
            written.append(path)
    index = out_dir / "index.html"
    atomic_write(index, render_index(reports, slugs).encode("utf-8"))
    written.append(index)
    return written
