"""Settings (`config/settings.yaml`): sources, timezone, database, report and email.

No secrets live here: SMTP credentials come only from JOURNEY_SMTP_USER and
JOURNEY_SMTP_PASSWORD, and JOURNEY_DATABASE_URL overrides `database`.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from metrics.sources import SourceSpec
from reports.ranking import PriorityWeights


def _polars_knows(zone: str) -> None:
    """ValueError unless polars, which turns event times into days, has the zone too (it
    lacks a few that zoneinfo has, such as `Factory`)."""
    try:
        pl.Series([0], dtype=pl.Datetime("us", "UTC")).dt.convert_time_zone(zone)
    except pl.exceptions.PolarsError as exc:
        raise ValueError(zone) from exc


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Sources(_Model):
    accounts: SourceSpec
    events: SourceSpec | None = None
    daily: SourceSpec | None = None


class Freshness(_Model):
    """How old the newest usage data may be, in days before as_of."""

    warn_after_days: int = Field(default=1, ge=0)
    error_after_days: int = Field(default=3, ge=0)
    on_stale: Literal["fail", "warn"] = "fail"
    max_newly_off_track_share: float = Field(
        default=0.3,
        gt=0,
        le=1,
        description="Circuit breaker: hold the weekly email when more than this share of "
        "accounts went off track since the previous run (likely a data problem).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Freshness:
        if self.error_after_days < self.warn_after_days:
            raise ValueError("error_after_days must be >= warn_after_days")
        return self


class ReportSettings(_Model):
    top_n: int = Field(default=15, ge=1, le=200)
    out_dir: str = "reports/out"
    weights: PriorityWeights = Field(
        default_factory=PriorityWeights, description="Priority weights (docs/weekly-report.md)."
    )
    base_url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="Where out_dir is published; makes the email's brief links absolute.",
    )


class EmailSettings(_Model):
    from_: str = Field(alias="from", pattern=r"^[^@\s]+@[^@\s]+$")
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    reply_to: str | None = None
    manager: str | None = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="Who receives the manager rollup (none: no rollup email).",
    )
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    attempts: int = Field(default=4, ge=1, le=10, description="Tries per message on 4xx.")
    backoff_seconds: float = Field(
        default=2.0, ge=0, le=300, description="First retry delay; doubles each retry."
    )


class RiskSettings(_Model):
    """The learned early warning in the nightly run (journey.risk; docs/risk.md)."""

    enabled: bool = Field(
        default=True, description="Mark on-track accounts with a high predicted risk at_risk."
    )
    horizon_days: int = Field(
        default=14, ge=1, le=90, description="Predict going off track within this many days."
    )
    threshold: float = Field(
        default=0.5, gt=0, lt=1, description="Probability at or above which an account is flagged."
    )
    max_training_rows: int = Field(
        default=200_000,
        ge=1_000,
        description="Fit on at most this many labelled snapshot rows (a fixed random sample "
        "when there are more): keeps the nightly fit within seconds at any number of accounts.",
    )


class LargeRuns(_Model):
    """Full runs too large to evaluate at once (journey.batches; docs/operations.md)."""

    max_account_days: int | None = Field(
        default=None,
        ge=1,
        description="Evaluate at most about this many account-days (days from each account's "
        "start through as-of) at once; more are taken in batches. Default 20,000,000 (about "
        "5 GB at 1,000,000 accounts); lower it on a smaller machine.",
    )
    max_usage_rows: int | None = Field(
        default=None,
        ge=1,
        description="And at most about this many usage rows per batch: Parquet files' counted "
        "from their metadata, CSV files' estimated from their size, a SQL query's as it "
        "returned them. Default 250,000,000.",
    )
    scratch_dir: str | None = Field(
        default=None,
        description="Where a batched run sets its usage rows aside while it runs (up to twice "
        "the usage data's size), and a SQL query's result of over 2 million rows goes; "
        "removed afterwards: a folder inside the project or an absolute path, e.g. on a "
        "larger disk. Default .journey/spill in the project.",
    )


class Settings(_Model):
    timezone: str = "UTC"
    sources: Sources
    database: str = "sqlite:///journey.db"
    freshness: Freshness = Freshness()
    report: ReportSettings = ReportSettings()
    email: EmailSettings | None = None
    risk: RiskSettings = RiskSettings()
    large_runs: LargeRuns = LargeRuns()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
            _polars_knows(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown timezone {value!r}; use an IANA name such as UTC or Europe/Berlin"
            ) from exc
        return value
