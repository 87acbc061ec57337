"""The typer application and what every command shares: options, project opening, errors.

`journey --help` imports every command module, so these modules import only the standard
library, typer and journey's own light modules at the top; polars, SQLAlchemy, pydantic and
what is built on them are imported inside the commands that use them. A test
(tests/journey/test_cli.py) holds every command module to this.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from journey.errors import ExitCode, JourneyError, NotFoundError, out_of_space
from journey.security import mask_secrets
from metrics.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from journey.config import Config
    from journey.store.tables import Run

app = typer.Typer(
    name="journey",
    help=(
        "Customer-journey health monitor: where is each account on its journey, compared "
        "with where it should be by now?\n\n"
        "Start with `journey demo`; then `journey run` nightly and `journey report` weekly."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain click formatting rewraps docstring paragraphs to the terminal; rich keeps
    # their hard line breaks, which reads ragged.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)

#: `journey segments ...`: commands about segmentation rules (diff, suggest).
segments_app = typer.Typer(
    help="Segmentation rules: preview a config change (diff), learn rules from behaviour "
    "(suggest).",
    no_args_is_help=True,
)
app.add_typer(segments_app, name="segments")

log = logging.getLogger("journey")

ConfigDir = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        envvar="JOURNEY_CONFIG",
        help="The config/ folder (settings, icp, segments, metrics, journeys/). "
        "Relative paths in settings resolve against its parent folder.",
        show_default=True,
    ),
]
DEFAULT_CONFIG = Path("config")


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD", param_hint=option
        ) from None


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
        force=True,
    )


def err(message: str) -> None:
    """A human message on stderr (data goes to stdout)."""
    typer.echo(message, err=True)


def fail(message: str, code: ExitCode) -> NoReturn:
    """Print an error (secrets masked: URLs and exceptions can carry passwords) and exit."""
    err(f"error: {mask_secrets(message)}")
    raise typer.Exit(int(code))


@contextmanager
def user_errors() -> Iterator[None]:
    """Render user errors as messages with their exit code; no traceback unless debugging."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except typer.BadParameter as exc:  # raised while parsing a value inside a command
        exc.show()
        raise typer.Exit(int(ExitCode.USAGE)) from None
    except InputError as exc:
        fail(f"input data: {exc}", ExitCode.DATA)
    except JourneyError as exc:
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted", ExitCode.INTERNAL)
    except BrokenPipeError:
        # The reader went away (`| head`): nothing to say, and nowhere to say it. What is
        # still buffered for stdout goes nowhere rather than failing again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(int(ExitCode.PIPE_CLOSED)) from None
    except Exception as exc:
        from journey.config.errors import ConfigError  # loaded already by what raised it

        if isinstance(exc, ConfigError):
            errors = [p for p in exc.problems if p.severity == "error"]
            err(f"error: invalid configuration ({len(errors)} problem(s)):")
            for problem in exc.problems:
                err(f"  {problem.render()}")
            raise typer.Exit(int(ExitCode.CONFIG)) from None
        if out_of_space(exc):
            where = f" writing {exc.filename}" if isinstance(exc, OSError) and exc.filename else ""
            fail(f"the disk ran out of space{where}: free some and run again", ExitCode.INTERNAL)
        if os.environ.get("JOURNEY_DEBUG"):
            traceback.print_exc()
        fail(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in journey; set JOURNEY_DEBUG=1 for the traceback and report it.",
            ExitCode.INTERNAL,
        )


def command(func: Callable[..., None]) -> Callable[..., None]:
    """Register a command whose user errors are rendered with their exit code."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: object, **kwargs: object) -> None:
        setup_logging()
        with user_errors():
            func(*args, **kwargs)

    return app.command()(wrapper)


def open_config(config_dir: Path) -> Config:
    from journey.config import load_config

    config = load_config(config_dir)
    for warning in config.warnings:
        err(warning.render())
    return config


def open_store(config: Config) -> Engine:
    from journey.store import database_url, make_engine

    return make_engine(database_url(config.settings.database, config.root))


def require_run(engine: Engine) -> Run:
    """The newest stored run; a clear error when nothing has run yet."""
    from journey.store import load_runs

    runs = load_runs(engine)
    if not runs:
        raise NotFoundError("no run stored yet; run `journey run --as-of YYYY-MM-DD` first")
    return runs[0]
