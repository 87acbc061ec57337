"""Guards against false alarms: stale usage data, and a sudden wave of newly off-track accounts.

Pure functions decide; the nightly run records their verdicts on the run ledger (`notes`), and
`email_hold_reason` reads them back for the send path. A note that starts with `HOLD_PREFIX`
holds that run's weekly email.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from sqlalchemy import Engine, select
from sqlmodel import col

from journey.config import Config
from journey.errors import DataError
from journey.evaluate import Evaluation
from journey.settings import Freshness
from journey.store.tables import Run

HOLD_PREFIX = "email held: "


def freshness_notes(config: Config, evaluation: Evaluation) -> tuple[str, ...]:
    """Warnings about stale usage data; raises DataError when the run must not go on.

    Stale means the newest usage day is more than `error_after_days` before as_of (or there is
    no usage at all): with `on_stale: fail` the run stops (exit 4) before writing anything;
    with `on_stale: warn` it goes on, and the note holds the weekly email (see `hold_notes`).
    """
    freshness = config.settings.freshness
    newest = evaluation.newest_usage_day
    if newest is None:
        message = f"no usage data on or before {evaluation.as_of}"
        age = None
    else:
        age = (evaluation.as_of - newest).days
        message = (
            f"the newest usage data is from {newest}, {age} day(s) before as_of {evaluation.as_of}"
        )
    if age is None or age > freshness.error_after_days:
        if freshness.on_stale == "fail":
            raise DataError(
                f"stale input: {message} (limit: {freshness.error_after_days} days). "
                "Not storing results, so stale data cannot raise false off-track alerts. "
                "Load fresh data, pass an earlier --as-of, or set freshness.on_stale: warn."
            )
        return (f"stale input: {message}",)
    if age > freshness.warn_after_days:
        return (f"usage data is getting old: {message}",)
    return ()


def newly_off_track(previous: pl.DataFrame, accounts: pl.DataFrame) -> tuple[int, int]:
    """(accounts newly off track, accounts compared) between the previous and this run.

    `previous` has account_id and status as of the previous run; only accounts present in both
    runs are compared, so new accounts never trip the breaker.
    """
    both = accounts.select("account_id", "status").join(
        previous.select("account_id", pl.col("status").alias("before")), on="account_id"
    )
    newly = both.filter((pl.col("status") == "off_track") & (pl.col("before") != "off_track"))
    return newly.height, both.height


def breaker_reason(newly: int, compared: int, freshness: Freshness) -> str | None:
    """Why the circuit breaker trips, or None: too large a share went off track at once."""
    limit = freshness.max_newly_off_track_share
    if compared == 0 or newly / compared <= limit:
        return None
    return (
        f"{newly} of {compared} accounts ({newly / compared:.0%}) went off track since the "
        f"previous run, more than freshness.max_newly_off_track_share ({limit:.0%}); "
        "this usually means missing or late usage data. Check the inputs and re-run."
    )


def hold_notes(freshness_warnings: tuple[str, ...], breaker: str | None) -> tuple[str, ...]:
    """The ledger notes that hold this run's weekly email."""
    held = [w for w in freshness_warnings if w.startswith("stale input:")]
    if breaker is not None:
        held.append(f"circuit breaker: {breaker}")
    return tuple(HOLD_PREFIX + reason for reason in held)


def hold_reason_from_notes(notes: list[str]) -> str | None:
    """The hold reasons recorded in a run's notes, joined; None when nothing holds the email."""
    reasons = [n.removeprefix(HOLD_PREFIX) for n in notes if n.startswith(HOLD_PREFIX)]
    return "; ".join(reasons) or None


def email_hold_reason(engine: Engine, as_of: dt.date | None = None) -> str | None:
    """Why the weekly email for the run of `as_of` (default: the newest run) must be held.

    None means send. A reason is returned when the run recorded stale input or tripped the
    circuit breaker, or when no run is stored for `as_of`.
    """
    query = select(Run).order_by(col(Run.as_of).desc()).limit(1)
    if as_of is not None:
        query = select(Run).where(col(Run.as_of) == as_of)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return f"no run is stored for {as_of}" if as_of else "no run is stored yet"
    return hold_reason_from_notes(json.loads(row["notes"] or "[]"))
