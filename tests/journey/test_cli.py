"""journey.cli: the entry point ends every command the same way."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest
from store_support import run_journey

from journey.cli import main
from support import ProjectFactory


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the suite runs with a normal collector


@pytest.mark.parametrize(("argv", "code"), [(["--help"], 0), (["no-such-command"], 2)])
def test_every_command_ends_with_the_collector_frozen(
    unfrozen: None, monkeypatch: pytest.MonkeyPatch, argv: list[str], code: int
) -> None:
    monkeypatch.setattr(sys, "argv", ["journey", *argv])
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == code
    assert gc.get_freeze_count() > 0


def test_a_command_still_writes_all_its_output_on_the_way_out() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "journey.cli", "run", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--full" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_run_closes_its_database_on_the_way_out(make_project: ProjectFactory) -> None:
    # Frozen, a pooled SQLite connection would never be closed: its write-ahead log would be
    # left behind, for the next command to replay (seconds after a large run).
    project = make_project(
        milestones="- {id: m, due_day: 3, when: {metric: logins, gte: 1}}\n",
        accounts="a1,Acme,2026-01-01,csm@example.com,100,pro\n",
        events="a1,2026-01-02T10:00:00,login,u1,\n",
    )
    done = run_journey("run", "--as-of", "2026-01-05", "--config", str(project.config_dir))
    assert done.returncode == 0, done.stderr
    assert (project.root / "journey.db").is_file()
    assert not (project.root / "journey.db-wal").exists()


def test_a_reader_that_stops_reading_ends_the_command_quietly() -> None:
    """`journey schema --out - | head`: the pipe closes before the command writes."""
    child = subprocess.Popen(
        [sys.executable, "-m", "journey.cli", "schema", "--out", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # nobody reads: every write fails with a broken pipe
    stderr = child.stderr.read()
    assert child.wait(timeout=60) == 141, stderr
    assert stderr == ""


#: What the commands' work needs and `--help` does not (journey/cli_app.py's docstring).
DATA_LIBRARIES = ("polars", "numpy", "sqlalchemy", "sqlmodel", "pydantic", "jinja2", "yaml")


def test_help_loads_no_data_library() -> None:
    """`journey --help` builds every command (typer reads each signature) without importing
    polars, SQLAlchemy or pydantic: a command module imports them inside its command."""
    probe = (
        "import sys\n"
        "from journey.cli import main\n"
        "sys.argv = ['journey', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as ended:\n"
        "    assert ended.code == 0, ended.code\n"
        f"print(','.join(m for m in {DATA_LIBRARIES!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: journey" in done.stdout
    assert done.stdout.splitlines()[-1] == ""
