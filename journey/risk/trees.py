"""The fitted early-warning model as plain arrays, and its predictions, in numpy alone.

scikit-learn fits the model (`journey.risk.model.fit`); what it fitted — a few hundred small
trees per calibration fold, and each fold's sigmoid — is copied here into arrays, and every
prediction journey makes comes from these arrays. So a kept model (`journey.risk.kept`) is
data, not code: it is written and read with numpy's `.npz` without pickle (loading runs no
code), and predicting with it needs no scikit-learn, which takes ~1 s to import.

The semantics are scikit-learn's (1.x) `HistGradientBoostingClassifier` inside a
`CalibratedClassifierCV(method="sigmoid", ensemble=True)`, checked against it by the tests:

- each fold's input columns are reordered (categorical features first) and its categories
  numbered in their sorted order, unknown ones and NaN becoming NaN;
- a tree sends NaN to its node's missing side; a numeric value `<=` the threshold left; a
  category in the node's left set left, another category the fold knows right, an unknown one
  to the missing side;
- a fold's score is its baseline plus every tree's leaf value, in order; its probability is
  `1 / (1 + exp(a * score + b))`; the model's is the mean of the folds'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The arrays of `Forest`, with their dtypes: what a kept model file must hold.
ARRAYS: dict[str, type] = {
    # per fold
    "baseline": np.float64,
    "sigmoid_a": np.float64,
    "sigmoid_b": np.float64,
    "fold_trees": np.int64,  # offsets into the trees: fold f has trees fold_trees[f]:[f+1]
    "column_order": np.int64,  # (folds, features): input column of each fold column
    "known_offsets": np.int64,  # offsets into known_bitsets, per fold
    "category_offsets": np.int64,  # (folds, features + 1): offsets into categories
    "categories": np.float64,  # a categorical fold column's known values, sorted
    "known_bitsets": np.uint32,  # (rows, 8): each categorical fold column's known categories
    "known_index": np.int64,  # (folds, features): its row there (within its fold)
    # per tree
    "tree_nodes": np.int64,  # offsets into the nodes
    "tree_bitsets": np.int64,  # offsets into left_bitsets
    # per node (indices local to the tree)
    "feature": np.int64,
    "threshold": np.float64,
    "missing_left": np.bool_,
    "left": np.int64,
    "right": np.int64,
    "is_leaf": np.bool_,
    "value": np.float64,
    "is_categorical": np.bool_,
    "bitset": np.int64,
    "left_bitsets": np.uint32,  # (rows, 8): a categorical node's left categories
}


#: The arrays with one value per node.
_NODE_ARRAYS = (
    "feature",
    "threshold",
    "missing_left",
    "left",
    "right",
    "is_leaf",
    "value",
    "is_categorical",
    "bitset",
)


@dataclass(frozen=True)
class Forest:
    """Calibrated boosted trees, one set per calibration fold, as flat arrays (`ARRAYS`)."""

    arrays: dict[str, np.ndarray]

    @classmethod
    def checked(cls, arrays: dict[str, np.ndarray]) -> Forest:
        """A forest from arrays read from a file: ValueError unless they are what `ARRAYS`
        names, of consistent sizes, every index within its array."""
        missing = set(ARRAYS) - set(arrays)
        if missing:
            raise ValueError(f"missing arrays: {', '.join(sorted(missing))}")
        typed = {}
        for name, dtype in ARRAYS.items():
            array = np.asarray(arrays[name])
            if array.dtype != np.dtype(dtype):
                raise ValueError(f"{name} is {array.dtype}, not {np.dtype(dtype)}")
            typed[name] = array
        forest = cls(typed)
        forest._check()
        return forest

    def _check(self) -> None:
        a = self.arrays
        folds, trees, nodes = len(a["baseline"]), len(a["tree_nodes"]) - 1, len(a["feature"])
        features = a["column_order"].shape[1] if a["column_order"].ndim == 2 else -1
        sizes_ok = (
            len(a["sigmoid_a"]) == len(a["sigmoid_b"]) == folds
            and _offsets_ok(a["fold_trees"], folds, trees)
            and _offsets_ok(a["tree_nodes"], trees, nodes)
            and _offsets_ok(a["tree_bitsets"], trees, len(a["left_bitsets"]))
            and _offsets_ok(a["known_offsets"], folds, len(a["known_bitsets"]))
            and a["column_order"].shape == a["known_index"].shape == (folds, features)
            and a["category_offsets"].shape == (folds, features + 1)
            and all(a[n].shape == (nodes,) for n in _NODE_ARRAYS)
            and a["left_bitsets"].ndim == a["known_bitsets"].ndim == 2
            and a["left_bitsets"].shape[1] == a["known_bitsets"].shape[1] == 8
        )
        if not sizes_ok:
            raise ValueError("arrays of inconsistent sizes")
        if a["column_order"].size and not np.array_equal(
            np.sort(a["column_order"], axis=1), np.tile(np.arange(features), (folds, 1))
        ):
            raise ValueError("a fold's column order is not a permutation of the features")
        offsets = a["category_offsets"]
        if np.any(np.diff(offsets, axis=1) < 0) or np.any(offsets > len(a["categories"])):
            raise ValueError("category offsets out of range")
        fold_of_tree = np.repeat(np.arange(folds), np.diff(a["fold_trees"]))
        for t, f in enumerate(fold_of_tree.tolist()):
            self._check_tree(t, f, features)

    def _check_tree(self, t: int, f: int, features: int) -> None:
        """ValueError unless tree `t` (of fold `f`) points only inside its nodes, the
        features, its bitsets and the categories its fold knows."""
        a = self.arrays
        low, high = a["tree_nodes"][t], a["tree_nodes"][t + 1]
        inner = ~a["is_leaf"][low:high]
        parents = np.flatnonzero(inner)
        children = np.stack([a["left"][low:high][inner], a["right"][low:high][inner]])
        feature = a["feature"][low:high][inner]
        # A child comes after its parent (scikit-learn numbers nodes depth first), so a walk
        # from the root always ends at a leaf.
        if high == low or np.any((children <= parents) | (children >= high - low)):
            raise ValueError(f"tree {t} points outside its nodes")
        if np.any((feature < 0) | (feature >= features)):
            raise ValueError(f"tree {t} splits on a feature the model does not have")
        categorical = inner & a["is_categorical"][low:high]
        bitset = a["bitset"][low:high][categorical]
        index = a["known_index"][f][a["feature"][low:high][categorical]]
        bitsets = a["tree_bitsets"][t + 1] - a["tree_bitsets"][t]
        known = a["known_offsets"][f + 1] - a["known_offsets"][f]
        if np.any((bitset < 0) | (bitset >= bitsets) | (index < 0) | (index >= known)):
            raise ValueError(f"tree {t} points outside its categories")

    @property
    def folds(self) -> int:
        return len(self.arrays["baseline"])

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """The probability of each row of `matrix` (rows x features, float64, NaN missing)."""
        return self.occluded(matrix, [], np.empty(matrix.shape[1]))[0]

    def occluded(
        self, matrix: np.ndarray, groups: list[list[int]], reference: np.ndarray
    ) -> np.ndarray:
        """(1 + groups, rows): each row's probability, then its probability with each group
        of input columns set to `reference`'s values (how the drivers weigh a group).

        Equal bit for bit to `probabilities` of the rows stacked with their occluded copies,
        at a fraction of the work (`_tree`): a copy goes down a tree with its row until a
        node that reads its group sends the reference the other way, and only from there is
        it followed on its own; the others take the row's leaf.
        """
        a = self.arrays
        rows, features = matrix.shape
        score_shape = (1 + len(groups), rows)
        total = np.zeros(score_shape)
        for f in range(self.folds):
            order = a["column_order"][f]
            columns = self._fold_columns(f, matrix)
            at_reference = [c[0] for c in self._fold_columns(f, reference[None, :])]
            member = np.zeros((features, len(groups)), dtype=bool)  # fold column j is in g
            for g, group in enumerate(groups):
                member[:, g] = np.isin(order, group)
            score = np.zeros(score_shape)
            score += a["baseline"][f]
            for t in range(a["fold_trees"][f], a["fold_trees"][f + 1]):
                score += self._tree(t, f, columns, at_reference, member)
            total += 1.0 / (1.0 + np.exp(a["sigmoid_a"][f] * score + a["sigmoid_b"][f]))
        return total / self.folds

    def _fold_columns(self, f: int, matrix: np.ndarray) -> list[np.ndarray]:
        """The fold's input columns: reordered, categories numbered (unknown: NaN)."""
        a = self.arrays
        columns = []
        for j, source in enumerate(a["column_order"][f]):
            column = np.ascontiguousarray(matrix[:, source], dtype=np.float64)
            low, high = a["category_offsets"][f][j], a["category_offsets"][f][j + 1]
            if high > low:  # a categorical column: its known values, sorted
                known = a["categories"][low:high]
                at = np.minimum(np.searchsorted(known, column), high - low - 1)
                column = np.where(known[at] == column, at.astype(np.float64), np.nan)
            columns.append(column)
        return columns

    def _tree(
        self,
        t: int,
        f: int,
        columns: list[np.ndarray],
        reference: list[float],
        member: np.ndarray,
    ) -> np.ndarray:
        """Tree `t`'s leaf value for every row (`[0]`) and for every row's copy with group
        `g`'s fold columns (`member[:, g]`) at `reference` (`[1 + g]`), splitting the rows
        node by node.

        A copy differs from its row only in its group's columns, so it takes the row's path
        down to a node that reads one of them and sends the reference the other way than
        the row; there it leaves, and walks on alone, every node of its group sending it
        the reference's way. Copies that never leave take their row's leaf.
        """
        a = self.arrays
        low = a["tree_nodes"][t]
        out = np.empty((1 + member.shape[1], len(columns[0]) if columns else 0))
        apart = []  # (group, rows, leaf value) of the copies that left their rows' path
        # (node, rows, group of the copies walking alone or -1 for the rows themselves,
        #  the groups whose copies still go with the rows)
        stack = [(0, np.arange(out.shape[1]), -1, tuple(range(member.shape[1])))]

        def reference_left(node: int, feature: int) -> bool:
            return bool(self._left(t, f, node, np.array([reference[feature]]))[0])

        while stack:
            local, rows, group, along = stack.pop()
            node = low + local
            if a["is_leaf"][node]:
                if group < 0:
                    out[0, rows] = a["value"][node]
                else:
                    apart.append((group, rows, a["value"][node]))
                continue
            if rows.size == 0:
                continue
            feature = a["feature"][node]
            left, right = int(a["left"][node]), int(a["right"][node])
            if group >= 0 and member[feature, group]:
                stack.append((left if reference_left(node, feature) else right, rows, group, ()))
                continue
            go_left = self._left(t, f, node, columns[feature][rows])
            along_left = along_right = along
            if group < 0 and (leaving := [g for g in along if member[feature, g]]):
                ref_left = reference_left(node, feature)
                away = rows[~go_left] if ref_left else rows[go_left]
                for g in leaving:
                    stack.append((left if ref_left else right, away, g, ()))
                stay = tuple(g for g in along if g not in leaving)
                along_left, along_right = (along, stay) if ref_left else (stay, along)
            stack.append((right, rows[~go_left], group, along_right))
            stack.append((left, rows[go_left], group, along_left))
        out[1:] = out[0]
        for group, rows, value in apart:
            out[1 + group, rows] = value
        return out

    def _left(self, t: int, f: int, node: int, x: np.ndarray) -> np.ndarray:
        """Whether each value `x` of the node's fold column goes left at node `node` of
        tree `t` (of fold `f`)."""
        a = self.arrays
        missing = np.isnan(x)
        if a["is_categorical"][node]:
            codes = np.where(missing | (x < 0), 0, x).astype(np.int64)
            valid = ~missing & (x >= 0)
            bitset = a["left_bitsets"][a["tree_bitsets"][t] + a["bitset"][node]]
            index = a["known_offsets"][f] + a["known_index"][f][a["feature"][node]]
            go_left = valid & _in_bitset(bitset, codes)
            known_here = valid & _in_bitset(a["known_bitsets"][index], codes)
            missing = ~go_left & ~known_here
        else:
            with np.errstate(invalid="ignore"):
                go_left = x <= a["threshold"][node]
        if a["missing_left"][node]:
            go_left |= missing
        else:
            go_left &= ~missing
        return go_left


def _offsets_ok(offsets: np.ndarray, parts: int, total: int) -> bool:
    return (
        offsets.ndim == 1
        and len(offsets) == parts + 1
        and offsets[0] == 0
        and offsets[-1] == total
        and bool(np.all(np.diff(offsets) >= 0))
    )


def _in_bitset(bitset: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Whether each code (0-255) is in the 256-bit set (8 words of 32 bits)."""
    words = bitset[np.minimum(codes >> 5, 7)]
    return ((words >> (codes & 31).astype(np.uint32)) & 1).astype(bool) & (codes < 256)
