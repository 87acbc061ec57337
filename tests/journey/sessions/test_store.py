"""Sessions, commitments and snoozes through a real SQLite store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from journey.errors import ExitCode, JourneyError
from journey.sessions.models import SessionIn
from journey.sessions.reads import (
    account_loop,
    load_commitments,
    load_notes,
    load_sessions,
    open_commitments,
)
from journey.sessions.service import complete_commitment, find_account, record_session
from journey.sessions.snoozes import active_snoozes, create_snooze, load_snoozes, revoke_snooze
from journey.store import make_engine
from journey.store.tables import AccountState, StateChange
from reports.schema import COMMITMENT_SCHEMA, SNOOZE_SCHEMA

D = dt.date
AS_OF = D(2024, 3, 15)
NOW = dt.datetime(2024, 3, 16, 9, tzinfo=dt.UTC)


def account(account_id: str, status: str) -> AccountState:
    return AccountState(
        account_id=account_id, name=account_id, csm_email="ana@example.com",
        start_date=D(2024, 1, 1), as_of=AS_OF, day_of_journey=74, status=status,
        milestones_total=2, milestones_achieved=0, milestones_expected=1,
        location="[]", expected_location="[]", reasons="[]",
    )  # fmt: skip


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'journey.db'}")
    with Session(engine) as db:
        db.add_all([account("ACC-1", "off_track"), account("ACC-2", "on_track")])
        db.add(StateChange(as_of=D(2024, 3, 1), account_id="OLD-1", field="status",
                           old_value=None, new_value="on_track"))  # fmt: skip
        db.commit()
    return engine


def session(held_on: str, *commitments: tuple[str, str, str]) -> SessionIn:
    return SessionIn.model_validate(
        {
            "date": held_on,
            "attendees": ["Ana", "Ben"],
            "goal": "admins run the report themselves",
            "notes": [{"fact": "one admin active"}, {"opinion": "champion is bored"}],
            "commitments": [{"owner": o, "next_step": s, "due": d} for o, s, d in commitments],
        }
    )


def record(engine: Engine, account_id: str, value: SessionIn) -> tuple[int, ...]:
    recorded = record_session(engine, account_id, value, recorded_by="ana", recorded_at=NOW)
    return recorded.commitment_ids


def test_find_account_in_the_latest_run_or_the_history(engine: Engine) -> None:
    assert find_account(engine, "ACC-1").status == "off_track"
    assert find_account(engine, "OLD-1").status is None
    with pytest.raises(JourneyError, match="did you mean ACC-1") as caught:
        find_account(engine, "ACC-11")
    assert caught.value.exit_code == ExitCode.USAGE


def test_a_recorded_session_reads_back_whole(engine: Engine) -> None:
    ids = record(engine, "ACC-1", session("2024-03-08", ("ana", "train admins", "2024-03-13"),
                                          ("ben", "send usage report", "2024-03-22")))  # fmt: skip
    assert len(ids) == 2
    sessions = load_sessions(engine, "ACC-1")
    assert sessions.select("account_id", "held_on", "attendees").to_dicts() == [
        {"account_id": "ACC-1", "held_on": D(2024, 3, 8), "attendees": ["Ana", "Ben"]}
    ]
    notes = load_notes(engine, sessions["session_id"].to_list())
    assert notes.select("kind", "text").rows() == [
        ("fact", "one admin active"),
        ("opinion", "champion is bored"),
    ]
    assert load_sessions(engine, "ACC-2").height == 0


def test_open_commitments_overdue_first_then_done_ones_gone(engine: Engine) -> None:
    first, second = record(engine, "ACC-1", session(
        "2024-03-08", ("ben", "send usage report", "2024-03-22"),
        ("ana", "train admins", "2024-03-13")))  # fmt: skip
    (third,) = record(engine, "ACC-2", session("2024-03-09", ("cy", "call", "2024-03-10")))
    opened = open_commitments(engine, AS_OF)
    assert opened.schema == pl.Schema(COMMITMENT_SCHEMA)
    assert opened["commitment_id"].to_list() == [third, second, first]
    assert opened.row(0, named=True)["session_date"] == D(2024, 3, 9)

    done = complete_commitment(engine, third, done_on=D(2024, 3, 16), note="called")
    assert (done.status, done.done_on, done.done_note) == ("done", D(2024, 3, 16), "called")
    assert open_commitments(engine, AS_OF)["commitment_id"].to_list() == [second, first]
    assert load_commitments(engine, "ACC-2")["done_note"].to_list() == ["called"]


def test_done_twice_or_unknown_is_a_usage_error(engine: Engine) -> None:
    (cid,) = record(engine, "ACC-1", session("2024-03-08", ("ana", "train", "2024-03-13")))
    complete_commitment(engine, cid, done_on=AS_OF, note=None)
    for commitment_id, message in ((cid, "already done on 2024-03-15"), (999, "no commitment")):
        with pytest.raises(JourneyError, match=message) as caught:
            complete_commitment(engine, commitment_id, done_on=AS_OF, note=None)
        assert caught.value.exit_code == ExitCode.USAGE


def test_a_session_file_about_another_account_is_refused(engine: Engine) -> None:
    other = session("2024-03-08").model_copy(update={"account": "ACC-2"})
    with pytest.raises(JourneyError, match="about account 'ACC-2'"):
        record(engine, "ACC-1", other)
    assert load_sessions(engine).height == 0


def test_account_loop_lists_sessions_and_open_commitments(engine: Engine) -> None:
    assert "none recorded" in "\n".join(account_loop(engine, "ACC-1", AS_OF))
    record(engine, "ACC-1", session("2024-03-08", ("ana", "train admins", "2024-03-13")))
    text = "\n".join(account_loop(engine, "ACC-1", AS_OF))
    assert "2024-03-08 #1: admins run the report themselves" in text
    assert "Open commitments (1):" in text
    assert "[OVERDUE 2d] ana: train admins (due 2024-03-13)" in text


def snooze(engine: Engine, account_id: str, until: dt.date, status: str = "off_track") -> None:
    create_snooze(engine, account_id=account_id, status=status, run_as_of=AS_OF, until=until,
                  reason="exec sponsor on leave", created_by="ana", now=NOW)  # fmt: skip


def test_snoozes_hide_until_revoked_and_a_new_one_supersedes(engine: Engine) -> None:
    statuses = pl.DataFrame({"account_id": ["ACC-1", "ACC-2"], "status": ["off_track", "on_track"]})
    snooze(engine, "ACC-1", D(2024, 3, 29))
    snooze(engine, "ACC-1", D(2024, 4, 5))
    active = active_snoozes(engine, AS_OF, statuses)
    assert active.schema == pl.Schema(SNOOZE_SCHEMA)
    assert active.rows() == [
        ("ACC-1", D(2024, 4, 5), "exec sponsor on leave", "ana", D(2024, 3, 16), "off_track")
    ]
    everything = load_snoozes(engine, include_revoked=True)
    assert everything["revoked_by"].to_list() == [None, "ana (superseded)"]

    assert revoke_snooze(engine, "ACC-1", by="lead", now=NOW) == 1
    assert active_snoozes(engine, AS_OF, statuses).height == 0
    with pytest.raises(JourneyError, match="no snooze to revoke"):
        revoke_snooze(engine, "ACC-1", by="lead", now=NOW)


def test_a_snooze_must_end_after_the_latest_run_and_say_why(engine: Engine) -> None:
    with pytest.raises(JourneyError, match="not after the latest run"):
        snooze(engine, "ACC-1", AS_OF)
    with pytest.raises(JourneyError, match="--reason"):
        create_snooze(engine, account_id="ACC-1", status="off_track", run_as_of=AS_OF,
                      until=D(2024, 4, 1), reason="  ", created_by="ana", now=NOW)  # fmt: skip
