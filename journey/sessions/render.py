"""Sessions and commitments as text lines and JSON-ready data (pure; no I/O)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from journey.sessions.commitments import order_commitments


def commitment_state(row: dict[str, Any], as_of: dt.date) -> str:
    """`OVERDUE 3d`, `open, due in 2d`, `open, due today` or `done 2024-03-16`."""
    if row["status"] == "done":
        return f"done {row['done_on']}"
    days = (row["due_on"] - as_of).days
    if days < 0:
        return f"OVERDUE {-days}d"
    return "open, due today" if days == 0 else f"open, due in {days}d"


def commitment_line(row: dict[str, Any], as_of: dt.date) -> str:
    """One commitment on one line, with its id for `journey session done`."""
    note = f" — {row['done_note']}" if row.get("done_note") else ""
    return (
        f"#{row['commitment_id']} [{commitment_state(row, as_of)}] {row['owner']}: "
        f"{row['next_step']} (due {row['due_on']}){note}"
    )


def session_lines(
    sessions: pl.DataFrame, notes: pl.DataFrame, commitments: pl.DataFrame, as_of: dt.date
) -> list[str]:
    """`journey session list` as text: each session with its notes and commitments."""
    lines: list[str] = []
    for session in sessions.iter_rows(named=True):
        sid = session["session_id"]
        attendees = ", ".join(session["attendees"]) or "(attendees not recorded)"
        lines.append(f"session #{sid} {session['account_id']} on {session['held_on']}: {attendees}")
        lines.append(f"  why the journey will work: {session['goal']}")
        for note in notes.filter(pl.col("session_id") == sid).iter_rows(named=True):
            lines.append(f"  {note['kind']:<7}  {note['text']}")
        mine = order_commitments(commitments.filter(pl.col("session_id") == sid), as_of)
        for row in mine.iter_rows(named=True):
            lines.append(f"  {commitment_line(row, as_of)}")
        lines.append("")
    return lines


def sessions_json(
    sessions: pl.DataFrame, notes: pl.DataFrame, commitments: pl.DataFrame, as_of: dt.date
) -> dict[str, Any]:
    """`journey session list --format json`: sessions with nested notes and commitments."""
    out = []
    for session in sessions.iter_rows(named=True):
        sid = session["session_id"]
        mine = order_commitments(commitments.filter(pl.col("session_id") == sid), as_of)
        out.append(
            {
                **_iso(session),
                "notes": [
                    {"kind": n["kind"], "text": n["text"]}
                    for n in notes.filter(pl.col("session_id") == sid).iter_rows(named=True)
                ],
                "commitments": [
                    {**_iso(c), "overdue": c["status"] == "open" and c["due_on"] < as_of}
                    for c in mine.iter_rows(named=True)
                ],
            }
        )
    return {"as_of": as_of.isoformat(), "sessions": out}


def account_loop_lines(
    sessions: pl.DataFrame, commitments: pl.DataFrame, as_of: dt.date
) -> list[str]:
    """For `journey status ACCOUNT`: the account's sessions and its open commitments."""
    if not sessions.height:
        return ["", "Sessions: none recorded (journey session add ACCOUNT)"]
    lines = ["", "Sessions:"]
    for session in sessions.iter_rows(named=True):
        lines.append(f"  {session['held_on']} #{session['session_id']}: {session['goal']}")
    still_open = order_commitments(commitments.filter(pl.col("status") == "open"), as_of)
    lines.append(f"\nOpen commitments ({still_open.height}):")
    lines += [f"  {commitment_line(row, as_of)}" for row in still_open.iter_rows(named=True)]
    return lines


def _iso(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, dt.date) else value
        for key, value in row.items()
    }
