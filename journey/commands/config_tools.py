"""`journey schema` and `journey segments diff`: tools for editing and reviewing config/."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from journey.cli_app import (
    DEFAULT_CONFIG,
    ConfigDir,
    command,
    err,
    open_config,
    open_store,
    parse_date,
    segments_app,
    setup_logging,
    user_errors,
)
from journey.config import Config, ConfigError
from journey.config.diff import SegmentsDiff, account_changes, moved_accounts, placements
from journey.config.loader import validate_config
from journey.config.schema import schema_texts, write_schemas
from journey.errors import UsageError
from journey.evaluate import evaluate, input_fingerprint
from journey.nightly import default_as_of
from journey.store import database_url, load_current, load_runs
from journey.store.tables import Run
from metrics.accounts import conform_accounts
from metrics.sources import resolve_files, scan
from segments.rules import assign_segments


@command
def schema(
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder for one <kind>.schema.json per file kind; `-` prints them as one "
            "JSON object. Default: the schemas/ folder inside --config, where the example "
            "files' modelines point.",
        ),
    ] = None,
    config_dir: ConfigDir = DEFAULT_CONFIG,
) -> None:
    """Write JSON Schemas of the config files (settings, icp, segments, metrics, journey) for
    editor autocompletion. Each config file names its schema in its first line, e.g.
    `# yaml-language-server: $schema=schemas/segments.schema.json`. Does not read the config."""
    if out == "-":
        texts = schema_texts()
        typer.echo("{\n" + ",\n".join(f'"{n}": {t.rstrip()}' for n, t in texts.items()) + "\n}")
        return
    for path in write_schemas(Path(out) if out else config_dir / "schemas"):
        err(f"wrote {path}")


def stored_runs(config: Config) -> tuple[Engine | None, list[Run]]:
    """The store and its runs, newest first; none if there is no store yet.

    A preview must not create a database, so a SQLite file that does not exist yet means
    "no run"; an unreachable database is not an error here either.
    """
    url = make_url(database_url(config.settings.database, config.root))
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return None, []
    try:
        engine = open_store(config)
        return engine, load_runs(engine)
    except SQLAlchemyError:
        return None, []


def preview_as_of(config: Config, runs: list[Run] | None = None) -> dt.date:
    """The latest stored run's as_of if there is one (of `runs`, the store's as
    `stored_runs` gives them, read here if not given), else yesterday."""
    if runs is None:
        _, runs = stored_runs(config)
    return runs[0].as_of if runs else default_as_of(config.settings.timezone)


def stored_statuses(
    config: Config, as_of: dt.date, engine: Engine | None, runs: list[Run]
) -> pl.DataFrame | None:
    """account_id and status of every account as the latest run stored them (the store and
    its runs as `stored_runs` gives them), when that is what evaluating `config` on `as_of`
    gives: the run was on `as_of`, with this very config, on these very files (names, sizes,
    times). Never with a SQL source, which may have changed since without a trace."""
    sources = config.settings.sources
    named = {"accounts": sources.accounts, "events": sources.events, "daily": sources.daily}
    specs = {name: spec for name, spec in named.items() if spec is not None}
    if any(spec.path is None for spec in specs.values()):
        return None
    if engine is None or not runs or runs[0].as_of != as_of:
        return None
    files = [f for name, spec in specs.items() for f in resolve_files(spec, config.root, name)]
    latest = runs[0]
    if (latest.config_hash, latest.input_fingerprint) != (
        config.fingerprint,
        input_fingerprint(files),
    ):
        return None
    return load_current(engine, columns=["status"], milestone_columns=())[0]


def _load_proposed(against: Path, current: Config) -> Config:
    """The proposed config, reading the same data as the current one."""
    report = validate_config(against)
    if report.config is None:
        raise ConfigError(list(report.problems))
    return dataclasses.replace(report.config, settings=current.settings, root=current.root)


def segments_diff(
    current: Config, proposed: Config, as_of: dt.date, stored: pl.DataFrame | None = None
) -> SegmentsDiff:
    """Evaluate both configs on the current config's data and compare the placements.

    `stored` (account_id, status) is what evaluating `current` gives, if known
    (`stored_statuses`): it is not evaluated again.

    When the proposal changes only segments and ICPs (the same metrics and journeys), an
    account that keeps its journey keeps its status: only the accounts whose journey changes
    are evaluated again under the proposal.
    """
    raw = scan(current.settings.sources.accounts, current.root, "accounts")
    accounts, _ = conform_accounts(raw)
    before, after = (
        assign_segments(accounts.lazy(), config.segments, config.icps).collect()
        for config in (current, proposed)
    )
    statuses = stored if stored is not None else evaluate(current, as_of).accounts
    statuses = statuses.select("account_id", "status")
    if proposed.metrics == current.metrics and proposed.journeys == current.journeys:
        moved = moved_accounts(before, after)
        kept = statuses.filter(~pl.col("account_id").is_in(moved.implode()))
        proposed_statuses = kept
        if not moved.is_empty():
            again = evaluate(proposed, as_of, only=moved).accounts.select("account_id", "status")
            proposed_statuses = pl.concat([kept, again])
    else:
        proposed_statuses = evaluate(proposed, as_of).accounts
    return SegmentsDiff(
        current=str(current.config_dir),
        proposed=str(proposed.config_dir),
        as_of=as_of,
        accounts=accounts.height,
        changes=account_changes(placements(before, statuses), placements(after, proposed_statuses)),
    )


@segments_app.command("diff")
def diff(
    against: Annotated[
        Path,
        typer.Option("--against", help="The proposed config/ folder to compare with --config."),
    ],
    config_dir: ConfigDir = DEFAULT_CONFIG,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Evaluate on this day (default: the latest run's, else yesterday)."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    sample: Annotated[int, typer.Option(help="How many changed accounts to list.", min=0)] = 20,
) -> None:
    """Which accounts would change segment, journey or status if the config in --against
    replaced --config: counts per transition and a sample. Both are evaluated on the same
    data (the sources of --config) and the same as_of; nothing is stored.

    What is already known is not evaluated again: --config's results come from the store
    when the latest run was on that day, with that config, on those very files; and when the
    proposal changes only segments and ICPs, only the accounts whose journey changes are
    evaluated under it."""
    setup_logging()
    with user_errors():
        if fmt not in ("text", "json"):
            raise UsageError(f"--format must be text or json, not {fmt!r}")
        current = open_config(config_dir)
        proposed = _load_proposed(against, current)
        engine, runs = stored_runs(current)  # opened once, for the day and the results
        day = parse_date(as_of, "--as-of") or preview_as_of(current, runs)
        stored = stored_statuses(current, day, engine, runs)
        result = segments_diff(current, proposed, day, stored)
        typer.echo(result.as_json() if fmt == "json" else result.as_text(sample))
