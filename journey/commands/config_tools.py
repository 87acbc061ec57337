"""`journey schema` and `journey segments diff`: tools for editing and reviewing config/."""

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
    parse_date,
    segments_app,
    setup_logging,
    user_errors,
)
from journey.errors import UsageError


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
    from journey.config.schema import schema_texts, write_schemas

    if out == "-":
        texts = schema_texts()
        typer.echo("{\n" + ",\n".join(f'"{n}": {t.rstrip()}' for n, t in texts.items()) + "\n}")
        return
    for path in write_schemas(Path(out) if out else config_dir / "schemas"):
        err(f"wrote {path}")


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
    from journey.preview import load_proposed, preview_as_of, segments_diff, stored_statuses
    from journey.stored import stored_runs

    setup_logging()
    with user_errors():
        if fmt not in ("text", "json"):
            raise UsageError(f"--format must be text or json, not {fmt!r}")
        current = open_config(config_dir)
        proposed = load_proposed(against, current)
        engine, runs = stored_runs(current)  # opened once, for the day and the results
        day = parse_date(as_of, "--as-of") or preview_as_of(current, runs)
        stored = stored_statuses(current, day, engine, runs)
        result = segments_diff(current, proposed, day, stored)
        typer.echo(result.as_json() if fmt == "json" else result.as_text(sample))
