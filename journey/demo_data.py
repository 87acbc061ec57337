"""Deterministic demo data: accounts and product-usage events that exercise the example config.

`generate_accounts` draws plausible B2B accounts (plan, industry, size, ARR, CSM, champion, ...)
and `generate_events` draws their product usage. Each account gets a hidden archetype that is
never a column: *healthy* accounts reach the milestones of `config/journeys/*.yaml` on time,
*slow* ones reach them late, *stalled* ones fade after their first weeks (some go dark for 60+
days; about 1% never start, besides accounts that began only a day ago). Usage is sized by the
journey an account lands on under `config/segments.yaml` (not by plan alone), so a healthy
account can always reach its own milestones.

Everything is vectorised numpy (no loop per event) and a pure function of its inputs and seed:
the same call gives the same frames, byte for byte. Only `write_demo_data` touches files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

DEMO_AS_OF: date = date(2026, 6, 30)

PLANS = ("starter", "growth", "enterprise")
INDUSTRIES = (
    "software",
    "media",
    "finance",
    "insurance",
    "retail",
    "healthcare",
    "manufacturing",
    "education",
)
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
# Within one session, events happen in this order (login first).
EVENT_NAMES = (
    "login",
    "invite_sent",
    "integration_connected",
    "dashboard_viewed",
    "report_created",
    "export_run",
)
_LOGIN, _INVITE, _INTEGRATION, _DASHBOARD, _REPORT, _EXPORT = range(len(EVENT_NAMES))
_HEALTHY, _SLOW, _STALLED = 0, 1, 2
_STARTER, _GROWTH, _ENTERPRISE = 0, 1, 2  # journey tiers, indexed like PLANS


def _words(text: str) -> tuple[str, ...]:
    """Word lists are written as one string to keep them readable."""
    return tuple(text.split())


_PLAN_SHARES = (0.50, 0.35, 0.15)
_INDUSTRY_SHARES = (0.22, 0.10, 0.14, 0.08, 0.12, 0.12, 0.12, 0.10)
_REGION_SHARES = (0.45, 0.30, 0.15, 0.10)
_EMPLOYEES = ((5, 200), (50, 1500), (500, 20000))
_ARR = ((3_000, 15_000), (15_000, 80_000), (80_000, 600_000))
_SEATS = ((3, 10), (10, 50), (40, 500))  # by journey tier, always >= that tier's user count
_MODULES = ("analytics", "reporting", "dashboards", "api", "alerts", "sso", "data-sync")
_MODULE_COUNTS = ((1, 2), (2, 4), (3, 7))

_CSMS = _words(
    "ana.silva james.okafor mei.tanaka lukas.becker sofia.martinez david.cohen priya.nair tom.walsh"
)
_FIRST_NAMES = _words(
    "Priya Maria Jonas Aisha Chen Olivia Mateo Fatima Lars Grace Diego Hannah Kenji Amara "
    "Noah Leila Pablo Sara Ibrahim Emma Tariq Yuki Carlos Ingrid Omar Chloe Ravi Elena"
)
_LAST_NAMES = _words(
    "Raman Keller Novak Mensah Wong Brennan Alvarez Haddad Lindqvist Park Moreau Schmidt "
    "Nakamura Okoye Rossi Fischer Costa Patel Dubois Kowalski Ortega Andersen Yilmaz Reyes"
)
_TITLES = (
    "VP Operations",
    "Head of Data",
    "Director of Analytics",
    "CFO",
    "COO",
    "Head of Customer Success",
    "BI Lead",
    "Chief Digital Officer",
    "Revenue Operations Manager",
)
_COMPETITORS = (
    "Looker",
    "Tableau",
    "Power BI",
    "spreadsheets",
    "Metabase",
    "Qlik",
    "in-house tool",
)
_BRANDS = _words(
    "Northwind Meridian Vantage Keystone Summit Halcyon Lumen Cobalt Juniper Sterling Aurora "
    "Evergreen Granite Horizon Mosaic Nimbus Pinnacle Quantum Redwood Saffron Tidewater Vertex "
    "Willow Zenith Atlas Beacon Cascade Ember Fathom Harbor Kestrel Lighthouse Orchard Prairie "
    "Silverline Trillium Wildflower Brightwater Clearpath Fairview"
)
_BRAND_HEADS = _words("Blue Iron Silver Red North Stone Oak Bright Swift Clear Green Sun Gold West")
_BRAND_TAILS = _words("fin wood field bridge gate point stone line crest brook ridge water peak")
_CORES = {
    "software": ("Software", "Labs", "Systems", "Cloud", "Analytics", "Digital"),
    "media": ("Media", "Studios", "Publishing", "Broadcasting", "Creative"),
    "finance": ("Capital", "Financial", "Partners", "Payments", "Credit"),
    "insurance": ("Insurance", "Assurance", "Mutual", "Underwriters"),
    "retail": ("Retail", "Outfitters", "Goods", "Market", "Supply"),
    "healthcare": ("Health", "Medical", "Care", "Clinics", "Diagnostics"),
    "manufacturing": ("Manufacturing", "Industries", "Works", "Fabrication", "Logistics"),
    "education": ("Learning", "Academy", "Education", "Schools"),
}
_QUALIFIERS = ("Group", "Global", "International", "Holdings", "Collective", "Co")
_LEGAL = {
    "NA": ("Inc", "LLC", "Corp"),
    "EMEA": ("GmbH", "Ltd", "BV", "AB", "SAS"),
    "APAC": ("Pty Ltd", "Pte Ltd", "KK"),
    "LATAM": ("SA", "Ltda", "SA de CV"),
}

# Event generation, per journey tier (starter, growth, enterprise).
_USERS = ((1, 4), (4, 15), (10, 40))
_MIN_USERS = (2, 6, 12)  # above the weekly-active threshold of each journey
_SEEDED_REPORTS = ((1, 14), (3, 21), (5, 30))  # (reports, due day) of each journey
_INTEGRATION_DAYS = {  # (probability, first day, last day) by archetype, then tier
    _HEALTHY: ((0.6, 3, 25), (1.0, 2, 11), (1.0, 4, 17)),
    _SLOW: ((0.5, 15, 45), (1.0, 16, 32), (1.0, 24, 40)),
}
# Session start hour in UTC by region: working hours, so APAC lands near midnight.
_REGION_HOUR = (15.5, 9.5, 3.0, 14.5)
_TEXT_COLUMNS = _words("account_id name csm_email industry plan region products website _term")


def generate_accounts(
    n_accounts: int = 3000, *, seed: int = 7, as_of: date = DEMO_AS_OF, days: int = 180
) -> pl.DataFrame:
    """Draw `n_accounts` accounts that started within `days` days before `as_of`."""
    rng = np.random.default_rng(seed)
    n = n_accounts
    n_starter, n_growth = round(n * _PLAN_SHARES[0]), round(n * _PLAN_SHARES[1])
    plan = rng.permutation(np.repeat([0, 1, 2], [n_starter, n_growth, n - n_starter - n_growth]))
    industry = rng.choice(len(INDUSTRIES), size=n, p=_INDUSTRY_SHARES)
    region = rng.choice(len(REGIONS), size=n, p=_REGION_SHARES)
    employees = _by_plan(rng, plan, _EMPLOYEES).round().astype(np.int64)
    arr = np.round(_by_plan(rng, plan, _ARR), -2)
    arr[rng.permutation(n)[: round(n * 0.02)]] = np.nan
    tier = _journey_tier(plan, employees, industry)
    seats = _by_plan(rng, tier, _SEATS).round().astype(np.int64)
    age = rng.integers(0, days + 1, size=n)
    term = np.where((plan == _ENTERPRISE) & (rng.random(n) < 0.3), rng.integers(2, 4, n), 1)
    names, websites = _company_names(rng, industry, region)
    champion = [
        f"{_FIRST_NAMES[f]} {_LAST_NAMES[la]} ({_TITLES[t]})" if present else None
        for f, la, t, present in zip(
            rng.integers(0, len(_FIRST_NAMES), n),
            rng.integers(0, len(_LAST_NAMES), n),
            rng.integers(0, len(_TITLES), n),
            rng.random(n) >= 0.30,
            strict=True,
        )
    ]
    competitor = [
        _COMPETITORS[c] if present else None
        for c, present in zip(
            rng.integers(0, len(_COMPETITORS), n), rng.random(n) >= 0.40, strict=True
        )
    ]
    start = pl.Series((_epoch_day(as_of) - age).astype(np.int32)).cast(pl.Date)
    return pl.DataFrame(
        {
            "account_id": [f"ACC-{i:05d}" for i in range(1, n + 1)],
            "name": names,
            "csm_email": [f"{_CSMS[c]}@example.com" for c in rng.integers(0, len(_CSMS), n)],
            "arr": pl.Series(arr, dtype=pl.Float64, nan_to_null=True),
            "industry": [INDUSTRIES[i] for i in industry],
            "employees": employees,
            "plan": [PLANS[p] for p in plan],
            "region": [REGIONS[r] for r in region],
            "seats": seats,
            "products": _products(rng, plan),
            "champion": pl.Series(champion, dtype=pl.String),
            "competitor": pl.Series(competitor, dtype=pl.String),
            "website": websites,
            "_term": [f"{t}y" for t in term],
        },
        # Spelled out so that even an empty frame has the right types.
        schema_overrides=dict.fromkeys(_TEXT_COLUMNS, pl.String),
    ).select(
        "account_id",
        "name",
        start.alias("start_date"),
        "csm_email",
        "arr",
        "industry",
        "employees",
        "plan",
        "region",
        "seats",
        "products",
        pl.lit(start).dt.offset_by(pl.col("_term")).alias("contract_renewal"),
        "champion",
        "competitor",
        "website",
    )


def _journey_tier(plan: np.ndarray, employees: np.ndarray, industry: np.ndarray) -> np.ndarray:
    """The journey each account lands on under `config/segments.yaml`, as a plan index.

    Enterprise: plan enterprise or 1000+ employees. Growth: plan growth or fits the
    `mid_market_saas` ICP, which (weights 1, 1, 0.5 against min_fit 0.75) needs both the
    industry and the employee range; the region alone can never tip it.
    """
    enterprise = (plan == _ENTERPRISE) | (employees >= 1000)
    saas = np.isin(industry, [INDUSTRIES.index("software"), INDUSTRIES.index("media")])
    mid_market = saas & (employees >= 200) & (employees <= 2000)
    growth = ~enterprise & ((plan == _GROWTH) | mid_market)
    return np.where(enterprise, _ENTERPRISE, np.where(growth, _GROWTH, _STARTER))


def _by_plan(
    rng: np.random.Generator, plan: np.ndarray, ranges: tuple[tuple[int, int], ...]
) -> np.ndarray:
    """Log-uniform draws within each row's (low, high) range, chosen by plan index."""
    low = np.log(np.array([r[0] for r in ranges], dtype=float))[plan]
    high = np.log(np.array([r[1] for r in ranges], dtype=float))[plan]
    return np.exp(low + (high - low) * rng.random(plan.size))


def _company_names(
    rng: np.random.Generator, industry: np.ndarray, region: np.ndarray
) -> tuple[list[str], list[str]]:
    """Unique company names ("Bluefin Logistics GmbH") and their websites."""
    n = industry.size
    brands = [*_BRANDS, *(h + t for h in _BRAND_HEADS for t in _BRAND_TAILS)]
    brand = rng.integers(0, len(brands), n)
    core = rng.random(n)
    legal = rng.random(n)
    names, websites, used = [], [], set()
    for i in range(n):
        cores = _CORES[INDUSTRIES[industry[i]]]
        base = f"{brands[brand[i]]} {cores[int(core[i] * len(cores))]}"
        candidates = [base, *(f"{base} {q}" for q in _QUALIFIERS)]
        unique = next((c for c in candidates if c not in used), f"{base} {i + 1}")
        used.add(unique)
        suffixes = _LEGAL[REGIONS[region[i]]]
        # Half of the names carry a legal suffix; the website never does.
        suffix = suffixes[int(legal[i] * 2 * len(suffixes))] if legal[i] < 0.5 else ""
        names.append(f"{unique} {suffix}".strip())
        websites.append(unique.lower().replace(" ", "-") + ".example")
    return names, websites


def _products(rng: np.random.Generator, plan: np.ndarray) -> list[str]:
    """Comma-separated modules bought; analytics always, more modules on bigger plans."""
    low = np.array([c[0] for c in _MODULE_COUNTS])[plan]
    high = np.array([c[1] for c in _MODULE_COUNTS])[plan]
    count = rng.integers(low, high + 1)
    # A random order of the optional modules per account; take the first count - 1 of them.
    order = np.argsort(rng.random((plan.size, len(_MODULES) - 1)), axis=1) + 1
    return [
        ", ".join(_MODULES[m] for m in sorted([0, *order[i, : count[i] - 1].tolist()]))
        for i in range(plan.size)
    ]


def _epoch_day(day: date) -> int:
    return (day - date(1970, 1, 1)).days


@dataclass(frozen=True)
class _Accounts:
    """Per-account arrays the event generator works from, in the frame's row order."""

    start: np.ndarray  # start_date as days since 1970-01-01
    age: np.ndarray  # journey day of as_of
    tier: np.ndarray
    region: np.ndarray
    seats: np.ndarray
    archetype: np.ndarray
    stall_day: np.ndarray  # stalled accounts fade after this journey day
    last_day: np.ndarray  # last journey day with any activity possible
    ghost: np.ndarray  # never any activity


@dataclass(frozen=True)
class _Users:
    """Per-user arrays; users of one account are contiguous and the admin comes first."""

    account: np.ndarray
    number: np.ndarray  # 0 for the admin
    first_day: np.ndarray  # journey day of activation (a big number if never)
    invite_day: np.ndarray  # -1 for the admin, a big number if never invited
    activity: np.ndarray  # chance of being active on a working day


def _account_profiles(
    rng: np.random.Generator, accounts: pl.DataFrame, seed: int, as_of: date
) -> _Accounts:
    """Journey tier, hidden archetype and activity window of every account."""
    n = accounts.height
    codes = {
        c: accounts[c].replace_strict(v, range(len(v))).to_numpy()
        for c, v in (("plan", PLANS), ("industry", INDUSTRIES), ("region", REGIONS))
    }
    employees = accounts["employees"].fill_null(0).to_numpy()
    start = accounts["start_date"].cast(pl.Int32).to_numpy().astype(np.int64)
    age = _epoch_day(as_of) - start
    # Archetypes are dealt by rank of a hash of the account id, so the shares are exact and do
    # not depend on row order. A named champion makes an account a little likelier to be
    # healthy, so the demo has a pattern to find.
    ids = accounts["account_id"].to_list()
    luck = _hash_uniform(ids, f"{seed}/archetype")
    score = luck + 0.2 * accounts["champion"].is_not_null().to_numpy()
    archetype = np.full(n, _STALLED)
    order = np.argsort(-score, kind="stable")
    n_healthy, n_slow = round(n * 0.55), round(n * 0.25)
    archetype[order[:n_healthy]] = _HEALTHY
    archetype[order[n_healthy : n_healthy + n_slow]] = _SLOW
    stalled = archetype == _STALLED
    fate = _hash_uniform(ids, f"{seed}/fate")
    ghost = np.zeros(n, dtype=bool)
    n_ghost = max(1, round(n * 0.01)) if n >= 10 else 0
    ghost[np.flatnonzero(stalled)[np.argsort(fate[stalled], kind="stable")[:n_ghost]]] = True
    # Some stalled accounts go dark: nothing at all in the last 60+ days.
    eligible = stalled & ~ghost & (age >= 82)
    dark = eligible & (fate >= 0.55)
    if eligible.any() and not dark.any():
        dark[np.flatnonzero(eligible)[np.argmax(fate[eligible])]] = True
    stall_day = rng.integers(7, 22, n)
    return _Accounts(
        start=start,
        age=age,
        tier=_journey_tier(codes["plan"], employees, codes["industry"]),
        region=codes["region"],
        seats=accounts["seats"].fill_null(10**6).to_numpy(),
        archetype=archetype,
        stall_day=stall_day,
        last_day=np.where(dark, np.minimum(stall_day, age - 61), age),
        ghost=ghost,
    )


def _hash_uniform(keys: list[str], salt: str) -> np.ndarray:
    """A stable uniform number in [0, 1) per key (Python's hash() is salted per process)."""
    digests = (hashlib.blake2b(f"{salt}/{k}".encode(), digest_size=8).digest() for k in keys)
    return np.array([int.from_bytes(d, "big") >> 11 for d in digests], dtype=float) / 2**53


_NEVER = 10**6


def _draw_users(rng: np.random.Generator, acc: _Accounts) -> _Users:
    """Users per account, when the admin invites them, when they activate, how active they are."""
    low = np.array([u[0] for u in _USERS])[acc.tier]
    high = np.array([u[1] for u in _USERS])[acc.tier]
    count = rng.integers(low, high + 1)
    # Healthy and slow teams can reach their weekly-active milestone; slow ones are smaller.
    count = np.where(acc.archetype == _SLOW, (low + count) // 2, count)
    floor = np.where(acc.archetype == _STALLED, 1, np.array(_MIN_USERS)[acc.tier])
    count = np.maximum(count, floor)
    count = np.where(acc.ghost, 0, np.minimum(count, acc.seats))
    account = np.repeat(np.arange(count.size), count)
    number = np.arange(account.size) - np.repeat(np.cumsum(count) - count, count)
    arch = acc.archetype[account]
    admin_day = np.choose(
        acc.archetype,
        [
            rng.integers(0, 2, count.size),
            rng.integers(0, 7, count.size),
            rng.integers(0, 5, count.size),
        ],
    )[account]
    # Healthy admins invite their teams within days, slow ones over weeks.
    scale = np.array([4.0, 14.0, 6.0])[arch] + np.where(acc.tier[account] == _ENTERPRISE, 0, 1)
    invite_day = admin_day + 1 + np.floor(rng.exponential(scale)).astype(np.int64)
    invite_day = np.where(number == 0, -1, invite_day)
    invite_day = invite_day[np.lexsort((invite_day, account))]  # u02 is invited first
    # Stalled admins stop inviting when the account stalls; nobody is invited after as_of.
    limit = np.where(
        arch == _STALLED, np.minimum(acc.stall_day, acc.last_day)[account], acc.last_day[account]
    )
    invite_day = np.where(invite_day > limit, _NEVER, invite_day)
    lag = rng.integers(0, np.array([3, 7, 5])[arch])
    declines = rng.random(account.size) < np.array([0.0, 0.2, 0.4])[arch]
    first_day = np.where(number == 0, admin_day, np.where(declines, _NEVER, invite_day + lag))
    # A mix of power, regular and casual users; the admin is a power user.
    kind = np.where(number == 0, 0, np.searchsorted([0.35, 0.85], rng.random(account.size)))
    activity = rng.uniform(np.array([0.75, 0.45, 0.25])[kind], np.array([0.95, 0.75, 0.45])[kind])
    activity *= np.array([1.0, 0.55, 0.6])[arch]
    return _Users(account, number, first_day, invite_day, activity)


@dataclass(frozen=True)
class _Sessions:
    """Active user-days ("sessions") and how many events of each kind each one holds."""

    user: np.ndarray
    day: np.ndarray  # journey day
    counts: np.ndarray  # (sessions, len(EVENT_NAMES))


def _draw_sessions(rng: np.random.Generator, acc: _Accounts, users: _Users) -> _Sessions:
    """Every user-day from activation to the last possible day; active ones become sessions."""
    last = acc.last_day[users.account]
    length = np.where(users.first_day <= last, last - users.first_day + 1, 0)
    offset = np.cumsum(length) - length
    cell_user = np.repeat(np.arange(length.size), length)
    cell_day = users.first_day[cell_user] + np.arange(cell_user.size) - offset[cell_user]
    cell_acc = users.account[cell_user]
    weekend = (acc.start[cell_acc] + cell_day + 3) % 7 >= 5  # 1970-01-01 was a Thursday
    chance = users.activity[cell_user] * np.where(weekend, 0.12, 1.0)
    faded = (acc.archetype[cell_acc] == _STALLED) & (cell_day > acc.stall_day[cell_acc])
    chance *= np.where(faded, 0.08, 1.0)
    # Slow accounts warm up over the first three months.
    slow = acc.archetype[cell_acc] == _SLOW
    chance *= np.where(slow, np.clip((cell_day + 5) / 90, 0.1, 1.0), 1.0)
    active = (rng.random(cell_user.size) < chance) | (cell_day == users.first_day[cell_user])

    cells, kinds = _scheduled(rng, acc, users, offset)
    active[cells] = True
    if not np.any(active & (cell_day == acc.age[cell_acc])):
        # Keep the data fresh: someone on a healthy or slow account works on as_of.
        fresh = (cell_day == acc.age[cell_acc]) & (acc.archetype[cell_acc] != _STALLED)
        active[np.flatnonzero(fresh)[:1]] = True

    session = np.flatnonzero(active)
    m = session.size
    counts = np.zeros((m, len(EVENT_NAMES)), dtype=np.int64)
    counts[:, _LOGIN] = 1
    counts[:, _DASHBOARD] = rng.poisson(1.3, m)
    report_rate = np.array([0.12, 0.05, 0.06])[acc.archetype[cell_acc[session]]]
    counts[:, _REPORT] = rng.poisson(report_rate)
    counts[:, _EXPORT] = rng.poisson(0.1, m)
    np.add.at(counts, (np.searchsorted(session, cells), kinds), 1)
    return _Sessions(cell_user[session], cell_day[session], counts)


def _scheduled(
    rng: np.random.Generator, acc: _Accounts, users: _Users, offset: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Milestone events the admin does on given days: invites, integrations, first reports.

    Returns the user-day cell and the event kind of each one.
    """
    n = acc.age.size
    admin = np.full(n, -1)
    admin[users.account[users.number == 0]] = np.flatnonzero(users.number == 0)
    invited = (users.number > 0) & (users.invite_day < _NEVER)
    who = [admin[users.account[invited]]]
    when = [users.invite_day[invited]]
    kind = [np.full(who[0].size, _INVITE)]

    tier, arch = acc.tier, acc.archetype
    chance = np.zeros(n)
    first, final = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    for a, windows in _INTEGRATION_DAYS.items():
        for t, (p, start_day, end_day) in enumerate(windows):
            rows = (arch == a) & (tier == t)
            chance[rows], first[rows], final[rows] = p, start_day, end_day
    stalled = arch == _STALLED
    chance[stalled], first[stalled], final[stalled] = 0.25, 1, acc.stall_day[stalled]
    day = rng.integers(first, final + 1)
    integrates = rng.random(n) < chance
    again = integrates & ~stalled & (rng.random(n) < 0.4)
    for rows, days in ((integrates, day), (again, day + rng.integers(5, 60, n))):
        who.append(admin[rows])
        when.append(days[rows])
        kind.append(np.full(who[-1].size, _INTEGRATION))

    # Healthy accounts build their first reports before the due day; slow ones after it.
    reports = np.array([r[0] for r in _SEEDED_REPORTS])[tier] * (arch != _STALLED)
    due = np.array([r[1] for r in _SEEDED_REPORTS])[tier]
    account = np.repeat(np.arange(n), reports)
    lo = np.where(arch == _HEALTHY, 1, due + 1)[account]
    hi = np.where(arch == _HEALTHY, due - 3, due + 15)[account]
    who.append(admin[account])
    when.append(rng.integers(lo, hi + 1))
    kind.append(np.full(account.size, _REPORT))

    user, day_, kind_ = np.concatenate(who), np.concatenate(when), np.concatenate(kind)
    first_day = users.first_day[np.maximum(user, 0)]
    day_ = np.maximum(day_, first_day)
    ok = (user >= 0) & (day_ <= acc.last_day[users.account[np.maximum(user, 0)]])
    return (offset[user[ok]] + day_[ok] - first_day[ok]), kind_[ok]


def generate_events(
    accounts: pl.DataFrame, *, seed: int = 7, as_of: date = DEMO_AS_OF
) -> pl.DataFrame:
    """Draw product-usage events for `accounts` (as made by `generate_accounts`) up to `as_of`.

    Every event falls on a UTC day between the account's start_date and as_of, and some event
    falls on as_of itself. Sorted by (timestamp, account_id).
    """
    rng = np.random.default_rng(seed)
    acc = _account_profiles(rng, accounts, seed, as_of)
    users = _draw_users(rng, acc)
    sessions = _draw_sessions(rng, acc, users)
    return _events_frame(rng, accounts["account_id"], acc, users, sessions)


def _events_frame(
    rng: np.random.Generator,
    account_ids: pl.Series,
    acc: _Accounts,
    users: _Users,
    sessions: _Sessions,
) -> pl.DataFrame:
    """Lay each session's events out in time, then build the sorted events frame."""
    per_session = sessions.counts.sum(axis=1)
    flat = np.repeat(np.arange(sessions.counts.size), sessions.counts.ravel())
    session, kind = np.divmod(flat, len(EVENT_NAMES))
    first = np.cumsum(per_session) - per_session
    # Seconds between consecutive events of a session; strictly positive, so no duplicates.
    gap = 1 + np.floor(rng.exponential(150.0, flat.size)).astype(np.int64)
    gap[first] = 0
    elapsed = np.cumsum(gap)
    elapsed -= elapsed[first][session]
    span = elapsed[first + per_session - 1]

    account = users.account[sessions.user]
    hour = np.array(_REGION_HOUR)[acc.region[account]] + rng.normal(0.0, 2.5, per_session.size)
    odd = rng.random(per_session.size) < 0.05  # early birds, night owls and on-call staff
    hour = np.where(odd, rng.uniform(0, 24, per_session.size), hour)
    begin = np.floor(hour * 3600).astype(np.int64) % 86400
    # A session that would run past midnight starts earlier instead (same UTC day).
    late = begin + span > 86399
    begin[late] = np.maximum(0, 86399 - span[late] - rng.integers(0, 3600, late.sum()))
    day = acc.start[account] + sessions.day
    seconds = (day * 86400 + begin)[session] + elapsed

    value = np.full(flat.size, np.nan)
    login, dashboard = kind == _LOGIN, kind == _DASHBOARD
    value[login] = span[session[login]] / 60 + rng.lognormal(np.log(6.0), 0.6, login.sum())
    value[dashboard] = rng.lognormal(np.log(3.0), 0.7, dashboard.sum())
    value = np.round(value, 1)

    user = sessions.user[session]
    event_account = account[session]
    id_rank = np.argsort(np.argsort(account_ids.to_numpy(), kind="stable"), kind="stable")
    order = np.lexsort((user, id_rank[event_account], seconds))
    user_ids = pl.select(
        pl.lit(account_ids.gather(users.account))
        + "-u"
        + pl.lit(pl.Series(users.number + 1)).cast(pl.String).str.zfill(2)
    ).to_series()
    return pl.DataFrame(
        {
            "account_id": account_ids.gather(event_account[order]),
            "timestamp": pl.Series(seconds[order] * 1_000_000).cast(pl.Datetime("us", "UTC")),
            "event": pl.Series(EVENT_NAMES).gather(kind[order]),
            "user_id": user_ids.gather(user[order]),
            "value": pl.Series(value[order], nan_to_null=True),
        }
    )


def write_demo_data(data_dir: Path, accounts: pl.DataFrame, events: pl.DataFrame) -> None:
    """Write `accounts.parquet` and `events/<YYYY-MM>.parquet`, one file per calendar month.

    Stale monthly files are removed first, so writing again gives the same set of files.
    """
    events_dir = data_dir / "events"
    events_dir.mkdir(parents=True, exist_ok=True)
    for stale in events_dir.glob("*.parquet"):
        stale.unlink()
    accounts.write_parquet(data_dir / "accounts.parquet")
    month = events["timestamp"].dt.strftime("%Y-%m")
    for (key,), part in (
        events.with_columns(month.alias("_month"))
        .partition_by("_month", maintain_order=True, as_dict=True)
        .items()
    ):
        part.drop("_month").write_parquet(events_dir / f"{key}.parquet")
