"""`journey doctor`: each area's check, its message, its fix and its exit code."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl
import pytest

from support import Project, ProjectFactory

ANA = "ana@example.com"


@contextmanager
def fake_smtp(extensions: tuple[bytes, ...] = (b"STARTTLS",)) -> Iterator[int]:
    """An SMTP server on 127.0.0.1 that answers one session (EHLO, QUIT), then stops."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(30)
    port = server.getsockname()[1]

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn, conn.makefile("rwb") as stream:
            stream.write(b"220 fake ESMTP\r\n")
            stream.flush()
            for _ in range(10):  # bounded: a doctor session is EHLO and QUIT
                line = stream.readline()
                if not line:
                    break
                verb = line[:4].upper()
                if verb == b"EHLO":
                    lines = [b"fake", *extensions]
                    for i, text in enumerate(lines):
                        sep = b" " if i == len(lines) - 1 else b"-"
                        stream.write(b"250" + sep + text + b"\r\n")
                elif verb == b"QUIT":
                    stream.write(b"221 bye\r\n")
                    stream.flush()
                    break
                else:
                    stream.write(b"250 ok\r\n")
                stream.flush()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.close()
        thread.join(timeout=30)


def healthy_project(make_project: ProjectFactory, port: int | None = None) -> Project:
    project = make_project(
        milestones="- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}\n",
        accounts=f"a,A,2026-01-01,{ANA},1,x\n",
        events="a,2026-01-02T10:00:00Z,login,u1,\n",
    )
    if port is not None:
        settings = project.config_dir / "settings.yaml"
        settings.write_text(
            settings.read_text() + "email: {from: cs@example.com, smtp_host: 127.0.0.1, "
            f"smtp_port: {port}, security: starttls}}\n"
        )
    return project


def test_all_is_well(make_project: ProjectFactory):
    with fake_smtp() as port:
        project = healthy_project(make_project, port)
        code, out, err = project.cli("doctor")
    assert code == 0, out + err
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok   config",
        "ok   data",
        "ok   database",
        "ok   smtp",
    ]
    assert f"127.0.0.1:{port} answered EHLO" in out


def test_invalid_config_is_area_3_and_stops_there(make_project: ProjectFactory):
    project = healthy_project(make_project)
    project.write("config/segments.yaml", "segments: []\n")
    code, out, _ = project.cli("doctor")
    assert code == 3
    assert out.startswith("FAIL config:")
    assert "fix: run `journey check" in out
    assert "data:" not in out


def test_a_source_path_outside_the_project_is_a_config_problem(make_project: ProjectFactory):
    project = healthy_project(make_project)
    settings = project.config_dir / "settings.yaml"
    settings.write_text(settings.read_text().replace("data/events.csv", "../../etc/events.csv"))
    code, out, _ = project.cli("doctor")
    assert code == 3
    assert "points outside the project folder" in out


def test_a_missing_data_file_is_area_4(make_project: ProjectFactory):
    project = healthy_project(make_project)
    (project.root / "data/events.csv").unlink()
    code, out, _ = project.cli("doctor")
    assert code == 4
    assert "FAIL data: source `events`: no file matches 'data/events.csv'" in out
    assert "fix:" in out


def test_stale_usage_data_is_area_4(make_project: ProjectFactory):
    project = healthy_project(make_project)
    settings = project.config_dir / "settings.yaml"
    text = settings.read_text().splitlines()
    text = [
        "freshness: {warn_after_days: 1, error_after_days: 3}" if t.startswith("freshness") else t
        for t in text
    ]
    settings.write_text("\n".join(text) + "\n")
    code, out, _ = project.cli("doctor")
    assert code == 4
    assert "FAIL data: stale: sources readable; newest usage data 2026-01-02" in out


def test_an_unreachable_database_is_area_1_and_never_shows_the_password(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
):
    project = healthy_project(make_project)
    monkeypatch.setenv(
        "JOURNEY_DATABASE_URL", "postgresql+psycopg://journey:s3cret-pw@127.0.0.1:1/journey"
    )
    code, out, err = project.cli("doctor")
    assert code == 1
    assert "FAIL database: cannot use the database" in out
    assert "s3cret-pw" not in out + err
    assert "journey:***@127.0.0.1:1" in out


def test_an_unreachable_smtp_server_is_area_5(make_project: ProjectFactory):
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    project = healthy_project(make_project, port)  # nothing listens there now
    code, out, _ = project.cli("doctor")
    assert code == 5
    assert f"FAIL smtp: cannot talk to 127.0.0.1:{port}" in out


def test_an_smtp_server_without_starttls_is_area_5(make_project: ProjectFactory):
    with fake_smtp(extensions=(b"8BITMIME",)) as port:
        project = healthy_project(make_project, port)
        code, out, _ = project.cli("doctor")
    assert code == 5
    assert "does not offer STARTTLS" in out and "security: ssl" in out


def test_nightly_says_whether_the_next_run_can_be_incremental(make_project: ProjectFactory):
    project = healthy_project(make_project)
    assert project.cli("run", "--as-of", "2026-01-03")[0] == 0

    code, out, _ = project.cli("doctor")

    assert code == 0
    assert "ok   nightly: the next run continues from the 2026-01-03 run" in out
    project.write(
        "config/metrics.yaml",
        (project.config_dir / "metrics.yaml").read_text() + "\n# reviewed\n",
    )
    code, out, _ = project.cli("doctor")
    assert "ok   nightly: the next run will be a full run: the configuration changed" in out


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ("remove", "is not in"),
        ("garble", "cannot be read"),
        ("narrow", "cannot be read (totals.parquet has no"),
        ("old layout", "has an older layout"),
    ],
)
def test_nightly_checks_the_kept_state_without_reading_it(
    make_project: ProjectFactory, damage: str, says: str
):
    """The state's files as the run would find them: a damaged one means a full run."""
    project = healthy_project(make_project)
    assert project.cli("run", "--as-of", "2026-01-03")[0] == 0
    (folder,) = (project.root / ".journey" / "state").iterdir()
    totals = folder / "totals.parquet"
    if damage == "remove":
        totals.unlink()
    elif damage == "garble":
        totals.write_bytes(b"not parquet")
    elif damage == "narrow":
        pl.read_parquet(totals).select(pl.first()).write_parquet(totals)
    else:
        meta = json.loads((folder / "meta.json").read_text())
        (folder / "meta.json").write_text(json.dumps({**meta, "version": -1}))

    out = project.cli("doctor")[1]

    assert "ok   nightly: the next run will be a full run: the carried state" in out
    assert says in out


def test_with_the_early_warning_on_it_says_whether_a_model_is_kept(
    make_project: ProjectFactory,
):
    project = healthy_project(make_project)
    assert "early warning" not in project.cli("doctor")[1]  # off in this project
    settings = project.config_dir / "settings.yaml"
    settings.write_text(
        settings.read_text().replace("risk: {enabled: false}", "risk: {enabled: true}")
    )
    out = project.cli("doctor")[1]
    assert "ok   early warning: no model kept: the next run with the early warning fits" in out
    assert project.cli("run", "--as-of", "2026-01-03")[0] == 0
    out = project.cli("doctor")[1]
    assert "ok   early warning: model kept, fitted on " in out
    assert "the next runs use it while what it learns from is unchanged" in out
    (kept,) = (project.root / ".journey" / "model").iterdir()
    kept.write_bytes(b"damaged")
    code, out, _ = project.cli("doctor")
    assert code == 0 and "cannot be read" in out and "the next run fits again" in out
