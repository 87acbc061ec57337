"""Text output of `journey risk evaluate` and `journey risk score` (pure: data -> lines)."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

from journey.risk.evaluation import Report, Scores
from journey.risk.service import RiskOptions


def _f(value: float, digits: int = 2) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _pct(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.0%}"


def _score_row(name: str, scores: Scores, width: int) -> str:
    return (
        f"  {name:<{width}}  {_f(scores.roc_auc):>7}  {_f(scores.average_precision):>13}  "
        f"{_f(scores.precision_at_k):>15}"
    )


def _table(rows: list[tuple[str, Scores]], k: int) -> list[str]:
    width = max(len(name) for name, _ in rows)
    header = f"  {'':<{width}}  {'ROC AUC':>7}  {'avg precision':>13}  {f'top-{k} per CSM':>15}"
    return [header, *(_score_row(name, scores, width) for name, scores in rows)]


def evaluation_lines(report: Report, as_of: dt.date, options: RiskOptions) -> list[str]:
    """What `journey risk evaluate` prints."""
    h = options.horizon
    rate = report.test_positive_rate
    chance = Scores(0.5, rate, rate)
    best = report.baselines[report.best_baseline]
    low, high = report.auc_interval
    lines = [
        f"Early-warning evaluation, data up to {as_of}",
        f"Question: of the accounts not off track on a given day, which turn off track within "
        f"{h} days?",
        f"  train: {report.train_rows} account-days, snapshots {report.train_days[0]} .. "
        f"{report.train_days[1]} (every {options.every} days), "
        f"{_pct(report.train_positive_rate)} turned off track",
        f"  test:  {report.test_rows} account-days ({report.test_accounts} accounts), snapshots "
        f"{report.test_days[0]} .. {report.test_days[1]}, {_pct(rate)} turned off track",
        f"  no look-ahead: the last training label is from {report.max_train_label_date}, "
        f"before the first test day {report.test_days[0]}",
        "",
        *_table(
            [
                ("model", report.model),
                *report.baselines.items(),
                ("chance (no skill)", chance),
            ],
            report.k,
        ),
        "",
        f"  model minus best baseline, ROC AUC: {report.model.roc_auc - best.roc_auc:+.2f} "
        f"(90% interval {low:+.2f} to {high:+.2f}, resampling accounts)",
        f"  calibration: Brier score {_f(report.brier, 3)} "
        f"(always guessing {_pct(rate)}: {_f(rate * (1 - rate), 3)}; lower is better)",
    ]
    lines += ["    predicted   account-days   mean predicted   turned off track"]
    lines += [
        f"    {bucket:<9}   {n:>12}   {_pct(predicted):>14}   {_pct(observed):>16}"
        for bucket, n, predicted, observed in report.calibration
    ]
    lines += [
        "",
        f"Today's at_risk rule on the test days flags {report.rule_flags} account-days: "
        f"precision {_pct(report.rule_precision)}, recall {_pct(report.rule_recall)}.",
        f"  The model flagging as many per day: precision "
        f"{_pct(report.model_precision_at_rule_flags)}, recall "
        f"{_pct(report.model_recall_at_rule_flags)}.",
    ]
    sub = report.unflagged
    if sub is not None:
        lines += [
            f"Accounts the rule does not flag ({sub.rows} account-days, "
            f"{_pct(sub.positive_rate)} turned off track): ROC AUC model "
            f"{_f(sub.model.roc_auc)}, best baseline {_f(sub.baseline.roc_auc)}.",
            f"  At probability >= {sub.threshold:.2f} the model flags {sub.flagged} of them: "
            f"precision {_pct(sub.precision)}, recall {_pct(sub.recall)}.",
        ]
    if report.unseen is not None:
        rows, model_auc, baseline_auc = report.unseen
        lines.append(
            f"Accounts that started after the training period ({rows} account-days): "
            f"ROC AUC model {_f(model_auc)}, best baseline {_f(baseline_auc)}."
        )
    lines += ["", "Verdict: " + verdict(report)]
    return lines


def verdict(report: Report) -> str:
    """One plain sentence: does the model beat the best simple baseline?"""
    best = report.baselines[report.best_baseline]
    low, _ = report.auc_interval
    if report.beats_baseline:
        return (
            f"the model beats the best simple baseline ({report.best_baseline.split(': ')[-1]}) "
            "on this test period."
        )
    if report.model.roc_auc <= best.roc_auc or math.isnan(low):
        return (
            "the model does NOT beat the simple baseline "
            f"({report.best_baseline.split(': ')[-1]}); do not rely on its probabilities."
        )
    return (
        "the model is not clearly better than the simple baseline (the interval includes "
        "zero); treat its probabilities as a hint only."
    )


def probability_text(p: float) -> str:
    """`73%`; never `100%` or `0%`, which would claim a certainty the model does not have."""
    if p >= 0.995:
        return ">99%"
    return "<1%" if p < 0.005 else f"{p:.0%}"


def score_lines(
    scored: pl.DataFrame, flagged: pl.DataFrame, as_of: dt.date, options: RiskOptions
) -> list[str]:
    """What `journey risk score` prints: the flagged accounts with their reasons."""
    at_or_above = scored.filter(pl.col("risk_probability") >= options.threshold)
    new = at_or_above.filter(~pl.col("rule_at_risk")).height
    lines = [
        f"Risk of turning off track within {options.horizon} days, as of {as_of}: "
        f"{at_or_above.height} of {scored.height} accounts not yet off track at >= "
        f"{options.threshold:.2f}; {new} of them are not flagged by the at_risk rule "
        f"(showing {flagged.height})",
    ]
    for row in flagged.iter_rows(named=True):
        rule = "at_risk by rule" if row["rule_at_risk"] else "new warning"
        lines.append(
            f"  {row['account_id']:<12} {probability_text(row['risk_probability']):>4}  "
            f"{rule:<16}  {row['csm_email']}"
        )
        lines += [f"      - {driver}" for driver in row["risk_drivers"]]
    return lines
