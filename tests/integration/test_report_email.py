"""`journey report` and `journey send` end to end, against a real SMTP server (aiosmtpd on
127.0.0.1, a free port), with the outbox in a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import logging
import socket
import sqlite3
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from support import Project, ProjectFactory

WEEK = "2024-01-15"
SETTINGS = """\
timezone: UTC
sources:
  accounts: {{path: data/accounts.csv}}
  events: {{path: data/events.csv}}
database: sqlite:///journey.db
freshness: {{warn_after_days: 10000, error_after_days: 10000, on_stale: warn,
             max_newly_off_track_share: 1.0}}
report: {{top_n: 15, out_dir: reports/out}}
email: {{from: cs-ops@example.com, smtp_host: 127.0.0.1, smtp_port: {port}, security: none,
        manager: lead@example.com, attempts: 3, backoff_seconds: 0, timeout_seconds: 10}}
"""


class Mailbox:
    """An SMTP handler that records what it accepts and answers DATA with `script`.

    `script` maps an attempt number per Message-ID (1, 2, ...) to a reply; unlisted attempts
    get 250. So {1: "451 ..."} is a server that defers every message once.
    """

    def __init__(self, script: dict[int, str] | None = None) -> None:
        self.script = script or {}
        self.attempts: dict[str, int] = {}
        self.accepted: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        key = str(msg["Message-ID"])
        self.attempts[key] = self.attempts.get(key, 0) + 1
        reply = self.script.get(self.attempts[key], "250 OK")
        if reply.startswith("250"):
            self.accepted.append(msg)
        return reply

    def recipients(self) -> list[str]:
        return sorted(str(m["To"]) for m in self.accepted)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Mailbox, int, Controller]]:
    # aiosmtpd logs from its own thread; keep that out of the CLI's captured (closed) stderr.
    monkeypatch.setattr(logging.getLogger("mail.log"), "propagate", False)
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield box, port, controller
    finally:
        controller.stop()


def project_for(make_project: ProjectFactory, port: int) -> Project:
    project = make_project(
        milestones="""\
        - {id: first_login, due_day: 2, when: {metric: logins, gte: 1},
           first_move: Book the kickoff call.}
        - {id: weekly_use, due_day: 10, critical: true, when: {metric: logins, gte: 3}}
        """,
        accounts="""\
        a1,Alpha Corp,2024-01-01,ana@example.com,120000,growth
        a2,<script>alert(1)</script>,2024-01-01,ana@example.com,5000,growth
        a3,Gamma,2024-01-01,bo@example.com,30000,growth
        """,
        events="""\
        a1,2024-01-02T10:00:00,login,u1,
        a3,2024-01-02T10:00:00,login,u1,
        a3,2024-01-03T10:00:00,login,u1,
        a3,2024-01-04T10:00:00,login,u1,
        """,
    )
    project.write("config/settings.yaml", SETTINGS.format(port=port))
    code, _, stderr = project.cli("run", "--as-of", "2024-01-14")
    assert code == 0, stderr
    return project


def outbox(project: Project) -> list[tuple[str, str, int]]:
    with sqlite3.connect(project.root / "journey.db") as db:
        rows = db.execute(
            "SELECT recipient, status, attempts FROM email_outbox ORDER BY recipient"
        ).fetchall()
    return [tuple(r) for r in rows]


def test_send_delivers_each_message_once(
    make_project: ProjectFactory, smtp: tuple[Mailbox, int, Controller]
) -> None:
    box, port, _ = smtp
    project = project_for(make_project, port)
    code, _, stderr = project.cli("send", "--week", WEEK)
    assert code == 0, stderr
    assert box.recipients() == ["ana@example.com", "bo@example.com", "lead@example.com"]
    ana = next(m for m in box.accepted if m["To"] == "ana@example.com")
    assert ana["Auto-Submitted"] == "auto-generated"
    assert ana["Subject"] == "Journey: 2 off-track accounts (week of 2024-01-15)"
    assert [p.get_content_type() for p in ana.iter_parts()] == ["text/plain", "text/html"]
    html = ana.get_body(("html",)).get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html.lower()
    assert "<style" not in html
    assert [s for _, s, _ in outbox(project)] == ["sent", "sent", "sent"]

    again, _, stderr = project.cli("send", "--week", WEEK)
    assert again == 0 and "0 sent, 3 already sent earlier" in stderr
    assert len(box.accepted) == 3  # a re-run sends nothing again


def test_a_send_killed_midway_finishes_on_the_next_run(
    make_project: ProjectFactory, smtp: tuple[Mailbox, int, Controller]
) -> None:
    box, port, _ = smtp
    project = project_for(make_project, port)
    assert project.cli("send", "--week", WEEK)[0] == 0
    # As if the process died after claiming bo's row, before sending it.
    with sqlite3.connect(project.root / "journey.db") as db:
        db.execute("UPDATE email_outbox SET status = 'sending' WHERE recipient = 'bo@example.com'")
    box.accepted.clear()
    code, _, stderr = project.cli("send", "--week", WEEK)
    assert code == 0, stderr
    assert box.recipients() == ["bo@example.com"]


def test_a_deferring_server_gets_each_message_once(
    make_project: ProjectFactory, smtp: tuple[Mailbox, int, Controller]
) -> None:
    box, port, _ = smtp
    box.script = {1: "451 4.3.0 Try again later"}
    project = project_for(make_project, port)
    code, _, stderr = project.cli("send", "--week", WEEK)
    assert code == 0, stderr
    assert box.recipients() == ["ana@example.com", "bo@example.com", "lead@example.com"]
    assert sorted(box.attempts.values()) == [2, 2, 2]
    assert [a for _, _, a in outbox(project)] == [2, 2, 2]


def test_a_refusing_server_gets_nothing_and_the_exit_code_is_5(
    make_project: ProjectFactory, smtp: tuple[Mailbox, int, Controller]
) -> None:
    box, port, _ = smtp
    box.script = {n: "550 5.1.1 Mailbox unavailable" for n in range(1, 10)}
    project = project_for(make_project, port)
    code, _, stderr = project.cli("send", "--week", WEEK)
    assert code == 5
    assert box.accepted == [] and sorted(box.attempts.values()) == [1, 1, 1]  # no retry of 5xx
    assert "550 5.1.1 Mailbox unavailable" in stderr and "3 failed" in stderr
    assert [(s, a) for _, s, a in outbox(project)] == [("failed", 1)] * 3


def test_connection_errors_are_retried_then_reported(make_project: ProjectFactory) -> None:
    project = project_for(make_project, free_port())  # nothing listens there
    code, _, stderr = project.cli("send", "--week", WEEK)
    assert code == 5 and "after 3 attempt(s)" in stderr
    # The first message exhausts its retries; the others are not attempted (nor claimed).
    assert "not attempted, the SMTP server is unreachable" in stderr and "3 failed" in stderr
    assert [s for _, s, _ in outbox(project)] == ["failed"]


def test_credentials_come_from_the_environment_and_are_never_printed(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNEY_SMTP_USER", "mailer")
    monkeypatch.setenv("JOURNEY_SMTP_PASSWORD", "hunter2-secret")
    project = project_for(make_project, free_port())
    _, stdout, stderr = project.cli("send", "--week", WEEK)
    assert "hunter2-secret" not in stdout + stderr


def test_dry_run_writes_eml_files_and_sends_nothing(make_project: ProjectFactory) -> None:
    project = project_for(make_project, free_port())
    out = project.root / "eml"
    code, stdout, stderr = project.cli("send", "--week", WEEK, "--dry-run", "--out", str(out))
    assert code == 0, stderr
    assert stdout.strip() == str(out)
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "csm-ana-example-com.eml",
        "csm-bo-example-com.eml",
        "rollup-lead-example-com.eml",
    ]
    msg = message_from_bytes((out / names[0]).read_bytes(), policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert outbox(project) == []


def test_report_writes_the_set_and_exports_the_ranked_list(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    project = project_for(make_project, free_port())
    out = tmp_path / "out"
    code, stdout, stderr = project.cli("report", "--out", str(out))
    assert code == 0, stderr
    assert stdout.strip() == str(out / "index.html")
    assert (out / "rollup.html").exists() and (out / "ana-example-com.txt").exists()
    assert sorted(p.name for p in (out / "briefs").iterdir()) == [
        "a1.html",
        "a1.md",
        "a2.html",
        "a2.md",
    ]
    assert 'href="briefs/a1.html"' in (out / "ana-example-com.html").read_text()

    code, stdout, _ = project.cli("report", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(stdout)))
    # a2 never logged in: two overdue milestones outrank a1's one, despite a1's ARR
    assert [(r["rank"], r["account_id"]) for r in rows] == [("1", "a2"), ("2", "a1")]
    assert rows[0]["name"] == "<script>alert(1)</script>"
    code, stdout, _ = project.cli("report", "--format", "json")
    assert [r["account_id"] for r in json.loads(stdout)] == ["a2", "a1"]


def test_csv_export_neutralises_formulas(make_project: ProjectFactory) -> None:
    project = project_for(make_project, free_port())
    accounts = project.root / "data/accounts.csv"
    accounts.write_text(
        accounts.read_text().replace("Alpha Corp", '"=HYPERLINK(""http://x"")"'), "utf-8"
    )
    assert project.cli("run", "--as-of", "2024-01-14")[0] == 0
    _, stdout, _ = project.cli("report", "--format", "csv")
    names = [r["name"] for r in csv.DictReader(io.StringIO(stdout))]
    assert '\'=HYPERLINK("http://x")' in names


def test_the_outbox_claims_each_week_and_recipient_once(tmp_path: Path) -> None:
    import datetime as dt

    from journey.store import make_engine
    from journey.store.outbox import claim, outbox_rows, record_result

    engine = make_engine(f"sqlite:///{tmp_path / 'j.db'}")
    week = dt.date(2024, 1, 15)
    args = {"week": week, "recipient": "a@x.io", "kind": "csm", "message_id": "<m>", "subject": "s"}
    assert claim(engine, **args)  # new row
    assert claim(engine, **args)  # still not sent (e.g. a killed send): claim again
    record_result(engine, week=week, recipient="a@x.io", sent=False, attempts=1, error="550 no")
    assert claim(engine, **args)  # failed: a re-run retries it
    record_result(engine, week=week, recipient="a@x.io", sent=True, attempts=2)
    assert not claim(engine, **args)  # sent: never again that week
    assert claim(engine, **{**args, "week": dt.date(2024, 1, 22)})  # next week is new
    [row] = outbox_rows(engine, week)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)


def test_send_without_an_email_section_is_a_config_error(make_project: ProjectFactory) -> None:
    project = project_for(make_project, free_port())
    settings = project.config_dir / "settings.yaml"
    settings.write_text(settings.read_text().split("email:")[0], encoding="utf-8")
    code, _, stderr = project.cli("send", "--week", WEEK)
    assert code == 3 and "no `email:` section" in stderr
