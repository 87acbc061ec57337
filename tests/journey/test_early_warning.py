"""The learned early warning in the nightly run: flags on-track accounts, never fails a run."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from risk_support import detail_of

import journey.risk.service as risk_service
from journey.early_warning import apply_early_warning
from journey.nightly import run_nightly
from journey.store import load_runs, make_engine
from support import SETTINGS, ProjectFactory

MILESTONES = """
- {id: first_login, due_day: 2, when: {metric: logins, gte: 1}}
- {id: ten_logins, due_day: 30, when: {metric: logins, gte: 10}}
"""
ACCOUNTS = (
    "calm,Calm,2026-01-01,ana@example.com,100,x\n"
    "late,Late,2026-01-01,ana@example.com,100,x\n"
    "done,Done,2026-01-01,ana@example.com,100,x\n"
)
EVENTS = "".join(
    f"{a},2026-01-0{d}T10:00:00Z,login,u1,\n" for a in ("calm", "done") for d in range(1, 4)
)


def enabled(project) -> None:  # type: ignore[no-untyped-def]
    project.write(
        "config/settings.yaml",
        SETTINGS.format(timezone="UTC").replace(
            "risk: {enabled: false}",
            "risk: {enabled: true, threshold: 0.6, max_training_rows: 5000}",
        ),
    )


def fake_detail(ids: list[str], probability: float = 0.8) -> risk_service.Detail:
    return detail_of(
        pl.DataFrame(
            {
                "account_id": ids,
                "risk_probability": [probability] * len(ids),
                "risk_drivers": [["ten_logins due in 5 days, logins at 3 of 10."]] * len(ids),
            },
            schema=risk_service.RISK_DETAIL_SCHEMA,
        )
    )


def test_flags_on_track_accounts_only(make_project: ProjectFactory, monkeypatch) -> None:
    project = make_project(milestones=MILESTONES, accounts=ACCOUNTS, events=EVENTS)
    enabled(project)
    config = project.config()
    seen = {}

    def detail(config_, as_of, options, history, keep):  # type: ignore[no-untyped-def]
        seen["threshold"], seen["max_rows"] = options.threshold, options.max_rows
        return fake_detail(["calm", "late"])

    monkeypatch.setattr(risk_service, "risk_detail", detail)
    evaluation = project.evaluate("2026-01-10")
    before = dict(evaluation.accounts.select("account_id", "status").iter_rows())
    assert before == {"calm": "on_track", "late": "off_track", "done": "on_track"}
    warned, notes, skipped = apply_early_warning(config, evaluation)
    after = {r["account_id"]: r for r in warned.accounts.iter_rows(named=True)}
    assert after["calm"]["status"] == "at_risk"
    assert after["calm"]["reasons"][0].startswith("Early warning: 80% chance")
    assert after["late"]["status"] == "off_track"  # never softened or hardened otherwise
    assert after["done"]["status"] == "on_track"
    assert (seen["threshold"], seen["max_rows"]) == (0.6, 5000)
    assert notes == (
        "early warning: 1 on-track account(s) likely off track within 14 days (probability >= 0.6)",
        "early warning: model fitted on 0 snapshot row(s), no labelled snapshot day yet "
        "(fitted tonight)",
    )
    assert skipped == ()
    assert warned.milestones.equals(evaluation.milestones)


def test_a_failing_model_costs_the_warning_not_the_run(
    make_project: ProjectFactory, monkeypatch
) -> None:
    project = make_project(milestones=MILESTONES, accounts=ACCOUNTS, events=EVENTS)
    enabled(project)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("not enough history")

    monkeypatch.setattr(risk_service, "risk_detail", broken)
    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    outcome = run_nightly(project.config(), engine, dt.date(2026, 1, 10))
    assert "early warning skipped: ValueError: not enough history" in outcome.warnings
    assert outcome.notes == ()
    assert load_runs(engine)[0].status == "succeeded"


def test_disabled_by_setting_or_argument(make_project: ProjectFactory, monkeypatch) -> None:
    project = make_project(milestones=MILESTONES, accounts=ACCOUNTS, events=EVENTS)
    calls = []
    monkeypatch.setattr(
        risk_service, "risk_detail", lambda *a, **k: calls.append(a) or fake_detail(["calm"])
    )
    engine = make_engine(f"sqlite:///{project.root / 'journey.db'}")
    run_nightly(project.config(), engine, dt.date(2026, 1, 10))  # risk: {enabled: false}
    enabled(project)
    run_nightly(project.config(), engine, dt.date(2026, 1, 10), early_warning=False)
    assert calls == []
    outcome = run_nightly(project.config(), engine, dt.date(2026, 1, 10))
    assert len(calls) == 1
    assert outcome.notes[0].startswith("early warning: 1 ")
    assert not any(w.startswith("early warning") for w in outcome.warnings)


@pytest.mark.parametrize("threshold", [0.0, 1.0])
def test_threshold_must_be_a_probability(make_project: ProjectFactory, threshold: float) -> None:
    from journey.config import ConfigError

    project = make_project(milestones=MILESTONES, accounts=ACCOUNTS, events=EVENTS)
    project.write(
        "config/settings.yaml",
        SETTINGS.format(timezone="UTC").replace(
            "risk: {enabled: false}", f"risk: {{enabled: true, threshold: {threshold}}}"
        ),
    )
    with pytest.raises(ConfigError, match=r"risk\.threshold"):
        project.config()


def test_the_training_rows_limit_is_a_whole_number_of_at_least_1000(
    make_project: ProjectFactory,
) -> None:
    from journey.config import ConfigError

    project = make_project(milestones=MILESTONES, accounts=ACCOUNTS, events=EVENTS)
    project.write(
        "config/settings.yaml",
        SETTINGS.format(timezone="UTC").replace(
            "risk: {enabled: false}", "risk: {enabled: true, max_training_rows: 999}"
        ),
    )
    with pytest.raises(ConfigError, match=r"risk\.max_training_rows"):
        project.config()


def test_the_run_says_what_the_warning_found_as_notes_and_a_skip_as_a_warning(
    make_project: ProjectFactory, monkeypatch
) -> None:
    """What the early warning found is news every night, not a problem: `journey run` prints
    it as `note:`, so that a log's `warning:` lines are the ones to act on."""
    project = make_project(milestones=MILESTONES, accounts=ACCOUNTS, events=EVENTS)
    enabled(project)
    monkeypatch.setattr(risk_service, "risk_detail", lambda *a, **k: fake_detail(["calm"]))
    code, _, err = project.cli("run", "--as-of", "2026-01-10")
    assert code == 0, err
    assert "note: early warning: 1 on-track account(s) likely off track" in err
    assert "warning: early warning" not in err

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("not enough history")

    monkeypatch.setattr(risk_service, "risk_detail", broken)
    code, _, err = project.cli("run", "--as-of", "2026-01-10")
    assert code == 0, err
    assert "warning: early warning skipped: ValueError: not enough history" in err
    assert "note: " not in err
