"""Account status from milestone states (DESIGN §6), and the two result frames.

The result frames follow `reports.schema` exactly: that contract is what the store keeps and
what reports read.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from reports.schema import ACCOUNT_SCHEMA, MILESTONE_SCHEMA


def account_status(milestones: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """One row per account: status, lag, location vs expected location, reasons."""
    state = pl.col("state")
    achieved = pl.col("achieved_on").is_not_null()
    overdue = state == "overdue"
    ordered = milestones.sort("account_id", "position")
    per_account = ordered.group_by("account_id", maintain_order=True).agg(
        status=pl.when(overdue.any())
        .then(pl.lit("off_track"))
        .when(pl.col("at_risk").any())
        .then(pl.lit("at_risk"))
        .when(achieved.all())
        .then(pl.lit("completed"))
        .otherwise(pl.lit("on_track")),
        lag_days=(pl.lit(as_of) - pl.col("due_on").filter(overdue).min())
        .dt.total_days()
        .cast(pl.Int32),
        milestones_total=pl.len().cast(pl.Int32),
        milestones_achieved=achieved.sum().cast(pl.Int32),
        milestones_expected=(pl.col("due_on") <= as_of).sum().cast(pl.Int32),
        location=pl.col("milestone").filter(achieved),
        expected_location=pl.col("milestone").filter(pl.col("due_on") <= as_of),
        reasons=pl.col("reason").filter(pl.col("reason").is_not_null()),
        next_milestone=pl.col("milestone").filter(~achieved).first(),
        next_due=pl.col("due_on").filter(~achieved).first(),
    )
    summary = (
        pl.when(pl.col("status") == "completed")
        .then(
            pl.concat_str(
                pl.lit("All "),
                pl.col("milestones_total").cast(pl.String),
                pl.lit(" milestones achieved."),
            )
        )
        .otherwise(
            pl.concat_str(
                pl.col("milestones_achieved").cast(pl.String),
                pl.lit(" of "),
                pl.col("milestones_total").cast(pl.String),
                pl.lit(" milestones achieved ("),
                pl.col("milestones_expected").cast(pl.String),
                pl.lit(" due so far); next: "),
                pl.col("next_milestone"),
                pl.lit(", due "),
                pl.col("next_due").dt.to_string("%Y-%m-%d"),
                pl.lit("."),
            )
        )
    )
    # Reasons that explain a red or amber status come first; the summary always closes.
    return per_account.with_columns(
        reasons=pl.concat_list(pl.col("reasons"), pl.concat_list(summary))
    ).drop("next_milestone", "next_due")


def account_results(
    accounts: pl.LazyFrame,
    milestones: pl.LazyFrame,
    last_activity: pl.LazyFrame,
    journey_names: dict[str, str],
    as_of: dt.date,
) -> pl.LazyFrame:
    """The accounts-result frame (reports.schema.ACCOUNT_SCHEMA)."""
    names = pl.LazyFrame(
        {"journey": list(journey_names), "journey_name": list(journey_names.values())},
        schema={"journey": pl.String, "journey_name": pl.String},
    )
    status = account_status(milestones, as_of)
    frame = (
        accounts.join(status, on="account_id", how="inner")
        .join(names, on="journey", how="left")
        .join(last_activity, on="account_id", how="left")
        .with_columns(
            as_of=pl.lit(as_of),
            day_of_journey=(pl.lit(as_of) - pl.col("start_date")).dt.total_days(),
            arr=pl.col("arr") if "arr" in accounts.collect_schema() else pl.lit(None),
        )
    )
    return frame.select([pl.col(name).cast(dtype) for name, dtype in ACCOUNT_SCHEMA.items()]).sort(
        "account_id"
    )


def milestone_results(milestones: pl.LazyFrame) -> pl.LazyFrame:
    """The milestones-result frame (reports.schema.MILESTONE_SCHEMA)."""
    return milestones.select(
        [pl.col(name).cast(dtype) for name, dtype in MILESTONE_SCHEMA.items()]
    ).sort("account_id", "position")
