"""journey.risk.kept: the model kept between nights while its training set is unchanged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from journey.risk.history import History, watched_history
from journey.risk.kept import load_model, model_folder, save_model, training_key, training_window
from journey.risk.service import (
    TRAINING_OPTIONS,
    RiskOptions,
    current_scores,
    encoding_for,
    risk_detail,
    scores,
    train,
)
from support import Project

from .conftest import AS_OF, write_synthetic

OPTIONS = RiskOptions(threshold=0.5)
SETTINGS = {name: getattr(OPTIONS, name) for name in TRAINING_OPTIONS}


def key_of(project: Project, history: History, as_of: dt.date) -> str:
    window = training_window(history, as_of, OPTIONS.horizon, OPTIONS.every, OPTIONS.max_days)
    return training_key(project.config().fingerprint, history, window, SETTINGS)


def test_a_kept_model_scores_as_the_fit_it_stands_for(synthetic: Project, tmp_path: Path) -> None:
    config = synthetic.config()
    history = watched_history(config, AS_OF)
    fitted = risk_detail(config, AS_OF, OPTIONS, history, keep=tmp_path)
    assert fitted.fitted and fitted.accounts.height > 0
    assert [p.name for p in tmp_path.iterdir()] == [f"{fitted.model.key}.npz"]
    kept = risk_detail(config, AS_OF, OPTIONS, history, keep=tmp_path)
    assert not kept.fitted
    assert kept.accounts.equals(fitted.accounts)  # probabilities and drivers alike
    assert risk_detail(config, AS_OF, OPTIONS, history).accounts.equals(fitted.accounts)
    assert kept.describe() == (
        f"early warning: model fitted on {fitted.model.rows:,} snapshot row(s), "
        f"{fitted.model.window.describe()} (kept from an earlier night)"
    )
    # Numbers and text only: numpy refuses to load an object array without pickle.
    with np.load(tmp_path / f"{fitted.model.key}.npz", allow_pickle=False) as data:
        assert all(data[name].dtype != object for name in data.files)


def test_the_key_follows_the_training_set_only(tmp_path: Path) -> None:
    project = write_synthetic(tmp_path / "p")
    config = project.config()
    # Seven nights share a training set: the snapshot days are Sundays.
    nights = [AS_OF + dt.timedelta(days=n) for n in range(8)]
    history = watched_history(config, nights[-1])
    keys = []
    for night in nights:
        grid = history.grid.filter(pl.col("day") <= night)
        accounts = history.accounts.filter(pl.col("start_date") <= night)
        cut = dataclasses.replace(history, until=night, grid=grid, accounts=accounts)
        keys.append(key_of(project, cut, night))
    changed = keys.index(keys[-1])
    assert 1 <= changed <= 7 and keys == [keys[0]] * changed + [keys[-1]] * (8 - changed)
    base = dataclasses.replace(history, until=AS_OF)
    key = key_of(project, base, AS_OF)
    # An account that starts after the newest label date changes nothing it learns from.
    late = base.accounts.head(1).with_columns(account_id=pl.lit("NEW"), start_date=pl.lit(AS_OF))
    more = dataclasses.replace(base, accounts=pl.concat([base.accounts, late]))
    assert key_of(project, more, AS_OF) == key
    # An attribute of an account it learns from does; so does a value of an earlier day.
    richer = base.accounts.with_columns(arr=pl.col("arr") + 1)
    assert key_of(project, dataclasses.replace(base, accounts=richer), AS_OF) != key
    first_day = base.grid["day"].min()
    changed = base.grid.with_columns(
        logins=pl.when(pl.col("day") == first_day).then(pl.col("logins") + 1).otherwise("logins")
    )
    assert key_of(project, dataclasses.replace(base, grid=changed), AS_OF) != key


def test_a_damaged_or_foreign_model_file_means_a_fit(
    synthetic: Project, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = synthetic.config()
    history = watched_history(config, AS_OF)
    fitted = risk_detail(config, AS_OF, OPTIONS, history, keep=tmp_path)
    path = tmp_path / f"{fitted.model.key}.npz"
    whole = path.read_bytes()
    encoding = encoding_for(config, history)
    for damage in (whole[: len(whole) // 2], b"not a zip file", b""):
        path.write_bytes(damage)
        with caplog.at_level(logging.WARNING, logger="journey"):
            assert load_model(tmp_path, fitted.model.key, encoding) is None
        assert "cannot be used" in caplog.text
        caplog.clear()
        again = risk_detail(config, AS_OF, OPTIONS, history, keep=tmp_path)
        assert again.fitted and again.accounts.equals(fitted.accounts)
        assert path.read_bytes() == whole  # written anew
    # A model kept under another key is not this one, and goes when another is kept.
    other = tmp_path / "0123456789abcdef.npz"
    path.rename(other)
    assert load_model(tmp_path, fitted.model.key, encoding) is None
    assert load_model(tmp_path, "0123456789abcdef", encoding) is None  # its key says otherwise
    assert save_model(tmp_path, fitted.model) == path
    assert sorted(tmp_path.iterdir()) == [path]


def test_a_night_with_a_kept_model_does_not_import_scikit_learn(tmp_path: Path) -> None:
    """Two nightly runs of the same day in fresh processes: the first fits and keeps the
    model, the second uses it; scikit-learn (about a second to import) is not loaded."""
    project = write_synthetic(tmp_path / "p")
    settings = project.config_dir / "settings.yaml"
    settings.write_text(
        settings.read_text().replace("risk: {enabled: false}", "risk: {enabled: true}")
    )
    script = (
        "import sys, datetime as dt\n"
        "from pathlib import Path\n"
        "from journey.config import load_config\n"
        "from journey.nightly import run_nightly\n"
        "from journey.store import make_engine\n"
        f"config = load_config(Path({str(project.config_dir)!r}))\n"
        f"engine = make_engine('sqlite:///{project.root / 'journey.db'}')\n"
        f"outcome = run_nightly(config, engine, dt.date.fromisoformat({AS_OF.isoformat()!r}))\n"
        "print(outcome.notes[-1])\n"
        "print('sklearn' in sys.modules)\n"
    )
    repo = Path(__file__).resolve().parents[3]
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, cwd=repo, check=True
        ).stdout.splitlines()
        for _ in range(2)
    ]
    assert runs[0][-2].endswith("(fitted tonight)") and runs[0][-1] == "True"
    assert runs[1][-2].endswith("(kept from an earlier night)") and runs[1][-1] == "False"
    assert len(list(model_folder(project.root).iterdir())) == 1


def test_current_scores_use_a_kept_model_and_never_replace_it(
    synthetic: Project, tmp_path: Path
) -> None:
    """`journey risk score`'s scores: with the model a nightly run kept, those of a fit; with
    other options, a fit of their own, and the kept model stays as it was."""
    config = synthetic.config()
    history = watched_history(config, AS_OF)
    fit, _, fitted = current_scores(config, AS_OF, OPTIONS, history)
    assert fitted and fit.height > fit.filter(pl.col("risk_probability") >= 0.5).height > 0
    assert fit.equals(scores(train(config, AS_OF, OPTIONS, history)))
    nightly = risk_detail(config, AS_OF, OPTIONS, history, keep=tmp_path)
    kept_file = tmp_path / f"{nightly.model.key}.npz"
    before = kept_file.read_bytes()

    scored, model, fitted = current_scores(config, AS_OF, OPTIONS, history, keep=tmp_path)
    assert not fitted and model.key == nightly.model.key
    assert scored.equals(fit)  # probabilities, drivers and the rule's flag alike
    other = dataclasses.replace(OPTIONS, horizon=21)
    scored, model, fitted = current_scores(config, AS_OF, other, history, keep=tmp_path)
    assert fitted and model.key != nightly.model.key
    assert [p.name for p in tmp_path.iterdir()] == [kept_file.name]
    assert kept_file.read_bytes() == before
