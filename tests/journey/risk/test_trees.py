"""journey.risk.trees: the fitted model as arrays gives scikit-learn's own probabilities, and
arrays that are not a sound model are refused rather than followed."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV

from journey.risk.model import Encoding, _booster, forest_of, single_thread
from journey.risk.trees import ARRAYS, Forest

FEATURES = ("x1", "segment", "x2", "journey")


def _fitted(categorical: list[bool], seed: int = 1) -> tuple[CalibratedClassifierCV, np.ndarray]:
    """A calibrated booster as the early warning fits it, on rows with missing values and
    categories, and rows to predict that also hold categories it never saw."""
    rng = np.random.default_rng(seed)
    n = 2_000
    segment = rng.integers(0, 4, n).astype(float)
    segment[rng.random(n) < 0.05] = np.nan
    journey = rng.integers(0, 3, n).astype(float)
    x1 = rng.normal(size=n)
    x1[rng.random(n) < 0.1] = np.nan
    x2 = rng.exponential(size=n)
    y = (((x1 > 0.3) ^ (segment == 2)) | (x2 > 2)).astype(int)
    booster = _booster(Encoding(FEATURES, {}), 0).set_params(categorical_features=categorical)
    classifier = CalibratedClassifierCV(booster, method="sigmoid", cv=3, ensemble=True)
    with single_thread():
        classifier.fit(np.column_stack([x1, segment, x2, journey]), y)
    rows = np.column_stack(
        [
            rng.normal(size=n),
            rng.integers(-1, 6, n).astype(float),  # -1, 4 and 5: never seen
            rng.exponential(size=n),
            rng.integers(0, 4, n).astype(float),
        ]
    )
    for column in (0, 1, 3):
        rows[rng.random(n) < 0.1, column] = np.nan
    return classifier, rows


@pytest.mark.parametrize(
    "categorical", [[False, True, False, True], [False, False, False, False]], ids=["cat", "num"]
)
def test_the_arrays_give_scikit_learns_probabilities(categorical: list[bool]) -> None:
    classifier, rows = _fitted(categorical)
    forest = forest_of(classifier)
    assert forest.folds == 3
    assert forest.arrays["is_categorical"].any() == any(categorical)
    with single_thread():
        theirs = classifier.predict_proba(rows)[:, 1]
    np.testing.assert_allclose(forest.probabilities(rows), theirs, rtol=0, atol=1e-12)


def test_arrays_that_are_not_a_sound_model_are_refused() -> None:
    classifier, rows = _fitted([False, True, False, True])
    good = forest_of(classifier).arrays

    def broken(name: str, change) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
        arrays = {k: v.copy() for k, v in good.items()}
        arrays[name] = change(arrays[name])
        return arrays

    inner = int(np.flatnonzero(~good["is_leaf"])[0])
    categorical = int(np.flatnonzero(good["is_categorical"] & ~good["is_leaf"])[0])

    def loop(left: np.ndarray) -> np.ndarray:
        left[inner] = 0  # back to the root: a walk that never ends
        return left

    def far(feature: np.ndarray) -> np.ndarray:
        feature[inner] = len(FEATURES)
        return feature

    def no_bitset(bitset: np.ndarray) -> np.ndarray:
        bitset[categorical] = 10_000
        return bitset

    cases = {
        "a missing array": {k: v for k, v in good.items() if k != "value"},
        "a wrong type": broken("threshold", lambda a: a.astype(np.float32)),
        "a loop": broken("left", loop),
        "an unknown feature": broken("feature", far),
        "an unknown bitset": broken("bitset", no_bitset),
        "a short array": broken("right", lambda a: a[:-1]),
        "offsets past the end": broken("tree_nodes", lambda a: a + 1),
    }
    for case, arrays in cases.items():
        with pytest.raises(ValueError):
            Forest.checked(arrays)
            pytest.fail(case)
    assert set(good) == set(ARRAYS)
    assert np.array_equal(
        Forest.checked(good).probabilities(rows), forest_of(classifier).probabilities(rows)
    )


def test_occluded_probabilities_are_those_of_the_stacked_copies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The drivers' occlusion follows a copy down a tree on its own only from where it
    leaves its row's path, and still gives, bit for bit, the probabilities of every copy
    followed down every tree from the root."""
    classifier, rows = _fitted([False, True, False, True])
    forest = forest_of(classifier)
    reference = np.array([0.0, 1.0, 0.5, 2.0])
    groups = [[0], [1, 3], [2], [0, 2], []]  # overlapping, and one that changes nothing
    stacked = [rows]
    for columns in groups:
        copy = rows.copy()
        copy[:, columns] = reference[columns]
        stacked.append(copy)

    split = []  # the rows each split decided
    left = Forest._left

    def counted(self, t, f, node, x):  # type: ignore[no-untyped-def]
        split.append(x.size)
        return left(self, t, f, node, x)

    monkeypatch.setattr(Forest, "_left", counted)
    expected = forest.probabilities(np.vstack(stacked)).reshape(len(stacked), -1)
    walked_whole, split[:] = sum(split), []
    occluded = forest.occluded(rows, groups, reference)
    assert np.array_equal(occluded, expected)
    assert sum(split) < walked_whole / 2
    assert np.array_equal(occluded[0], forest.probabilities(rows))
    assert np.array_equal(occluded[-1], occluded[0])
