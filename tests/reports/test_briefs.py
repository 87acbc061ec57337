"""Account-map briefs: facts from data where known, questions where not, the three rules."""

from __future__ import annotations

import re

import polars as pl
from report_week import AS_OF

from reports.briefs import SESSION_RULES, AccountBrief, brief_slug
from reports.render import render_brief_html, render_brief_markdown
from reports.weekly import build_report_set


def briefs(week: dict[str, pl.DataFrame]) -> dict[str, AccountBrief]:
    rs = build_report_set(week["accounts"], week["milestones"], as_of=AS_OF, extras=week["extras"])
    return {b.account.account_id: b for b in rs.briefs}


def items(brief: AccountBrief) -> dict[str, tuple[str | None, str | None]]:
    return {i.label: (i.value, i.question) for s in brief.sections for i in s.items}


def test_one_brief_per_ranked_account_with_seven_sections(week: dict[str, pl.DataFrame]) -> None:
    found = briefs(week)
    assert sorted(found) == ["acc-001", "acc-002", "acc-003", "acc-004"]
    titles = [s.title for s in found["acc-001"].sections]
    assert titles == [
        "The company and key facts",
        "Key stakeholders",
        "Other stakeholders",
        "Commercial model",
        "Contract, products and services",
        "Competitors and market",
        "Why our product helps",
    ]


def test_known_facts_are_prefilled(week: dict[str, pl.DataFrame]) -> None:
    acme = items(briefs(week)["acc-001"])
    assert acme["Influencer (champion)"] == ("Priya Raman (VP Operations)", None)
    assert acme["Competitor in the account"] == ("Looker", None)
    assert acme["Contract renewal"] == ("2024-09-01 (in 179 days)", None)
    assert acme["Price per seat"] == ("$3,000 per seat per year", None)
    assert acme["Tier"] == ("gold", None)  # an unknown source column is kept as a fact
    assert acme["Decision maker"][0] is None  # never in the data: always a question


def test_unknown_facts_become_open_questions(week: dict[str, pl.DataFrame]) -> None:
    brief = briefs(week)["acc-002"]
    facts = items(brief)
    assert facts["Influencer (champion)"] == (
        None,
        "Who champions us internally? Without one, who could?",
    )
    assert facts["Competitor in the account"][0] is None
    assert brief.open_questions > items(briefs(week)["acc-001"]).__len__() // 3


def test_rules_are_printed_and_values_escaped(week: dict[str, pl.DataFrame]) -> None:
    brief = briefs(week)["acc-002"]
    html, md = render_brief_html(brief), render_brief_markdown(brief)
    for rule in SESSION_RULES:
        assert rule in html and rule in md
    assert "WHY" in SESSION_RULES[2] and "FACT or OPINION" in SESSION_RULES[1]
    assert "<script" not in html.lower()
    assert re.search(r"(?<!\\)<script", md) is None and "\\<script\\>" in md


def test_brief_slug_is_a_safe_file_name() -> None:
    assert brief_slug("ACC-00042") == "ACC-00042"
    assert brief_slug("../../etc/passwd") == "etc-passwd"
    assert brief_slug("a b/c") == "a-b-c"
