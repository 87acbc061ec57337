"""`journey export` and `journey report`: results out of the store, into files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import polars as pl
import typer

from journey.cli_app import (
    DEFAULT_CONFIG,
    ConfigDir,
    command,
    err,
    open_config,
    open_store,
    parse_date,
    require_run,
)
from journey.errors import UsageError
from journey.store import load_current
from reports.export import export_frame, write_export
from reports.render import build_csm_reports, write_reports

Format = Literal["csv", "json", "parquet"]


@command
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, json or parquet.")] = "csv",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write to this file (default: stdout; parquet needs a file)."
        ),
    ] = None,
    config_dir: ConfigDir = DEFAULT_CONFIG,
) -> None:
    """Every account x milestone of the latest run: account_id, segment, journey, milestone,
    due_on, achieved_on, state. CSV cells that look like spreadsheet formulas are neutralised."""
    if fmt not in ("csv", "json", "parquet"):
        raise UsageError(f"--format must be csv, json or parquet, not {fmt!r}")
    config = open_config(config_dir)
    engine = open_store(config)
    require_run(engine)
    accounts, milestones = load_current(engine)
    frame = export_frame(accounts, milestones)
    try:
        write_export(frame, fmt, out)  # type: ignore[arg-type]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if out is not None:
        err(f"wrote {frame.height} rows to {out}")


@command
def report(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for the reports (default: report.out_dir in settings)."
        ),
    ] = None,
    week: Annotated[
        str | None,
        typer.Option(
            help="Label the report with the week of this date (default: the run's as_of)."
        ),
    ] = None,
    csm: Annotated[str | None, typer.Option(help="Only this CSM's report (an email).")] = None,
    config_dir: ConfigDir = DEFAULT_CONFIG,
) -> None:
    """Render the weekly report per CSM (HTML + text) and an index, from the latest run."""
    config = open_config(config_dir)
    engine = open_store(config)
    latest = require_run(engine)
    accounts, milestones = load_current(engine)
    if csm is not None:
        accounts = accounts.filter(pl.col("csm_email") == csm)
        if not accounts.height:
            raise UsageError(f"no account has csm_email {csm!r}")
        milestones = milestones.join(accounts.select("account_id"), on="account_id", how="semi")
    as_of = parse_date(week, "--week") or latest.as_of
    target = out or config.resolve(config.settings.report.out_dir, "report.out_dir")
    reports = build_csm_reports(
        accounts,
        milestones,
        as_of=as_of,
        top_n=config.settings.report.top_n,
    )
    paths = write_reports(reports, target)
    err(f"wrote {len(reports)} CSM report(s) to {target} ({len(paths)} files)")
    typer.echo(str(target / "index.html"))
