"""Large synthetic input for benchmarks, in the documented input form (DESIGN §4).

    python benchmarks/generate.py --accounts 50000 --events 50000000 --out /tmp/journey-bench

writes a self-contained journey project:

    OUT/config/                          the example config (config/ of this repo)
    OUT/data/accounts.parquet            accounts, drawn like the demo's (journey.demo_data)
    OUT/data/events/month=YYYY-MM/YYYY-MM-DD.parquet   one file per day, hive-partitioned

(`--hourly`: a file per hour, `YYYY-MM-DDTHH.parquet`; `--csv`: CSV files instead of Parquet,
their timestamps as ISO text with an offset.)

Accounts come from `journey.demo_data.generate_accounts`. Events are drawn one day at a time
(vectorised numpy per day, so memory stays at one day's events) from a per-account profile that
borrows the demo's ideas: a hidden archetype (healthy, slow, stalled), users who join over the
first weeks, a weekday rhythm, a mix of event kinds. The total is scaled to `--events`. The
same arguments give the same files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from journey.demo_data import DEMO_AS_OF, EVENT_NAMES, generate_accounts

REPO = Path(__file__).resolve().parent.parent
_HEALTHY, _SLOW, _STALLED = 0, 1, 2
# Event kind shares, in EVENT_NAMES order (login, invite_sent, integration_connected,
# dashboard_viewed, report_created, export_run), by archetype.
_KIND_SHARES = np.array(
    [
        [0.30, 0.020, 0.002, 0.50, 0.030, 0.148],
        [0.32, 0.010, 0.001, 0.50, 0.012, 0.157],
        [0.36, 0.005, 0.0005, 0.52, 0.010, 0.1045],
    ]
)
_USERS = ((1, 4), (4, 15), (10, 40))  # users per account by journey tier (as in the demo)


@dataclass(frozen=True)
class Profiles:
    """Per-account arrays the daily draw works from."""

    ids: pl.Series
    start: np.ndarray  # start_date, days since 1970-01-01
    users: np.ndarray  # team size
    ramp: np.ndarray  # days until the whole team is active
    archetype: np.ndarray
    stall_day: np.ndarray
    rate: np.ndarray  # relative daily event rate of a fully active account


def tiers(accounts: pl.DataFrame) -> np.ndarray:
    """The journey tier under config/segments.yaml: 0 starter, 1 growth, 2 enterprise."""
    plan = accounts["plan"].to_numpy()
    employees = accounts["employees"].to_numpy()
    industry = accounts["industry"].to_numpy()
    enterprise = (plan == "enterprise") | (employees >= 1000)
    mid_market = np.isin(industry, ["software", "media"]) & (employees >= 200) & (employees <= 2000)
    growth = ~enterprise & ((plan == "growth") | mid_market)
    return np.where(enterprise, 2, np.where(growth, 1, 0))


def profiles(accounts: pl.DataFrame, seed: int) -> Profiles:
    rng = np.random.default_rng(seed)
    n = accounts.height
    tier = tiers(accounts)
    low = np.array([u[0] for u in _USERS])[tier]
    high = np.array([u[1] for u in _USERS])[tier]
    archetype = rng.choice(3, size=n, p=[0.55, 0.25, 0.20])
    return Profiles(
        ids=accounts["account_id"],
        start=accounts["start_date"].cast(pl.Int32).to_numpy().astype(np.int64),
        users=rng.integers(low, high + 1),
        ramp=np.choose(
            archetype, [rng.integers(3, 15, n), rng.integers(20, 60, n), np.full(n, 30)]
        ),
        archetype=archetype,
        stall_day=rng.integers(7, 30, n),
        rate=rng.lognormal(0.0, 0.5, n) * (1 + tier),
    )


def _intensity(p: Profiles, day: int) -> np.ndarray:
    """Relative expected events of every account on one calendar day (0 before its start)."""
    j = day - p.start
    weekend = (day + 3) % 7 >= 5  # 1970-01-01 was a Thursday
    shape = np.where(j >= 0, 1.0, 0.0) * (0.15 if weekend else 1.0)
    shape = shape * np.where(p.archetype == _SLOW, np.clip((j + 5) / 90, 0.1, 1.0), 1.0)
    shape = shape * np.where((p.archetype == _STALLED) & (j > p.stall_day), 0.05, 1.0)
    return p.rate * shape


def _day_events(rng: np.random.Generator, p: Profiles, day: int, scale: float) -> pl.DataFrame:
    counts = rng.poisson(_intensity(p, day) * scale)
    account = np.repeat(np.arange(counts.size), counts)
    m = account.size
    j = day - p.start[account]
    # Users join over the ramp: user k is active from day k * ramp / users on.
    active = np.minimum(p.users[account], 1 + (j * p.users[account]) // p.ramp[account])
    user = np.floor(rng.random(m) ** 1.5 * active).astype(np.int64)  # the admin is busiest
    shares = _KIND_SHARES[p.archetype[account]]
    kind = (rng.random(m)[:, None] > np.cumsum(shares, axis=1)).sum(axis=1)
    kind = np.minimum(kind, len(EVENT_NAMES) - 1)
    seconds = day * 86400 + rng.integers(0, 86400, m)
    value = np.where(kind == 0, np.round(rng.lognormal(np.log(6.0), 0.6, m), 1), np.nan)
    ids = p.ids.gather(account)
    return pl.DataFrame(
        {
            "account_id": ids,
            "timestamp": pl.Series(seconds * 1_000_000).cast(pl.Datetime("us", "UTC")),
            "event": pl.Series(EVENT_NAMES).gather(kind),
            "user_id": ids + "-u" + pl.Series(user + 1).cast(pl.String).str.zfill(2),
            "value": pl.Series(value, nan_to_null=True),
        }
    ).sort("timestamp")


def write_events(
    out: Path,
    p: Profiles,
    n_events: int,
    first: int,
    last: int,
    seed: int,
    quiet: bool = False,
    hourly: bool = False,
    fmt: str = "parquet",
) -> int:
    """Write one file per day from `first` to `last` (epoch days), or with `hourly` one per
    hour that has events (`YYYY-MM-DDTHH.<fmt>`), Parquet or CSV (`fmt`); returns the count."""
    expected = sum(float(_intensity(p, d).sum()) for d in range(first, last + 1))
    scale = n_events / expected if expected else 0.0
    written = 0
    for day in range(first, last + 1):
        rng = np.random.default_rng([seed, day])
        frame = _day_events(rng, p, day, scale)
        date = dt.date(1970, 1, 1) + dt.timedelta(days=day)
        folder = out / "data" / "events" / f"month={date:%Y-%m}"
        folder.mkdir(parents=True, exist_ok=True)
        parts = {str(date): frame}
        if hourly:
            hours = frame.with_columns(pl.col("timestamp").dt.hour().alias("_hour"))
            parts = {
                f"{date}T{hour:02d}": part.drop("_hour")
                for (hour,), part in hours.partition_by("_hour", as_dict=True).items()
            }
        for name, part in parts.items():
            if fmt == "csv":
                part.write_csv(folder / f"{name}.csv")
            else:
                part.write_parquet(folder / f"{name}.parquet", statistics=True)
        written += frame.height
        if not quiet and sys.stderr.isatty():
            print(f"\r  {date}: {written:>12,} events", end="", file=sys.stderr)
    if not quiet and sys.stderr.isatty():
        print(file=sys.stderr)
    return written


SETTINGS = """\
# Benchmark project written by benchmarks/generate.py.
timezone: UTC
sources:
  accounts: {path: data/accounts.parquet}
  events: {path: "data/events/**/*.FORMAT"}
database: sqlite:///journey.db
freshness: {warn_after_days: 1, error_after_days: 3}
report: {top_n: 15, out_dir: reports/out}
"""


def write_config(out: Path, fmt: str = "parquet") -> None:
    """`out/config/`: this repo's example config, with the benchmark's settings (events files
    in `fmt`, parquet or csv)."""
    shutil.rmtree(out / "config", ignore_errors=True)
    shutil.copytree(REPO / "config", out / "config")
    settings = SETTINGS.replace("FORMAT", fmt)
    (out / "config" / "settings.yaml").write_text(settings, encoding="utf-8")


def generate(
    out: Path,
    n_accounts: int,
    n_events: int,
    *,
    days: int = 180,
    seed: int = 7,
    as_of: dt.date = DEMO_AS_OF,
    quiet: bool = False,
    hourly: bool = False,
    fmt: str = "parquet",
) -> int:
    """Write the project under `out` (replacing its config and data); returns events written."""
    for stale in ("config", "data", "journey.db", "journey.db-wal", "journey.db-shm"):
        path = out / stale
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    write_config(out, fmt)
    (out / "data").mkdir(parents=True)
    accounts = generate_accounts(n_accounts, seed=seed, as_of=as_of, days=days)
    accounts.write_parquet(out / "data" / "accounts.parquet")
    p = profiles(accounts, seed)
    last = (as_of - dt.date(1970, 1, 1)).days
    return write_events(out, p, n_events, last - days, last, seed, quiet, hourly, fmt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hourly", action="store_true", help="A file per hour, not per day.")
    parser.add_argument("--csv", action="store_true", help="CSV files instead of Parquet.")
    parser.add_argument("--out", type=Path, default=Path("/tmp/journey-bench"))
    args = parser.parse_args()
    began = time.perf_counter()
    written = generate(
        args.out,
        args.accounts,
        args.events,
        days=args.days,
        seed=args.seed,
        hourly=args.hourly,
        fmt="csv" if args.csv else "parquet",
    )
    print(
        f"{args.accounts:,} accounts, {written:,} events in {args.out} "
        f"({time.perf_counter() - began:.0f} s)"
    )


if __name__ == "__main__":
    main()
