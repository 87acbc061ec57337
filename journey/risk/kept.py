"""The early warning's model, kept between nightly runs while its training set is unchanged.

The training set is a function of the labelled snapshot days (a fixed weekly grid,
`journey.risk.labels.training_days`), the accounts that had started by the newest label
date, the metric grid up to that date, the configuration and the options. Those are hashed
into a key; the model fitted on them is written to `.journey/model/<key>.npz` and used again
by every night whose key is the same — six nights of seven — instead of building the
training set and fitting again (the fit is deterministic, so the model is the one a fit would
give). Scoring then needs today's features only.

The file holds arrays and JSON text only (`journey.risk.trees.Forest`), read by numpy with
`allow_pickle=False`: loading it runs no code. It is a cache: a missing, foreign or
unreadable file means a fit, never a wrong score; only the newest model is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import secrets
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from journey.risk.history import History
from journey.risk.labels import first_start, training_days
from journey.risk.model import Encoding, RiskModel
from journey.risk.trees import ARRAYS, Forest

log = logging.getLogger("journey")

#: The layout of a kept model file; a file of another version is fitted again.
MODEL_VERSION = 1
SUFFIX = ".npz"


def model_folder(root: Path) -> Path:
    """Where a project (the folder holding config/) keeps its model."""
    return root / ".journey" / "model"


@dataclass(frozen=True)
class Window:
    """The training set's days: the labelled snapshot days, and their newest label date."""

    days: tuple[dt.date, ...]
    horizon: int

    @property
    def label_end(self) -> dt.date | None:
        return self.days[-1] + dt.timedelta(days=self.horizon) if self.days else None

    def describe(self) -> str:
        if not self.days:
            return "no labelled snapshot day yet"
        return f"{len(self.days)} weekly snapshot day(s) through {self.days[-1]}"


def training_window(
    history: History, as_of: dt.date, horizon: int, every: int, max_days: int
) -> Window:
    days = training_days(first_start(history, as_of), as_of, horizon, every, max_days)
    return Window(tuple(days), horizon)


def training_key(
    config_fingerprint: str, history: History, window: Window, settings: dict[str, Any]
) -> str:
    """The key of the training set of `window`: equal keys, equal training rows.

    Only what the rows are made of goes in: the grid up to the newest label date (a
    snapshot's features read its own day and before, its label the days up to its label
    date), the accounts that had started by then, the days, the configuration, the options
    (`settings`) and the versions of what builds and fits the rows.
    """
    end = window.label_end
    grid, accounts = history.grid, history.accounts
    rows = None
    if end is not None:  # the grid's rows by a mask of its hashes: no copy of the grid
        rows = grid["day"] <= end
        accounts = accounts.filter(pl.col("start_date") <= end)
    parts = {
        "version": MODEL_VERSION,
        "config": config_fingerprint,
        "polars": pl.__version__,
        "scikit-learn": _version("scikit-learn"),
        "numpy": np.__version__,
        "settings": settings,
        "days": [d.isoformat() for d in window.days],
        "accounts": _digest(accounts.sort("account_id")),
        "grid": _digest(grid, rows),
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


def _digest(frame: pl.DataFrame, rows: pl.Series | None = None) -> str:
    """A digest of a frame's rows (those where `rows` is true, if given), in order, and of
    its schema (row hashes are polars', stable within a polars version, which the key
    holds; a row's hash is of that row alone)."""
    hashes = b""
    if frame.width:
        hashed = frame.hash_rows(seed=0)
        hashes = (hashed if rows is None else hashed.filter(rows)).to_numpy().tobytes()
    schema = str(list(frame.schema.items())).encode()
    return hashlib.sha256(schema + b"\0" + hashes).hexdigest()


@dataclass(frozen=True)
class KeptModel:
    """A fitted model with what scoring needs besides it."""

    key: str
    model: RiskModel
    reference: np.ndarray  # journey.risk.explain.reference_values of its training rows
    rows: int  # labelled rows it was fitted on
    window: Window

    def describe(self) -> str:
        return f"fitted on {self.rows:,} snapshot row(s), {self.window.describe()}"


def save_model(folder: Path, kept: KeptModel) -> Path | None:
    """Write `kept` to `folder` (aside, then moved into place) and remove every other model
    there; None, with a warning, when it cannot be written (the next night fits again)."""
    meta = {
        "version": MODEL_VERSION,
        "key": kept.key,
        "features": list(kept.model.encoding.features),
        "categories": {k: list(v) for k, v in kept.model.encoding.categories.items()},
        "constant": kept.model.constant,
        "forest": kept.model.forest is not None,
        "rows": kept.rows,
        "days": [d.isoformat() for d in kept.window.days],
        "horizon": kept.window.horizon,
    }
    arrays: dict[str, np.ndarray] = {
        "meta": np.array(json.dumps(meta)),
        "reference": np.asarray(kept.reference, dtype=np.float64),
    }
    if kept.model.forest is not None:
        arrays.update(kept.model.forest.arrays)
    path = folder / f"{kept.key}{SUFFIX}"
    partial = folder / f".{kept.key}.{secrets.token_hex(4)}.partial"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # numbers, text: no pickle
        os.replace(partial, path)
    except OSError as exc:
        log.warning("warning: could not keep the early warning's model in %s: %s", folder, exc)
        partial.unlink(missing_ok=True)
        return None
    for other in folder.iterdir():
        if other != path:
            other.unlink(missing_ok=True)
    return path


def load_model(folder: Path, key: str, encoding: Encoding) -> KeptModel | None:
    """The model kept under `key` for `encoding`; None when there is none, or, with a
    warning, when it cannot be read or is not what its name says."""
    path = folder / f"{key}{SUFFIX}"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        meta = json.loads(str(arrays["meta"]))
        if meta.get("version") != MODEL_VERSION or meta.get("key") != key:
            raise ValueError("another version or key")
        categories = {k: tuple(v) for k, v in meta["categories"].items()}
        if tuple(meta["features"]) != encoding.features or categories != encoding.categories:
            raise ValueError("fitted for other features")
        reference = arrays["reference"]
        if reference.dtype != np.float64 or reference.shape != (len(encoding.features),):
            raise ValueError("reference values of the wrong shape")
        forest = Forest.checked({n: arrays[n] for n in ARRAYS}) if meta["forest"] else None
        if forest is not None and forest.arrays["column_order"].shape[1] != reference.size:
            raise ValueError("trees for another number of features")
        model = RiskModel(encoding, forest, float(meta["constant"]))
        days = tuple(dt.date.fromisoformat(d) for d in meta["days"])
        return KeptModel(key, model, reference, int(meta["rows"]), Window(days, meta["horizon"]))
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        log.warning(
            "warning: the early warning's kept model %s cannot be used (%s); fitting again",
            path,
            exc,
        )
        return None


def describe_kept(folder: Path) -> str:
    """What is kept in `folder`, in a line (for `journey doctor`); reads the model's
    description only."""
    paths = sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []
    if not paths:
        return "no model kept: the next run with the early warning fits one"
    try:
        with np.load(paths[-1], allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
        days = [dt.date.fromisoformat(d) for d in meta["days"]]
        window = Window(tuple(days), int(meta["horizon"]))
        rows = int(meta["rows"])
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        return f"the kept model {paths[-1]} cannot be read ({exc}): the next run fits again"
    return (
        f"model kept, fitted on {rows:,} snapshot row(s), {window.describe()}: the next "
        "runs use it while what it learns from is unchanged (a week at most)"
    )
