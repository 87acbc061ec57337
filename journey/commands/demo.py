"""`journey demo`: sample data, the example config, a full run and a report, in one folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from journey.cli_app import command, err, open_config, open_store
from journey.commands.run import summary_lines
from journey.demo_data import DEMO_AS_OF, generate_accounts, generate_events, write_demo_data
from journey.nightly import run_nightly
from journey.store import load_current
from reports.render import build_csm_reports, write_reports


def example_config_dir() -> Path:
    """The example config shipped with journey (inside the wheel, or the source checkout)."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_example_config", package.parent / "config"):
        if (candidate / "settings.yaml").is_file():
            return candidate
    raise FileNotFoundError("the example config is missing from this installation")


@command
def demo(
    directory: Annotated[
        Path,
        typer.Option(
            "--dir", "-d", help="Folder for the demo project (config, data, database, reports)."
        ),
    ] = Path("journey-demo"),
    accounts: Annotated[int, typer.Option(help="How many sample accounts.", min=10)] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
) -> None:
    """Generate deterministic sample data (B2B SaaS accounts over six months), run the whole
    pipeline with the example config, and write the weekly report.

    Everything goes into --dir (default ./journey-demo), which is refreshed on every run. Then:
    cd journey-demo && journey status, journey explain ACC-00042, journey export.
    """
    directory = directory.resolve()
    config_dir = directory / "config"
    if config_dir.exists():
        shutil.rmtree(config_dir)
    shutil.copytree(example_config_dir(), config_dir)
    for stale in (
        directory / "journey.db",
        directory / "journey.db-wal",
        directory / "journey.db-shm",
    ):
        stale.unlink(missing_ok=True)
    err(f"journey demo: generating {accounts} accounts (seed {seed}) in {directory}")
    account_frame = generate_accounts(accounts, seed=seed)
    events = generate_events(account_frame, seed=seed)
    write_demo_data(directory / "data", account_frame, events)
    err(f"  {events.height:,} usage events written to {directory / 'data'}")
    config = open_config(config_dir)
    engine = open_store(config)
    outcome = run_nightly(config, engine, DEMO_AS_OF)
    for note in outcome.warnings:
        err(f"  note: {note}")
    stored_accounts, milestones = load_current(engine)
    out_dir = config.resolve(config.settings.report.out_dir, "report.out_dir")
    reports = build_csm_reports(
        stored_accounts, milestones, as_of=DEMO_AS_OF, top_n=config.settings.report.top_n
    )
    write_reports(reports, out_dir)
    typer.echo(
        f"Journey health as of {DEMO_AS_OF} ({outcome.evaluation.accounts.height} accounts):"
    )
    for line in summary_lines(outcome.evaluation.status_counts()):
        typer.echo(line)
    typer.echo(f"Weekly reports for {len(reports)} CSMs: {out_dir / 'index.html'}")
    typer.echo(f"Next: cd {directory} && journey status  (or: journey explain ACC-00042)")
