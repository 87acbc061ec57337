"""Why an account is at risk, in words a CSM can act on.

Drivers are found by occlusion: for each group of related features (one metric's level,
7-day change and days flat; the next milestone's progress; its timing; activity; ...), the
group is replaced by a typical value of accounts that did *not* go off track in training
(the median; for categories the most common), and the drop in predicted risk is that group's
contribution. The two or three groups with the largest drops become sentences built from
the account's own values: "weekly active users flat at 3 for 14 days", "9 days before
weekly_active_10 is due".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from journey.risk.model import RiskModel

#: Smallest drop in probability for a group to count as a driver.
MIN_EFFECT = 0.02

Row = dict[str, Any]


def feature_group(name: str) -> str:
    """The explanation group a feature belongs to."""
    if "." in name:
        return "metric:" + name.rsplit(".", 1)[0]
    return {
        "next_progress": "milestone",
        "next_pace_gap": "milestone",
        "next_progress_7d": "milestone",
        "next_days_to_due": "milestone",
        "next_due_day": "milestone",
        "journey_day": "milestone",
        "due_soon": "milestone",
        "next_critical": "milestone",
        "days_since_activity": "activity",
        "achieved_share": "record",
        "due_done_share": "record",
        "segment": "segment",
        "journey": "segment",
    }.get(name, name)


def reference_values(model: RiskModel, train: pl.DataFrame) -> np.ndarray:
    """A typical healthy value per feature: training rows that did not go off track."""
    healthy = train.filter(~pl.col("label"))
    if healthy.height == 0:
        healthy = train
    matrix = model.encoding.matrix(healthy)
    values = np.full(matrix.shape[1], np.nan)
    for j, categorical in enumerate(model.encoding.categorical_mask):
        column = matrix[:, j][~np.isnan(matrix[:, j])]
        if column.size == 0:
            continue
        if categorical:
            codes, counts = np.unique(column, return_counts=True)
            values[j] = codes[np.argmax(counts)]
        else:
            values[j] = float(np.median(column))
    return values


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    number = float(value)
    return str(round(number)) if abs(number - round(number)) < 1e-9 else f"{number:.1f}"


def _days(n: Any) -> str:
    number = _num(n)
    return "1 day" if number == "1" else f"{number} days"


def _metric_trend(metric: str, row: Row) -> str:
    """`weekly active users flat at 3 for 14 days`, `no integrations yet (13 days in)`."""
    label = metric.replace("_", " ")
    level, change, flat = (row.get(f"{metric}.{p}") for p in ("level", "change_7d", "days_flat"))
    if level == 0 and flat is not None and flat >= row.get("journey_day", flat + 1):
        text = f"no {label} yet ({_days(flat)} in)"
    elif level == 0 and flat is not None and flat >= 1:
        text = f"no {label} in {_days(flat)}"
    elif flat is not None and flat >= 7:
        text = f"{label} flat at {_num(level)} for {_days(flat)}"
    elif change is not None and change < 0:
        text = f"{label} down {_num(-change)} in 7 days (now {_num(level)})"
    elif change is not None and change > 0:
        text = f"{label} up only {_num(change)} in 7 days (now {_num(level)})"
    else:
        text = f"{label} at {_num(level)}"
    return text


def _metric_text(metric: str, row: Row) -> str:
    text = _metric_trend(metric, row)
    if row.get("next_metric") == metric and row.get("next_threshold") is not None:
        text += f" (needs {_num(row['next_threshold'])} for {row['next_milestone']})"
    return text


def _milestone_text(row: Row) -> str:
    """`integration_live due in 3 days, integrations at 0 of 1`."""
    milestone, days = row.get("next_milestone"), row.get("next_days_to_due")
    if milestone is None or days is None:
        return "no milestone left to reach"
    if days > 0:
        when = f"{milestone} due in {_days(days)}"
    elif days == 0:
        when = f"{milestone} due today"
    else:
        when = f"{milestone} {_days(-days)} past due (grace period)"
    threshold, metric = row.get("next_threshold"), row.get("next_metric")
    progress = float(row.get("next_progress") or 0.0)
    if threshold is not None and metric is not None:
        value = progress * float(threshold)
        return f"{when}, {metric.replace('_', ' ')} at {_num(value)} of {_num(threshold)}"
    return f"{when}, not reached yet"


def _record_text(row: Row) -> str:
    share = float(row.get("due_done_share") or 0)
    if share == 0:
        return "every milestone due so far was reached late or not at all"
    return f"only {round(100 * share)}% of milestones due so far reached on time"


_TEXT: dict[str, Callable[[Row], str]] = {
    "milestone": _milestone_text,
    "activity": lambda r: f"no activity for {_days(r['days_since_activity'])}",
    "record": _record_text,
    "segment": lambda r: f"segment {r['segment']} ({r['journey']})",
    "icp_fit": lambda r: f"ICP fit {_num(r['icp_fit'])}",
    "arr": lambda r: "no ARR on record" if r["arr"] is None else f"ARR {float(r['arr']):,.0f}",
}


def _worse_than_reference(group: str, row: Row, reference: dict[str, float]) -> bool:
    """Usage drivers must point the sensible way: less use, or staler, than a healthy account.

    The model may lean on any pattern; a CSM can only act on a reason that reads as a
    problem, so "invites up 13 in 7 days" is never given as a reason for risk.
    """
    if group == "activity":
        return float(row["days_since_activity"] or 0) > reference["days_since_activity"]
    if not group.startswith("metric:"):
        return True
    metric = group.removeprefix("metric:")
    level, change, flat = (row.get(f"{metric}.{p}") for p in ("level", "change_7d", "days_flat"))
    return (
        (level is not None and level < reference[f"{metric}.level"])
        or (change is not None and change < reference[f"{metric}.change_7d"])
        or (flat is not None and flat > reference[f"{metric}.days_flat"])
    )


def driver_text(group: str, row: Row) -> str:
    """One sentence fragment for a driver group, from the account's own values."""
    if group.startswith("metric:"):
        return _metric_text(group.removeprefix("metric:"), row)
    return _TEXT.get(group, lambda r: group)(row)


def drivers(
    model: RiskModel, reference: np.ndarray, rows: pl.DataFrame, top: int = 3
) -> list[list[str]]:
    """The top driver sentences of each row (most important first)."""
    if rows.height == 0 or model.forest is None:
        return [[] for _ in range(rows.height)]
    features = model.encoding.features
    groups: dict[str, list[int]] = {}
    for j, name in enumerate(features):
        groups.setdefault(feature_group(name), []).append(j)
    names = list(groups)
    # Every row, then every row once per group with that group's features at the reference.
    matrix = model.encoding.matrix(rows)
    probabilities = model.forest.occluded(matrix, [groups[n] for n in names], reference)
    effects = probabilities[:1] - probabilities[1:]  # (groups, rows)
    typical = dict(zip(features, reference.tolist(), strict=True))
    orders = np.argsort(-effects, axis=0, kind="stable").T.tolist()
    strengths = effects.T.tolist()
    result = []
    for order, strength, row in zip(orders, strengths, rows.iter_rows(named=True), strict=True):
        chosen: list[str] = []
        for g in order:
            if len(chosen) == top or strength[g] < MIN_EFFECT:
                break
            if _worse_than_reference(names[g], row, typical):
                chosen.append(names[g])
        result.append(_sentences(chosen or ["milestone"], row))
    return result


def _sentences(groups: list[str], row: Row) -> list[str]:
    """Driver sentences; the next milestone's own metric joins the milestone's sentence."""
    own = f"metric:{row.get('next_metric')}"
    if "milestone" in groups and own in groups:
        groups = [g for g in groups if g != own]
        metric = own.removeprefix("metric:")
        joined = f"{driver_text('milestone', row).split(', ')[0]}, {_metric_trend(metric, row)}"
        return [joined if g == "milestone" else driver_text(g, row) for g in groups]
    return [driver_text(g, row) for g in groups]
