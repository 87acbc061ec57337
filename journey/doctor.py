"""`journey doctor`: is this installation ready to run? One check per area, each saying what
is wrong and how to fix it.

Areas, in order, with the exit code of the first that fails: config (3), data sources (4),
database (1), SMTP (5); `nightly` says whether the next run can be incremental (never fails).
Checks read and connect; they never write data or send mail.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from journey.config import Config, ConfigError, load_config
from journey.errors import ExitCode, JourneyError
from journey.freshness import newest_usage_day
from journey.incremental import FullRunNeeded
from journey.nightly import carried_key, default_as_of
from journey.security import confine_sources, mask_secrets
from journey.store.carried import check_state
from journey.store.engine import database_url, make_engine, safe_url
from journey.store.migrate import current_revision, head_revision
from journey.store.writes import latest_run
from journey.usage_sql import nightly_read
from metrics.errors import InputError, first_line

SMTP_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Finding:
    """The result of one check: `ok` False means the area fails with `code`."""

    area: str
    ok: bool
    message: str
    fix: str = ""
    code: ExitCode = ExitCode.OK

    def render(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        text = f"{mark} {self.area}: {mask_secrets(self.message)}"
        return text + (f"\n     fix: {self.fix}" if self.fix else "")


def check_config(config_dir: Path) -> tuple[Config | None, list[Finding]]:
    try:
        config = load_config(config_dir)
        confine_sources(config)
    except ConfigError as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        details = "; ".join(p.render().splitlines()[0] for p in errors[:5])
        return None, [
            Finding(
                "config",
                False,
                f"{len(errors)} problem(s): {details}",
                f"run `journey check --config {config_dir}` for every problem with file:line",
                ExitCode.CONFIG,
            )
        ]
    return config, [Finding("config", True, f"{config_dir} is valid")]


def check_data(config: Config, today: dt.date | None = None) -> list[Finding]:
    """Sources exist, are readable and fit their contract; usage data is fresh."""
    as_of = today or default_as_of(config.settings.timezone)
    try:
        newest = newest_usage_day(config)
    except (InputError, pl.exceptions.PolarsError) as exc:
        first = first_line(exc)
        return [
            Finding("data", False, first, "fix the file or the `sources:` entry", ExitCode.DATA)
        ]
    freshness = config.settings.freshness
    if newest is None:
        return [Finding("data", False, "no usage data at all", "load usage data", ExitCode.DATA)]
    age = (as_of - newest).days
    message = f"sources readable; newest usage data {newest} ({age} day(s) before {as_of})"
    if age > freshness.error_after_days and freshness.on_stale == "fail":
        return [
            Finding(
                "data",
                False,
                f"stale: {message}",
                "check the export that feeds the sources; `journey run` would stop (exit 4)",
                ExitCode.DATA,
            )
        ]
    return [Finding("data", True, message)]


def check_database(config: Config) -> tuple[Engine | None, list[Finding]]:
    """The database answers and its schema is at the newest migration."""
    url = database_url(config.settings.database, config.root)
    try:
        engine = make_engine(url, migrate=False)
        current = current_revision(engine)
    except JourneyError as exc:
        fix = "check the URL, that the server runs and accepts this user (JOURNEY_DATABASE_URL)"
        return None, [Finding("database", False, str(exc), fix, ExitCode.INTERNAL)]
    head = head_revision()
    if current != head:
        return engine, [
            Finding(
                "database",
                True,
                f"{safe_url(url)} reachable; schema at {current or 'none'}, newest {head}: "
                "the next journey command applies the migrations",
            )
        ]
    return engine, [Finding("database", True, f"{safe_url(url)} reachable; schema up to date")]


def check_nightly(config: Config, engine: Engine, as_of: dt.date | None = None) -> list[Finding]:
    """Whether the next nightly run (on `as_of`, default yesterday, or the day after the newest
    stored run) can continue from the stored state, or why it will be a full run."""
    if current_revision(engine) != head_revision():
        return []  # the next journey command migrates first; nothing to say before that
    as_of = as_of or default_as_of(config.settings.timezone)
    sources = config.settings.sources
    first_new = max(as_of, _after_newest(engine))
    queries = [
        Finding("nightly", True, *nightly_read(spec, kind, first_new, config.settings.timezone))
        for kind in ("events", "daily")
        if (spec := getattr(sources, kind)) is not None and spec.query is not None
    ]
    found = carried_key(config, engine, first_new)
    if not isinstance(found, str):
        try:
            check_state(config, found[1])
        except FullRunNeeded as exc:
            found = str(exc)
    if isinstance(found, str):
        return [Finding("nightly", True, f"the next run will be a full run: {found}"), *queries]
    return [
        Finding(
            "nightly",
            True,
            f"the next run continues from the {found[0]} run and reads only new data "
            "(unless data files it counted changed: then it says so and runs in full)",
        ),
        *queries,
    ]


def check_early_warning(config: Config) -> list[Finding]:
    """With the early warning on, whether the nightly run keeps a model it can use."""
    if not config.settings.risk.enabled:
        return []
    from journey.risk.kept import describe_kept, model_folder

    return [Finding("early warning", True, describe_kept(model_folder(config.root)))]


def _after_newest(engine: Engine) -> dt.date:
    latest = latest_run(engine)
    return latest[0] + dt.timedelta(days=1) if latest else dt.date.min


def check_smtp(config: Config, connect: Callable[..., smtplib.SMTP] | None = None) -> list[Finding]:
    """The SMTP server accepts a connection and answers EHLO (no mail is sent)."""
    email = config.settings.email
    if email is None:
        return [Finding("smtp", True, "no `email:` settings; sending is not configured")]
    where = f"{email.smtp_host}:{email.smtp_port}"
    factory = connect or (smtplib.SMTP_SSL if email.security == "ssl" else smtplib.SMTP)
    fix = "check email.smtp_host/smtp_port/security in settings.yaml and that the server is up"
    try:
        with factory(email.smtp_host, email.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            code, _ = smtp.ehlo()
            if code != 250:
                return [
                    Finding(
                        "smtp", False, f"{where} answered EHLO with {code}", fix, ExitCode.DELIVERY
                    )
                ]
            if email.security == "starttls" and not smtp.has_extn("starttls"):
                return [
                    Finding(
                        "smtp",
                        False,
                        f"{where} does not offer STARTTLS",
                        "set `security: ssl` or `none` to match the server",
                        ExitCode.DELIVERY,
                    )
                ]
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        return [Finding("smtp", False, f"cannot talk to {where}: {exc}", fix, ExitCode.DELIVERY)]
    return [Finding("smtp", True, f"{where} answered EHLO")]


def run_checks(config_dir: Path, today: dt.date | None = None) -> list[Finding]:
    """Every check, in area order; later areas are skipped when the config is invalid."""
    config, findings = check_config(config_dir)
    if config is None:
        return findings
    findings += check_data(config, today)
    engine, db_findings = check_database(config)
    findings += db_findings
    if engine is not None:
        findings += check_nightly(config, engine, today)
        engine.dispose()
    findings += check_early_warning(config)
    findings += check_smtp(config)
    return findings


def exit_code(findings: list[Finding]) -> ExitCode:
    """The code of the first failing area, or OK."""
    return next((f.code for f in findings if not f.ok), ExitCode.OK)
