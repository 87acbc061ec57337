"""Drivers: the reasons behind a probability, in words a CSM can act on."""

from __future__ import annotations

import datetime as dt

import polars as pl

from journey.risk import RISK_DETAIL_SCHEMA, RiskOptions, risk_detail
from journey.risk.explain import driver_text, feature_group
from support import Project

ROW = {
    "next_milestone": "weekly_active_10",
    "next_metric": "weekly_active_users",
    "next_threshold": 10.0,
    "next_progress": 0.3,
    "next_pace_gap": 0.25,
    "next_days_to_due": 9.0,
    "journey_day": 36.0,
    "days_since_activity": 12.0,
    "weekly_active_users.level": 3.0,
    "weekly_active_users.change_7d": 0.0,
    "weekly_active_users.days_flat": 14.0,
    "integrations.level": 0.0,
    "integrations.change_7d": 0.0,
    "integrations.days_flat": 36.0,
    "due_done_share": 0.5,
    "segment": "growth",
    "journey": "growth_onboarding",
    "arr": None,
}


def test_driver_sentences_use_the_accounts_own_values() -> None:
    assert driver_text("metric:weekly_active_users", ROW) == (
        "weekly active users flat at 3 for 14 days (needs 10 for weekly_active_10)"
    )
    assert driver_text("milestone", ROW) == (
        "weekly_active_10 due in 9 days, weekly active users at 3 of 10"
    )
    assert driver_text("metric:integrations", ROW) == "no integrations yet (36 days in)"
    assert driver_text("activity", ROW) == "no activity for 12 days"
    assert driver_text("arr", ROW) == "no ARR on record"
    late = {**ROW, "next_days_to_due": -2.0}
    assert driver_text("milestone", late).startswith("weekly_active_10 2 days past due")


def test_features_fall_into_explainable_groups() -> None:
    assert feature_group("weekly_active_users.change_7d") == "metric:weekly_active_users"
    assert feature_group("next_days_to_due") == "milestone"
    assert feature_group("days_since_activity") == "activity"


def test_risk_detail_lists_accounts_with_probability_and_reasons(synthetic: Project) -> None:
    as_of = dt.date(2026, 5, 1)
    detail = risk_detail(synthetic.config(), as_of, RiskOptions(threshold=0.5)).accounts
    assert detail.schema == pl.Schema(RISK_DETAIL_SCHEMA)
    assert detail.height > 0
    assert detail["risk_probability"].min() >= 0.5  # type: ignore[operator]
    assert detail["risk_probability"].is_sorted(descending=True)
    reasons = detail["risk_drivers"].to_list()
    assert all(1 <= len(r) <= 3 for r in reasons)
    # Off-track accounts are never listed: their status already says so.
    off_track = synthetic.evaluate(as_of.isoformat()).accounts.filter(
        pl.col("status").is_in(["off_track", "completed"])
    )
    assert not set(detail["account_id"]) & set(off_track["account_id"])
    # The known signal (logins stopping) shows up among the reasons.
    assert any("logins" in sentence for r in reasons for sentence in r)


def test_the_next_milestones_metric_joins_the_milestone_sentence() -> None:
    from journey.risk.explain import _sentences

    row = {**ROW, "next_metric": "integrations", "next_milestone": "integration_live"}
    row["next_threshold"] = 1.0
    sentences = _sentences(["milestone", "metric:integrations", "activity"], row)
    assert sentences == [
        "integration_live due in 9 days, no integrations yet (36 days in)",
        "no activity for 12 days",
    ]


def test_risk_detail_with_too_little_history_is_empty_not_an_error(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project(
        milestones="- {id: m, due_day: 5, when: {metric: logins, gte: 1}}\n",
        accounts="a,A,2026-01-01,ana@example.com,1000,x\nb,B,2026-01-03,ana@example.com,,x\n",
        events="a,2026-01-02T10:00:00Z,login,u1,\n",
    )
    detail = risk_detail(project.config(), dt.date(2026, 1, 4)).accounts
    assert detail.is_empty()
    assert detail.schema == pl.Schema(RISK_DETAIL_SCHEMA)
