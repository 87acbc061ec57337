"""Output of `journey segments suggest`: a text summary, or ready-to-paste segments.yaml."""

from __future__ import annotations

from journey.suggest.behaviour import Cluster, Suggestion
from segments.suggest import flow, rules_yaml


def _num(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def cluster_lines(cluster: Cluster, days: int, rank: str) -> list[str]:
    total = sum(cluster.segments.values()) or 1
    medians = ", ".join(f"{m} {_num(v)}" for m, v in cluster.medians.items())
    mix = ", ".join(f"{s} {n / total:.0%}" for s, n in cluster.segments.items())
    return [
        f"{cluster.name} ({rank}): {cluster.accounts} accounts",
        f"  day {days} (median): {medians}",
        f"  outcomes today: {cluster.on_time:.0%} of milestones due reached on time, "
        f"{cluster.completed:.0%} completed, {cluster.off_track:.0%} off track",
        f"  today's segments: {mix}",
    ]


def _rank(i: int, n: int) -> str:
    if i == 0:
        return "most engaged"
    return "least engaged" if i == n - 1 else "in between"


def text_lines(suggestion: Suggestion) -> list[str]:
    """The human summary: clusters, how segments match them, and the rules."""
    n = len(suggestion.clusters)
    accounts = sum(c.accounts for c in suggestion.clusters)
    lines = [
        f"Behaviour in the first {suggestion.days} days, as of {suggestion.as_of}: "
        f"{accounts} accounts at least {suggestion.days} days in, {n} clusters",
        "",
    ]
    for i, cluster in enumerate(suggestion.clusters):
        lines += [*cluster_lines(cluster, suggestion.days, _rank(i, n)), ""]
    lines += [
        f"Do today's segments describe this behaviour? Adjusted Rand index "
        f"{suggestion.agreement:.2f} (1 = the same grouping, 0 = no better than chance).",
        "",
        f"Rules that predict the cluster from account attributes (decision tree, depth "
        f"{suggestion.depth}); precision = share of the rule's accounts in that cluster, "
        "coverage = share of the cluster the rule catches:",
    ]
    for rule in suggestion.rules.rules:
        lines.append(
            f"  {rule.group:<12} precision {rule.precision:>4.0%}  coverage {rule.coverage:>4.0%}"
            f"  ({rule.accounts} accounts)  when {flow(rule.when)}"
        )
    lines += ["", "Use --format yaml for the rules as segments.yaml."]
    return lines


def yaml_text(suggestion: Suggestion) -> str:
    """The rules as a segments.yaml document (the loader accepts it as is)."""
    header = [
        f"Suggested by `journey segments suggest --days {suggestion.days}` on data up to "
        f"{suggestion.as_of}.",
        "Each rule predicts an early-behaviour cluster from account attributes. The journey",
        "is the one most of the rule's accounts are on today: choose the journey that this",
        "behaviour needs before merging. The rules do not overlap and together cover every",
        "account, so their order does not matter.",
    ]
    return rules_yaml(suggestion.rules.rules, suggestion.journeys, header)
