"""`journey export` and `journey report`: results out of the store, into files (or stdout)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    from journey.store import load_current
    from reports.export import (
        EXPORT_ACCOUNT_COLUMNS,
        EXPORT_MILESTONE_COLUMNS,
        export_frame,
        write_export,
    )

    if fmt not in ("csv", "json", "parquet"):
        raise UsageError(f"--format must be csv, json or parquet, not {fmt!r}")
    config = open_config(config_dir)
    engine = open_store(config)
    require_run(engine)
    accounts, milestones = load_current(
        engine, columns=EXPORT_ACCOUNT_COLUMNS, milestone_columns=EXPORT_MILESTONE_COLUMNS
    )
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
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="html: the report set (per-CSM HTML + text, briefs, rollup, index) into the "
            "folder; csv or json: the ranked off-track list to stdout (or <out>/ranked.<fmt>).",
        ),
    ] = "html",
    config_dir: ConfigDir = DEFAULT_CONFIG,
) -> None:
    """Render the weekly report from the latest run: per CSM a ranked shortlist of off-track
    accounts (HTML + text), an account-map brief per flagged account, the manager rollup and
    an index. See docs/weekly-report.md."""
    import polars as pl

    from journey.store import load_current
    from journey.weekly import gather, report_set
    from reports.export import ranked_frame, write_export
    from reports.render import write_report_set

    if fmt not in ("html", "csv", "json"):
        raise UsageError(f"--format must be html, csv or json, not {fmt!r}")
    config = open_config(config_dir)
    engine = open_store(config)
    latest = require_run(engine)
    if csm is not None:
        owners = load_current(engine, columns=["csm_email"], milestone_columns=())[0]
        if not owners.filter(pl.col("csm_email") == csm).height:
            raise UsageError(f"no account has csm_email {csm!r}")
    inputs = gather(config, engine, as_of=latest.as_of, week=parse_date(week, "--week"))
    documents = report_set(config, inputs, csm=csm)
    if fmt in ("csv", "json"):
        frame = ranked_frame(documents.reports)
        target_file = None if out is None else out / f"ranked.{fmt}"
        if target_file is not None:
            target_file.parent.mkdir(parents=True, exist_ok=True)
        write_export(frame, fmt, target_file)  # type: ignore[arg-type]
        if target_file is not None:
            err(f"wrote {frame.height} ranked accounts to {target_file}")
        return
    target = out or config.resolve(config.settings.report.out_dir, "report.out_dir")
    paths = write_report_set(documents, target)
    err(
        f"wrote {len(documents.reports)} CSM report(s), {len(documents.briefs)} account-map "
        f"brief(s) and the manager rollup to {target} ({len(paths)} files)"
    )
    typer.echo(str(target / "index.html"))
