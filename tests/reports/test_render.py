"""Weekly per-CSM reports: view models, HTML and text content, escaping, files on disk."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from reports.build import build_csm_reports
from reports.render import (
    csm_slug,
    format_arr,
    render_html,
    render_index,
    render_text,
    unique_slugs,
    write_reports,
)
from reports.schema import ACCOUNT_SCHEMA, MILESTONE_SCHEMA
from reports.views import CsmReport, is_dormant

AS_OF = date(2024, 3, 6)  # a Wednesday; the report's week starts Monday 2024-03-04
START = date(2024, 1, 1)
EVIL = "<script>alert(1)</script>"


def account(account_id: str, **values: Any) -> dict[str, Any]:
    """An on-track account row with realistic defaults; override any column."""
    row: dict[str, Any] = dict.fromkeys(ACCOUNT_SCHEMA)
    row.update(
        account_id=account_id,
        name=f"Account {account_id}",
        csm_email="ana@example.com",
        arr=50_000.0,
        start_date=START,
        segment="growth",
        journey="growth_onboarding",
        journey_name="Growth onboarding",
        as_of=AS_OF,
        day_of_journey=(AS_OF - START).days,
        status="on_track",
        milestones_total=3,
        milestones_achieved=1,
        milestones_expected=2,
        location=["first_login"],
        expected_location=["first_login", "integration_connected"],
        last_activity=AS_OF - timedelta(days=2),
        reasons=[],
    )
    row.update(values)
    return row


def milestone(
    account_id: str, name: str, position: int, due_day: int, state: str, **values: Any
) -> dict[str, Any]:
    """A milestone row whose dates agree with its state; override any column."""
    due_on = START + timedelta(days=due_day)
    row: dict[str, Any] = dict.fromkeys(MILESTONE_SCHEMA)
    row.update(
        account_id=account_id,
        journey="growth_onboarding",
        milestone=name,
        position=position,
        due_day=due_day,
        due_on=due_on,
        state=state,
        critical=False,
        condition="logins >= 1",
    )
    if state == "overdue":
        row["days_late"] = (AS_OF - due_on).days
    elif state == "done":
        row["achieved_on"] = due_on - timedelta(days=1)
    elif state == "done_late":
        row.update(achieved_on=due_on + timedelta(days=4), days_late=4)
    row.update(values)
    return row


def journey(account_id: str, *states: str, **first: Any) -> list[dict[str, Any]]:
    """The three growth milestones of an account in the given states."""
    names = [("first_login", 3), ("integration_connected", 45), ("weekly_active_10", 60)]
    rows = [
        milestone(account_id, name, i, due, state)
        for i, ((name, due), state) in enumerate(zip(names, states, strict=True))
    ]
    for row in rows:
        if row["state"] == "overdue":
            row.update(first)
            break
    return rows


def portfolio() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two CSMs: ana has two off-track accounts (one hostile), bo has none off track."""
    accounts = [
        account(
            "acc-001",
            name="Acme Corporation",
            arr=120_000.0,
            status="off_track",
            lag_days=20,
            last_activity=AS_OF - timedelta(days=3),
            reasons=[
                "integration_connected: integrations is 0, needs >= 1 (20 days late)",
                "weekly_active_10: weekly_active_users is 3, needs >= 10",
            ],
        ),
        account(
            "acc-002",
            name=EVIL,
            segment="<b>bold</b>",
            arr=None,
            status="off_track",
            lag_days=62,
            last_activity=None,
            reasons=["first_login: logins is 0 <needs> >= 1 & more"],
        ),
        account("acc-003", name="Globex", status="at_risk"),
        account("acc-004", name="Umbrella", status="completed", csm_email="bo@example.com"),
    ]
    milestones = [
        *journey(
            "acc-001",
            "done",
            "overdue",
            "done_late",
            critical=True,
            first_move="Book an integration session with their admin.",
        ),
        *journey("acc-002", "overdue", "overdue", "pending", first_move=f"Call {EVIL}"),
        *journey("acc-003", "done", "pending", "pending"),
        *journey("acc-004", "done", "done", "done"),
    ]
    return (
        pl.DataFrame(accounts, schema=ACCOUNT_SCHEMA),
        pl.DataFrame(milestones, schema=MILESTONE_SCHEMA),
    )


@pytest.fixture
def reports() -> list[CsmReport]:
    return build_csm_reports(*portfolio(), as_of=AS_OF, top_n=15)


def test_one_report_per_csm_with_counts_for_every_status(reports: list[CsmReport]) -> None:
    assert [r.csm_email for r in reports] == ["ana@example.com", "bo@example.com"]
    ana, bo = reports
    assert ana.counts == {"completed": 0, "on_track": 0, "at_risk": 1, "off_track": 2}
    assert bo.counts == {"completed": 1, "on_track": 0, "at_risk": 0, "off_track": 0}
    assert (ana.total, ana.off_track_total, bo.accounts) == (3, 2, ())
    assert ana.week_of == date(2024, 3, 4)


def test_account_views_carry_rank_timeline_and_reasons(reports: list[CsmReport]) -> None:
    first, second = reports[0].accounts
    assert [first.account_id, second.account_id] == ["acc-002", "acc-001"]
    assert [first.rank, second.rank] == [1, 2]
    assert [m.milestone for m in second.timeline] == [
        "first_login",
        "integration_connected",
        "weekly_active_10",
    ]
    assert [m.state for m in second.timeline] == ["done", "overdue", "done_late"]
    assert second.missed == "integration_connected" and second.critical
    assert second.first_move == "Book an integration session with their admin."
    assert second.reasons[1] == "weekly_active_10: weekly_active_users is 3, needs >= 10"


def test_dormant_flag() -> None:
    assert is_dormant(None, AS_OF)
    assert is_dormant(AS_OF - timedelta(days=60), AS_OF)
    assert not is_dormant(AS_OF - timedelta(days=59), AS_OF)
    assert not is_dormant(AS_OF, AS_OF)


def test_dormant_flag_on_views(reports: list[CsmReport]) -> None:
    never, recent = reports[0].accounts
    assert never.dormant and never.days_since_activity is None
    assert not recent.dormant and recent.days_since_activity == 3


def test_top_n_cut_is_announced() -> None:
    report = build_csm_reports(*portfolio(), as_of=AS_OF, top_n=1)[0]
    assert len(report.accounts) == 1 and report.off_track_total == 2
    assert "Showing the top 1 of 2 off-track accounts." in render_text(report)
    assert "Showing the top 1 of 2 off-track accounts." in render_html(report)


def test_accounts_without_csm_are_reported_as_unassigned() -> None:
    accounts, milestones = portfolio()
    accounts = accounts.with_columns(csm_email=pl.lit(None, pl.String))
    reports = build_csm_reports(accounts, milestones, as_of=AS_OF, top_n=15)
    assert [r.csm_email for r in reports] == ["unassigned"]
    assert reports[0].total == 4


def test_html_content(reports: list[CsmReport]) -> None:
    html = render_html(reports[0])
    assert "Weekly journey report — ana@example.com — " in html  # the <title>
    assert "week of 2024-03-04" in html
    assert "Acme Corporation" in html and "acc-001" in html and "Growth onboarding" in html
    assert "$120,000" in html and "—" in html  # unknown ARR
    assert "integration_connected: integrations is 0, needs &gt;= 1 (20 days late)" in html
    assert "First move:" in html and "Book an integration session with their admin." in html
    assert html.count("NO ACTIVITY IN 60+ DAYS") == 1  # acc-002 only
    assert "#fed7d7" in html and "#c6f6d5" in html and "#e6f2c2" in html  # state colours
    assert html.index("acc-002") < html.index("acc-001")  # ranked order


def test_html_escapes_account_supplied_strings(reports: list[CsmReport]) -> None:
    html = render_html(reports[0])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;needs&gt; &gt;= 1 &amp; more" in html


def test_html_is_email_safe(reports: list[CsmReport]) -> None:
    html = render_html(reports[0]) + render_index(reports, unique_slugs(reports))
    assert "<script" not in html.lower() and "javascript:" not in html.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no external resources
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert "<table" in html and "display: flex" not in html and "display: grid" not in html
    assert len(render_html(reports[0]).encode()) < 100_000


def test_no_off_track_accounts_is_said_positively(reports: list[CsmReport]) -> None:
    html, text = render_html(reports[1]), render_text(reports[1])
    assert "Nothing is off track this week." in html
    assert "Your account has no overdue milestone" in html
    assert "Nothing is off track this week: your account has no overdue milestone." in text


def test_text_content_and_width(reports: list[CsmReport]) -> None:
    text = render_text(reports[0])
    assert text.startswith("YOUR OFF-TRACK ACCOUNTS — WEEK OF 2024-03-04\nana@example.com · ")
    assert "1. <script>alert(1)</script> (acc-002)" in text  # plain text is not escaped
    assert "   - weekly_active_10: weekly_active_users is 3, needs >= 10" in text
    assert "Last activity: none recorded — NO ACTIVITY IN 60+ DAYS" in text
    assert "Last activity: 2024-03-03 (3 days ago)\n" in text
    assert "First move: Book an integration session with their admin." in text
    assert "ARR $120,000" in text and "ARR —" in text
    assert "OVERDUE    integration_connected *" in text
    assert "Off track:    2" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_long_reasons_are_wrapped_in_text() -> None:
    accounts, milestones = portfolio()
    long = "word " * 60
    accounts = accounts.with_columns(reasons=pl.lit([long.strip()], pl.List(pl.String)))
    text = render_text(build_csm_reports(accounts, milestones, as_of=AS_OF, top_n=15)[0])
    assert max(len(line) for line in text.splitlines()) <= 100
    assert text.count("word") >= 60


@pytest.mark.parametrize(
    ("email", "slug"),
    [
        ("Ana.Smith@Example.com", "ana-smith-example-com"),
        ("bo+cs@example.co.uk", "bo-cs-example-co-uk"),
        ("../../etc/passwd", "etc-passwd"),
        ("unassigned", "unassigned"),
    ],
)
def test_csm_slug(email: str, slug: str) -> None:
    assert csm_slug(email) == slug


def test_unique_slugs_never_collide(reports: list[CsmReport]) -> None:
    base = reports[0]
    twins = [
        CsmReport(csm_email=email, as_of=AS_OF, week_of=AS_OF, counts=base.counts)
        for email in ("a.b@x.io", "a-b@x.io", "a_b@x.io", "index")
    ]
    assert unique_slugs(twins) == ["a-b-x-io", "a-b-x-io-2", "a-b-x-io-3", "index-2"]


@pytest.mark.parametrize(
    ("arr", "text"), [(120_000.0, "$120,000"), (999.6, "$1,000"), (None, "—"), (0.0, "$0")]
)
def test_format_arr(arr: float | None, text: str) -> None:
    assert format_arr(arr) == text


def test_write_reports(tmp_path: Path, reports: list[CsmReport]) -> None:
    out = tmp_path / "out"
    written = write_reports(reports, out)

    names = sorted(p.name for p in written)
    assert names == [
        "ana-example-com.html",
        "ana-example-com.txt",
        "bo-example-com.html",
        "bo-example-com.txt",
        "index.html",
    ]
    assert sorted(p.name for p in out.iterdir()) == names  # and no temp files left behind
    index = (out / "index.html").read_text(encoding="utf-8")
    for report in reports:
        assert report.csm_email in index
    assert 'href="ana-example-com.html"' in index and 'href="bo-example-com.txt"' in index
    assert (out / "ana-example-com.html").read_text(encoding="utf-8") == render_html(reports[0])
    assert (out / "bo-example-com.txt").read_text(encoding="utf-8") == render_text(reports[1])


def test_write_reports_replaces_previous_files(tmp_path: Path, reports: list[CsmReport]) -> None:
    (tmp_path / "index.html").write_text("stale", encoding="utf-8")
    write_reports(reports, tmp_path)
    assert "ana@example.com" in (tmp_path / "index.html").read_text(encoding="utf-8")
