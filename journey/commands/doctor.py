"""`journey doctor`: check config, data sources, database and SMTP; say what to fix."""

from __future__ import annotations

from typing import Annotated

import typer

from journey.cli_app import DEFAULT_CONFIG, ConfigDir, command, parse_date


@command
def doctor(
    config_dir: ConfigDir = DEFAULT_CONFIG,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Judge data freshness as of this day (YYYY-MM-DD). Default: yesterday in the "
            "configured timezone, as `journey run` does.",
        ),
    ] = None,
) -> None:
    """Check that this installation is ready: the config is valid; the data sources exist, are
    readable, have their required columns and fresh usage data; the database answers and its
    schema is up to date; the SMTP server answers EHLO (within 5 s). Also says whether the next
    `journey run` can continue incrementally or why it will be a full run, and, with the early
    warning on, whether a model is kept for it. Nothing is written or sent.

    Exit 0 when all is well, else the code of the first failing area: 3 config, 4 data,
    1 database, 5 SMTP.
    """
    from journey.doctor import exit_code, run_checks

    findings = run_checks(config_dir, parse_date(as_of, "--as-of"))
    for finding in findings:
        typer.echo(finding.render())
    code = exit_code(findings)
    if code:
        raise typer.Exit(int(code))
