"""The CLI end to end on real files: demo, run, status, explain, export, report, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import polars as pl
import pytest
from typer.core import TyperGroup
from typer.main import get_command
from typer.testing import CliRunner

from journey.cli import app
from support import ProjectFactory


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo") / "journey-demo"
    code, out, err = invoke("demo", "--dir", str(directory), "--accounts", "150")
    assert code == 0, err
    assert "Journey health as of 2026-06-30 (150 accounts)" in out
    return directory


def test_demo_writes_data_database_and_reports(demo_dir: Path) -> None:
    assert (demo_dir / "config" / "settings.yaml").is_file()
    assert list((demo_dir / "data" / "events").glob("*.parquet"))
    assert (demo_dir / "journey.db").is_file()
    assert (demo_dir / "reports" / "out" / "index.html").is_file()


def test_demo_run_applies_the_early_warning(demo_dir: Path) -> None:
    from journey.store import load_runs, make_engine

    latest = load_runs(make_engine(f"sqlite:///{demo_dir / 'journey.db'}"))[0]
    notes = json.loads(latest.notes)
    assert any(note.startswith("early warning: ") for note in notes), notes


def test_export_formats_agree_with_each_other(demo_dir: Path, tmp_path: Path) -> None:
    config = str(demo_dir / "config")
    code, csv_out, err = invoke("export", "--format", "csv", "--config", config)
    assert code == 0, err
    code, json_out, _ = invoke("export", "--format", "json", "--config", config)
    parquet = tmp_path / "states.parquet"
    code, _, err = invoke("export", "--format", "parquet", "--out", str(parquet), "-c", config)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(csv_out)))
    records = json.loads(json_out)
    frame = pl.read_parquet(parquet)
    columns = ["account_id", "segment", "journey", "milestone", "due_on", "achieved_on", "state"]
    assert list(rows[0]) == columns
    assert frame.columns == columns
    assert len(rows) == len(records) == frame.height > 150
    assert {r["state"] for r in records} <= {"done", "done_late", "pending", "overdue"}
    assert records[0]["account_id"] == rows[0]["account_id"] == frame["account_id"][0]


def test_status_portfolio_and_account(demo_dir: Path) -> None:
    config = str(demo_dir / "config")
    code, out, _ = invoke("status", "--config", config)
    assert code == 0
    assert "Portfolio as of 2026-06-30: 150 accounts" in out
    assert "By segment:" in out
    segments = out.split("By segment:\n")[1].split("\n\n")[0].splitlines()
    assert segments
    for line in segments:  # every status in the summary's order, worst first
        named = [part.split()[-2] for part in line.split(",")]
        assert named == [s for s in ("off_track", "at_risk", "on_track", "completed") if s in out]
    code, out, _ = invoke("status", "ACC-00001", "--config", config)
    assert code == 0
    assert out.startswith("ACC-00001 ")
    assert "Why:" in out and "Status history:" in out


def test_status_lists_the_accounts_of_a_status_and_refuses_an_unknown_one(demo_dir: Path) -> None:
    config = str(demo_dir / "config")
    code, out, _ = invoke("status", "--status", "at_risk", "--limit", "3", "--config", config)
    assert code == 0
    listed = out.split("\nat_risk accounts (")[1].splitlines()
    assert listed[0].endswith("; showing 3):") and len(listed) == 4
    code, _, err = invoke("status", "--status", "offtrack", "--config", config)
    assert code == 2
    assert "--status must be one of off_track, at_risk, on_track, completed" in err


def test_explain_shows_rules_fit_and_milestones(demo_dir: Path) -> None:
    code, out, _ = invoke("explain", "ACC-00002", "--config", str(demo_dir / "config"))
    assert code == 0
    assert "Segment rules (first match wins):" in out
    assert "[MATCH]" in out
    assert "ICP fit:" in out and "Milestones:" in out


def test_report_writes_one_file_pair_per_csm(demo_dir: Path, tmp_path: Path) -> None:
    code, _, err = invoke("report", "--out", str(tmp_path), "--config", str(demo_dir / "config"))
    assert code == 0, err
    assert (tmp_path / "index.html").is_file()
    assert len(list(tmp_path.glob("*.html"))) >= 2
    assert list(tmp_path.glob("*.txt"))


def test_unknown_account_is_a_usage_error(demo_dir: Path) -> None:
    code, _, err = invoke("status", "NOPE", "--config", str(demo_dir / "config"))
    assert code == 2
    assert "NOPE" in err and "Traceback" not in err


def test_invalid_config_exits_3_with_file_and_line(make_project: ProjectFactory) -> None:
    project = make_project(
        milestones="- {id: m, due_day: 3, when: {metric: loginz, gte: 1}}\n",
        accounts="a,A,2026-01-01,ana@example.com,,x\n",
    )
    code, _, err = project.cli("run", "--as-of", "2026-01-05")
    assert code == 3
    assert "journeys/j.yaml:" in err
    assert "metric `loginz` is not defined in metrics.yaml" in err
    assert "did you mean `logins`?" in err
    assert "Traceback" not in err


def test_missing_data_file_exits_4(make_project: ProjectFactory) -> None:
    project = make_project(milestones="- {id: m, due_day: 3, when: {metric: logins, gte: 1}}\n")
    (project.root / "data" / "events.csv").unlink()
    code, _, err = project.cli("run", "--as-of", "2026-01-05")
    assert code == 4
    assert "source `events`: no file matches 'data/events.csv'" in err


def test_bad_arguments_exit_2(make_project: ProjectFactory) -> None:
    project = make_project(
        milestones="- {id: m, due_day: 3, when: {metric: logins, gte: 1}}\n",
        accounts="a,A,2026-01-01,ana@example.com,,x\n",
    )
    code, _, err = project.cli("run", "--as-of", "last tuesday")
    assert code == 2
    assert "YYYY-MM-DD" in err
    code, _, err = project.cli("status")
    assert code == 2
    assert "no run stored yet" in err
    assert project.cli("run", "--as-of", "2026-01-05")[0] == 0
    code, _, err = project.cli("export", "--format", "parquet")
    assert code == 2
    assert "--out" in err or "file" in err


def test_every_command_has_help() -> None:
    """Every command and subcommand, so that a name a signature needs is never missing at
    run time (command modules import their heavy modules inside the commands)."""
    group = get_command(app)
    assert isinstance(group, TyperGroup)
    paths = [
        [name, *([sub] if sub else [])]
        for name, command in group.commands.items()
        for sub in (command.commands if isinstance(command, TyperGroup) else [""])
    ]
    assert len(paths) > 20
    for path in paths:
        code, out, _ = invoke(*path, "--help")
        assert code == 0, path
        assert f"Usage: journey {' '.join(path)}" in out


def test_internal_errors_never_print_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    import journey.commands.run as run_command

    monkeypatch.setenv("JOURNEY_SMTP_PASSWORD", "hunter2-secret")

    def explode(*args: object) -> None:
        raise RuntimeError("connect to postgresql://cs:hunter2-secret@db/cs failed")

    monkeypatch.setattr(run_command, "open_config", explode)
    code, _, err = invoke("run", "--as-of", "2026-01-01")
    assert code == 1
    assert "internal error: RuntimeError" in err
    assert "hunter2-secret" not in err
