"""Why an account is where it is: rules matched, ICP fit per criterion, milestone values.

Pure: takes the account's attributes (one row) and its stored milestone rows, returns lines.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from journey.config import Config
from segments.conditions import Condition, comparisons, describe, to_expr
from segments.icp import with_icp_fit
from segments.rules import icp_resolver


def _holds(row: pl.DataFrame, condition: Condition) -> bool:
    return bool(row.select(to_expr(condition, icp_resolver)).item())


def _value(row: pl.DataFrame, column: str) -> Any:
    return row.get_column(column).item() if column in row.columns else "(no such column)"


def rule_lines(config: Config, account: pl.DataFrame) -> list[str]:
    """Each segment rule in order with true/false, down to the first match."""
    row = with_icp_fit(account.lazy(), config.icps).collect()
    lines = ["Segment rules (first match wins):"]
    for index, segment in enumerate(config.segments, start=1):
        matched = _holds(row, segment.when)
        mark = "MATCH" if matched else "no"
        lines.append(
            f"  {index}. {segment.id} -> {segment.journey}: {describe(segment.when)}  [{mark}]"
        )
        for cmp in comparisons(segment.when):
            result = str(_holds(row, cmp)).lower()
            value = _value(row, cmp.subject)
            lines.append(f"       {describe(cmp)}: {cmp.subject} = {value!r} -> {result}")
        if matched:
            break
    else:
        lines.append(
            "  no rule matched: the account is not evaluated (add a catch-all `when: always`)"
        )
    lines.append("ICP fit:")
    for icp in config.icps:
        fit = row.get_column(f"fit.{icp.id}").item()
        fits = row.get_column(f"fits.{icp.id}").item()
        verdict = "fits" if fits else "does not fit"
        lines.append(f"  {icp.id}: fit {fit:.2f} (min {icp.min_fit:.2f}) -> {verdict}")
        for criterion in icp.criteria:
            met = _holds(row, criterion.condition)
            subjects = ", ".join(
                f"{c.subject} = {_value(row, c.subject)!r}"
                for c in comparisons(criterion.condition)
            )
            lines.append(
                f"     [{'x' if met else ' '}] {describe(criterion.condition)} "
                f"(weight {criterion.weight:g}; {subjects})"
            )
    return lines


def milestone_lines(milestones: pl.DataFrame) -> list[str]:
    """Each milestone with due date, achievement, state and the metric values behind it."""
    lines = ["Milestones:"]
    for m in milestones.sort("position").iter_rows(named=True):
        values = json.loads(m["metric_values"] or "{}")
        now = ", ".join(f"{k} = {_num(v)}" for k, v in values.items()) or "-"
        on_due = (
            ""
            if m["value_on_due"] is None
            else f"; {m['metric']} on due day = {_num(m['value_on_due'])}"
        )
        achieved = m["achieved_on"] or "not yet"
        late = f", {m['days_late']} days late" if m["days_late"] else ""
        flags = " (regressed: no longer holds)" if m["regressed"] else ""
        flags += " (at risk)" if m["at_risk"] else ""
        lines.append(
            f"  {m['milestone']}: {m['condition']} — due {m['due_on']} (day {m['due_day']}), "
            f"achieved {achieved} -> {m['state']}{late}{flags}"
        )
        lines.append(f"       now: {now}{on_due}")
    return lines


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
