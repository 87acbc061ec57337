"""`journey explain` output: an `Explanation` as text (for people) or JSON (for tools)."""

from __future__ import annotations

import json
from typing import Any

from journey.explain import Explanation, MilestoneResult


def _num(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _indent(lines: list[str], by: int) -> list[str]:
    return [" " * by + line for line in lines]


def _milestone_lines(m: MilestoneResult) -> list[str]:
    s = m.state
    achieved = s.get("achieved_on") or "not yet"
    late = f", {s['days_late']} days late" if s.get("days_late") else ""
    flags = " (regressed: no longer holds)" if s.get("regressed") else ""
    flags += " (at risk)" if s.get("at_risk") else ""
    lines = [
        f"  {s['milestone']}: due {s.get('due_on')} (day {s.get('due_day')}), "
        f"achieved {achieved} -> {s.get('state', 'not evaluated')}{late}{flags}"
    ]
    for label, tree in (("on its due day", m.on_due), ("today", m.today)):
        if tree is None:
            lines.append(f"     {label}: not reached yet")
            continue
        lines.append(f"     {label}:")
        lines += _indent(tree.lines(), 7)
    if s.get("reason"):
        lines.append(f"     why: {s['reason']}")
    return lines


def explanation_text(e: Explanation) -> str:
    """The explanation as plain text, top to bottom: rules, ICP fit, milestones."""
    a = e.account
    lines = [
        f"{a['account_id']} {a.get('name') or ''} (start {a.get('start_date')}, "
        f"CSM {a.get('csm_email')}) as of {e.as_of}",
        "",
        "Segment rules (first match wins):",
    ]
    for index, rule in enumerate(e.rules, start=1):
        verdict = "MATCH" if rule.tree.holds else "no match"
        lines.append(f"  {index}. {rule.segment.id} -> {rule.segment.journey}  [{verdict}]")
        lines += _indent(rule.tree.lines(), 7)
    if not e.rules or not e.rules[-1].tree.holds:
        lines.append("  no rule matched: the account is not evaluated (add a `when: always` rule)")
    lines += ["", "ICP fit:"]
    if not e.icps:
        lines.append("  (no ICPs defined)")
    for icp in e.icps:
        verdict = "fits" if icp.fits else "does not fit"
        lines.append(f"  {icp.icp.id}: fit {icp.fit:.2f} (min {icp.icp.min_fit:.2f}) -> {verdict}")
        for weight, tree in icp.criteria:
            criterion = tree.lines()
            criterion[0] += f"   [weight {_num(weight)}]"
            lines += _indent(criterion, 5)
    if e.journey is None:
        return "\n".join(lines)
    lines += [
        "",
        f"Journey: {e.journey.title} — status {e.status or 'not evaluated'}",
        "Milestones:",
    ]
    if not e.milestones:
        lines.append("  not evaluated: the account starts after as_of")
    for milestone in e.milestones:
        lines += _milestone_lines(milestone)
    return "\n".join(lines)


def explanation_json(e: Explanation) -> str:
    """The explanation as JSON (`--format json`)."""
    payload = {
        "account": e.account,
        "as_of": e.as_of,
        "segment_rules": [
            {
                "segment": r.segment.id,
                "journey": r.segment.journey,
                "matched": r.tree.holds,
                "condition": r.tree.as_dict(),
            }
            for r in e.rules
        ],
        "icps": [
            {
                "icp": i.icp.id,
                "fit": i.fit,
                "min_fit": i.icp.min_fit,
                "fits": i.fits,
                "criteria": [{"weight": w, "condition": t.as_dict()} for w, t in i.criteria],
            }
            for i in e.icps
        ],
        "journey": e.journey.id if e.journey else None,
        "status": e.status,
        "milestones": [
            {
                **m.state,
                "on_due_day": m.on_due.as_dict() if m.on_due else None,
                "today": m.today.as_dict() if m.today else None,
            }
            for m in e.milestones
        ],
    }
    return json.dumps(payload, indent=2, default=str)
