"""One run at a time: the file lock and PostgreSQL's advisory lock, and that a holder killed
with SIGKILL never leaves a stale lock behind."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from store_support import REPO, postgres_database, project_engine

from journey.errors import ExitCode, LockedError
from journey.lock import ADVISORY_KEY, database_lock, file_lock
from support import Project, ProjectFactory

MILESTONES = "- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}\n"


def small_project(make_project: ProjectFactory) -> Project:
    return make_project(
        milestones=MILESTONES,
        accounts="a,A,2026-01-01,ana@example.com,1,x\n",
        events="a,2026-01-02T10:00:00Z,login,u1,\n",
    )


def hold_in_subprocess(code: str) -> subprocess.Popen[str]:
    """A child that takes a lock, prints `held`, and keeps it until its stdin closes."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(code) + "\nprint('held', flush=True)\nsys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    return child


def kill_hard(child: subprocess.Popen[str]) -> None:
    child.kill()  # SIGKILL: no cleanup code runs in the child
    child.wait(timeout=60)
    assert child.returncode == -9


def test_a_second_holder_is_refused_with_the_first_ones_name(tmp_path: Path):
    lock = tmp_path / ".journey.lock"
    with (
        file_lock(lock, "journey run --as-of 2026-01-05"),
        pytest.raises(LockedError) as refused,
        file_lock(lock, "second"),
    ):
        pass
    assert refused.value.exit_code == ExitCode.LOCKED
    assert "journey run --as-of 2026-01-05" in str(refused.value)
    with file_lock(lock, "third"):  # released when the block ends
        pass


def test_a_run_killed_while_holding_the_lock_leaves_no_stale_lock(make_project: ProjectFactory):
    project = small_project(make_project)
    child = hold_in_subprocess(
        f"""
        import sys
        from pathlib import Path
        from journey.lock import file_lock
        held = file_lock(Path({str(project.root / ".journey.lock")!r}), "cron job 42")
        held.__enter__()
        """
    )
    try:
        code, _, err = project.cli("run", "--as-of", "2026-01-05")
        assert code == 75
        assert "cron job 42" in err and f"pid {child.pid}" in err
    finally:
        kill_hard(child)
    code, _, err = project.cli("run", "--as-of", "2026-01-05")
    assert code == 0, err


@pytest.fixture
def pg_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with postgres_database() as url:
        monkeypatch.setenv("JOURNEY_DATABASE_URL", url)
        yield url


def test_on_postgresql_a_run_on_another_machine_excludes_this_one(
    make_project: ProjectFactory, pg_url: str
):
    project = small_project(make_project)  # its own folder: the file lock is free
    other = create_engine(pg_url, connect_args={"application_name": "journey on machine-b"})
    with other.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(0, :k)"), {"k": ADVISORY_KEY})
        code, _, err = project.cli("run", "--as-of", "2026-01-05")
        assert code == 75
        assert "database lock" in err and "machine-b" in err
        conn.execute(text("SELECT pg_advisory_unlock(0, :k)"), {"k": ADVISORY_KEY})
    other.dispose()
    code, _, err = project.cli("run", "--as-of", "2026-01-05")
    assert code == 0, err


def test_on_postgresql_a_killed_holder_releases_the_database_lock(
    make_project: ProjectFactory, pg_url: str
):
    project = small_project(make_project)
    child = hold_in_subprocess(
        f"""
        import sys
        from sqlalchemy import create_engine
        from journey.lock import database_lock
        held = database_lock(create_engine({pg_url!r}), "stuck run")
        held.__enter__()
        """
    )
    engine = project_engine(project.config_dir)
    try:
        with pytest.raises(LockedError, match="stuck run"), database_lock(engine, "second"):
            pass
    finally:
        kill_hard(child)
    with database_lock(engine, "after the crash"):  # the server dropped the dead session's lock
        pass
    engine.dispose()
