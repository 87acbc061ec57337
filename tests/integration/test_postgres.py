"""The store on a real PostgreSQL server: the whole CLI works on it, and it stores exactly what
SQLite stores. Skips without JOURNEY_TEST_POSTGRES_URL (CI sets it; see .ci/postgres.sh)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from store_support import postgres_database, project_engine, snapshot

from support import Project, ProjectFactory

ANA = "ana@example.com"
MILESTONES = """
- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}
- {id: two_users, due_day: 8, when: {metric: users, gte: 2}}
"""


def project(make_project: ProjectFactory) -> Project:
    return make_project(
        milestones=MILESTONES,
        accounts=(
            f'a,Zoë Müller GmbH "quoted",2026-01-01,{ANA},1000.5,x\n'
            f"b,Beta,2026-01-02,{ANA},,x\n"
            f"=cmd,Formula Inc,2026-01-01,{ANA},3,x\n"
        ),
        events=(
            "a,2026-01-02T10:00:00Z,login,u1,\n"
            "a,2026-01-07T10:00:00Z,login,u2,\n"
            "b,2026-01-09T10:00:00Z,login,u1,\n"
        ),
    )


def run_days(project: Project, *days: str) -> dict[str, Any]:
    for day in days:
        code, _, err = project.cli("run", "--as-of", day)
        assert code == 0, err
    engine = project_engine(project.config_dir)
    try:
        return snapshot(engine)
    finally:
        engine.dispose()


def test_postgresql_stores_exactly_what_sqlite_stores(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
):
    days = ("2026-01-05", "2026-01-08", "2026-01-12", "2026-01-08")  # includes a re-run
    monkeypatch.delenv("JOURNEY_DATABASE_URL", raising=False)
    on_sqlite = run_days(project(make_project), *days)
    with postgres_database() as url:
        monkeypatch.setenv("JOURNEY_DATABASE_URL", url)
        on_postgres = run_days(project(make_project), *days)
    assert on_postgres == on_sqlite
    assert len(on_postgres["run"]) == 3


def test_the_cli_reads_back_from_postgresql(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
):
    with postgres_database() as url:
        monkeypatch.setenv("JOURNEY_DATABASE_URL", url)
        proj = project(make_project)
        first = run_days(proj, "2026-01-12")
        assert run_days(proj, "2026-01-12") == first  # idempotent re-run
        code, out, err = proj.cli("status")
        assert code == 0, err
        code, out, err = proj.cli("export", "--format", "csv")
        assert code == 0, err
        assert "\n'=cmd," in out  # the formula-like account id is neutralised
        assert out.splitlines()[0].startswith("account_id,")
        code, out, err = proj.cli("doctor")
        assert "ok   database:" in out and "journey_t_" in out and "***" in out


def test_the_weekly_report_reads_the_same_from_postgresql_as_from_sqlite(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
):
    """Current state and the week's trends (read through COPY on PostgreSQL) rank alike."""

    def ranked(proj: Project) -> str:
        run_days(proj, "2026-01-05", "2026-01-12")
        code, out, err = proj.cli("report", "--format", "json")
        assert code == 0, err
        return out

    monkeypatch.delenv("JOURNEY_DATABASE_URL", raising=False)
    on_sqlite = ranked(project(make_project))
    with postgres_database() as url:
        monkeypatch.setenv("JOURNEY_DATABASE_URL", url)
        on_postgres = ranked(project(make_project))
    assert on_postgres == on_sqlite
    newly = {row["account_id"]: row["newly_off_track"] for row in json.loads(on_sqlite)}
    assert newly == {"b": True, "=cmd": False}  # b went off track this week; =cmd was already
