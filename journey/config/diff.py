"""`journey segments diff`: which accounts a proposed config would move, and how.

Pure: takes each config's *placements* (one row per account: segment, journey and status
under that config, on the same data and as_of) and returns the changes, the counts per
transition and a text or JSON report — what a reviewer reads before merging.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import polars as pl

#: What can change for an account, in report order.
ASPECTS: tuple[str, ...] = ("segment", "journey", "status")

#: Shown for an account with no segment (no rule matched) or no status (not evaluated).
NONE = "(none)"
NOT_EVALUATED = "(not evaluated)"


def placements(assigned: pl.DataFrame, evaluated: pl.DataFrame) -> pl.DataFrame:
    """account_id, name, segment, journey, status: every account under one config.

    `assigned` has every account with its segment and journey (`segments.assign_segments`);
    `evaluated` is the evaluation's accounts frame (accounts started by as_of and assigned).
    """
    return (
        assigned.select("account_id", "name", "segment", "journey")
        .join(evaluated.select("account_id", "status"), on="account_id", how="left")
        .with_columns(
            pl.col("segment").fill_null(NONE),
            pl.col("journey").fill_null(NONE),
            pl.col("status").fill_null(NOT_EVALUATED),
        )
    )


def moved_accounts(before: pl.DataFrame, after: pl.DataFrame) -> pl.Series:
    """The account_ids whose journey differs between two assignments (`assign_segments`),
    an account with a journey in one and none in the other included."""
    joined = before.select("account_id", "journey").join(
        after.select("account_id", "journey"), on="account_id", how="full", suffix="_after"
    )
    differs = joined.filter(pl.col("journey").ne_missing(pl.col("journey_after")))
    return differs.select(pl.coalesce("account_id", "account_id_after")).to_series()


def account_changes(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """One row per account whose segment, journey or status differs; `changed` lists which."""
    joined = before.join(
        after.select("account_id", *ASPECTS), on="account_id", how="full", suffix="_after"
    ).with_columns(pl.coalesce("account_id", "account_id_after").alias("account_id"))
    renamed = joined.rename({aspect: f"{aspect}_before" for aspect in ASPECTS}).with_columns(
        [pl.col(f"{a}_{side}").fill_null(NONE) for a in ASPECTS for side in ("before", "after")]
    )
    differs = {a: pl.col(f"{a}_before") != pl.col(f"{a}_after") for a in ASPECTS}
    changed = pl.concat_list(
        [pl.when(d).then(pl.lit(a)).otherwise(pl.lit(None)) for a, d in differs.items()]
    ).list.drop_nulls()
    return (
        renamed.with_columns(changed=changed)
        .filter(pl.col("changed").list.len() > 0)
        .select(
            "account_id",
            "name",
            *[f"{a}_{side}" for a in ASPECTS for side in ("before", "after")],
            "changed",
        )
        .sort("account_id")
    )


def transitions(changes: pl.DataFrame, aspect: str, sample: int = 5) -> list[dict[str, Any]]:
    """Counts per `before -> after` of one aspect, largest first, with sample account ids."""
    moved = changes.filter(pl.col(f"{aspect}_before") != pl.col(f"{aspect}_after"))
    grouped = (
        moved.group_by(f"{aspect}_before", f"{aspect}_after")
        .agg(pl.len().alias("accounts"), pl.col("account_id").sort().head(sample).alias("sample"))
        .sort(["accounts", f"{aspect}_before", f"{aspect}_after"], descending=[True, False, False])
    )
    return [
        {"from": before, "to": after, "accounts": count, "sample": ids}
        for before, after, count, ids in grouped.iter_rows()
    ]


@dataclass(frozen=True)
class SegmentsDiff:
    """The whole comparison of two configs on the same data."""

    current: str
    proposed: str
    as_of: dt.date
    accounts: int
    changes: pl.DataFrame

    def summary(self) -> dict[str, Any]:
        by_aspect = {
            a: self.changes.filter(pl.col("changed").list.contains(a)).height for a in ASPECTS
        }
        return {"accounts": self.accounts, "changed": self.changes.height, **by_aspect}

    def as_json(self) -> str:
        payload = {
            "current": self.current,
            "proposed": self.proposed,
            "as_of": self.as_of.isoformat(),
            "summary": self.summary(),
            "transitions": {a: transitions(self.changes, a) for a in ASPECTS},
            "accounts": self.changes.to_dicts(),
        }
        return json.dumps(payload, indent=2, default=str)

    def as_text(self, sample: int = 20) -> str:
        s = self.summary()
        lines = [
            f"Segments diff: {self.current} -> {self.proposed}, as of {self.as_of} "
            f"({s['accounts']} accounts)"
        ]
        if not s["changed"]:
            lines.append("No account would change segment, journey or status.")
            return "\n".join(lines)
        lines.append(
            f"{s['changed']} account(s) would change: segment {s['segment']}, "
            f"journey {s['journey']}, status {s['status']}"
        )
        for aspect in ASPECTS:
            moves = transitions(self.changes, aspect)
            if not moves:
                continue
            lines.append(f"\n{aspect.capitalize()} changes:")
            for t in moves:
                lines.append(
                    f"  {t['accounts']:>6}  {t['from']} -> {t['to']}"
                    f"   e.g. {', '.join(t['sample'])}"
                )
        shown = self.changes.head(sample)
        lines.append(f"\nSample ({shown.height} of {self.changes.height}):")
        for row in shown.iter_rows(named=True):
            moved = "; ".join(
                f"{a} {row[f'{a}_before']} -> {row[f'{a}_after']}" for a in row["changed"]
            )
            lines.append(f"  {row['account_id']:<12} {str(row['name'])[:24]:<24}  {moved}")
        return "\n".join(lines)
