"""`journey check`, `schema`, `explain` and `segments diff`, driven in-process on real files."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from journey import preview
from journey.config import Config, load_config
from journey.config.diff import account_changes, placements
from journey.config.schema import schema_texts
from journey.evaluate import Evaluation, evaluate
from journey.stored import stored_runs
from metrics.accounts import conform_accounts
from metrics.sources import scan
from segments.rules import assign_segments
from support import Project, ProjectFactory

ANA = "ana@example.com"
ONE_MILESTONE = "- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}\n"
ALL_METRICS = """\
- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}
- {id: m2, due_day: 30, when: {metric: logins_3d, gte: 1}}
- {id: m3, due_day: 30, when: {metric: users, gte: 1}}
- {id: m4, due_day: 30, when: {metric: users_3d, gte: 1}}
- {id: m5, due_day: 30, when: {metric: minutes, gte: 1}}
"""
TWO_ACCOUNTS = f"a,Alpha,2026-01-01,{ANA},5000,growth\nb,Beta,2026-01-01,{ANA},100,enterprise\n"
EVENTS = "a,2026-01-05T10:00:00Z,login,u1,3\na,2026-01-06T10:00:00Z,report_created,u1,\n"


# --- journey check ---------------------------------------------------------------------------


def test_check_passes_a_valid_config(make_project: ProjectFactory) -> None:
    project = make_project(milestones=ALL_METRICS)
    code, out, _ = project.cli("check")
    assert code == 0
    assert "config OK: 0 ICP(s), 1 segment rule(s), 5 metric(s), 1 journey(s)" in out


def test_misspelt_metric_names_the_line_and_what_to_write(make_project: ProjectFactory) -> None:
    project = make_project(milestones=ALL_METRICS)
    project.write(
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - id: first_login\n    due_day: 3\n"
        "    when: {metric: loginz, gte: 1}\n",
    )
    code, out, err = project.cli("check")
    assert code == 3
    assert "config/journeys/j.yaml:5:20: error: milestones.0.when.metric: metric `loginz`" in out
    assert "    5 |     when: {metric: loginz, gte: 1}" in out
    assert "  hint: did you mean `logins`?" in out
    assert "Traceback" not in out + err


def test_check_json_lists_every_problem_with_its_position(make_project: ProjectFactory) -> None:
    project = make_project(milestones=ALL_METRICS)
    project.write("config/segments.yaml", "segments:\n  - {id: a, journey: jj, when: always}\n")
    code, out, _ = project.cli("check", "--format", "json")
    assert code == 3
    report = json.loads(out)
    assert report["ok"] is False and report["errors"] == 1
    [problem] = [p for p in report["problems"] if p["severity"] == "error"]
    assert problem == {
        "file": "config/segments.yaml",
        "line": 2,
        "column": 22,
        "key": "segments.0.journey",
        "message": "journey `jj` is not defined in journeys/",
        "hint": "did you mean `j`?",
        "severity": "error",
        "code": "undefined-journey",
        "source": "  - {id: a, journey: jj, when: always}",
    }


def test_warnings_fail_only_with_strict(make_project: ProjectFactory) -> None:
    project = make_project(milestones=ONE_MILESTONE)  # four metrics are unused
    code, out, _ = project.cli("check")
    assert code == 0
    assert "warning: metrics.users: metric `users` is not used by any milestone" in out
    code, out, _ = project.cli("check", "--strict", "--format", "json")
    assert code == 3
    report = json.loads(out)
    assert report["ok"] is False and report["errors"] == 0 and report["warnings"] == 4


def test_check_with_data_finds_missing_fields_types_and_events(
    make_project: ProjectFactory,
) -> None:
    project = make_project(
        milestones=ALL_METRICS,
        accounts=TWO_ACCOUNTS,
        events=EVENTS,
        metrics="""\
        metrics:
          logins:    {count: events, where: {field: event, eq: logni}}
          logins_3d: {count: events, where: {field: event, in: [login, report_create]}}
          users:     {distinct: user_id}
          users_3d:  {distinct: usr, window_days: 3}
          minutes:   {sum: value}
        """,
        segments="""\
        segments:
          - {id: big, journey: j, when: {field: arr, gte: "1000"}}
          - {id: growth, journey: j, when: {field: plna, eq: growth}}
          - {id: rest, journey: j, when: always}
        """,
    )
    assert project.cli("check")[0] == 0  # without data, nothing to object to
    code, out, _ = project.cli("check", "--with-data", "--format", "json")
    assert code == 3
    found = {
        (p["file"], p["line"], p["severity"], p["message"], p["hint"])
        for p in json.loads(out)["problems"]
    }
    assert found == {
        (
            "config/segments.yaml",
            2,
            "error",
            "`arr ≥ 1000` compares number column `arr` with text '1000'",
            "write the number without quotes: `gte: 1000`",
        ),
        (
            "config/segments.yaml",
            3,
            "error",
            "the accounts source has no column `plna`",
            "did you mean `plan`?",
        ),
        (
            "config/metrics.yaml",
            2,
            "warning",
            "no `logni` event occurs in the events source",
            "did you mean `login`?",
        ),
        (
            "config/metrics.yaml",
            3,
            "warning",
            "no `report_create` event occurs in the events source",
            "did you mean `report_created`?",
        ),
        (
            "config/metrics.yaml",
            5,
            "error",
            "the events source has no column `usr`",
            "did you mean `user_id`?",
        ),
    }


def test_check_with_data_warns_of_summed_text_that_is_not_a_number(
    make_project: ProjectFactory,
) -> None:
    events = (
        'a,2026-01-05T10:00:00Z,login,u1,"3,5"\n'  # a decimal comma: read as empty
        "a,2026-01-05T11:00:00Z,login,u1,4\n"
        "a,2026-01-06T10:00:00Z,login,u1, \n"  # empty: nothing to say
        'a,2026-01-07T10:00:00Z,login,u1,"1.234,5"\n'
        'b,2026-01-07T10:00:00Z,login,u2,"3,5"\n'
        "b,2026-01-08T10:00:00Z,login,u2,n/a\n"
        "b,2026-01-09T10:00:00Z,login,u2,7\n"
    )
    metrics = """\
        metrics:
          logins:    {count: events}
          logins_3d: {count: events, window_days: 3}
          users:     {distinct: user_id}
          users_3d:  {distinct: user_id, window_days: 3}
          minutes:   {sum: value}
        """
    project = make_project(
        milestones=ALL_METRICS, accounts=TWO_ACCOUNTS, events=events, metrics=metrics
    )
    code, out, _ = project.cli("check", "--with-data", "--format", "json")
    assert code == 0, out  # a warning
    (problem,) = json.loads(out)["problems"]
    assert (problem["file"], problem["line"], problem["severity"], problem["code"]) == (
        "config/metrics.yaml",
        6,
        "warning",
        "not-a-number",
    )
    assert problem["message"] == (
        "the events source's `value` holds text that is not a number ('3,5', '1.234,5', "
        "'n/a'): a run reads such a value as empty, so this sum comes out too low"
    )
    assert "`schema: {value: float}`" in problem["hint"]
    assert project.cli("check", "--with-data", "--strict")[0] == 3
    numbers = make_project(
        milestones=ALL_METRICS, accounts=TWO_ACCOUNTS, events=EVENTS, metrics=metrics
    )
    code, out, _ = numbers.cli("check", "--with-data", "--strict")
    assert code == 0, out  # numbers, and an empty value: nothing to say


# --- journey schema --------------------------------------------------------------------------


def test_schema_writes_one_file_per_kind(make_project: ProjectFactory, tmp_path: Path) -> None:
    project = make_project(milestones=ONE_MILESTONE)
    code, _, err = project.cli("schema", "--out", str(tmp_path / "schemas"))
    assert code == 0, err
    written = {p.name: p.read_text() for p in (tmp_path / "schemas").iterdir()}
    assert written == schema_texts()
    code, _, err = project.cli("schema")  # default: next to the config files
    assert code == 0, err
    assert {p.name for p in (project.config_dir / "schemas").iterdir()} == set(written)
    code, out, _ = project.cli("schema", "--out", "-")
    assert code == 0
    assert set(json.loads(out)) == set(written)
    assert set(written) == {
        f"{kind}.schema.json" for kind in ("settings", "icp", "segments", "metrics", "journey")
    }


# --- journey explain -------------------------------------------------------------------------

NESTED_SEGMENTS = """\
segments:
  - id: big
    journey: j
    when:
      any:
        - {field: plan, eq: enterprise}
        - all:
            - {field: arr, gte: 1000}
            - not: {field: plan, eq: trial}
  - {id: rest, journey: j, when: always}
"""


def _explain_project(make_project: ProjectFactory) -> Project:
    return make_project(
        milestones=ONE_MILESTONE + "- {id: habit, due_day: 30, when: {metric: logins, gte: 10}}\n",
        accounts=f"a,Alpha,2026-01-01,{ANA},5000,growth\n",
        events=EVENTS,
        segments=NESTED_SEGMENTS,
        icp="icps:\n  - id: saas\n    min_fit: 0.5\n    criteria:\n"
        "      - {field: plan, eq: growth}\n      - {field: arr, gte: 10000, weight: 3}\n",
    )


def test_explain_shows_each_node_with_its_truth_and_each_milestone(
    make_project: ProjectFactory,
) -> None:
    project = _explain_project(make_project)
    code, out, err = project.cli("explain", "a", "--as-of", "2026-01-10")
    assert code == 0, err
    lines = out.splitlines()
    rule = lines.index("  1. big -> j  [MATCH]")
    assert lines[rule + 1 : rule + 8] == [
        "       true   any of:",
        "       false    plan = enterprise   (plan = 'growth')",
        "       true     all of:",
        "       true       arr ≥ 1000   (arr = 5000)",
        "       true       not:",
        "       false        plan = trial   (plan = 'growth')",
        "",
    ]
    assert "  saas: fit 0.25 (min 0.50) -> does not fit" in lines
    assert "     true   plan = growth   (plan = 'growth')   [weight 1]" in lines
    assert "     false  arr ≥ 10000   (arr = 5000)   [weight 3]" in lines
    assert "Journey: Test journey — status on_track" in lines
    first = lines.index(
        "  first_login: due 2026-01-04 (day 3), achieved 2026-01-05 -> done_late, 1 days late"
    )
    assert lines[first + 1 : first + 5] == [
        "     on its due day:",
        "       false  logins ≥ 1   (logins = 0)",
        "     today:",
        "       true   logins ≥ 1   (logins = 1)",
    ]
    habit = lines.index("  habit: due 2026-01-31 (day 30), achieved not yet -> pending")
    assert lines[habit + 1] == "     on its due day: not reached yet"


def test_explain_json(make_project: ProjectFactory) -> None:
    project = _explain_project(make_project)
    code, out, _ = project.cli("explain", "a", "--as-of", "2026-01-10", "--format", "json")
    assert code == 0
    data = json.loads(out)
    [rule] = data["segment_rules"]
    assert rule["segment"] == "big" and rule["matched"] is True
    assert [c["holds"] for c in rule["condition"]["children"]] == [False, True]
    assert data["status"] == "on_track"
    assert [(m["milestone"], m["state"]) for m in data["milestones"]] == [
        ("first_login", "done_late"),
        ("habit", "pending"),
    ]


def test_explain_unknown_account_is_a_usage_error(make_project: ProjectFactory) -> None:
    project = _explain_project(make_project)
    code, _, err = project.cli("explain", "zzz", "--as-of", "2026-01-10")
    assert code == 2
    assert "zzz" in err and "Traceback" not in err


# --- journey segments diff -------------------------------------------------------------------


def _diff_project(make_project: ProjectFactory, tmp_path: Path) -> tuple[Project, Path]:
    project = make_project(milestones=ONE_MILESTONE, accounts=TWO_ACCOUNTS, events=EVENTS)
    proposed = tmp_path / "proposed"
    shutil.copytree(project.config_dir, proposed)
    (proposed / "segments.yaml").write_text(
        "segments:\n  - {id: big, journey: j2, when: {field: plan, eq: enterprise}}\n"
        "  - {id: rest, journey: j, when: always}\n"
    )
    (proposed / "journeys" / "j2.yaml").write_text(
        "id: j2\nmilestones:\n  - {id: any_login, due_day: 3, when: {metric: logins, gte: 0}}\n"
    )
    return project, proposed


def test_segments_diff_counts_each_transition(make_project: ProjectFactory, tmp_path: Path) -> None:
    project, proposed = _diff_project(make_project, tmp_path)
    args = ("segments", "diff", "--against", str(proposed), "--as-of", "2026-01-10")
    code, out, err = project.cli(*args, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"] == {"accounts": 2, "changed": 2, "segment": 2, "journey": 1, "status": 1}
    assert data["transitions"]["segment"] == [
        {"from": "everyone", "to": "big", "accounts": 1, "sample": ["b"]},
        {"from": "everyone", "to": "rest", "accounts": 1, "sample": ["a"]},
    ]
    assert data["transitions"]["journey"] == [
        {"from": "j", "to": "j2", "accounts": 1, "sample": ["b"]}
    ]
    assert data["transitions"]["status"] == [
        {"from": "off_track", "to": "completed", "accounts": 1, "sample": ["b"]}
    ]
    code, out, _ = project.cli(*args)
    assert code == 0
    assert "2 account(s) would change: segment 2, journey 1, status 1" in out
    assert "       1  off_track -> completed   e.g. b" in out


def test_segments_diff_of_an_invalid_proposal_exits_3(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    project, proposed = _diff_project(make_project, tmp_path)
    (proposed / "segments.yaml").write_text("segments:\n  - {id: a, journey: jj, when: always}\n")
    code, _, err = project.cli("segments", "diff", "--against", str(proposed))
    assert code == 3
    assert "proposed/segments.yaml:2:22" in err
    assert "did you mean `j`?" in err


def test_segments_diff_with_no_change(make_project: ProjectFactory) -> None:
    project = make_project(milestones=ONE_MILESTONE, accounts=TWO_ACCOUNTS, events=EVENTS)
    code, out, _ = project.cli(
        "segments", "diff", "--against", str(project.config_dir), "--as-of", "2026-01-10"
    )
    assert code == 0
    assert "No account would change segment, journey or status." in out


def test_explain_an_account_no_rule_matches_and_one_not_started(
    make_project: ProjectFactory,
) -> None:
    project = make_project(
        milestones=ONE_MILESTONE,
        accounts=f"a,Alpha,2026-01-01,{ANA},5000,growth\nlater,Later,2026-02-01,{ANA},1,x\n",
        segments="segments:\n  - {id: x, journey: j, when: {field: plan, eq: x}}\n",
    )
    code, out, _ = project.cli("explain", "a", "--as-of", "2026-01-10")
    assert code == 0
    assert "  no rule matched: the account is not evaluated (add a `when: always` rule)" in out
    assert "Journey:" not in out
    code, out, _ = project.cli("explain", "later", "--as-of", "2026-01-10")
    assert code == 0
    assert "  1. x -> j  [MATCH]" in out
    assert "  not evaluated: the account starts after as_of" in out


def test_segments_diff_defaults_to_the_latest_run(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    project, proposed = _diff_project(make_project, tmp_path)
    assert project.cli("run", "--as-of", "2026-01-10")[0] == 0
    code, out, err = project.cli("segments", "diff", "--against", str(proposed))
    assert code == 0, err
    assert ", as of 2026-01-10 (2 accounts)" in out.splitlines()[0]


def test_segments_diff_evaluates_again_only_the_accounts_whose_journey_changes(
    make_project: ProjectFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proposal that changes segments only: the shortcut (an account keeping its journey
    keeps its status) reports exactly what evaluating both configs in full reports."""
    project = make_project(
        milestones=ONE_MILESTONE,
        accounts=(
            f"a,Alpha,2026-01-01,{ANA},5000,growth\nb,Beta,2026-01-01,{ANA},100,enterprise\n"
            f"c,Gamma,2026-01-01,{ANA},50,growth\nlate,Later,2026-02-01,{ANA},1,enterprise\n"
        ),
        events=EVENTS,
        segments="segments:\n  - {id: ent, journey: j2, when: {field: plan, eq: enterprise}}\n"
        "  - {id: rest, journey: j, when: always}\n",
    )
    project.write(
        "config/journeys/j2.yaml",
        "id: j2\nmilestones:\n  - {id: any_login, due_day: 3, when: {metric: logins, gte: 0}}\n",
    )
    proposed_dir = tmp_path / "proposed"
    shutil.copytree(project.config_dir, proposed_dir)
    (proposed_dir / "segments.yaml").write_text(  # no catch-all: b and late end up with none
        "segments:\n  - {id: big, journey: j2, when: {field: arr, gte: 1000}}\n"
        "  - {id: small, journey: j, when: {field: plan, eq: growth}}\n"
    )
    current = load_config(project.config_dir)
    proposed = preview.load_proposed(proposed_dir, current)
    as_of = dt.date(2026, 1, 10)
    accounts, _ = conform_accounts(scan(current.settings.sources.accounts, current.root, "x"))
    in_full = account_changes(
        *(
            placements(
                assign_segments(accounts.lazy(), c.segments, c.icps).collect(),
                evaluate(c, as_of).accounts,
            )
            for c in (current, proposed)
        )
    )
    evaluated: list[list[str] | None] = []

    def spy(config: Config, day: dt.date, only: pl.Series | None = None) -> Evaluation:
        evaluated.append(None if only is None else sorted(only.to_list()))
        return evaluate(config, day, only=only)

    monkeypatch.setattr(preview, "evaluate", spy)
    diff = preview.segments_diff(current, proposed, as_of)
    assert evaluated == [None, ["a", "b", "late"]]
    # Only the named accounts' rows are read: b has none, a the newest.
    assert evaluate(proposed, as_of, only=pl.Series(["b"])).newest_usage_day is None
    assert evaluate(proposed, as_of, only=pl.Series(["a"])).newest_usage_day == dt.date(2026, 1, 6)
    assert_frame_equal(diff.changes, in_full, check_row_order=False)
    assert set(diff.changes["account_id"]) == {"a", "b", "c", "late"}


def stored_results(config: Config, as_of: dt.date) -> pl.DataFrame | None:
    """What `segments diff` takes from the store for `config` on `as_of`, if anything."""
    return preview.stored_statuses(config, as_of, *stored_runs(config))


def test_segments_diff_reads_the_current_results_from_the_store_only_while_they_are_current(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    project, proposed = _diff_project(make_project, tmp_path)
    as_of = dt.date(2026, 1, 10)
    current = load_config(project.config_dir)
    assert stored_results(current, as_of) is None  # no store yet
    assert not (project.root / "journey.db").exists()  # and the preview did not make one
    assert project.cli("run", "--as-of", "2026-01-10")[0] == 0
    stored = stored_results(current, as_of)
    assert stored is not None
    evaluated = evaluate(current, as_of).accounts.select("account_id", "status")
    assert_frame_equal(stored, evaluated, check_row_order=False)
    assert stored_results(current, dt.date(2026, 1, 11)) is None  # another day
    events = project.root / "data" / "events.csv"
    events.write_text(events.read_text() + "b,2026-01-06T10:00:00Z,login,u9,\n")
    assert stored_results(current, as_of) is None  # the data changed since
    code, out, err = project.cli("segments", "diff", "--against", str(proposed), "--format", "json")
    assert code == 0, err
    # On today's data b logged in (late): completed either way. The stored results would
    # still have it off track, and moving to completed.
    assert json.loads(out)["transitions"]["status"] == []
