"""Test support: a throwaway journey project on disk, built from inline text.

`make_project(...)` writes config/ (settings, segments, metrics, one journey `j` unless
others are given) and data/ (accounts.csv, events.csv) under tmp_path and returns a
`Project` that can load its config, evaluate it, or be driven through the CLI.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from journey.cli import app
from journey.config import Config, load_config
from journey.evaluate import Evaluation, evaluate

SETTINGS = """\
timezone: {timezone}
sources:
  accounts: {{path: data/accounts.csv}}
  events: {{path: data/events.csv}}
database: sqlite:///journey.db
freshness: {{warn_after_days: 10000, error_after_days: 10000, on_stale: warn}}
report: {{top_n: 15, out_dir: reports/out}}
risk: {{enabled: false}}  # golden cases pin the rules; the early warning has its own tests
"""

METRICS = """\
metrics:
  logins:    {count: events, where: {field: event, eq: login}}
  logins_3d: {count: events, where: {field: event, eq: login}, window_days: 3}
  users:     {distinct: user_id}
  users_3d:  {distinct: user_id, window_days: 3}
  minutes:   {sum: value, where: {field: event, eq: login}}
"""

SEGMENTS = """\
segments:
  - id: everyone
    journey: j
    when: always
"""

ACCOUNTS_HEADER = "account_id,name,start_date,csm_email,arr,plan\n"
EVENTS_HEADER = "account_id,timestamp,event,user_id,value\n"


@dataclass
class Project:
    root: Path
    #: Read milestone states through `journey run` + `journey export` instead of evaluate().
    via_cli: bool = False

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def config(self) -> Config:
        return load_config(self.config_dir)

    def evaluate(self, as_of: str) -> Evaluation:
        return evaluate(self.config(), dt.date.fromisoformat(as_of))

    def states(self, as_of: str) -> dict[tuple[str, str], tuple[str | None, str]]:
        """(account, milestone) -> (achieved_on ISO or None, state)."""
        if self.via_cli:
            return self.exported_states(as_of)
        rows = self.evaluate(as_of).milestones.select(
            "account_id", "milestone", pl.col("achieved_on").cast(pl.String), "state"
        )
        return {(a, m): (on, s) for a, m, on, s in rows.iter_rows()}

    def exported_states(self, as_of: str) -> dict[tuple[str, str], tuple[str | None, str]]:
        """The same, through `journey run --as-of` and `journey export --format json`."""
        code, _, err = self.cli("run", "--as-of", as_of)
        assert code == 0, err
        code, out, err = self.cli("export", "--format", "json")
        assert code == 0, err
        rows = json.loads(out)
        return {(r["account_id"], r["milestone"]): (r["achieved_on"], r["state"]) for r in rows}

    def cli(self, *args: str) -> tuple[int, str, str]:
        """Run `journey ARGS --config <this project>` in-process: (exit code, stdout, stderr)."""
        runner = CliRunner()
        result = runner.invoke(app, [*args, "--config", str(self.config_dir)])
        return result.exit_code, result.stdout, result.stderr


ProjectFactory = Callable[..., Project]


def project_factory(tmp_path: Path) -> ProjectFactory:
    """A function that writes a project under tmp_path from inline config and data."""

    def make(
        *,
        milestones: str,
        accounts: str = "",
        events: str = "",
        timezone: str = "UTC",
        metrics: str = METRICS,
        segments: str = SEGMENTS,
        journey_extra: str = "grace_days: 0\n",
        icp: str | None = None,
        via_cli: bool = False,
    ) -> Project:
        existing = sorted(tmp_path.glob("project*"))
        project = Project(tmp_path / f"project{len(existing)}", via_cli=via_cli)
        project.write("config/settings.yaml", SETTINGS.format(timezone=timezone))
        project.write("config/metrics.yaml", metrics)
        project.write("config/segments.yaml", segments)
        if icp is not None:
            project.write("config/icp.yaml", icp)
        journey = "id: j\nname: Test journey\n" + textwrap.dedent(journey_extra)
        journey += "milestones:\n" + textwrap.indent(textwrap.dedent(milestones), "  ")
        project.write("config/journeys/j.yaml", journey)
        project.write("data/accounts.csv", ACCOUNTS_HEADER + textwrap.dedent(accounts).lstrip())
        project.write("data/events.csv", EVENTS_HEADER + textwrap.dedent(events).lstrip())
        return project

    return make
