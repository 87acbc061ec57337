"""`journey explain ACCOUNT`: why this segment and journey, and each milestone's values
(computed by `journey.explain_account`)."""

from __future__ import annotations

from typing import Annotated

import typer

from journey.cli_app import DEFAULT_CONFIG, ConfigDir, command, open_config, parse_date
from journey.errors import UsageError


@command
def explain(
    account: Annotated[str, typer.Argument(help="An account_id, e.g. ACC-00042.")],
    config_dir: ConfigDir = DEFAULT_CONFIG,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Explain on this day (default: the latest run's, else yesterday)."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Why this account has its segment and journey (each rule's conditions with the
    account's values, true/false), its ICP fit per criterion, and each milestone with its
    condition on the due day and today, its state and the reason."""
    from journey.explain_account import explain_account
    from journey.explain_text import explanation_json, explanation_text
    from journey.preview import preview_as_of

    if fmt not in ("text", "json"):
        raise UsageError(f"--format must be text or json, not {fmt!r}")
    config = open_config(config_dir)
    day = parse_date(as_of, "--as-of") or preview_as_of(config)
    explanation = explain_account(config, account, day)
    typer.echo(explanation_json(explanation) if fmt == "json" else explanation_text(explanation))
