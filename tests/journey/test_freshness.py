"""journey.freshness: the newest day of usage, read newest first, is the newest day of every
clean row, whatever the timestamps' type and the timezone, and however many newer rows are not
clean (an unknown account's)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from journey.config import Config
from journey.evaluate import conformed_usage
from journey.freshness import newest_usage_day
from metrics.accounts import conform_accounts
from metrics.sources import scan
from support import ProjectFactory

FIRST = dt.date(2026, 1, 1)
LAST = dt.date(2026, 2, 9)  # the newest clean event's UTC date
#: How each kind of file stores the timestamps.
KINDS = {
    "aware": pl.Datetime("us", "UTC"),
    "aware-tokyo": pl.Datetime("ns", "Asia/Tokyo"),
    "naive": pl.Datetime("ms"),
    "date": pl.Date(),
    "text": pl.String(),
}


def full_scan_newest(config: Config) -> dt.date | None:
    """The newest day of every clean row, read whole (what `journey doctor` did)."""
    accounts, _ = conform_accounts(scan(config.settings.sources.accounts, config.root, "accounts"))
    known = accounts.lazy().select("account_id")
    days = [
        clean.select(pl.col("day").max()).collect().item()
        for clean, _ in conformed_usage(config, known).values()
    ]
    return max((d for d in days if d is not None), default=None)


def events_of(day: dt.date) -> list[tuple[str, dt.datetime]]:
    """A day's events: a known account's in the morning; on LAST one late in the evening
    (another day in a timezone far east); after LAST, an unknown account's only (quarantined:
    the newest stamps are not the newest clean day's)."""
    morning = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
    if day > LAST:
        return [("ghost", morning)]
    if day == LAST:
        return [("a1", morning), ("a2", dt.datetime.combine(day, dt.time(23, 30), tzinfo=dt.UTC))]
    return [("a1", morning)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("timezone", ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
@pytest.mark.parametrize("unclean_days", [0, 3, 40])
def test_the_newest_day_is_that_of_every_clean_row(
    make_project: ProjectFactory, kind: str, timezone: str, unclean_days: int
) -> None:
    project = make_project(
        milestones="- {id: m, due_day: 5, when: {metric: logins, gte: 1}}\n",
        accounts="a1,A,2026-01-01,x@example.com,1,p\na2,B,2026-01-01,x@example.com,1,p\n",
        timezone=timezone,
    )
    settings = project.config_dir / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("data/events.csv", "data/events/*.parquet"), "utf-8")
    (project.root / "data" / "events").mkdir()
    day = FIRST
    while day <= LAST + dt.timedelta(days=unclean_days):
        rows = events_of(day)
        stamps = pl.Series("timestamp", [t for _, t in rows], pl.Datetime("us", "UTC"))
        frame = pl.DataFrame(
            {
                "account_id": [a for a, _ in rows],
                "timestamp": _as_kind(stamps, KINDS[kind]),
                "event": ["login"] * len(rows),
                "user_id": ["u1"] * len(rows),
                "value": [1.0] * len(rows),
            }
        )
        frame.write_parquet(project.root / "data" / "events" / f"{day}.parquet")
        day += dt.timedelta(days=1)
    config = project.config()
    expected = full_scan_newest(config)
    assert expected is not None and expected >= LAST

    assert newest_usage_day(config) == expected


def _as_kind(stamps: pl.Series, dtype: pl.DataType) -> pl.Series:
    if isinstance(dtype, pl.Datetime):
        converted = stamps.dt.convert_time_zone(dtype.time_zone or "UTC")
        if dtype.time_zone is None:
            converted = converted.dt.replace_time_zone(None)
        return converted.dt.cast_time_unit(dtype.time_unit)
    if dtype == pl.Date:
        return stamps.dt.date()
    return stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_no_usage_at_all_is_none(make_project: ProjectFactory) -> None:
    project = make_project(
        milestones="- {id: m, due_day: 5, when: {metric: logins, gte: 1}}\n",
        accounts="a1,A,2026-01-01,x@example.com,1,p\n",
    )
    assert newest_usage_day(project.config()) is None
