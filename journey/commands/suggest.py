"""`journey segments suggest`: segments learned from how customers actually behave."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from journey.cli_app import (
    DEFAULT_CONFIG,
    ConfigDir,
    open_config,
    parse_date,
    segments_app,
    setup_logging,
    user_errors,
)
from journey.errors import DataError


@segments_app.command("suggest")
def suggest(
    config_dir: ConfigDir = DEFAULT_CONFIG,
    days: Annotated[
        int, typer.Option("--days", min=3, max=365, help="Cluster on the first N journey days.")
    ] = 30,
    clusters: Annotated[
        int | None,
        typer.Option(
            "--clusters", min=2, max=12, help="How many clusters (default: by silhouette)."
        ),
    ] = None,
    depth: Annotated[int, typer.Option(min=1, max=5, help="Depth of the rule tree.")] = 3,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Use data up to this day (default: newest).")
    ] = None,
    output: Annotated[
        Literal["text", "yaml"], typer.Option("--format", help="text summary or segments.yaml.")
    ] = "text",
) -> None:
    """Cluster accounts by their first N days of usage, describe each cluster by its journey
    outcomes, and print attribute rules that predict the cluster, with each rule's precision
    and coverage. --format yaml prints ready-to-paste segments.yaml (review the journeys).
    """
    from journey.freshness import newest_usage_day
    from journey.risk.history import read_history
    from journey.suggest.summary import Behaviour, account_summary

    setup_logging()
    with user_errors():
        config = open_config(config_dir)
        day = parse_date(as_of, "--as-of") or newest_usage_day(config)
        if day is None:
            raise DataError("no usage data found; pass --as-of")
        accounts, rows = read_history(
            config, day, lambda part: account_summary(part, days, config.journeys)
        )
        behaviour = Behaviour(day, days, tuple(config.metrics), accounts, rows.sort("account_id"))
        icp_ids = tuple(icp.id for icp in config.icps)
        try:
            from journey.suggest.behaviour import suggest as suggest_segments  # scikit-learn
            from journey.suggest.render import text_lines, yaml_text

            result = suggest_segments(behaviour, icp_ids, clusters, depth)
        except ValueError as exc:
            raise DataError(str(exc)) from exc
        if output == "yaml":
            typer.echo(yaml_text(result), nl=False)
        else:
            for line in text_lines(result):
                typer.echo(line)
