"""Metric definitions (`metrics.yaml`): what CS ops write, as frozen models.

    logins:              {count: events, where: {field: event, eq: login}}
    minutes_in_app:      {sum: value, where: {field: event, eq: login}}
    weekly_active_users: {distinct: user_id, window_days: 7}

`count` counts matching rows of a source; `sum` adds up a numeric column; `distinct` counts
distinct non-null values of a column. Without `window_days` the value on day d is cumulative
from the account's start_date; with `window_days: W` only days d-W+1..d count. `from` names the
source (`events`, the default, or `daily`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from segments.conditions import Condition

SourceName = Literal["events", "daily"]


class _Metric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    where: Condition | None = None
    window_days: int | None = Field(default=None, ge=1, le=3660)
    description: str | None = None


class CountMetric(_Metric):
    """Number of matching rows of a source."""

    count: SourceName

    @property
    def source(self) -> SourceName:
        return self.count


class SumMetric(_Metric):
    """Sum of a numeric column over matching rows."""

    sum: str
    from_: SourceName = Field(default="events", alias="from")

    @property
    def source(self) -> SourceName:
        return self.from_


class DistinctMetric(_Metric):
    """Number of distinct non-null values of a column (e.g. users) over matching rows."""

    distinct: str
    from_: SourceName = Field(default="events", alias="from")

    @property
    def source(self) -> SourceName:
        return self.from_


def _metric_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        kinds = [k for k in ("count", "sum", "distinct") if k in value]
        return f"{kinds[0]}_metric" if len(kinds) == 1 else None
    if isinstance(value, _Metric):
        return {CountMetric: "count", SumMetric: "sum", DistinctMetric: "distinct"}[
            type(value)
        ] + "_metric"
    return None


Metric = Annotated[
    Annotated[CountMetric, Tag("count_metric")]
    | Annotated[SumMetric, Tag("sum_metric")]
    | Annotated[DistinctMetric, Tag("distinct_metric")],
    Discriminator(
        _metric_kind,
        custom_error_type="metric",
        custom_error_message=(
            "expected exactly one of `count: events|daily`, `sum: COLUMN` or `distinct: COLUMN`"
        ),
    ),
]

#: Union tags that pydantic puts into error locations; config error reporting drops them.
METRIC_TAGS = frozenset({"count_metric", "sum_metric", "distinct_metric"})

MetricName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class MetricsFile(BaseModel):
    """The whole of `metrics.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metrics: dict[MetricName, Metric]


def value_column(metric: Metric) -> str | None:
    """The source column a metric reads besides account and day, if any."""
    if isinstance(metric, SumMetric):
        return metric.sum
    if isinstance(metric, DistinctMetric):
        return metric.distinct
    return None
