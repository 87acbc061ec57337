"""journey.risk.model: the fit takes at most `max_rows` labelled rows, a fixed sample."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

import journey.risk.service as service
from journey.risk.model import Encoding, RiskModel, training_sample
from journey.risk.service import RiskOptions, evaluate_model, train
from support import Project

AS_OF = dt.date(2026, 5, 1)  # the synthetic project's (conftest.py)


def _rows(n: int) -> pl.DataFrame:
    return pl.DataFrame({"row": range(n), "label": [i % 3 == 0 for i in range(n)]})


def test_rows_within_the_limit_are_all_taken() -> None:
    rows = _rows(50)
    assert training_sample(rows, 50).equals(rows)
    assert training_sample(rows, None).equals(rows)


def test_past_the_limit_a_fixed_sample_in_the_rows_order() -> None:
    rows = _rows(1_000)
    sample = training_sample(rows, 100, seed=0)
    assert sample.height == 100
    assert sample["row"].is_unique().all() and sample["row"].is_sorted()
    assert sample.join(rows, on=["row", "label"], how="anti").is_empty()  # rows as they were
    assert training_sample(rows, 100, seed=0).equals(sample)  # the same data, the same rows
    assert not training_sample(rows, 100, seed=1).equals(sample)
    taken = sample["row"].to_list()
    assert min(taken) < 100 and max(taken) > 900  # from all over, not the first rows


def test_training_and_its_evaluation_fit_on_the_sample(
    synthetic: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted: list[int] = []
    real_fit = service.fit

    def counting_fit(rows: pl.DataFrame, encoding: Encoding, seed: int = 0) -> RiskModel:
        fitted.append(rows.height)
        return real_fit(rows, encoding, seed)

    monkeypatch.setattr(service, "fit", counting_fit)
    config = synthetic.config()
    whole = train(config, AS_OF, RiskOptions(max_rows=None))
    assert fitted == [whole.snapshots.labelled.height] and fitted[0] > 200
    sampled = train(config, AS_OF, RiskOptions(max_rows=200))
    assert fitted[1] == 200
    assert sampled.snapshots.labelled.height == whole.snapshots.labelled.height  # all kept
    report = evaluate_model(config, AS_OF, RiskOptions(max_rows=150))
    assert fitted[2] == 150 and report.train_rows == 150


def test_only_the_flagged_accounts_are_explained_and_as_when_all_are(synthetic: Project) -> None:
    config = synthetic.config()
    training = train(config, AS_OF, RiskOptions())
    everyone = service.scores(training)
    flagged = service.scores(training, at_least=0.5)
    assert 0 < flagged.height < everyone.height
    assert flagged.equals(everyone.filter(pl.col("risk_probability") >= 0.5))
    detail = service.risk_detail(
        config, AS_OF, RiskOptions(threshold=0.5), training.history
    ).accounts
    assert detail.equals(flagged.select(list(service.RISK_DETAIL_SCHEMA)))
