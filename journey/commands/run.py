"""`journey run`: the nightly job (`journey check` lives in commands/check.py)."""

from __future__ import annotations

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
)

#: An account's statuses, in the order the summaries show them.
STATUSES = ("off_track", "at_risk", "on_track", "completed")


def summary_lines(counts: dict[str, int]) -> list[str]:
    total = sum(counts.values())
    lines = [f"  {status:<10} {counts.get(status, 0):>7}" for status in STATUSES]
    return [*lines, f"  {'total':<10} {total:>7}"]


@command
def run(
    config_dir: ConfigDir = DEFAULT_CONFIG,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The day to evaluate (YYYY-MM-DD). Default: yesterday in the configured "
            "timezone, the last complete day when cron runs at night.",
        ),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Recompute from all the usage data instead of continuing from the newest "
            "stored run (incremental runs read only new files and give the same results).",
        ),
    ] = False,
) -> None:
    """Evaluate every account on AS_OF and store the results (the nightly job).

    Incremental when it can be: a run the day after the newest stored run, with the same
    configuration, reads only the usage data that is new since then (new files, new rows of
    a SQL query). Anything it cannot continue from — changed config, a changed or removed data
    file, late data for days already evaluated, an account that changed journey — makes it a
    full run, and it says why.

    Idempotent: re-running a date replaces that date's results. Exit codes: 0 success
    (off-track accounts are output, not failure), 3 invalid config, 4 bad or stale input,
    75 another run holds the lock.

    Cron example: 15 2 * * *  cd /srv/cs && journey run >> journey.log 2>&1
    """
    from journey.nightly import default_as_of, run_nightly
    from journey.store.engine import database_url, safe_url

    config = open_config(config_dir)
    day = parse_date(as_of, "--as-of") or default_as_of(config.settings.timezone)
    engine = open_store(config)
    err(
        f"journey run: evaluating {day} with {config_dir} -> "
        f"{safe_url(database_url(config.settings.database, config.root))}"
    )
    outcome = run_nightly(config, engine, day, full=full)
    if outcome.why_full is None:
        read = outcome.evaluation.files_read
        if any(f is not None for f in read.values()):
            files = sum(len(f) for f in read.values() if f is not None)
            err(f"incremental run: read {files} new or growing file(s)")
        for name in [n for n, f in read.items() if f is None]:
            mark = outcome.evaluation.watermarks.get(name)
            err(
                f"incremental run: `{name}` query read from {mark.literal} on"
                if mark
                else f"incremental run: `{name}` query read whole (the database does not "
                "filter it by day here: `journey doctor` says why)"
            )
    else:
        err(f"full run: {outcome.why_full}")
    for warning in outcome.warnings:
        err(f"warning: {warning}")
    for note in outcome.notes:
        err(f"note: {note}")
    evaluation = outcome.evaluation
    typer.echo(f"as_of {day}: {evaluation.accounts.height} accounts evaluated")
    for line in summary_lines(evaluation.status_counts()):
        typer.echo(line)
    if evaluation.not_started:
        typer.echo(f"  ({evaluation.not_started} account(s) start after {day} and were skipped)")
    typer.echo(f"{outcome.changes} change(s) recorded in history")
