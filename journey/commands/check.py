"""`journey check`: validate the YAML in config/ (and, optionally, the rules against the data)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from journey.cli_app import DEFAULT_CONFIG, ConfigDir, command
from journey.errors import ExitCode, UsageError

if TYPE_CHECKING:
    import polars as pl

    from journey.config.data_checks import NotNumbers, Schema
    from journey.config.errors import ConfigProblem
    from journey.config.loader import Config


@dataclass(frozen=True)
class SourceFacts:
    """What `journey check --with-data` reads of the sources."""

    schemas: dict[str, Schema]  # source -> column types, as a run types them
    event_names: set[str] | None  # the event names that occur (None: no events source)
    not_numbers: NotNumbers  # source -> summed text column -> a few values that are no number


def source_facts(config: Config) -> SourceFacts:
    """Column types of each configured source, the event names that occur, and text in the
    events' `value` that is not a number when a metric sums it (I/O: reads the sources)."""
    import polars as pl

    from journey.config.data_checks import EVENT_COLUMN
    from metrics.accounts import conform_accounts
    from metrics.definitions import SumMetric
    from metrics.sources import scan
    from metrics.usage import EVENT_VALUE, conform_daily, conform_events

    sources = config.settings.sources
    accounts_raw = scan(sources.accounts, config.root, "accounts")
    schemas: dict[str, Schema] = {"accounts": dict(accounts_raw.collect_schema().items())}
    accounts, _ = conform_accounts(accounts_raw)
    known = accounts.lazy().select("account_id")
    event_names: set[str] | None = None
    not_numbers: NotNumbers = {}
    if sources.events is not None:
        raw = scan(sources.events, config.root, "events")
        events, _ = conform_events(raw, known, config.settings.timezone)
        schemas["events"] = dict(events.collect_schema().items())
        names = raw.select(pl.col(EVENT_COLUMN).cast(pl.String).unique()).collect()
        event_names = {str(n) for n in names[EVENT_COLUMN].to_list() if n is not None}
        summed = any(
            isinstance(m, SumMetric) and m.source == "events" and m.sum == EVENT_VALUE
            for m in config.metrics.values()
        )
        if summed and (values := _not_numbers(raw, EVENT_VALUE)):
            not_numbers["events"] = {EVENT_VALUE: values}
    if sources.daily is not None:
        daily, _ = conform_daily(scan(sources.daily, config.root, "daily"), known)
        schemas["daily"] = dict(daily.collect_schema().items())
    return SourceFacts(schemas, event_names, not_numbers)


def _not_numbers(raw: pl.LazyFrame, column: str, limit: int = 3) -> list[str]:
    """Up to `limit` values of the text `column` that a run reads as empty, not being numbers
    (`metrics.contracts.numeric`); none when the source holds numbers there."""
    import polars as pl

    from metrics.contracts import not_a_number

    bad = not_a_number(column, raw.collect_schema())
    if bad is None:
        return []
    text = pl.col(column).str.strip_chars()
    values = raw.filter(bad).select(text).unique(maintain_order=True).head(limit).collect()
    return [str(v) for v in values[column].to_list()]


def summary(config: Config | None) -> dict[str, int]:
    """How much the config defines (empty when it did not load)."""
    if config is None:
        return {}
    return {
        "icps": len(config.icps),
        "segments": len(config.segments),
        "metrics": len(config.metrics),
        "journeys": len(config.journeys),
    }


def check_text(problems: list[ConfigProblem], config: Config | None, failed: bool) -> str:
    """The human report: every problem with its line, then a one-line verdict."""
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    blocks = [p.render() for p in problems]
    if config is not None and not errors:
        counts = summary(config)
        verdict = (
            f"config OK: {counts['icps']} ICP(s), {counts['segments']} segment rule(s), "
            f"{counts['metrics']} metric(s), {counts['journeys']} journey(s)"
        )
        if warnings:
            verdict += f"; {warnings} warning(s)" + (" (failing: --strict)" if failed else "")
    else:
        verdict = f"config has {errors} error(s) and {warnings} warning(s); fix the lines above"
    return "\n\n".join([*blocks, verdict])


def check_json(
    problems: list[ConfigProblem], config: Config | None, failed: bool, strict: bool
) -> str:
    """The machine report (`--format json`)."""
    payload: dict[str, Any] = {
        "ok": not failed,
        "strict": strict,
        "errors": sum(p.severity == "error" for p in problems),
        "warnings": sum(p.severity == "warning" for p in problems),
        "summary": summary(config),
        "problems": [p.as_dict() for p in problems],
    }
    return json.dumps(payload, indent=2)


@command
def check(
    config_dir: ConfigDir = DEFAULT_CONFIG,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 3) on warnings too, not only errors.")
    ] = False,
    with_data: Annotated[
        bool,
        typer.Option(
            "--with-data",
            help="Also read the sources: every field a rule uses must exist with a fitting "
            "type, every event a metric filters on should occur, and the events' value a "
            "metric sums should hold numbers.",
        ),
    ] = False,
) -> None:
    """Validate the YAML in config/ without the database or SMTP (and without data unless
    --with-data). Every problem in every file is listed with file:line:column, the line
    itself and a hint. Exit 0 when valid (warnings allowed unless --strict), 3 otherwise
    (4 when --with-data cannot read a source). Suitable for CI on the config repository."""
    from journey.config.data_checks import data_problems
    from journey.config.errors import sort_key
    from journey.config.loader import validate_config

    if fmt not in ("text", "json"):
        raise UsageError(f"--format must be text or json, not {fmt!r}")
    report = validate_config(config_dir)
    problems = list(report.problems)
    if with_data and report.config is not None:
        facts = source_facts(report.config)
        problems += data_problems(
            report.models, facts.schemas, facts.event_names, facts.not_numbers
        )
        problems.sort(key=sort_key)
    errors = any(p.severity == "error" for p in problems)
    failed = errors or (strict and bool(problems))
    config = report.config
    if fmt == "json":
        typer.echo(check_json(problems, config, failed, strict))
    else:
        typer.echo(check_text(problems, config, failed))
    if failed:
        raise typer.Exit(int(ExitCode.CONFIG))
