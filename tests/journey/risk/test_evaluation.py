"""Honest evaluation: a time split that cannot leak, and a model that earns its keep."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from journey.risk.evaluation import Scores, precision_at_k, time_split
from journey.risk.model import fit
from journey.risk.render import evaluation_lines, verdict
from journey.risk.service import RiskOptions, encoding_for, evaluate_model, prepare
from support import Project

AS_OF = dt.date(2026, 5, 1)


@pytest.fixture(scope="module")
def prepared(synthetic: Project):  # type: ignore[no-untyped-def]
    config = synthetic.config()
    history, snaps = prepare(config, AS_OF, RiskOptions())
    return config, history, snaps


def test_training_labels_are_known_before_the_test_period_starts(prepared) -> None:  # type: ignore[no-untyped-def]
    _, _, snaps = prepared
    split = time_split(snaps.labelled, 0.3)
    assert split.max_train_label_date < split.test["as_of"].min()
    assert split.train.height > 100 and split.test.height > 50
    # The gap matters here: splitting on the feature day alone would train on rows whose
    # labels are only known inside the test period.
    naive = snaps.labelled.filter(pl.col("as_of") < split.test_start)
    assert naive["label_date"].max() >= split.test_start  # type: ignore[operator]


def test_labels_from_the_test_period_cannot_change_the_model(prepared) -> None:  # type: ignore[no-untyped-def]
    config, history, snaps = prepared
    labelled: pl.DataFrame = snaps.labelled
    split = time_split(labelled, 0.3)
    # Flip every label that becomes known on or after the first test day.
    flipped = labelled.with_columns(
        label=pl.when(pl.col("label_date") >= split.test_start)
        .then(~pl.col("label"))
        .otherwise(pl.col("label"))
    )
    tampered = time_split(flipped, 0.3)
    assert_frame_equal(split.train, tampered.train)
    encoding = encoding_for(config, history)
    original = fit(split.train, encoding).predict(split.test)
    again = fit(tampered.train, encoding).predict(split.test)
    np.testing.assert_allclose(original, again)
    # A leaking split (by feature day) would have been changed by the tampering.
    leaky = flipped.filter(pl.col("as_of") < split.test_start)
    honest = labelled.filter(pl.col("as_of") < split.test_start)
    assert not leaky["label"].equals(honest["label"])


def test_model_beats_the_baselines_on_a_known_signal(synthetic: Project) -> None:
    report = evaluate_model(synthetic.config(), AS_OF, RiskOptions())
    best = report.baselines[report.best_baseline]
    assert report.model.roc_auc > best.roc_auc + 0.1
    assert report.model.average_precision > best.average_precision
    assert report.beats_baseline
    assert report.auc_interval[0] > 0
    lines = evaluation_lines(report, AS_OF, RiskOptions())
    assert lines[-1].startswith("Verdict: the model beats the best simple baseline")
    # When the model is no better, the verdict says so plainly.
    worse = dataclasses.replace(
        report, model=Scores(best.roc_auc - 0.05, 0.5, 0.5), auc_interval=(-0.1, 0.0)
    )
    assert "does NOT beat" in verdict(worse)


def test_precision_at_k_is_per_csm_and_day() -> None:
    rows = pl.DataFrame(
        {
            "as_of": [dt.date(2026, 1, 1)] * 4,
            "csm_email": ["a", "a", "b", "b"],
            "account_id": ["1", "2", "3", "4"],
            "label": [True, False, False, True],
        }
    )
    # Top 1 of each CSM: account 1 (hit) for a, account 3 (miss) for b.
    assert precision_at_k(rows, np.array([0.9, 0.1, 0.8, 0.2]), k=1) == 0.5
    assert precision_at_k(rows, np.array([0.9, 0.1, 0.2, 0.8]), k=1) == 1.0
