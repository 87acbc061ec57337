"""The report's "at risk soon" section: learned early warnings first, capped, escaped."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

from reports.build import AT_RISK_SOON_LIMIT, at_risk_soon, build_csm_reports
from reports.render import render_html, render_text
from reports.schema import ACCOUNT_SCHEMA, MILESTONE_SCHEMA

AS_OF = date(2024, 3, 1)


def account(account_id: str, status: str, reason: str, arr: float | None) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(ACCOUNT_SCHEMA)
    row.update(
        account_id=account_id,
        name=f"Name {account_id}",
        csm_email="ana@example.com",
        arr=arr,
        start_date=AS_OF - timedelta(days=30),
        segment="growth",
        journey="onboarding",
        as_of=AS_OF,
        day_of_journey=30,
        status=status,
        location=[],
        expected_location=[],
        reasons=[reason, "1 of 4 milestones achieved."],
    )
    return row


def portfolio() -> pl.DataFrame:
    rows = [
        account("rule-big", "at_risk", "first_reports is due in 3 days and behind pace.", 90_000),
        account("rule-small", "at_risk", "invites is due in 5 days and behind pace.", 5_000),
        account("model", "at_risk", "Early warning: 81% chance of turning off track.", 1_000),
        account("fine", "on_track", "2 of 4 milestones achieved.", 500_000),
        account("<script>x</script>", "at_risk", "Early warning: <b>62%</b> chance.", None),
    ]
    return pl.DataFrame(rows, schema=ACCOUNT_SCHEMA)


def test_early_warnings_come_first_then_by_arr() -> None:
    refs = at_risk_soon(portfolio())
    assert [r.account_id for r in refs] == [
        "model",
        "<script>x</script>",
        "rule-big",
        "rule-small",
    ]
    assert refs[0].note == "Early warning: 81% chance of turning off track."


def test_the_section_is_capped() -> None:
    many = pl.concat(
        [
            pl.DataFrame(
                [account(f"a{i:02}", "at_risk", "x is due in 2 days.", float(i))],
                schema=ACCOUNT_SCHEMA,
            )
            for i in range(AT_RISK_SOON_LIMIT + 3)
        ]
    )
    assert len(at_risk_soon(many)) == AT_RISK_SOON_LIMIT


def test_rendered_in_html_and_text_with_escaping() -> None:
    report = build_csm_reports(
        portfolio(), pl.DataFrame(schema=MILESTONE_SCHEMA), as_of=AS_OF, top_n=15
    )[0]
    html, text = render_html(report), render_text(report)
    assert "At risk soon" in html and "AT RISK SOON" in text
    assert "Early warning: 81% chance of turning off track." in html
    assert "&lt;b&gt;62%&lt;/b&gt;" in html and "<b>62%</b>" not in html
    assert "<script>x</script>" not in html
    assert "rule-big" in text
