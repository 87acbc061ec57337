"""Input forms the pipeline reads: hive-partitioned Parquet folders, many files, and CSV with
an explicit schema — each evaluated to the same milestone states as plain CSV."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from metrics.errors import InputError
from metrics.sources import SourceSpec, resolve_files, scan
from support import ProjectFactory

ANA = "ana@example.com"
MILESTONES = "- {id: first_login, due_day: 3, when: {metric: logins, gte: 2}}\n"
ACCOUNTS = f"a,A,2026-01-01,{ANA},,x\nb,B,2026-01-01,{ANA},,x\n"
EVENTS = pl.DataFrame(
    {
        "account_id": ["a", "a", "b", "b"],
        "timestamp": [
            dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC),
            dt.datetime(2026, 1, 3, 9, tzinfo=dt.UTC),
            dt.datetime(2026, 1, 31, 9, tzinfo=dt.UTC),
            dt.datetime(2026, 2, 2, 9, tzinfo=dt.UTC),
        ],
        "event": ["login"] * 4,
        "user_id": ["u1", "u2", "u1", "u1"],
    }
)


def _settings(events: str) -> str:
    return (
        "timezone: UTC\n"
        "sources:\n"
        "  accounts: {path: data/accounts.csv}\n"
        f"  events: {events}\n"
        "freshness: {warn_after_days: 10000, error_after_days: 10000, on_stale: warn}\n"
    )


def _write_hive(root: Path) -> None:
    for (month,), part in EVENTS.with_columns(
        month=pl.col("timestamp").dt.strftime("%Y-%m")
    ).group_by("month"):
        folder = root / "data" / "events" / f"month={month}"
        folder.mkdir(parents=True, exist_ok=True)
        part.drop("month").write_parquet(folder / "part-0.parquet")


def test_a_hive_partitioned_folder_reads_its_keys_as_columns(tmp_path: Path):
    _write_hive(tmp_path)
    frame = scan(SourceSpec(path="data/events", hive=True), tmp_path, "events").collect()
    assert frame.height == 4
    assert sorted(frame["month"].unique().to_list()) == ["2026-01", "2026-02"]
    assert len(resolve_files(SourceSpec(path="data/events"), tmp_path, "events")) == 2


def test_hive_folder_and_csv_give_the_same_states(make_project: ProjectFactory):
    csv = make_project(
        milestones=MILESTONES,
        accounts=ACCOUNTS,
        events="".join(
            f"{r['account_id']},{r['timestamp'].isoformat()},login,{r['user_id']},\n"
            for r in EVENTS.iter_rows(named=True)
        ),
    )
    hive = make_project(milestones=MILESTONES, accounts=ACCOUNTS)
    (hive.root / "data" / "events.csv").unlink()
    _write_hive(hive.root)
    hive.write("config/settings.yaml", _settings("{path: data/events, hive: true}"))
    assert hive.states("2026-02-05") == csv.states("2026-02-05")
    assert hive.states("2026-02-05")[("b", "first_login")] == ("2026-02-02", "done_late")


def test_csv_schema_types_columns_instead_of_inferring(tmp_path: Path):
    # Inferred, the zero-padded ids would become integers and lose their zeros.
    (tmp_path / "events.csv").write_text(
        "account_id,timestamp,event,user_id\n007,2026-01-01T09:00:00Z,login,0042\n",
        encoding="utf-8",
    )
    inferred = scan(SourceSpec(path="events.csv"), tmp_path, "events").collect()
    assert inferred["account_id"].dtype == pl.Int64
    spec = SourceSpec.model_validate(
        {"path": "events.csv", "schema": {"account_id": "string", "user_id": "string"}}
    )
    typed = scan(spec, tmp_path, "events").collect()
    assert typed["account_id"].to_list() == ["007"]
    assert typed["user_id"].to_list() == ["0042"]


def test_csv_schema_with_a_value_of_the_wrong_type_is_an_input_error(tmp_path: Path):
    (tmp_path / "daily.csv").write_text("account_id,date,seats\na,2026-01-01,many\n")
    spec = SourceSpec.model_validate({"path": "daily.csv", "schema": {"seats": "int"}})
    with pytest.raises((InputError, pl.exceptions.PolarsError)):
        scan(spec, tmp_path, "daily").collect()


def test_an_unknown_schema_type_is_a_config_error():
    with pytest.raises(ValueError, match="string"):
        SourceSpec.model_validate({"path": "x.csv", "schema": {"seats": "integer"}})
