"""SQL sources: accounts, events or daily rows from a query on a database URL.

    sources:
      events: {url: "${JOURNEY_WAREHOUSE_URL}", query: "SELECT account_id, ts AS timestamp, ..."}

The URL is written with `${VAR}` references that are expanded from the environment when the
source is read, so credentials never sit in YAML: a URL written with a plain password is
rejected when the config is loaded. The query runs through SQLAlchemy and its rows arrive as
one polars frame (`pl.read_database`); the rest of the run treats it like any other source.
"""

from __future__ import annotations

import os
import re

import polars as pl
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from metrics.errors import InputError

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def plain_password(url: str) -> bool:
    """Whether a URL as written in YAML holds a literal password (not a `${VAR}`)."""
    if _REFERENCE.search(url):
        literal = _REFERENCE.sub("x", url)
        try:
            password = make_url(literal).password
        except ArgumentError:
            return False
        # `user:${PASSWORD}@host` expands from the environment: fine.
        return password is not None and "${" not in url.split("@", 1)[0].split(":", 2)[-1]
    try:
        return make_url(url).password is not None
    except ArgumentError:
        return False


def expand_env(url: str, source: str) -> str:
    """The URL with every `${VAR}` replaced from the environment; an InputError if unset."""
    missing = [name for name in _REFERENCE.findall(url) if not os.environ.get(name)]
    if missing:
        raise InputError(
            f"source `{source}`: environment variable(s) {', '.join(missing)} not set "
            "(the database URL is read from the environment)",
            source=source,
        )
    return _REFERENCE.sub(lambda m: os.environ[m.group(1)], url)


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable URL)"


def read_sql(url: str, query: str, source: str) -> pl.LazyFrame:
    """Run `query` on the database at `url` (with `${VAR}`s) and return its rows, lazily."""
    expanded = expand_env(url, source)
    try:
        engine = create_engine(expanded)
    except (ArgumentError, ImportError) as exc:
        raise InputError(
            f"source `{source}`: cannot open {_safe(expanded)}: {exc}", source=source
        ) from None
    try:
        with engine.connect() as conn:
            frame = pl.read_database(query, conn, infer_schema_length=None)
    except (SQLAlchemyError, pl.exceptions.PolarsError, OSError) as exc:
        orig = getattr(exc, "orig", None) or exc
        detail = " ".join(str(orig).split())[:300]
        raise InputError(
            f"source `{source}`: the query on {_safe(expanded)} failed: {detail}", source=source
        ) from None
    finally:
        engine.dispose()
    assert isinstance(frame, pl.DataFrame)
    return frame.lazy()
