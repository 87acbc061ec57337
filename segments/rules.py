"""Segmentation rules: ordered, first match wins; each segment maps to a journey."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from segments.conditions import Condition, to_expr
from segments.icp import Icp, fits_column, with_icp_fit


class Segment(BaseModel):
    """One rule of `segments.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    journey: str
    when: Condition
    description: str | None = None


def icp_resolver(column: str) -> pl.Expr:
    """`{icp: ID}` reads the `fits.<ID>` column made by `with_icp_fit`."""
    return pl.col(fits_column(column))


def segment_expr(segments: tuple[Segment, ...], attribute: str) -> pl.Expr:
    """The first matching segment's `id` or `journey`; null when no rule matches."""
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for segment in reversed(segments):
        value = segment.id if attribute == "id" else segment.journey
        expr = pl.when(to_expr(segment.when, icp_resolver)).then(pl.lit(value)).otherwise(expr)
    return expr


def assign_segments(
    accounts: pl.LazyFrame, segments: tuple[Segment, ...], icps: tuple[Icp, ...]
) -> pl.LazyFrame:
    """Add ICP fit columns, then `segment` and `journey` by the first matching rule."""
    return with_icp_fit(accounts, icps).with_columns(
        segment=segment_expr(segments, "id"),
        journey=segment_expr(segments, "journey"),
    )
