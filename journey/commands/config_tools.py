"""`journey schema` and `journey segments diff`: tools for editing and reviewing config/."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
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
from journey.config.diff import SegmentsDiff, account_changes, placements
from journey.config.loader import validate_config
from journey.config.schema import schema_texts, write_schemas
from journey.errors import UsageError
from journey.evaluate import evaluate
from journey.nightly import default_as_of
from journey.store import database_url, load_runs
from metrics.accounts import conform_accounts
from metrics.sources import scan
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


def preview_as_of(config: Config) -> dt.date:
    """The latest stored run's as_of if there is one, else yesterday.

    A preview must not create a database, so a SQLite file that does not exist yet means
    "no run"; an unreachable database is not an error here either.
    """
    url = make_url(database_url(config.settings.database, config.root))
    runs = []
    if not (url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file()):
        try:
            runs = load_runs(open_store(config))
        except SQLAlchemyError:
            runs = []
    return runs[0].as_of if runs else default_as_of(config.settings.timezone)


def _load_proposed(against: Path, current: Config) -> Config:
    """The proposed config, reading the same data as the current one."""
    report = validate_config(against)
    if report.config is None:
        raise ConfigError(list(report.problems))
    return dataclasses.replace(report.config, settings=current.settings, root=current.root)


def segments_diff(current: Config, proposed: Config, as_of: dt.date) -> SegmentsDiff:
    """Evaluate both configs on the current config's data and compare the placements."""
    raw = scan(current.settings.sources.accounts, current.root, "accounts")
    accounts, _ = conform_accounts(raw)
    sides = []
    for config in (current, proposed):
        assigned = assign_segments(accounts.lazy(), config.segments, config.icps).collect()
        sides.append(placements(assigned, evaluate(config, as_of).accounts))
    return SegmentsDiff(
        current=str(current.config_dir),
        proposed=str(proposed.config_dir),
        as_of=as_of,
        accounts=accounts.height,
        changes=account_changes(*sides),
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
    data (the sources of --config) and the same as_of; nothing is stored."""
    setup_logging()
    with user_errors():
        if fmt not in ("text", "json"):
            raise UsageError(f"--format must be text or json, not {fmt!r}")
        current = open_config(config_dir)
        proposed = _load_proposed(against, current)
        day = parse_date(as_of, "--as-of") or preview_as_of(current)
        result = segments_diff(current, proposed, day)
        typer.echo(result.as_json() if fmt == "json" else result.as_text(sample))
