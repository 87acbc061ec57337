"""The session loop through the CLI: record a session, see its commitments come back the
following week, close them; snooze a flag; the history grows with change only."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from journey.cli import app
from support import Project, ProjectFactory

MILESTONES = """
- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}
- {id: five_logins, due_day: 60, when: {metric: logins, gte: 5}}
"""
# A1 never logs in (off track from day 4); A2 logged in once (on track until March).
ACCOUNTS = (
    "A1,Acme,2024-01-01,ana@example.com,50000,x\nA2,Beta,2024-01-01,ana@example.com,20000,x\n"
)
EVENTS = "A2,2024-01-02T10:00:00Z,login,u1,\n"


def project_with_runs(make_project: ProjectFactory, *days: str) -> Project:
    project = make_project(milestones=MILESTONES, accounts=ACCOUNTS, events=EVENTS)
    for day in days:
        code, _, stderr = project.cli("run", "--as-of", day)
        assert code == 0, stderr
    return project


def csm_report(project: Project) -> str:
    """The text weekly report of ana@example.com, rendered from the latest run."""
    out = project.root / "out"
    ok(project, "report", "--out", str(out))
    return (out / "ana-example-com.txt").read_text(encoding="utf-8")


def ok(project: Project, *args: str) -> str:
    code, stdout, stderr = project.cli(*args)
    assert code == 0, f"{args}: exit {code}\n{stdout}\n{stderr}"
    return stdout


def test_a_commitment_comes_back_the_following_week_until_done(
    make_project: ProjectFactory,
) -> None:
    project = project_with_runs(make_project, "2024-01-15")
    recorded = ok(
        project, "session", "add", "A1", "--date", "2024-01-15",
        "--attendee", "Ana, Sam (admin)", "--goal", "Sam runs the weekly export himself",
        "--fact", "Nobody has logged in since kickoff", "--opinion", "Sam is overloaded",
        "--commit", "ana@example.com | Book a 30-minute admin walkthrough | +5",
    )  # fmt: skip
    assert "recorded session #1 for A1 on 2024-01-15" in recorded
    assert "commitments #1" in recorded
    assert ok(project, "session", "list", "--overdue").strip() == "no sessions match"

    ok(project, "run", "--as-of", "2024-01-22")  # week 2: due 2024-01-20, still open
    overdue = ok(project, "session", "list", "--overdue")
    assert "session #1 A1 on 2024-01-15: Ana, Sam (admin)" in overdue
    assert "fact     Nobody has logged in since kickoff" in overdue
    assert "#1 [OVERDUE 2d] ana@example.com: Book a 30-minute admin walkthrough" in overdue
    listed = json.loads(ok(project, "session", "list", "A1", "--open", "--format", "json"))
    (commitment,) = listed["sessions"][0]["commitments"]
    assert (commitment["due_on"], commitment["overdue"]) == ("2024-01-20", True)
    assert listed["as_of"] == "2024-01-22"
    status = ok(project, "status", "A1")
    assert "2024-01-15 #1: Sam runs the weekly export himself" in status
    assert "Book a 30-minute admin walkthrough" in csm_report(project)
    assert "#1 [OVERDUE 2d] ana@example.com" in status

    done = ok(
        project, "session", "done", "1", "--note", "walked Sam through it", "--on", "2024-01-23"
    )
    assert "commitment #1 of A1 done on 2024-01-23" in done
    assert ok(project, "session", "list", "--overdue").strip() == "no sessions match"
    assert ok(project, "session", "list", "--open").strip() == "no sessions match"
    assert "[done 2024-01-23]" in ok(project, "session", "list", "A1")
    assert "Open commitments (0):" in ok(project, "status", "A1")
    assert "Book a 30-minute admin walkthrough" not in csm_report(project)


SESSION_YAML = """\
date: 2024-01-15
attendees: [Ana]
goal: Sam runs the weekly export himself
notes:
  - fact: Nobody has logged in
commitments:
  - {owner: ana@example.com, next_step: Book a walkthrough, due: 2024-01-20}
  - {owner: "  ", next_step: Call Sam, due: 2024-01-20}
"""


def test_a_session_file_is_validated_with_file_and_line(make_project: ProjectFactory) -> None:
    project = project_with_runs(make_project, "2024-01-15")
    path = project.write("session.yaml", SESSION_YAML)
    code, _, stderr = project.cli("session", "add", "A1", "--file", str(path))
    assert code == 3
    assert f"{path}:8:" in stderr and "owner" in stderr
    assert "Traceback" not in stderr
    path.write_text(SESSION_YAML.replace('"  "', "sam@example.com"), encoding="utf-8")
    assert "commitments #1, #2" in ok(project, "session", "add", "A1", "--file", str(path))


def test_usage_errors_exit_2_and_store_nothing(make_project: ProjectFactory) -> None:
    project = project_with_runs(make_project, "2024-01-15")
    cases = [
        (("session", "add", "A11", "--goal", "g"), "did you mean A1"),
        (("session", "add", "A1", "--goal", "g", "--date", "2024-02-30"), "--date"),
        (("session", "add", "A1", "--goal", "g", "--commit", "| step | +3"), "no owner"),
        (("session", "add", "A1", "--commit", "ana | step | +3"), "--goal is required"),
        (("session", "add", "A1", "-g", "g", "--fact", " "), "--fact/--opinion: must not be"),
        (
            (
                "session",
                "add",
                "A1",
                "-g",
                "g",
                "--date",
                "2024-01-15",
                "--commit",
                "a | s | 2024-01-01",
            ),
            "before the session date",
        ),
        (("session", "add", "A1", "--no-interactive"), "nothing to record"),
        (("session", "done", "42"), "no commitment #42"),
        (("snooze", "A1", "--until", "2024-01-10", "--reason", "r"), "not after the latest"),
        (("snooze", "revoke", "A1"), "no snooze to revoke"),
    ]
    for args, message in cases:
        code, _, stderr = project.cli(*args)
        assert (code, message in stderr) == (2, True), (args, stderr)
    assert ok(project, "session", "list").strip() == "no sessions match"


def test_interactive_recording_reads_the_answers(make_project: ProjectFactory) -> None:
    project = project_with_runs(make_project, "2024-01-15")
    answers = "\n".join(
        [
            "2024-01-15",  # date
            "Ana, Sam",  # attendees
            "Sam runs the weekly export himself",  # goal
            "Nobody has logged in",  # note 1
            "f",
            "Sam is overloaded",  # note 2
            "o",
            "",  # no more notes
            "ana@example.com",  # commitment 1 owner
            "Book a walkthrough",
            "2024-01-01",  # before the session: asked again
            "+5",
            "",  # no more commitments
            "y",
        ]
    )
    result = CliRunner().invoke(
        app,
        ["session", "add", "A1", "-i", "--by", "ana", "--config", str(project.config_dir)],
        input=answers + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "is before the session" in result.output
    listed = json.loads(ok(project, "session", "list", "A1", "--format", "json"))
    (session,) = listed["sessions"]
    assert session["attendees"] == ["Ana", "Sam"]
    assert session["recorded_by"] == "ana"
    assert [n["kind"] for n in session["notes"]] == ["fact", "opinion"]
    assert session["commitments"][0]["due_on"] == "2024-01-20"


def test_cancelled_prompts_store_nothing(make_project: ProjectFactory) -> None:
    project = project_with_runs(make_project, "2024-01-15")
    result = CliRunner().invoke(
        app, ["session", "add", "A1", "-i", "--config", str(project.config_dir)], input="\n"
    )
    assert result.exit_code == 2
    assert "nothing was recorded" in result.stderr
    assert ok(project, "session", "list").strip() == "no sessions match"


def test_snooze_hides_until_the_date_or_a_status_change(make_project: ProjectFactory) -> None:
    project = project_with_runs(make_project, "2024-01-15")
    snoozed = ok(
        project, "snooze", "A1", "--until", "2024-02-01", "--reason", "sponsor on leave",
        "--by", "ana",
    )  # fmt: skip
    assert "snoozed A1 (off_track) until 2024-02-01 by ana: sponsor on leave" in snoozed
    listed = ok(project, "snooze", "list")
    assert "A1" in listed and "[active]" in listed and "sponsor on leave" in listed
    report = csm_report(project)
    assert "sponsor on leave" in report  # listed as snoozed, not ranked
    assert "1. Acme (A1)" not in report

    project.write("data/events.csv", "account_id,timestamp,event,user_id,value\n"
                  + EVENTS + "A1,2024-01-20T10:00:00Z,login,u9,\n")  # fmt: skip
    ok(project, "run", "--as-of", "2024-01-22")  # A1 logged in: off_track -> on_track
    assert "no snoozes active" in ok(project, "snooze", "list")
    assert "[status now on_track]" in ok(project, "snooze", "list", "--all")

    ok(project, "snooze", "add", "A2", "--until", "+7", "--reason", "renewal call booked")
    ok(project, "snooze", "revoke", "A2", "--by", "lead")
    every = json.loads(ok(project, "snooze", "list", "--all", "--format", "json"))["snoozes"]
    assert {(s["account_id"], s["state"]) for s in every} == {
        ("A1", "status now on_track"),
        ("A2", "revoked"),
    }


def state_changes(project: Path) -> int:
    engine = create_engine(f"sqlite:///{project / 'journey.db'}")
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM state_change")).scalar_one()
    engine.dispose()
    return int(count)


def test_history_grows_with_change_not_with_nights(make_project: ProjectFactory) -> None:
    project = project_with_runs(make_project, "2024-02-01")
    first = state_changes(project.root)
    assert (
        first == 2 * 3 + 2 * 2 * 2
    )  # accounts x (status, segment, journey) + milestones x (state, regressed)
    for day in ("2024-02-02", "2024-02-03", "2024-02-04", "2024-02-05"):
        assert "0 change(s) recorded" in ok(project, "run", "--as-of", day)
        assert state_changes(project.root) == first

    # A1 logs in: first_login overdue -> done_late, status off_track -> on_track.
    project.write("data/events.csv", "account_id,timestamp,event,user_id,value\n"
                  + EVENTS + "A1,2024-02-06T10:00:00Z,login,u9,\n")  # fmt: skip
    assert "2 change(s) recorded" in ok(project, "run", "--as-of", "2024-02-06")
    assert state_changes(project.root) == first + 2
    ok(project, "run", "--as-of", "2024-02-06")  # re-running the day adds nothing
    assert state_changes(project.root) == first + 2
