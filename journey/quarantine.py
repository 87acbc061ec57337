"""Quarantined rows kept in files, so that nothing set aside is lost.

After a run is stored, the rows it set aside are written to
``<project>/quarantine/<as_of>/<source>.csv`` (the source's columns as text, plus `reason`).
A re-run of the date replaces that folder. Usage sources are read again only when the run set
rows of them aside, so a clean night costs nothing.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import polars as pl

from journey.config import Config
from journey.evaluate import Evaluation
from journey.scratch import process_scratch
from journey.usage_sql import watermarked
from metrics.accounts import conform_accounts
from metrics.sources import scan
from metrics.usage import rejected_rows

log = logging.getLogger("journey")

QUARANTINE_DIR = "quarantine"


def quarantine_folder(config: Config, evaluation: Evaluation) -> Path:
    return config.root / QUARANTINE_DIR / evaluation.as_of.isoformat()


def quarantined_sources(evaluation: Evaluation) -> list[str]:
    """The sources with rows set aside (not those only `kept` with a value read as empty)."""
    return sorted({q.source for q in evaluation.quarantine if q.rows and not q.kept})


def rejected_frames(config: Config, evaluation: Evaluation) -> dict[str, pl.DataFrame]:
    """Per source, the rows this run set aside, as they were in the source."""
    sources = quarantined_sources(evaluation)
    frames: dict[str, pl.DataFrame] = {}
    if "accounts" in sources:
        parts = [q.rejected for q in evaluation.quarantine if q.rejected is not None]
        frames["accounts"] = pl.concat(parts, how="diagonal_relaxed")
    usage = [s for s in sources if s in ("events", "daily")]
    if usage:
        spec = config.settings.sources
        accounts, _ = conform_accounts(scan(spec.accounts, config.root, "accounts"))
        known = accounts.lazy().select("account_id")
        for name in usage:
            # Only the files this run read: an incremental run reads the new ones.
            # Rows of files read again, up to the last run's day, were that run's to report.
            # A SQL source read from a watermark on: the rows from there on.
            files = evaluation.files_read.get(name)
            counted = evaluation.read_again.get(name)
            raw = scan(
                watermarked(getattr(spec, name), evaluation.watermarks.get(name)),
                config.root,
                name,
                files=list(files) if files else None,
                file_column=counted is not None,
                spill=lambda: process_scratch(config),
            )
            frames[name] = rejected_rows(
                raw,
                known,
                name,
                name,
                timezone=config.settings.timezone,
                counted=([str(p) for p in counted[0]], counted[1]) if counted else None,
            ).collect()
    return frames


def write_quarantine(config: Config, evaluation: Evaluation) -> list[Path]:
    """Write the run's set-aside rows under quarantine/<as_of>/; returns the files written.

    Called after the run is committed: a failure here is logged, never undoes the run.
    """
    folder = quarantine_folder(config, evaluation)
    written: list[Path] = []
    try:
        frames = rejected_frames(config, evaluation)
        if folder.exists():
            shutil.rmtree(folder)  # a re-run of the date replaces its quarantine
        for source, frame in frames.items():
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{source}.csv"
            partial = path.with_suffix(".csv.partial")
            frame.write_csv(partial)
            os.replace(partial, path)  # readers never see half a file
            written.append(path)
    except (OSError, pl.exceptions.PolarsError, ValueError) as exc:
        log.warning("warning: could not keep the quarantined rows in %s: %s", folder, exc)
    return written
