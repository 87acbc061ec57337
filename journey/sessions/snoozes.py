"""Snoozes: a CSM acknowledges an off-track flag and hides it from reports for a while.

A snooze is *active* on `as_of` while all of these hold:

- it was not revoked (by `journey snooze revoke` or by a newer snooze of the same account);
- `as_of < until` — the flag is back on the `until` day itself;
- the account's current status equals its status when it was snoozed — any change (worse,
  better, or back again) ends the snooze, because what was acknowledged is no longer the
  situation.

`active_snoozes` reads the store; `select_active` is the pure rule, tested with literal frames.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from journey.errors import NotFoundError, UsageError
from journey.sessions.tables import Snooze
from reports.schema import SNOOZE_SCHEMA

#: Every stored snooze (SNOOZE_SCHEMA + bookkeeping), as `load_snoozes` returns it.
SNOOZE_DETAIL_SCHEMA: dict[str, pl.DataType] = {
    "snooze_id": pl.Int64(),
    **SNOOZE_SCHEMA,
    "run_as_of": pl.Date(),
    "revoked_at": pl.Datetime("us", "UTC"),
    "revoked_by": pl.String(),
}


def select_active(
    snoozes: pl.DataFrame, as_of: dt.date, current_statuses: pl.DataFrame
) -> pl.DataFrame:
    """The snoozes active on `as_of` (SNOOZE_SCHEMA), given account_id -> current status."""
    statuses = current_statuses.select(
        pl.col("account_id").cast(pl.String), pl.col("status").cast(pl.String)
    )
    return (
        snoozes.filter(pl.col("revoked_at").is_null() & (pl.lit(as_of) < pl.col("until")))
        .join(statuses, on="account_id", how="inner")
        .filter(pl.col("status") == pl.col("status_at_snooze"))
        .sort("account_id")
        .select(list(SNOOZE_SCHEMA))
    )


def describe_snoozes(
    snoozes: pl.DataFrame, as_of: dt.date, current_statuses: pl.DataFrame
) -> pl.DataFrame:
    """Every snooze with a `state`: active, revoked, expired, or `status now X` (ended)."""
    statuses = current_statuses.select(
        pl.col("account_id").cast(pl.String), pl.col("status").cast(pl.String)
    )
    state = (
        pl.when(pl.col("revoked_at").is_not_null())
        .then(pl.lit("revoked"))
        .when(pl.lit(as_of) >= pl.col("until"))
        .then(pl.lit("expired"))
        .when(~pl.col("status").eq_missing(pl.col("status_at_snooze")))
        .then(pl.concat_str(pl.lit("status now "), pl.col("status").fill_null("gone")))
        .otherwise(pl.lit("active"))
    )
    return (
        snoozes.join(statuses, on="account_id", how="left").with_columns(state=state).drop("status")
    )


def load_snoozes(engine: Engine, *, include_revoked: bool = False) -> pl.DataFrame:
    """Stored snoozes (SNOOZE_DETAIL_SCHEMA), newest first."""
    query = select(Snooze).order_by(col(Snooze.created_at).desc(), col(Snooze.id).desc())
    if not include_revoked:
        query = query.where(col(Snooze.revoked_at).is_(None))
    with Session(engine) as db:
        rows = [row.model_dump() for row in db.exec(query).all()]
    for row in rows:
        row["snooze_id"] = row.pop("id")
    return pl.DataFrame(rows, schema=SNOOZE_DETAIL_SCHEMA, orient="row").select(
        list(SNOOZE_DETAIL_SCHEMA)
    )


def active_snoozes(engine: Engine, as_of: dt.date, current_statuses: pl.DataFrame) -> pl.DataFrame:
    """Accounts whose off-track flag is hidden on `as_of` (SNOOZE_SCHEMA).

    `current_statuses` has account_id and status (the accounts-result frame will do). Drop
    these accounts from the ranked list; an account missing from it is never snoozed.
    """
    return select_active(load_snoozes(engine), as_of, current_statuses)


def create_snooze(
    engine: Engine,
    *,
    account_id: str,
    status: str,
    run_as_of: dt.date,
    until: dt.date,
    reason: str,
    created_by: str,
    now: dt.datetime,
) -> Snooze:
    """Snooze an account at its current status; a newer snooze supersedes an older one."""
    if not reason.strip():
        raise UsageError("--reason must say why the flag is acknowledged")
    if until <= run_as_of:
        raise UsageError(f"--until {until} is not after the latest run ({run_as_of})")
    with Session(engine) as db:
        _revoke(db, account_id, by=f"{created_by} (superseded)", now=now)
        snooze = Snooze(
            account_id=account_id,
            until=until,
            reason=reason.strip(),
            created_by=created_by,
            created_on=now.date(),
            created_at=now,
            status_at_snooze=status,
            run_as_of=run_as_of,
        )
        db.add(snooze)
        db.commit()
        db.refresh(snooze)
        return snooze


def revoke_snooze(engine: Engine, account_id: str, *, by: str, now: dt.datetime) -> int:
    """Revoke the account's snooze; NotFoundError (exit 2) if it has none."""
    with Session(engine) as db:
        revoked = _revoke(db, account_id, by=by, now=now)
        db.commit()
    if not revoked:
        raise NotFoundError(f"account {account_id!r} has no snooze to revoke")
    return revoked


def _revoke(db: Session, account_id: str, *, by: str, now: dt.datetime) -> int:
    result = db.exec(
        update(Snooze)
        .where(col(Snooze.account_id) == account_id, col(Snooze.revoked_at).is_(None))
        .values(revoked_at=now, revoked_by=by)
    )
    return int(result.rowcount or 0)
