"""Session files: YAML and CSV read into the same session; problems name file and line."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from journey.errors import ExitCode
from journey.sessions.files import SessionFileError, load_session_file

YAML = """\
date: 2024-03-08
attendees: [Ana Lopez, Ben (champion)]
goal: Their admins run the weekly report themselves.
notes:
  - fact: Only one admin has logged in since kickoff.
  - opinion: The champion is losing interest.
commitments:
  - {owner: ana@example.com, next_step: Book admin training, due: 2024-03-15}
"""

CSV = """\
kind,text,owner,due
date,2024-03-08,,
attendee,Ana Lopez,,
attendee,Ben (champion),,
goal,Their admins run the weekly report themselves.,,
fact,Only one admin has logged in since kickoff.,,
opinion,The champion is losing interest.,,
commitment,Book admin training,ana@example.com,2024-03-15
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_yaml_and_csv_give_the_same_session(tmp_path: Path) -> None:
    from_yaml = load_session_file(write(tmp_path, "s.yaml", YAML))
    from_csv = load_session_file(write(tmp_path, "s.csv", CSV))
    assert from_yaml == from_csv
    assert from_yaml.held_on == dt.date(2024, 3, 8)
    assert from_yaml.attendees == ("Ana Lopez", "Ben (champion)")
    assert [n.kind for n in from_yaml.notes] == ["fact", "opinion"]
    assert from_yaml.commitments[0].due == dt.date(2024, 3, 15)


def problems(path: Path) -> list[str]:
    with pytest.raises(SessionFileError) as caught:
        load_session_file(path)
    assert caught.value.exit_code == ExitCode.CONFIG
    return [p.render() for p in caught.value.problems]


def test_yaml_problems_name_the_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """\
        date: 2024-03-08
        goal: g
        notes:
          - opinon: typo
        commitments:
          - {owner: "", next_step: Book, due: 2024-03-15}
          - {owner: ana, next_step: Book, due: 2024-03-15, when: later}
        """,
    )
    found = problems(path)
    assert len(found) == 3
    assert found[0].startswith(f"{path}:4:")
    assert "fact: TEXT" in found[0]
    assert found[1].startswith(f"{path}:6:") and "must not be empty" in found[1]
    assert found[2].startswith(f"{path}:7:") and "unknown key `when`" in found[2]


def test_a_commitment_due_before_the_session_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", YAML.replace("due: 2024-03-15", "due: 2024-03-01"))
    (found,) = problems(path)
    assert found.startswith(f"{path}:8:")
    assert "before the session date" in found


def test_an_impossible_date_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", YAML.replace("due: 2024-03-15", "due: 2024-13-15"))
    (found,) = problems(path)
    assert found.startswith(f"{path}:8")
    assert "2024-13-15 is not a date" in found


def test_csv_problems_name_the_row(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.csv",
        CSV.replace("opinion,The", "opnion,The").replace(
            "commitment,Book admin training,ana@example.com,2024-03-15",
            "commitment,Book admin training,,2024-03-15",
        ),
    )
    (found,) = problems(path)
    assert found.startswith(f"{path}:7:")
    assert "unknown kind 'opnion'" in found
    path.write_text(CSV.replace("ana@example.com", ""), encoding="utf-8")
    (found,) = problems(path)
    assert found.startswith(f"{path}:8:") and "owner" in found


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("missing.yaml", None, "no such file"),
        ("s.txt", "date: 2024-03-08", "unknown file type"),
        ("s.yaml", "- just\n- a list\n", "expected a session"),
        ("s.yaml", "date: [unclosed\n", ""),
        ("s.csv", "what,ever\n1,2\n", "missing column(s) kind, text"),
    ],
)
def test_unreadable_files_are_clear(
    tmp_path: Path, name: str, text: str | None, message: str
) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    (found,) = problems(path)
    assert found.startswith(str(path))
    assert message in found
