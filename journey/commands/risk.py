"""`journey risk train|evaluate|score`: the early warning, learned from the usage history."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from journey.cli_app import (
    DEFAULT_CONFIG,
    ConfigDir,
    app,
    err,
    open_config,
    parse_date,
    setup_logging,
    user_errors,
)
from journey.errors import DataError

if TYPE_CHECKING:
    from journey.config import Config
    from journey.risk.history import History
    from journey.risk.service import RiskOptions

risk_app = typer.Typer(
    help="Early warning: which accounts not yet off track will be within the horizon, "
    "learned from the usage history, with its accuracy shown honestly.",
    no_args_is_help=True,
)
app.add_typer(risk_app, name="risk")

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Use data up to this day (YYYY-MM-DD). Default: the newest usage day."
    ),
]
Horizon = Annotated[
    int | None,
    typer.Option(
        min=1,
        max=180,
        help="Predict turning off track within this many days. Default: settings "
        "risk.horizon_days (14), as the nightly run.",
        show_default=False,
    ),
]
Every = Annotated[int, typer.Option(min=1, max=60, help="Days between training snapshots.")]
Threshold = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        max=1.0,
        help="Probability at which an account is flagged. Default: settings risk.threshold "
        "(0.5), as the nightly run.",
        show_default=False,
    ),
]


def risk_command(func: Callable[..., None]) -> Callable[..., None]:
    """Register a `journey risk` command whose user errors render with their exit code."""

    @functools.wraps(func)
    def wrapper(*args: object, **kwargs: object) -> None:
        setup_logging()
        with user_errors():
            try:
                func(*args, **kwargs)
            except ValueError as exc:
                raise DataError(str(exc)) from exc

    # `train_command` -> `journey risk train` (a function named `train` would shadow the API).
    return risk_app.command(name=func.__name__.removesuffix("_command"))(wrapper)


def _as_of(config: Config, value: str | None) -> dt.date:
    from journey.freshness import newest_usage_day

    day = parse_date(value, "--as-of") or newest_usage_day(config)
    if day is None:
        raise DataError("no usage data found; pass --as-of")
    return day


def _options(
    config: Config,
    horizon: int | None,
    threshold: float | None = None,
    **rest: Any,
) -> RiskOptions:
    """The options of a `journey risk` command: --horizon and --threshold default to the
    settings' (what the nightly run uses), the training sample's size is the settings'."""
    from journey.risk.service import RiskOptions

    risk = config.settings.risk
    return RiskOptions(
        horizon=risk.horizon_days if horizon is None else horizon,
        threshold=risk.threshold if threshold is None else threshold,
        max_rows=risk.max_training_rows,
        **rest,
    )


def _stored_history(config: Config, day: dt.date) -> History | None:
    """The metric history the nightly run of `day` kept, if it is current
    (`journey.risk.history.stored_history`), said on stderr: where the history comes from."""
    from journey.risk.history import stored_history

    history = stored_history(config, day)
    if history is None:
        err("risk: metric history read from the usage data")
    else:
        err(f"risk: metric history as the {day} nightly run kept it (no usage read)")
    return history


@risk_command
def train_command(
    config_dir: ConfigDir = DEFAULT_CONFIG,
    as_of: AsOf = None,
    horizon: Horizon = None,
    every: Every = 7,
    out: Annotated[
        Path | None, typer.Option(help="Write the training set (features + labels) as Parquet.")
    ] = None,
) -> None:
    """Build the training set from the usage history and fit the model, to check both.

    It keeps no model: the nightly run keeps its own, without pickle, while its training
    set is unchanged (docs/risk.md). Use --out to inspect the training rows. The metric
    history is the one the nightly run of that day kept, when it is current.
    """
    config = open_config(config_dir)
    day = _as_of(config, as_of)
    import polars as pl

    from journey.risk.service import train  # scikit-learn: import on use

    most = config.settings.risk.max_training_rows
    options = _options(config, horizon, every=every)
    horizon = options.horizon
    training = train(config, day, options, _stored_history(config, day))
    rows = training.snapshots.labelled
    days = sorted(rows["as_of"].unique().to_list())
    typer.echo(f"Training set as of {day} (label: turns off track within {horizon} days)")
    typer.echo(f"  {rows.height} rows from {len(days)} snapshot days, every {every} days")
    if rows.height:
        share = rows["label"].cast(pl.Float64).to_numpy().mean()
        typer.echo(f"  snapshots {days[0]} .. {days[-1]}; labels known by {day}")
        typer.echo(f"  {share:.0%} of rows turned off track")
    if rows.height > most:
        typer.echo(f"  fitted on a random sample of {most:,} of them (risk.max_training_rows)")
    typer.echo(
        f"  {len(training.model.encoding.features)} features; fitted in "
        f"{training.seconds:.1f} s (history read included)"
    )
    if training.model.forest is None:
        typer.echo("  only one outcome in the history: the model predicts the base rate")
    if out is not None:
        rows.write_parquet(out)
        err(f"training set written to {out}")


@risk_command
def evaluate(
    config_dir: ConfigDir = DEFAULT_CONFIG,
    as_of: AsOf = None,
    horizon: Horizon = None,
    every: Every = 7,
    test_share: Annotated[
        float, typer.Option(min=0.05, max=0.9, help="Newest share of snapshot days to test on.")
    ] = 0.3,
    top_k: Annotated[int, typer.Option(min=1, help="Precision among each CSM's top k.")] = 5,
    threshold: Threshold = None,
) -> None:
    """Train on earlier days, test on later ones, and compare with simple baselines.

    Training labels never look into the test period: only rows whose label is known before
    the first test day are trained on. Prints ROC AUC, average precision, precision among
    each CSM's top k, calibration, and a plain verdict. The metric history is the one the
    nightly run of that day kept, when it is current (the same config and data files).
    """
    config = open_config(config_dir)
    day = _as_of(config, as_of)
    from journey.risk.render import evaluation_lines
    from journey.risk.service import evaluate_model

    options = _options(config, horizon, threshold, every=every, test_share=test_share, top_k=top_k)
    result = evaluate_model(config, day, options, _stored_history(config, day))
    for line in evaluation_lines(result, day, options):
        typer.echo(line)


@risk_command
def score(
    config_dir: ConfigDir = DEFAULT_CONFIG,
    as_of: AsOf = None,
    horizon: Horizon = None,
    every: Every = 7,
    threshold: Threshold = None,
    limit: Annotated[int, typer.Option(min=1, help="How many accounts to list.")] = 20,
    new_only: Annotated[
        bool,
        typer.Option("--new-only", help="Only accounts the at_risk rule does not flag yet."),
    ] = False,
    output: Annotated[
        Literal["text", "json"], typer.Option("--format", help="text or json.")
    ] = "text",
) -> None:
    """Accounts not yet off track with their risk of turning off track, and why.

    Lists accounts at or above --threshold, highest risk first, with the two or three
    drivers behind each probability. "new warning" marks accounts that the milestone rules
    still call on track.

    When the nightly run of that day had the early warning on, and the data files and
    config are as it found them, the metric history comes from what it kept instead of
    the usage data; and with --horizon and --every as the run has them (the defaults),
    so does the model: the model a fit would give, in seconds instead of minutes at
    scale. Otherwise the history is read and the model fitted here.
    """
    config = open_config(config_dir)
    day = _as_of(config, as_of)
    import polars as pl

    from journey.risk.kept import model_folder
    from journey.risk.render import score_lines
    from journey.risk.service import current_scores

    options = _options(config, horizon, threshold, every=every)
    history = _stored_history(config, day)
    scored, model, fitted = current_scores(
        config, day, options, history, keep=model_folder(config.root)
    )
    how = "fitted now" if fitted else "kept by the nightly run"
    err(f"risk score: model {model.describe()} ({how})")
    flagged = scored.filter(pl.col("risk_probability") >= options.threshold)
    if new_only:
        flagged = flagged.filter(~pl.col("rule_at_risk"))
    if output == "json":
        rows = flagged.head(limit).select(
            "account_id",
            "csm_email",
            "risk_probability",
            "risk_drivers",
            pl.col("rule_at_risk").alias("already_at_risk_by_rule"),
        )
        typer.echo(json.dumps(rows.to_dicts(), indent=2))
        return
    for line in score_lines(scored, flagged.head(limit), day, options):
        typer.echo(line)
