"""A corpus of broken configs: each names the file, the line, the message and the hint.

Every case starts from a valid project (tests/support.py) and replaces one file with inline
YAML. The assertion is what a CS ops person reads: `file:line`, the message, the hint.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from journey.config.errors import ConfigProblem
from journey.config.loader import validate_config
from support import ProjectFactory

MILESTONES = "- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}\n"
ALL_METRICS_USED = """\
- {id: m1, due_day: 3, when: {metric: logins, gte: 1}}
- {id: m2, due_day: 3, when: {metric: logins_3d, gte: 1}}
- {id: m3, due_day: 3, when: {metric: users, gte: 1}}
- {id: m4, due_day: 3, when: {metric: users_3d, gte: 1}}
- {id: m5, due_day: 3, when: {metric: minutes, gte: 1}}
"""
SETTINGS_HEAD = (
    "sources:\n  accounts: {path: data/accounts.csv}\n  events: {path: data/events.csv}\n"
)
ICP = """\
icps:
  - id: mid_market_saas
    criteria:
      - {field: plan, eq: growth}
"""


@dataclass(frozen=True)
class Case:
    """One broken file and the problem it must produce."""

    id: str
    file: str  # relative to the project root
    text: str
    line: int
    message: str
    hint: str | None = None
    severity: str = "error"
    icp: str | None = None


CASES = [
    # --- settings.yaml: unknown keys, enums, types, model rules --------------------------
    Case(
        "unknown-top-key",
        "config/settings.yaml",
        "timezon: UTC\n" + SETTINGS_HEAD,
        1,
        "unknown key `timezon`",
        "did you mean `timezone`?",
    ),
    Case(
        "unknown-email-key",
        "config/settings.yaml",
        SETTINGS_HEAD + "email: {from: a@example.com, smtp_hots: mail}\n",
        4,
        "unknown key `smtp_hots`",
        "did you mean `smtp_host`?",
    ),
    Case(
        "enum-security",
        "config/settings.yaml",
        SETTINGS_HEAD + "email: {from: a@example.com, security: starttsl}\n",
        4,
        "'starttls', 'ssl' or 'none'",
        "did you mean `starttls`?",
    ),
    Case(
        "int-port",
        "config/settings.yaml",
        SETTINGS_HEAD + "email: {from: a@example.com, smtp_port: twentyfive}\n",
        4,
        "expected a whole number, got `twentyfive`",
    ),
    Case(
        "freshness-order",
        "config/settings.yaml",
        SETTINGS_HEAD + "freshness:\n  warn_after_days: 5\n  error_after_days: 2\n",
        4,
        "error_after_days must be >= warn_after_days",
    ),
    Case(
        "unknown-timezone",
        "config/settings.yaml",
        SETTINGS_HEAD + "timezone: Mars/Olympus\n",
        4,
        "unknown timezone 'Mars/Olympus'",
    ),
    Case(
        "timezone-polars-lacks",  # zoneinfo has `Factory`; polars, which converts times, not
        "config/settings.yaml",
        SETTINGS_HEAD + "timezone: Factory\n",
        4,
        "unknown timezone 'Factory'",
    ),
    Case(
        "missing-sources",
        "config/settings.yaml",
        "timezone: UTC\n",
        1,
        "missing required key `sources`",
    ),
    Case(
        "unknown-source-key",
        "config/settings.yaml",
        "sources:\n  accounts: {path: data/accounts.csv, colums: {id: account_id}}\n",
        2,
        "unknown key `colums`",
        "did you mean `columns`?",
    ),
    Case(
        "email-pattern",
        "config/settings.yaml",
        SETTINGS_HEAD + "email: {from: cs-ops}\n",
        4,
        "`cs-ops` is not an email address",
        "name@example.com",
    ),
    # --- YAML itself -----------------------------------------------------------------------
    Case(
        "tab",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n\t- {id: a, due_day: 1}\n",
        3,
        "tab character",
        "replace each tab with spaces",
    ),
    Case(
        "duplicate-key",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - id: a\n    due_day: 1\n    due_day: 2\n"
        "    when: {metric: logins, gte: 1}\n",
        5,
        "duplicate key `due_day`",
    ),
    Case(
        "unclosed-bracket",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - {id: a, due_day: 1, when: {metric: logins, gte: 1}\n"
        "  - {id: b, due_day: 2, when: always}\n",
        4,
        "expected ',' or '}'",
    ),
    Case(
        "key-without-colon",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - id a\n    due_day: 1\n",
        4,
        "mapping values are not allowed here",
        "line 3 (`- id a`) is not `key: value`: it needs a colon followed by a space",
    ),
    Case(
        "key-without-space",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - id:a  # first\n\n    due_day: 1\n",
        5,
        "expected <block end>",
        "line 3 (`- id:a  # first`) is not `key: value`",
    ),
    Case(
        "colon-in-value",
        "config/journeys/j.yaml",
        "id: j\nname: Onboarding: EMEA\nmilestones:\n  - {id: a, due_day: 1}\n",
        2,
        "mapping values are not allowed here",
        'a value with ": " in it needs quotes',
    ),
    Case(
        "misindented-key",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - id: a\n     due_day: 1\n",
        4,
        "mapping values are not allowed here",
        "check the indentation (keys of one mapping start in the same column)",
    ),
    Case("empty-file", "config/metrics.yaml", "# nothing yet\n", 1, "the file is empty"),
    Case(
        "top-level-list",
        "config/segments.yaml",
        "- id: a\n  journey: j\n",
        1,
        "expected a mapping of keys at the top",
    ),
    Case(
        "yaml11-no",
        "config/segments.yaml",
        "segments:\n  - id: a\n    journey: j\n    when: {field: plan, eq: no}\n"
        "  - {id: b, journey: j, when: always}\n",
        4,
        "unquoted `no` is read as the text",
        'write "no" (quoted)',
        "warning",
    ),
    Case(
        "yaml11-on-in-list",
        "config/segments.yaml",
        "segments:\n  - id: a\n    journey: j\n    when: {field: plan, in: [On, off]}\n"
        "  - {id: b, journey: j, when: always}\n",
        4,
        "unquoted `On`",
        None,
        "warning",
    ),
    Case(
        "yaml11-critical-yes",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - id: a\n    due_day: 1\n    critical: yes\n"
        "    when: {metric: logins, gte: 1}\n",
        5,
        "unquoted `yes`",
        "true/false",
        "warning",
    ),
    # --- references across files -----------------------------------------------------------
    Case(
        "misspelt-metric",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - {id: a, due_day: 3, when: {metric: loginz, gte: 1}}\n",
        3,
        "metric `loginz` is not defined in metrics.yaml",
        "did you mean `logins`?",
    ),
    Case(
        "unknown-metric-lists-choices",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - id: a\n    due_day: 3\n    when:\n      all:\n"
        "        - {metric: logins, gte: 1}\n        - {metric: zzz, gte: 1}\n",
        8,
        "metric `zzz` is not defined",
        "metrics allowed here: `logins`",
    ),
    Case(
        "undefined-journey",
        "config/segments.yaml",
        "segments:\n  - {id: a, journey: jj, when: always}\n",
        2,
        "journey `jj` is not defined in journeys/",
        "did you mean `j`?",
    ),
    Case(
        "undefined-icp",
        "config/segments.yaml",
        "segments:\n  - id: a\n    journey: j\n    when: {icp: mid_market_sass}\n"
        "  - {id: b, journey: j, when: always}\n",
        4,
        "ICP `mid_market_sass` is not defined in icp.yaml",
        "did you mean `mid_market_saas`?",
        icp=ICP,
    ),
    Case(
        "milestone-uses-field",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - {id: a, due_day: 3, when: {field: plan, eq: x}}\n",
        3,
        "milestone conditions compare metrics: use `metric:`",
    ),
    Case(
        "segment-uses-metric",
        "config/segments.yaml",
        "segments:\n  - id: a\n    journey: j\n    when:\n      not: {metric: logins, gte: 1}\n"
        "  - {id: b, journey: j, when: always}\n",
        5,
        "segment rules compare account fields",
    ),
    # --- ids and rule order ----------------------------------------------------------------
    Case(
        "milestone-id-twice",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - {id: a, due_day: 1, when: {metric: logins, gte: 1}}\n"
        "  - {id: b, due_day: 2, when: {metric: logins, gte: 2}}\n"
        "  - {id: a, due_day: 3, when: {metric: logins, gte: 3}}\n",
        5,
        "milestone id `a` is used twice",
        "give each milestone of a journey its own id",
    ),
    Case(
        "segment-id-twice",
        "config/segments.yaml",
        "segments:\n  - {id: a, journey: j, when: {field: plan, eq: x}}\n"
        "  - {id: a, journey: j, when: always}\n",
        3,
        "segment id `a` is used twice (first on line 2)",
    ),
    Case(
        "icp-id-twice",
        "config/icp.yaml",
        "icps:\n  - {id: p, criteria: [{field: plan, eq: x}]}\n"
        "  - {id: p, criteria: [{field: plan, eq: y}]}\n",
        3,
        "ICP id `p` is used twice",
    ),
    Case(
        "no-catch-all",
        "config/segments.yaml",
        "segments:\n  - id: a\n    journey: j\n    when: {field: plan, eq: x}\n",
        4,
        "no catch-all",
        "when: always",
        "warning",
    ),
    Case(
        "shadowed-by-always",
        "config/segments.yaml",
        "segments:\n  - {id: everyone, journey: j, when: always}\n"
        "  - {id: big, journey: j, when: {field: arr, gte: 1000}}\n",
        3,
        "segment `big` can never match: segment `everyone` above it matches every account",
        "move `big` above `everyone`",
    ),
    Case(
        "shadowed-by-same-condition",
        "config/segments.yaml",
        "segments:\n  - {id: a, journey: j, when: {field: plan, eq: x}}\n"
        "  - {id: b, journey: j, when: {field: plan, eq: x}}\n"
        "  - {id: c, journey: j, when: always}\n",
        3,
        "has the same condition",
    ),
    Case(
        "unused-metric",
        "config/metrics.yaml",
        "metrics:\n  logins: {count: events, where: {field: event, eq: login}}\n"
        "  spare: {count: events}\n",
        3,
        "metric `spare` is not used by any milestone",
        None,
        "warning",
    ),
    Case(
        "journey-id-twice",
        "config/journeys/k.yaml",
        "id: j\nmilestones:\n  - {id: a, due_day: 1, when: {metric: logins, gte: 1}}\n",
        1,
        "journey id `j` is also used by config/journeys/j.yaml",
    ),
    Case(
        "unused-journey",
        "config/journeys/k.yaml",
        "id: k\nmilestones:\n  - {id: a, due_day: 1, when: {metric: logins, gte: 1}}\n",
        1,
        "journey `k` is not the journey of any segment rule",
        None,
        "warning",
    ),
    # --- keys and values inside conditions and metrics -------------------------------------
    Case(
        "misspelt-milestone-key",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - id: a\n    due_dya: 3\n    when: {metric: logins, gte: 1}\n",
        4,
        "unknown key `due_dya`",
        "did you mean `due_day`?",
    ),
    Case(
        "unknown-operator",
        "config/segments.yaml",
        "segments:\n  - {id: a, journey: j, when: {field: plan, equals: x}}\n"
        "  - {id: b, journey: j, when: always}\n",
        2,
        "unknown key `equals`",
        "`gte`",
    ),
    Case(
        "misspelt-operator",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - {id: a, due_day: 3, when: {metric: logins, gtee: 1}}\n",
        3,
        "unknown key `gtee`",
        "did you mean `gte`?",
    ),
    Case(
        "misspelt-combinator",
        "config/segments.yaml",
        "segments:\n  - id: a\n    journey: j\n    when:\n      alll:\n"
        "        - {field: plan, eq: x}\n  - {id: b, journey: j, when: always}\n",
        5,
        "unknown key `alll`",
        "did you mean `all`?",
    ),
    Case(
        "misspelt-always",
        "config/segments.yaml",
        "segments:\n  - {id: a, journey: j, when: allways}\n",
        2,
        "expected a condition",
        "did you mean `always`?",
    ),
    Case(
        "misspelt-metric-kind",
        "config/metrics.yaml",
        "metrics:\n  logins: {cont: events, where: {field: event, eq: login}}\n",
        2,
        "expected exactly one of `count: events|daily`",
        "did you mean `count`?",
    ),
    Case(
        "metric-source-enum",
        "config/metrics.yaml",
        "metrics:\n  logins: {count: event}\n",
        2,
        "'events' or 'daily'",
        "did you mean `events`?",
    ),
    Case(
        "window-zero",
        "config/metrics.yaml",
        "metrics:\n  logins:\n    count: events\n    window_days: 0\n",
        4,
        "greater than or equal to 1",
    ),
    Case(
        "due-day-text",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - {id: a, due_day: ten, when: {metric: logins, gte: 1}}\n",
        3,
        "expected a whole number, got `ten`",
    ),
    Case(
        "list-where-value-expected",
        "config/segments.yaml",
        "segments:\n  - id: a\n    journey: j\n    when: {field: plan, eq: [a, b]}\n"
        "  - {id: b, journey: j, when: always}\n",
        4,
        "expected a single value",
        None,
    ),
    Case(
        "two-operators",
        "config/segments.yaml",
        "segments:\n  - id: a\n    journey: j\n    when: {field: plan, eq: a, ne: b}\n"
        "  - {id: b, journey: j, when: always}\n",
        4,
        "exactly one operator",
    ),
    Case(
        "between-reversed",
        "config/icp.yaml",
        "icps:\n  - id: p\n    criteria:\n      - {field: arr, between: [10, 1]}\n",
        4,
        "`between: [low, high]` needs low <= high",
    ),
    Case(
        "id-with-space",
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - id: first login\n    due_day: 1\n"
        "    when: {metric: logins, gte: 1}\n",
        3,
        "`first login` is not a valid name",
        "no spaces",
    ),
    Case("empty-segments", "config/segments.yaml", "segments: []\n", 1, "needs at least one item"),
    Case(
        "misspelt-weight",
        "config/icp.yaml",
        "icps:\n  - id: p\n    criteria:\n      - {field: arr, gte: 10, wieght: 0.5}\n",
        4,
        "unknown key `wieght`",
        "did you mean `weight`?",
    ),
    Case(
        "metric-name-pattern",
        "config/metrics.yaml",
        "metrics:\n  my-logins: {count: events}\n",
        2,
        "not a valid name",
        "use letters, digits and `_` (no spaces)",
    ),
]


def _problems(make_project: ProjectFactory, case: Case) -> list[ConfigProblem]:
    project = make_project(milestones=ALL_METRICS_USED, icp=case.icp)
    project.write(case.file, case.text)
    return list(validate_config(project.config_dir).problems)


def test_the_corpus_is_large_and_distinct() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_config_points_at_the_line(make_project: ProjectFactory, case: Case) -> None:
    problems = _problems(make_project, case)
    rel = case.file.removeprefix("config/")
    matching = [p for p in problems if case.message in p.message]
    assert matching, "\n".join(p.render() for p in problems)
    problem = matching[0]
    assert problem.file == f"config/{rel}"
    assert problem.line == case.line, problem.render()
    assert problem.severity == case.severity
    if case.hint is not None:
        assert problem.hint is not None and case.hint in problem.hint, problem.render()
    source = case.text.splitlines()[case.line - 1].replace("\t", " ")
    assert problem.source == source
    assert f"config/{rel}:{case.line}:" in problem.render()


def test_a_misspelt_key_does_not_also_report_the_key_as_missing(
    make_project: ProjectFactory,
) -> None:
    case = next(c for c in CASES if c.id == "misspelt-milestone-key")
    messages = [p.message for p in _problems(make_project, case)]
    assert "missing required key `due_day`" not in messages


def test_every_problem_in_every_file_is_reported_in_one_run(make_project: ProjectFactory) -> None:
    project = make_project(milestones=MILESTONES)
    project.write("config/settings.yaml", SETTINGS_HEAD + "timezon: UTC\n")
    project.write("config/segments.yaml", "segments:\n  - {id: a, journey: jj, when: always}\n")
    project.write(
        "config/journeys/j.yaml",
        "id: j\nmilestones:\n  - {id: a, due_day: 3, when: {metric: loginz, gte: 1}}\n",
    )
    errors = [p for p in validate_config(project.config_dir).problems if p.severity == "error"]
    assert {(p.file, p.line) for p in errors} == {
        ("config/settings.yaml", 4),
        ("config/segments.yaml", 2),
        ("config/journeys/j.yaml", 3),
    }


def test_valid_parts_of_an_invalid_file_are_still_checked(make_project: ProjectFactory) -> None:
    project = make_project(milestones=MILESTONES)
    project.write(
        "config/segments.yaml",
        "segments:\n  - {id: a, journey: j, when: {feild: plan, eq: x}}\n"
        "  - {id: b, journey: jj, when: always}\n",
    )
    messages = [p.message for p in validate_config(project.config_dir).problems]
    assert "unknown key `feild`" in messages
    assert "journey `jj` is not defined in journeys/" in messages


def test_quoted_yes_no_is_not_a_warning(make_project: ProjectFactory) -> None:
    project = make_project(milestones=MILESTONES)
    project.write(
        "config/segments.yaml",
        "segments:\n  - {id: a, journey: j, when: {field: plan, in: ['no', \"on\"]}}\n"
        "  - {id: b, journey: j, when: always}\n",
    )
    codes = [p.code for p in validate_config(project.config_dir).problems]
    assert "yaml11-boolean" not in codes


def test_render_shows_the_line_a_caret_and_the_hint(make_project: ProjectFactory) -> None:
    case = next(c for c in CASES if c.id == "misspelt-metric")
    problem = next(p for p in _problems(make_project, case) if p.code == "undefined-metric")
    assert problem.render().splitlines() == [
        "config/journeys/j.yaml:3:40: error: milestones.0.when.metric: "
        "metric `loginz` is not defined in metrics.yaml",
        "    3 |   - {id: a, due_day: 3, when: {metric: loginz, gte: 1}}",
        "      |                                        ^",
        "  hint: did you mean `logins`?",
    ]
