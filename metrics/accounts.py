"""The accounts input: conform to the contract, quarantining bad rows."""

from __future__ import annotations

import polars as pl

from metrics.contracts import (
    ACCOUNT_COLUMNS,
    Quarantine,
    examples,
    not_a_number,
    numeric,
    parse_dates,
    require_columns,
)
from metrics.errors import InputError


def conform_accounts(
    frame: pl.LazyFrame, source: str = "accounts"
) -> tuple[pl.DataFrame, list[Quarantine]]:
    """Validate and type the accounts source.

    Returns the clean accounts (one row per account_id, canonical types) and what was set
    aside: rows without an account_id, with an unparseable start_date, or repeating an
    account_id already seen (the first row wins). An `arr` that is not a number is read as
    empty and counted.
    """
    schema = frame.collect_schema()
    require_columns(schema, ACCOUNT_COLUMNS, source)
    try:
        raw = frame.with_row_index("__row").collect()
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"source `{source}`: cannot read: {exc}", source=source) from exc
    bad_arr = not_a_number("arr", schema)
    typed = (
        parse_dates(raw.lazy(), "start_date", schema["start_date"], source)
        .with_columns(
            account_id=pl.col("account_id").cast(pl.String).str.strip_chars(),
            name=pl.col("name").cast(pl.String),
            csm_email=pl.col("csm_email").cast(pl.String).str.strip_chars(),
            arr=numeric("arr", schema, source),
            __bad_arr=pl.lit(False) if bad_arr is None else bad_arr,  # of the text as it came
        )
        .collect()
    )
    problems: list[Quarantine] = []

    def rejected(rows: pl.DataFrame, reason: str) -> pl.DataFrame:
        original = raw.join(rows.select("__row"), on="__row").sort("__row").drop("__row")
        return original.select(pl.all().cast(pl.String), pl.lit(reason).alias("reason"))

    no_id = typed.filter(pl.col("account_id").is_null() | (pl.col("account_id") == ""))
    if no_id.height:
        reason = "empty account_id"
        problems.append(
            Quarantine(
                source, reason, no_id.height, examples(no_id, "__row"), rejected(no_id, reason)
            )
        )
    typed = typed.filter(pl.col("account_id").is_not_null() & (pl.col("account_id") != ""))

    bad_start = typed.filter(pl.col("start_date").is_null())
    if bad_start.height:
        raw_values = raw.join(bad_start.select("__row"), on="__row").get_column("start_date")
        reason = "start_date missing or not a date (expected YYYY-MM-DD)"
        problems.append(
            Quarantine(
                source,
                reason,
                bad_start.height,
                tuple(repr(v) for v in raw_values.head(3).to_list()),
                rejected(bad_start, reason),
            )
        )
    typed = typed.filter(pl.col("start_date").is_not_null())

    duplicate = typed.filter(pl.col("account_id").is_duplicated()).filter(
        pl.col("__row") != pl.col("__row").min().over("account_id")
    )
    if duplicate.height:
        reason = "duplicate account_id (the first row is kept)"
        problems.append(
            Quarantine(
                source,
                reason,
                duplicate.height,
                examples(duplicate, "account_id"),
                rejected(duplicate, reason),
            )
        )
        typed = typed.join(duplicate.select("__row"), on="__row", how="anti")

    not_numbers = typed.filter(pl.col("__bad_arr"))
    if not_numbers.height:
        problems.append(
            Quarantine(
                source,
                "arr is not a number (read as empty)",
                not_numbers.height,
                examples(not_numbers, "account_id"),
                kept=True,
            )
        )
    return typed.sort("__row").drop("__row", "__bad_arr"), problems
