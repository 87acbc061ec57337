"""Fold the early warning into the accounts-result frame (reports.schema.ACCOUNT_SCHEMA).

An account that the milestone rules call `on_track` but whose predicted risk is at or above
the threshold becomes `at_risk`; every account in `risk_detail` gets one reason sentence
first in `reasons`, so "why is this account amber" stays answerable:

    Early warning: 87% chance of turning off track within 14 days: integration_live due in
    8 days, no integrations yet (13 days in); no reports created yet (6 days in).

Off-track and completed accounts are never in `risk_detail`, so they are left alone.
"""

from __future__ import annotations

import polars as pl


def risk_reason(horizon: int) -> pl.Expr:
    """The reason sentence from `risk_probability` and `risk_drivers`."""
    percent = (pl.col("risk_probability") * 100).round(0).clip(1, 99).cast(pl.Int64)
    return pl.concat_str(
        pl.lit("Early warning: "),
        percent.cast(pl.String),
        pl.lit(f"% chance of turning off track within {horizon} days: "),
        pl.col("risk_drivers").list.join("; "),
        pl.lit("."),
    )


def with_risk(accounts: pl.DataFrame, detail: pl.DataFrame, horizon: int = 14) -> pl.DataFrame:
    """`accounts` with the early warning applied; same columns, same order, same types."""
    flagged = detail.select("account_id", "risk_probability", "risk_drivers").with_columns(
        __reason=risk_reason(horizon)
    )
    joined = accounts.join(flagged, on="account_id", how="left")
    warned = pl.col("__reason").is_not_null()
    return joined.with_columns(
        status=pl.when(warned & (pl.col("status") == "on_track"))
        .then(pl.lit("at_risk"))
        .otherwise(pl.col("status")),
        reasons=pl.when(warned)
        .then(pl.concat_list(pl.concat_list(pl.col("__reason")), pl.col("reasons")))
        .otherwise(pl.col("reasons")),
    ).select(accounts.columns)
