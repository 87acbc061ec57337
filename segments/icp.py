"""Ideal customer profiles: weighted criteria -> a fit score per account.

An account's fit to a profile is the weighted share of its criteria that hold (0..1); the
account *fits* the profile when fit >= `min_fit`. Each profile adds two columns to the
accounts frame: `fit.<id>` (Float64) and `fits.<id>` (Boolean); `icp` names the best-fitting
profile the account fits (ties: the one listed first) and `icp_fit` is the highest fit score.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from segments.conditions import Condition, to_expr


class Criterion(BaseModel):
    """One criterion: a condition with a weight (default 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    condition: Condition
    weight: float = Field(default=1.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _split_weight(cls, data: Any) -> Any:
        # In YAML a criterion is written flat: {field: region, in: [NA], weight: 0.5}.
        if isinstance(data, dict) and "condition" not in data:
            data = dict(data)
            weight = data.pop("weight", 1.0)
            return {"condition": data, "weight": weight}
        if isinstance(data, str):
            return {"condition": data}
        return data


class Icp(BaseModel):
    """An ideal customer profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    name: str | None = None
    description: str | None = None
    min_fit: float = Field(default=1.0, ge=0, le=1)
    criteria: tuple[Criterion, ...] = Field(min_length=1)


def fit_column(icp_id: str) -> str:
    return f"fit.{icp_id}"


def fits_column(icp_id: str) -> str:
    return f"fits.{icp_id}"


def fit_expr(icp: Icp) -> pl.Expr:
    """Weighted share of the profile's criteria that hold, 0..1."""
    total = sum(c.weight for c in icp.criteria)
    met = pl.sum_horizontal(
        [to_expr(c.condition).cast(pl.Float64) * c.weight for c in icp.criteria]
    )
    return met / total


def with_icp_fit(accounts: pl.LazyFrame, icps: tuple[Icp, ...]) -> pl.LazyFrame:
    """Add `fit.<id>`, `fits.<id>` per profile, and the summary columns `icp`, `icp_fit`."""
    if not icps:
        return accounts.with_columns(
            icp=pl.lit(None, dtype=pl.String), icp_fit=pl.lit(0.0, dtype=pl.Float64)
        )
    frame = accounts.with_columns(
        [fit_expr(icp).alias(fit_column(icp.id)) for icp in icps]
    ).with_columns(
        [(pl.col(fit_column(icp.id)) >= icp.min_fit).alias(fits_column(icp.id)) for icp in icps]
    )
    best = pl.lit(None, dtype=pl.String)
    best_fit = pl.lit(-1.0)
    # Walk the profiles in reverse so that on equal fit the one listed first wins.
    for icp in reversed(icps):
        fit = pl.col(fit_column(icp.id))
        better = pl.col(fits_column(icp.id)) & (fit >= best_fit)
        best = pl.when(better).then(pl.lit(icp.id)).otherwise(best)
        best_fit = pl.when(better).then(fit).otherwise(best_fit)
    return frame.with_columns(
        icp=best,
        icp_fit=pl.max_horizontal([pl.col(fit_column(icp.id)) for icp in icps]),
    )
