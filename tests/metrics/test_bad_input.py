"""A corpus of broken inputs, each through `journey run`: a clear message and exit 4, or a
counted quarantine on the run ledger — never a traceback, never a partial write."""

from __future__ import annotations

import json

import polars as pl
import pytest
from store_support import project_engine, snapshot

from journey.store import load_current, load_runs
from support import ACCOUNTS_HEADER, EVENTS_HEADER, Project, ProjectFactory

ANA = "ana@example.com"
GOOD_ACCOUNTS = ACCOUNTS_HEADER + f"a,A,2026-01-01,{ANA},100,x\nb,B,2026-01-01,{ANA},200,x\n"
GOOD_EVENTS = EVENTS_HEADER + "a,2026-01-02T10:00:00Z,login,u1,\nb,2026-01-04T10:00:00Z,login,u2,\n"

FIRST_LOGIN = "- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}\n"


@pytest.fixture
def project(make_project: ProjectFactory) -> Project:
    """A project with one good run stored (as_of 2026-01-05)."""
    project = make_project(
        milestones="- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}\n"
    )
    (project.root / "data/accounts.csv").write_text(GOOD_ACCOUNTS, encoding="utf-8")
    (project.root / "data/events.csv").write_text(GOOD_EVENTS, encoding="utf-8")
    code, _, err = project.cli("run", "--as-of", "2026-01-05")
    assert code == 0, err
    return project


LONG_NAME = "N" * 2_000_000

REJECTED = {
    "missing column": (
        "data/accounts.csv",
        b"account_id,name,csm_email\na,A,x@y.z\n",
        "missing required column(s) start_date",
    ),
    "wrong type": (
        "data/events.csv",
        b"account_id,timestamp,event,user_id,value\na,1767312000,login,u1,\n",
        "column `timestamp` must hold timestamps, found Int64",
    ),
    "dates that are numbers": (
        "data/accounts.csv",
        ACCOUNTS_HEADER.encode() + b"a,A,20260101,x@y.z,1,x\n",
        "column `start_date` must hold dates",
    ),
    "empty file": ("data/events.csv", b"", "events.csv is empty (0 bytes)"),
    "non-UTF-8 bytes": (
        "data/accounts.csv",
        ACCOUNTS_HEADER.encode() + "a,Café,2026-01-01,x@y.z,1,x\n".encode("latin-1"),
        "accounts.csv is not UTF-8 text: byte(s) b'\\xe9,20' on line 2",
    ),
    "a row wider than the header": (
        "data/events.csv",
        EVENTS_HEADER.encode() + b"a,2026-01-02T10:00:00Z,login,u1,,oops,more\n",
        "events.csv line 2 has 7 field(s), the header has 5",
    ),
    "an unclosed quote": (
        "data/accounts.csv",
        ACCOUNTS_HEADER.encode() + b'a,"A,2026-01-01,x@y.z,1,x\n',
        "accounts.csv line 2: unexpected end of data",
    ),
}


@pytest.mark.parametrize("case", REJECTED)
def test_broken_input_is_rejected_with_exit_4_and_a_clear_message_and_nothing_written(
    project: Project, case: str
):
    relative, content, message = REJECTED[case]
    engine = project_engine(project.config_dir)
    before = snapshot(engine)
    (project.root / relative).write_bytes(content)

    code, out, err = project.cli("run", "--as-of", "2026-01-06")

    assert code == 4, err
    assert message in err
    assert "Traceback" not in out + err
    assert snapshot(engine) == before
    engine.dispose()


def test_a_truncated_parquet_file_is_rejected_naming_the_source(project: Project):
    pl.read_csv(project.root / "data/events.csv").write_parquet(project.root / "data/ev.parquet")
    whole = (project.root / "data/ev.parquet").read_bytes()
    (project.root / "data/ev.parquet").write_bytes(whole[: len(whole) // 2])
    settings = project.config_dir / "settings.yaml"
    settings.write_text(settings.read_text().replace("events.csv", "ev.parquet"))
    engine = project_engine(project.config_dir)
    before = snapshot(engine)

    code, _, err = project.cli("run", "--as-of", "2026-01-06")

    assert code == 4
    assert "source `events` (data/ev.parquet): cannot read data/ev.parquet as Parquet: " in err
    assert snapshot(engine) == before
    engine.dispose()


QUARANTINED = {
    "unparseable dates": (
        "data/accounts.csv",
        GOOD_ACCOUNTS + f"c,C,not a date,{ANA},1,x\n",
        "accounts: 1 row(s) set aside: start_date missing or not a date",
    ),
    "duplicate account ids": (
        "data/accounts.csv",
        GOOD_ACCOUNTS + f"a,A again,2026-01-01,{ANA},1,x\nb,B again,2026-01-01,{ANA},1,x\n",
        "accounts: 2 row(s) set aside: duplicate account_id (the first row is kept)",
    ),
    "events for unknown accounts": (
        "data/events.csv",
        GOOD_EVENTS + "zz,2026-01-03T10:00:00Z,login,u9,\nzz,2026-01-04T10:00:00Z,login,u9,\n",
        "events: 2 row(s) set aside: account_id not in the accounts source",
    ),
    "unparseable timestamps": (
        "data/events.csv",
        GOOD_EVENTS + "a,yesterday,login,u1,\n",
        "events: 1 row(s) set aside: timestamp missing or unparseable",
    ),
}


@pytest.mark.parametrize("case", QUARANTINED)
def test_bad_rows_are_quarantined_counted_and_recorded_on_the_ledger(project: Project, case: str):
    relative, content, note = QUARANTINED[case]
    (project.root / relative).write_text(content, encoding="utf-8")

    code, _, err = project.cli("run", "--as-of", "2026-01-06")

    assert code == 0, err
    assert note in err
    engine = project_engine(project.config_dir)
    latest = load_runs(engine)[0]
    engine.dispose()
    assert latest.as_of.isoformat() == "2026-01-06"
    assert latest.quarantined_rows == int(note.split(": ")[1].split()[0])
    assert any(n.startswith(note) for n in json.loads(latest.notes))
    assert latest.accounts == 2  # the good accounts are all still evaluated
    source = note.split(":")[0]
    kept = pl.read_csv(project.root / f"quarantine/2026-01-06/{source}.csv", infer_schema=False)
    assert kept.height == latest.quarantined_rows
    assert kept["reason"].str.starts_with(note.split("set aside: ")[1]).all()
    assert f"set-aside rows are kept in quarantine/2026-01-06/ ({source}.csv)" in err


def test_quarantined_rows_keep_their_original_text_and_a_rerun_replaces_them(project: Project):
    events = project.root / "data/events.csv"
    events.write_text(GOOD_EVENTS + "a,31/02/2026 25:00,login,u1,7\nzz,2026-01-03,login,,\n")
    assert project.cli("run", "--as-of", "2026-01-06")[0] == 0
    kept = pl.read_csv(project.root / "quarantine/2026-01-06/events.csv", infer_schema=False)
    assert kept.rows() == [
        ("a", "31/02/2026 25:00", "login", "u1", "7", "timestamp missing or unparseable"),
        ("zz", "2026-01-03", "login", None, None, "account_id not in the accounts source"),
    ]
    events.write_text(GOOD_EVENTS)
    assert project.cli("run", "--as-of", "2026-01-06")[0] == 0
    assert not (project.root / "quarantine/2026-01-06").exists()


def test_a_very_long_line_is_read_whole(project: Project):
    accounts = project.root / "data/accounts.csv"
    accounts.write_text(GOOD_ACCOUNTS + f"c,{LONG_NAME},2026-01-01,{ANA},1,x\n", encoding="utf-8")

    code, out, err = project.cli("run", "--as-of", "2026-01-06")

    assert code == 0, err
    assert "3 accounts evaluated" in out
    engine = project_engine(project.config_dir)
    stored, _ = load_current(engine, "c")
    engine.dispose()
    assert stored["name"][0] == LONG_NAME


def test_a_quarantine_that_cannot_be_written_does_not_undo_the_run(project: Project):
    (project.root / "quarantine").write_text("a file where the folder should be")
    (project.root / "data/accounts.csv").write_text(QUARANTINED["duplicate account ids"][1])

    code, _, err = project.cli("run", "--as-of", "2026-01-06")

    assert code == 0, err
    assert "could not keep the quarantined rows" in err
    engine = project_engine(project.config_dir)
    assert load_runs(engine)[0].as_of.isoformat() == "2026-01-06"
    engine.dispose()


def test_an_event_value_that_is_not_a_number_is_kept_read_as_empty_and_counted(
    make_project: ProjectFactory,
):
    """Text in the events' `value` that is not a number (a decimal comma, "n/a") is read as
    empty: the event still counts, a sum leaves its value out, and the run says how many
    values a sum read that way, counting only those a sum reads."""
    events = (
        'a,2026-01-02T10:00:00Z,login,u1,"3,5"\n'  # a decimal comma: read as empty
        "a,2026-01-02T11:00:00Z,login,u1,4\n"
        "a,2026-01-03T10:00:00Z,login,u1, \n"  # empty: nothing to count
        "a,2026-01-03T11:00:00Z,login,u1,n/a\n"
        "b,2026-01-04T10:00:00Z,login,u2,7\n"
        "b,2026-01-04T11:00:00Z,export,u2,n/a\n"  # no sum reads an export's value
        "a,2025-12-30T10:00:00Z,login,u1,n/a\n"  # before the account's start: not read
    )
    project = make_project(
        milestones="- {id: busy, due_day: 30, when: {metric: minutes, gte: 10}}\n",
        accounts=f"a,A,2026-01-01,{ANA},100,x\nb,B,2026-01-01,{ANA},200,x\n",
        events=events,
    )
    code, _, err = project.cli("run", "--as-of", "2026-01-06")

    assert code == 0, err
    note = (
        "events: 2 row(s) kept: value is not a number (read as empty, so sums leave it out; "
        "`journey check --with-data` shows examples)"
    )
    assert f"warning: {note}" in err
    engine = project_engine(project.config_dir)
    latest = load_runs(engine)[0]
    milestones = load_current(engine, "a")[1]
    engine.dispose()
    assert note in json.loads(latest.notes)
    assert latest.quarantined_rows == 2
    assert milestones["value"].to_list() == [4.0]  # 3,5 and n/a left out
    assert not (project.root / "quarantine").exists()  # nothing was set aside

    numbers = make_project(
        milestones="- {id: busy, due_day: 30, when: {metric: minutes, gte: 10}}\n",
        accounts=f"a,A,2026-01-01,{ANA},100,x\n",
        events="a,2026-01-02T10:00:00Z,login,u1,4\na,2026-01-03T10:00:00Z,login,u1,\n",
    )
    code, _, err = numbers.cli("run", "--as-of", "2026-01-06")
    assert code == 0, err
    assert "kept" not in err
