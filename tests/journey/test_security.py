"""Secrets never shown, header injection refused, configured paths kept inside the project."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from store_support import postgres_admin_url

from journey.config import ConfigError
from journey.security import mask_secrets, reject_header_injection
from journey.store.engine import StoreError, database_url, make_engine
from support import ProjectFactory


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://u:pw@host/db", "postgresql://u:***@host/db"),
        ("x postgresql+psycopg://u:p@ss:w@h:5/db y", "x postgresql+psycopg://u:***@h:5/db y"),
        ("dsn: host=h password=hunter2 user=u", "dsn: host=h password=*** user=u"),
        ("sqlite:///journey.db", "sqlite:///journey.db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
    ],
)
def test_mask_secrets_removes_passwords(text: str, expected: str):
    assert mask_secrets(text) == expected


def test_mask_secrets_removes_secret_environment_values(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("JOURNEY_SMTP_PASSWORD", "smtp-pass-123")
    monkeypatch.setenv("JOURNEY_DATABASE_URL", "postgresql://u:db-pass-456@h/db")
    text = "login failed with smtp-pass-123; server said db-pass-456 is wrong"
    assert mask_secrets(text) == "login failed with ***; server said *** is wrong"


@pytest.mark.parametrize("value", ["a@b.c\r\nBcc: x@y.z", "Name\nX-Evil: 1", "a\x00b"])
def test_header_injection_is_refused(value: str):
    with pytest.raises(ValueError, match="line break"):
        reject_header_injection(value, "csm_email")


def test_a_clean_header_value_passes_unchanged():
    assert reject_header_injection("Ana Lima <ana@example.com>") == "Ana Lima <ana@example.com>"


def test_a_relative_sqlite_path_must_stay_inside_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("JOURNEY_DATABASE_URL", raising=False)
    assert database_url("sqlite:///db/j.db", tmp_path) == f"sqlite:///{tmp_path}/db/j.db"
    with pytest.raises(ConfigError, match="outside the project folder"):
        database_url("sqlite:///../elsewhere.db", tmp_path)
    # The operator's own JOURNEY_DATABASE_URL is trusted as given.
    monkeypatch.setenv("JOURNEY_DATABASE_URL", "sqlite:///../elsewhere.db")
    assert database_url("sqlite:///journey.db", tmp_path).endswith("/../elsewhere.db")


def test_a_malformed_database_url_is_reported_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("JOURNEY_DATABASE_URL", "postgres ql://admin:T0p-Secret@db/x")
    with pytest.raises(StoreError) as error:
        database_url("sqlite:///journey.db", tmp_path)
    assert "T0p-Secret" not in str(error.value)
    assert "JOURNEY_DATABASE_URL is not a database URL" in str(error.value)


def test_a_wrong_postgresql_password_fails_cleanly_without_showing_it(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
):
    wrong = make_url(postgres_admin_url()).set(password="Wrong-Pw-789")
    url = wrong.render_as_string(hide_password=False)
    with pytest.raises(StoreError) as error:
        make_engine(url)
    assert "Wrong-Pw-789" not in str(error.value)
    assert "password authentication failed" in str(error.value)

    project = make_project(milestones="- {id: m, due_day: 3, when: {metric: logins, gte: 1}}\n")
    monkeypatch.setenv("JOURNEY_DATABASE_URL", url)
    code, out, err = project.cli("run", "--as-of", "2026-01-05")
    assert code == 1
    assert "cannot use the database" in err
    assert "Wrong-Pw-789" not in out + err
    assert "Traceback" not in out + err


def test_a_source_outside_the_project_stops_the_run_as_a_config_error(
    make_project: ProjectFactory,
):
    project = make_project(milestones="- {id: m, due_day: 3, when: {metric: logins, gte: 1}}\n")
    outside = project.root.parent / "outside.csv"
    outside.write_text("account_id,timestamp,event,user_id,value\n")
    settings = project.config_dir / "settings.yaml"
    settings.write_text(settings.read_text().replace("data/events.csv", "../outside.csv"))
    code, _, err = project.cli("run", "--as-of", "2026-01-05")
    assert code == 3
    assert "sources.events.path '../outside.csv' points outside the project folder" in err
