"""The peer: milestone states for the example config, as a data team would write them in DuckDB.

Hand-written SQL for `config/` (segments, the ICP the segments use, the metrics the journeys
read, the three journeys), following DESIGN §6. It is the baseline `benchmarks/run.py` times
journey against, and the second opinion its results are checked against: both must give the
same (account_id, milestone, achieved_on, state) rows.

    python benchmarks/duckdb_peer.py PROJECT_DIR AS_OF OUT.parquet
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import duckdb

# One row per journey milestone: (journey, milestone, position, due_day, grace_days, achieved
# by), where "achieved by" names a column of the `achieved` CTE below.
MILESTONES = """
    ('enterprise_onboarding', 'first_login',      0,  3, 0, 'logins_1'),
    ('enterprise_onboarding', 'team_invited',     1, 10, 0, 'invites_5'),
    ('enterprise_onboarding', 'integration_live', 2, 21, 0, 'integrations_1'),
    ('enterprise_onboarding', 'first_reports',    3, 30, 0, 'reports_5'),
    ('enterprise_onboarding', 'weekly_active_10', 4, 45, 0, 'wau_10'),
    ('growth_onboarding',     'first_login',      0,  2, 2, 'logins_1'),
    ('growth_onboarding',     'integration_live', 1, 14, 2, 'integrations_1'),
    ('growth_onboarding',     'first_reports',    2, 21, 2, 'reports_3'),
    ('growth_onboarding',     'weekly_active_5',  3, 35, 2, 'wau_5'),
    ('starter_onboarding',    'first_login',      0,  2, 3, 'logins_1'),
    ('starter_onboarding',    'first_report',     1, 14, 3, 'reports_1'),
    ('starter_onboarding',    'habit_formed',     2, 30, 3, 'habit')
"""

QUERY = """
WITH accounts AS (
    SELECT
        account_id,
        start_date,
        CASE
            WHEN plan = 'enterprise' OR employees >= 1000 THEN 'enterprise_onboarding'
            WHEN plan = 'growth'
                 -- mid_market_saas: weighted share of criteria met >= 0.75
                 OR (  (CASE WHEN industry IN ('software', 'media') THEN 1 ELSE 0 END)
                     + (CASE WHEN employees BETWEEN 200 AND 2000 THEN 1 ELSE 0 END)
                     + (CASE WHEN region IN ('NA', 'EMEA') THEN 0.5 ELSE 0 END)) / 2.5 >= 0.75
                THEN 'growth_onboarding'
            ELSE 'starter_onboarding'
        END AS journey
    FROM read_parquet($accounts)
    WHERE start_date <= $as_of
),
events AS (
    SELECT e.account_id, CAST(e.timestamp AS DATE) AS day, e.event, e.user_id
    FROM {events} AS e
    JOIN accounts AS a USING (account_id)
    WHERE CAST(e.timestamp AS DATE) BETWEEN a.start_date AND $as_of
),
daily_counts AS (
    SELECT account_id, event, day, count(*) AS n
    FROM events
    WHERE event IN ('login', 'invite_sent', 'integration_connected', 'report_created')
    GROUP BY ALL
),
cumulative AS (
    SELECT account_id, event, day,
           sum(n) OVER (PARTITION BY account_id, event ORDER BY day) AS total
    FROM daily_counts
),
counts AS (
    SELECT account_id,
        min(day) FILTER (event = 'login' AND total >= 1)                  AS logins_1,
        min(day) FILTER (event = 'login' AND total >= 10)                 AS logins_10,
        min(day) FILTER (event = 'invite_sent' AND total >= 5)            AS invites_5,
        min(day) FILTER (event = 'integration_connected' AND total >= 1)  AS integrations_1,
        min(day) FILTER (event = 'report_created' AND total >= 1)         AS reports_1,
        min(day) FILTER (event = 'report_created' AND total >= 3)         AS reports_3,
        min(day) FILTER (event = 'report_created' AND total >= 5)         AS reports_5
    FROM cumulative
    GROUP BY account_id
),
user_days AS (
    SELECT DISTINCT account_id, user_id, day FROM events WHERE user_id IS NOT NULL
),
-- Distinct users in the 7 days d-6..d; it only rises on days with activity, so the first day
-- it reaches a threshold is one of these rows.
weekly_active AS (
    SELECT account_id, day,
           count(DISTINCT user_id) OVER (
               PARTITION BY account_id ORDER BY day
               RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW
           ) AS users
    FROM user_days
),
achieved AS (
    SELECT a.account_id, a.start_date, a.journey,
           c.logins_1, c.invites_5, c.integrations_1, c.reports_1, c.reports_3, c.reports_5,
           w.wau_2, w.wau_5, w.wau_10, h.habit
    FROM accounts AS a
    LEFT JOIN counts AS c USING (account_id)
    LEFT JOIN (
        SELECT account_id,
               min(day) FILTER (users >= 2)  AS wau_2,
               min(day) FILTER (users >= 5)  AS wau_5,
               min(day) FILTER (users >= 10) AS wau_10
        FROM weekly_active GROUP BY account_id
    ) AS w USING (account_id)
    LEFT JOIN (
        -- habit_formed: weekly_active_users >= 2 and logins >= 10 on the same day
        SELECT wa.account_id, min(wa.day) AS habit
        FROM weekly_active AS wa JOIN counts AS c2 USING (account_id)
        WHERE wa.users >= 2 AND wa.day >= c2.logins_10
        GROUP BY wa.account_id
    ) AS h USING (account_id)
),
milestones(journey, milestone, position, due_day, grace_days, key) AS (VALUES {milestones}),
states AS (
    SELECT a.account_id, m.milestone, m.position,
           a.start_date + m.due_day AS due_on,
           m.grace_days,
           CASE m.key
               WHEN 'logins_1' THEN a.logins_1
               WHEN 'invites_5' THEN a.invites_5
               WHEN 'integrations_1' THEN a.integrations_1
               WHEN 'reports_1' THEN a.reports_1
               WHEN 'reports_3' THEN a.reports_3
               WHEN 'reports_5' THEN a.reports_5
               WHEN 'wau_5' THEN a.wau_5
               WHEN 'wau_10' THEN a.wau_10
               WHEN 'habit' THEN a.habit
           END AS achieved_on
    FROM achieved AS a JOIN milestones AS m USING (journey)
)
SELECT account_id, milestone, achieved_on,
       CASE
           WHEN achieved_on IS NOT NULL AND achieved_on <= due_on THEN 'done'
           WHEN achieved_on IS NOT NULL THEN 'done_late'
           WHEN $as_of > due_on + grace_days THEN 'overdue'
           ELSE 'pending'
       END AS state
FROM states
ORDER BY account_id, position
"""


#: How the peer reads the events files: Parquet, or CSV with the columns typed as written.
PARQUET = "read_parquet($events)"
CSV = (
    "read_csv($events, header = true, columns = {'account_id': 'VARCHAR', "
    "'timestamp': 'TIMESTAMPTZ', 'event': 'VARCHAR', 'user_id': 'VARCHAR', 'value': 'DOUBLE'})"
)


def milestone_states(project: Path, as_of: dt.date, out: Path) -> int:
    """Compute the states and write them to `out` (Parquet); returns the number of rows."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    csv = any(project.glob("data/events/**/*.csv"))
    query = QUERY.replace("{milestones}", MILESTONES).replace("{events}", CSV if csv else PARQUET)
    params = {
        "accounts": str(project / "data" / "accounts.parquet"),
        "events": str(project / "data" / "events" / "**" / ("*.csv" if csv else "*.parquet")),
        "as_of": as_of,
    }
    con.execute(f"COPY ({query}) TO '{out}' (FORMAT parquet)", params)
    return int(con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0])  # type: ignore[index]


def main() -> None:
    project, as_of, out = Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2]), Path(sys.argv[3])
    rows = milestone_states(project, as_of, out)
    print(f"{rows} milestone rows -> {out}")


if __name__ == "__main__":
    main()
