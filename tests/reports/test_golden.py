"""The rendered report set of a fixed week, compared with golden files.

The golden files are in tests/reports/golden/. After an intended change to a template,
refresh them and review the diff:

    JOURNEY_UPDATE_GOLDEN=1 python3 -m pytest tests/reports/test_golden.py
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from report_week import AS_OF, EVIL

from reports.email import inline_css
from reports.render import (
    ReportSet,
    render_brief_html,
    render_brief_markdown,
    render_html,
    render_rollup_html,
    render_rollup_text,
    render_text,
)
from reports.schema import ACCOUNT_SCHEMA, MILESTONE_SCHEMA, TREND_SCHEMA
from reports.weekly import REPORT_ACCOUNT_COLUMNS, REPORT_MILESTONE_COLUMNS, build_report_set

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("JOURNEY_UPDATE_GOLDEN") == "1"


def report_set(week: dict[str, pl.DataFrame]) -> ReportSet:
    return build_report_set(
        week["accounts"],
        week["milestones"],
        as_of=AS_OF,
        trends=week["trends"],
        commitments=week["commitments"],
        snoozes=week["snoozes"],
        extras=week["extras"],
    )


def documents(week: dict[str, pl.DataFrame]) -> dict[str, str]:
    rs = report_set(week)
    ana, bo = rs.reports
    brief = next(b for b in rs.briefs if b.account.account_id == "acc-001")
    return {
        "csm_ana.html": render_html(ana),
        "csm_ana.txt": render_text(ana),
        "csm_bo.txt": render_text(bo),
        "rollup.html": render_rollup_html(rs.rollup) if rs.rollup else "",
        "rollup.txt": render_rollup_text(rs.rollup) if rs.rollup else "",
        "brief_acc-001.html": render_brief_html(brief),
        "brief_acc-001.md": render_brief_markdown(brief),
    }


@pytest.mark.parametrize(
    "name",
    [
        "csm_ana.html",
        "csm_ana.txt",
        "csm_bo.txt",
        "rollup.html",
        "rollup.txt",
        "brief_acc-001.html",
        "brief_acc-001.md",
    ],
)
def test_matches_golden_file(week: dict[str, pl.DataFrame], name: str) -> None:
    text = documents(week)[name]
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing; create it with JOURNEY_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from {path}; if the change is intended, refresh with "
        "JOURNEY_UPDATE_GOLDEN=1 and review the diff"
    )


def test_hostile_account_name_renders_as_text(week: dict[str, pl.DataFrame]) -> None:
    rs = report_set(week)
    brief = next(b for b in rs.briefs if b.account.account_id == "acc-002")
    for html in (render_html(rs.reports[0]), render_brief_html(brief)):
        if rs.rollup:
            html += render_rollup_html(rs.rollup)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script" not in html.lower()
        assert "&lt;b&gt;bold&lt;/b&gt;" in html or "acc-002" in html
    assert "\\<script\\>alert(1)\\</script\\>" in render_brief_markdown(brief)
    assert f"2. {EVIL} (acc-002)" in render_text(rs.reports[0])  # plain text is not escaped


def test_summary_trends_commitments_and_snoozes(week: dict[str, pl.DataFrame]) -> None:
    ana = report_set(week).reports[0]
    assert [a.account_id for a in ana.accounts] == ["acc-001", "acc-002", "acc-003"]
    assert [(r.account_id, r.note) for r in ana.newly_off_track] == [
        ("acc-002", "missed weekly_active_5 · ARR unknown")
    ]
    assert [(r.account_id, r.note) for r in ana.recovered] == [("acc-005", "now on track")]
    assert [r.account_id for r in ana.snoozed] == ["acc-004"]  # hidden, but counted
    assert ana.off_track_total == 3 and ana.still_off_track == 2
    acme = ana.accounts[0]
    assert [c.next_step for c in acme.commitments] == [
        "Connect the warehouse with their engineer",  # overdue first
        "Agree a rollout plan with the sponsor",
    ]
    assert acme.commitments[0].days_overdue == 5 and acme.brief_href == "briefs/acc-001.html"
    assert ana.accounts[1].newly_off_track and ana.accounts[1].regressed == ("first_reports",)


def fifteen_accounts() -> tuple[pl.DataFrame, pl.DataFrame]:
    """15 off-track accounts with long names, five milestones and demo-length reasons."""
    accounts, milestones = [], []
    for i in range(15):
        aid = f"ACC-{i:05d}"
        row = dict.fromkeys(ACCOUNT_SCHEMA)
        row.update(
            account_id=aid,
            name=f"Brightfield Underwriters International Holdings {i} SA",
            csm_email="ana@example.com",
            arr=100_000.0 + i,
            start_date=AS_OF - timedelta(150),
            segment="enterprise",
            journey="enterprise_onboarding",
            journey_name="Enterprise onboarding",
            as_of=AS_OF,
            day_of_journey=150,
            status="off_track",
            lag_days=100 + i,
            milestones_total=5,
            milestones_achieved=2,
            milestones_expected=5,
            location=[],
            expected_location=[],
            last_activity=AS_OF - timedelta(days=90),
            reasons=[
                f"integration_live is {100 + i} days overdue (due 2026-03-02): integrations ≥ 1 "
                "not met; integrations is 0 (needs ≥ 1).",
                "first_reports is 111 days overdue (due 2026-03-11): reports_created ≥ 5 not "
                "met; reports_created is 2 (needs ≥ 5).",
                "weekly_active_10 was reached on 2026-01-26 but no longer holds "
                "(weekly_active_users ≥ 10); weekly_active_users is 0 (needs ≥ 10).",
                "2 of 5 milestones achieved (5 due so far); next: integration_live, "
                "due 2026-03-02.",
            ],
        )
        accounts.append(row)
        for p, (m, due) in enumerate(
            [
                ("first_login", 3),
                ("team_invited", 10),
                ("integration_live", 21),
                ("first_reports", 30),
                ("weekly_active_10", 45),
            ]
        ):
            ms = dict.fromkeys(MILESTONE_SCHEMA)
            due_on = AS_OF - timedelta(150 - due)
            ms.update(
                account_id=aid,
                journey="enterprise_onboarding",
                milestone=m,
                position=p,
                due_day=due,
                due_on=due_on,
                critical=p in (2, 4),
                regressed=p == 4,
                state="done" if p < 2 else "overdue",
                achieved_on=due_on if p < 2 else None,
                days_late=None if p < 2 else (AS_OF - due_on).days,
                first_move="Pair their engineer with a solutions architect to connect the "
                "first data source.",
            )
            milestones.append(ms)
    return (
        pl.DataFrame(accounts, schema=ACCOUNT_SCHEMA),
        pl.DataFrame(milestones, schema=MILESTONE_SCHEMA),
    )


def test_fifteen_accounts_stay_under_100_kb_as_sent() -> None:
    rs = build_report_set(*fifteen_accounts(), as_of=AS_OF, base_url="https://cs.example.com/r")
    assert len(rs.reports[0].accounts) == 15
    sent = inline_css(render_html(rs.reports[0]))
    assert len(sent.encode("utf-8")) < 100_000
    assert "<style" not in sent and 'style="' in sent  # the CSS was inlined
    assert "https://cs.example.com/r/briefs/ACC-00000.html" in sent


def test_html_is_email_safe(week: dict[str, pl.DataFrame]) -> None:
    for name, html in documents(week).items():
        if not name.endswith(".html"):
            continue
        lowered = html.lower()
        assert "<script" not in lowered and "javascript:" not in lowered and "<svg" not in lowered
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
        assert "<link" not in html and "@import" not in html and "url(" not in html
        assert "display: flex" not in html and "display: grid" not in html


def test_nothing_off_track_is_said_positively(week: dict[str, pl.DataFrame]) -> None:
    bo = report_set(week).reports[1]
    assert not bo.accounts
    assert "Nothing is off track this week" in render_html(bo)


def test_weeks_default_to_the_monday_of_as_of(week: dict[str, pl.DataFrame]) -> None:
    rs = report_set(week)
    assert rs.reports[0].week_of == date(2024, 3, 4)


def test_text_documents_fit_100_columns(week: dict[str, pl.DataFrame]) -> None:
    for name, text in documents(week).items():
        if name.endswith(".txt"):
            assert max(len(line) for line in text.splitlines()) <= 100, name


def test_a_bad_week_stays_under_100_kb(week: dict[str, pl.DataFrame]) -> None:
    """Hundreds of newly off-track accounts: the summary is capped, the email stays small."""
    accounts, milestones = fifteen_accounts()
    extra = pl.DataFrame(
        [
            {**accounts.row(0, named=True), "account_id": f"NEW-{i:04d}", "arr": 1000.0}
            for i in range(300)
        ],
        schema=accounts.schema,
    )
    trends = pl.DataFrame(
        [(f"NEW-{i:04d}", "on_track", AS_OF, 0, True, False, []) for i in range(300)],
        schema=TREND_SCHEMA,
        orient="row",
    )
    rs = build_report_set(pl.concat([accounts, extra]), milestones, as_of=AS_OF, trends=trends)
    report = rs.reports[0]
    assert len(report.newly_off_track) == 300
    html = inline_css(render_html(report))
    assert "and 288 more" in html and "and 288 more" in render_text(report)
    assert len(html.encode()) < 100_000


def test_the_report_reads_only_the_columns_it_names(week: dict[str, pl.DataFrame]) -> None:
    """`journey report` loads only REPORT_*_COLUMNS of the stored results, and milestones
    only of the off-track accounts: the documents built from those alone are the documents
    built from everything."""
    off_track = week["accounts"].filter(pl.col("status") == "off_track").select("account_id")
    narrowed = {
        **week,
        "accounts": week["accounts"].select(REPORT_ACCOUNT_COLUMNS),
        "milestones": week["milestones"]
        .join(off_track, on="account_id", how="semi")  # what `journey report` reads
        .select(REPORT_MILESTONE_COLUMNS),
    }
    assert narrowed["milestones"].height < week["milestones"].height
    assert len(REPORT_ACCOUNT_COLUMNS) < len(ACCOUNT_SCHEMA)
    assert len(REPORT_MILESTONE_COLUMNS) < len(MILESTONE_SCHEMA)
    assert documents(narrowed) == documents(week)
    assert report_set(narrowed) == report_set(week)
