"""SQL sources: events from a query on a database URL, against SQLite and a real PostgreSQL;
the fast path (ADBC) gives what SQLAlchemy gives.

The same golden case is evaluated from CSV files and from the database; the milestone states
must be identical. PostgreSQL needs JOURNEY_TEST_POSTGRES_URL (see tests/store_support.py)
and skips with the reason otherwise.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import make_url
from store_support import postgres_database, run_sql

from metrics.errors import InputError
from metrics.sources import SourceSpec
from metrics.sql_source import expand_env, plain_password
from support import ProjectFactory

ANA = "ana@example.com"
MILESTONES = """
- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}
- {id: two_users, due_day: 10, when: {metric: users_3d, gte: 2}}
"""
ACCOUNTS = f"a,A,2026-01-01,{ANA},,x\nb,B,2026-01-01,{ANA},,x\n"
EVENTS = [
    ("a", dt.datetime(2026, 1, 2, 10, tzinfo=dt.UTC), "login", "u1"),
    ("a", dt.datetime(2026, 1, 3, 10, tzinfo=dt.UTC), "login", "u2"),
    ("b", dt.datetime(2026, 1, 6, 23, tzinfo=dt.UTC), "login", "u1"),
]
SQL_SETTINGS = """\
timezone: UTC
sources:
  accounts: {path: data/accounts.csv}
  events:
    url: "${JOURNEY_WAREHOUSE_URL}"
    query: "SELECT account_id, ts, event, user_id FROM product_events"
    columns: {timestamp: ts}
database: sqlite:///journey.db
freshness: {warn_after_days: 10000, error_after_days: 10000, on_stale: warn}
"""


def _csv_events() -> str:
    return "".join(f"{a},{t.isoformat()},{e},{u},\n" for a, t, e, u in EVENTS)


def _load_events(url: str) -> None:
    run_sql(
        url,
        "CREATE TABLE product_events "
        "(account_id VARCHAR(20), ts TIMESTAMP, event VARCHAR(40), user_id VARCHAR(20))",
    )
    run_sql(
        url,
        "INSERT INTO product_events VALUES (:a, :t, :e, :u)",
        [{"a": a, "t": t.replace(tzinfo=None), "e": e, "u": u} for a, t, e, u in EVENTS],
    )


def _states_from_sql(make_project: ProjectFactory, url: str, monkeypatch: pytest.MonkeyPatch):
    _load_events(url)
    monkeypatch.setenv("JOURNEY_WAREHOUSE_URL", url)
    project = make_project(milestones=MILESTONES, accounts=ACCOUNTS)
    project.write("config/settings.yaml", SQL_SETTINGS)
    return project.states("2026-01-10")


def _expected(make_project: ProjectFactory):
    return make_project(milestones=MILESTONES, accounts=ACCOUNTS, events=_csv_events()).states(
        "2026-01-10"
    )


def test_events_from_sqlite_equal_events_from_csv(
    make_project: ProjectFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    states = _states_from_sql(make_project, url, monkeypatch)
    assert states == _expected(make_project)
    assert states[("a", "two_users")] == ("2026-01-03", "done")
    assert states[("b", "first_login")] == ("2026-01-06", "done_late")


def test_events_from_postgresql_equal_events_from_csv(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
):
    with postgres_database() as url:
        states = _states_from_sql(make_project, url, monkeypatch)
    assert states == _expected(make_project)


def test_a_password_written_in_yaml_is_rejected():
    with pytest.raises(ValueError, match="environment variable"):
        SourceSpec(url="postgresql://cs:hunter2@db/warehouse", query="SELECT 1")
    # References are fine, for the whole URL or for the password alone.
    SourceSpec(url="${JOURNEY_WAREHOUSE_URL}", query="SELECT 1")
    SourceSpec(url="postgresql://cs:${WAREHOUSE_PASSWORD}@db/warehouse", query="SELECT 1")
    assert not plain_password("postgresql://cs@db/warehouse")


def test_a_source_is_files_or_a_query_not_both():
    with pytest.raises(ValueError, match="either `path`"):
        SourceSpec(path="data/events.csv", url="sqlite://", query="SELECT 1")
    with pytest.raises(ValueError, match="both `url` and `query`"):
        SourceSpec(query="SELECT 1")


def test_an_unset_variable_is_a_clear_input_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("JOURNEY_NOT_SET", raising=False)
    with pytest.raises(InputError, match="JOURNEY_NOT_SET not set"):
        expand_env("${JOURNEY_NOT_SET}", "events")
    monkeypatch.setenv("JOURNEY_NOT_SET", "sqlite://")
    assert expand_env("${JOURNEY_NOT_SET}", "events") == "sqlite://"


def test_a_failing_query_names_the_source_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from metrics.sql_source import read_sql

    monkeypatch.setenv("WAREHOUSE", f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(InputError, match=r"source `events`: the query on .* failed"):
        read_sql("${WAREHOUSE}", "SELECT * FROM missing_table", "events").collect()


def test_rows_arrive_as_a_typed_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from metrics.sql_source import read_sql

    url = f"sqlite:///{tmp_path / 'w.db'}"
    _load_events(url)
    monkeypatch.setenv("WAREHOUSE", url)
    frame = read_sql("${WAREHOUSE}", "SELECT account_id, event FROM product_events", "e")
    assert frame.collect().to_dict(as_series=False) == {
        "account_id": ["a", "a", "b"],
        "event": ["login", "login", "login"],
    }
    assert frame.collect_schema() == pl.Schema({"account_id": pl.String, "event": pl.String})


# The fast path (ADBC) -------------------------------------------------------------------------

TYPED_TABLE = (
    "CREATE TABLE typed (i4 INTEGER, i8 BIGINT, n NUMERIC(12, 2), f DOUBLE PRECISION, "
    "t TEXT, v VARCHAR(10), b BOOLEAN, d DATE, ts TIMESTAMP, tz TIMESTAMPTZ)"
)
TYPED_ROWS = (
    "INSERT INTO typed VALUES (1, 9000000000, 3.25, 4.5, 'x', 'y', TRUE, '2026-01-02', "
    "'2026-01-02 03:04:05.123456', '2026-01-02 03:04:05+02'), "
    "(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
)


def _typed_table(url: str) -> None:
    run_sql(url, TYPED_TABLE)
    run_sql(url, TYPED_ROWS)


def _both_paths(
    url: str, query: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The query's rows through the fast path, and through SQLAlchemy."""
    import metrics.sql_adbc as sql_adbc
    import metrics.sql_source as sql_source

    monkeypatch.setenv("WAREHOUSE", url)
    calls: list[bool] = []
    fast_path = sql_adbc.read_adbc

    def spy(expanded: str, query: str, spill: object = None) -> pl.LazyFrame | None:
        got = fast_path(expanded, query)
        calls.append(got is not None)
        return got

    monkeypatch.setattr(sql_source, "read_adbc", spy)
    fast = sql_source.read_sql("${WAREHOUSE}", query, "events").collect()
    monkeypatch.setattr(sql_adbc, "adbc_connector", lambda _url: None)
    slow = sql_source.read_sql("${WAREHOUSE}", query, "events").collect()
    assert calls[0] is True, "the fast path did not serve the first read"
    return fast, slow


def test_postgresql_rows_are_the_same_through_either_path(monkeypatch: pytest.MonkeyPatch):
    with postgres_database() as url:
        _typed_table(url)
        fast, slow = _both_paths(url, "SELECT * FROM typed", monkeypatch)
    assert_frame_equal(fast, slow)
    assert fast.schema == pl.Schema(
        {
            "i4": pl.Int64,
            "i8": pl.Int64,
            "n": pl.Float64,
            "f": pl.Float64,
            "t": pl.String,
            "v": pl.String,
            "b": pl.Boolean,
            "d": pl.Date,
            "ts": pl.Datetime("us"),
            "tz": pl.Datetime("us", "UTC"),
        }
    )
    assert fast.row(0) == (
        1,
        9_000_000_000,
        3.25,
        4.5,
        "x",
        "y",
        True,
        dt.date(2026, 1, 2),
        dt.datetime(2026, 1, 2, 3, 4, 5, 123456),
        dt.datetime(2026, 1, 2, 1, 4, 5, tzinfo=dt.UTC),
    )


def test_sqlite_rows_are_the_same_through_either_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    _load_events(url)
    fast, slow = _both_paths(url, "SELECT * FROM product_events", monkeypatch)
    assert_frame_equal(fast, slow)
    assert fast.height == len(EVENTS)


def test_a_column_the_fast_path_does_not_take_is_read_as_before(monkeypatch: pytest.MonkeyPatch):
    import metrics.sql_source as sql_source
    from metrics.sql_adbc import read_adbc

    with postgres_database() as url:
        monkeypatch.setenv("WAREHOUSE", url)
        query = "SELECT 'a' AS account_id, '6c0a0b8e-0d1c-4f59-9d5a-4a8f0c1b2d3e'::uuid AS u"
        assert read_adbc(url, query) is None  # a uuid: not taken
        frame = sql_source.read_sql("${WAREHOUSE}", query, "events").collect()
    assert frame["account_id"].to_list() == ["a"]
    assert str(frame["u"][0]) == "6c0a0b8e-0d1c-4f59-9d5a-4a8f0c1b2d3e"


def test_a_sqlite_source_is_opened_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from metrics.sql_adbc import adbc_connector

    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    _load_events(url)
    connect = adbc_connector(url)
    assert connect is not None
    with connect() as conn, pytest.raises(Exception, match="readonly"):
        conn.cursor().execute("DELETE FROM product_events")
    assert adbc_connector(f"sqlite:///{tmp_path / 'missing.db'}") is not None
    assert adbc_connector("mysql://reader@db/warehouse") is None  # SQLAlchemy reads it


def test_a_failing_count_names_the_source_without_the_password(monkeypatch: pytest.MonkeyPatch):
    from metrics.sql_source import count_rows

    with postgres_database() as url:
        password = make_url(url).password
        assert password
        monkeypatch.setenv("WAREHOUSE", url)
        with pytest.raises(InputError, match=r"source `events`: counting rows on .* failed") as err:
            count_rows("${WAREHOUSE}", "SELECT * FROM missing_table", "TRUE", "events")
    assert password not in str(err.value)


@pytest.mark.parametrize(
    "query",
    ["SELECT * FROM typed;", "SELECT * FROM typed -- every row", "\n SELECT * FROM typed ; \n"],
)
def test_the_fast_path_takes_a_final_semicolon_and_comment(query: str):
    from metrics.sql_adbc import read_adbc

    with postgres_database() as url:
        _typed_table(url)
        frame = read_adbc(url, query)
    assert frame is not None and frame.collect().height == 2


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_a_colon_in_the_query_is_text_through_sqlalchemy(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """SQLAlchemy takes `:name` as a bind parameter in a text query; a source's query is
    taken as written (a JSON literal, a time, a cast), so the read must not ask for values."""
    import metrics.sql_adbc as sql_adbc
    import metrics.sql_source as sql_source

    monkeypatch.setattr(sql_adbc, "adbc_connector", lambda _url: None)  # SQLAlchemy's path
    query = """SELECT 'a' AS account_id, '{"a":1}' AS note, '10:30' AS at, '50%' AS share"""
    if database == "sqlite":
        monkeypatch.setenv("WAREHOUSE", f"sqlite:///{tmp_path / 'warehouse.db'}")
        frame = sql_source.read_sql("${WAREHOUSE}", query, "events").collect()
    else:
        with postgres_database() as url:
            monkeypatch.setenv("WAREHOUSE", url)
            frame = sql_source.read_sql("${WAREHOUSE}", query + ", 1::int AS n", "events")
            frame = frame.collect().drop("n")
    assert frame.row(0) == ("a", '{"a":1}', "10:30", "50%")
